"""The run's writes that every stage shares: ownership checks and progress commits."""

from __future__ import annotations

from datetime import datetime

import msgspec

from reseller_core.domain.products import Product
from reseller_core.domain.runs import ProcessingRun, Step
from reseller_core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.failures import LostClaim, ProductGone
from reseller_core.services.processing.progress import RunProgress


class RunJournal:
    """Reads and commits a claimed run's state, refusing to write once the claim is lost."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    def owned_run(self, ctx: RunContext) -> ProcessingRun:
        """The run as this worker last wrote it; the next write checks the claim still holds.

        No read: ``write_run`` writes only while the stored run is ``running`` under this
        worker's attempt and raises ``LostClaim`` otherwise, so a stage's unit of work that
        lost its claim rolls back with everything it wrote.
        """
        return ctx.run

    @staticmethod
    async def write_run(uow: UnitOfWork, run: ProcessingRun) -> None:
        """Write ``run`` if this worker still holds the claim, else ``LostClaim``."""
        if not await uow.runs.update_claimed(run):
            raise LostClaim

    async def product(self, uow: UnitOfWork, ctx: RunContext) -> Product:
        product = await uow.products.get_by_id(ctx.product_id)
        if product is None:
            raise ProductGone
        return product

    async def facts_source(self, ctx: RunContext) -> Product:
        """The product the AI stages describe: as recognition left it, read once on resume.

        Every stage after recognition works from this one snapshot, so a run's copy, price
        and listings describe the same facts, and no stage needs a unit of work of its own
        just to read them.
        """
        if ctx.product is None:
            async with self.uow() as uow:
                ctx.product = await self.product(uow, ctx)
        return ctx.product

    async def commit(
        self,
        uow: UnitOfWork,
        ctx: RunContext,
        run: ProcessingRun,
        now: datetime,
        *,
        step: Step | None,
        progress: RunProgress,
    ) -> None:
        """Write the run's progress with a heartbeat and commit the stage's unit of work.

        One statement checks the claim and writes the whole run, heartbeat included; a lost
        claim raises ``LostClaim`` before the commit, so nothing of the stage is kept.
        """
        new_step = step.value if step is not None else run.step
        written = msgspec.structs.replace(
            run, step=new_step, payload=progress.to_payload(), heartbeat_at=now, updated_at=now
        )
        await self.write_run(uow, written)
        await uow.commit()
        ctx.run = written
        ctx.progress = progress

    async def record_progress(
        self, ctx: RunContext, *, step: Step | None, progress: RunProgress
    ) -> None:
        """Commit progress alone, in a unit of work of its own."""
        async with self.uow() as uow:
            run = self.owned_run(ctx)
            await self.commit(uow, ctx, run, self.clock.now(), step=step, progress=progress)
