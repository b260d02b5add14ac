"""The run's writes that every stage shares: ownership checks and progress commits."""

from __future__ import annotations

from datetime import datetime

import msgspec

from reseller_core.domain.products import Product
from reseller_core.domain.runs import ProcessingRun, RunStatus, Step
from reseller_core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.failures import LostClaim, ProductGone
from reseller_core.services.processing.progress import RunProgress


class RunJournal:
    """Reads and commits a claimed run's state, refusing to write once the claim is lost."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def owned_run(self, uow: UnitOfWork, ctx: RunContext) -> ProcessingRun:
        """The run, if this worker still owns it; otherwise ``LostClaim``."""
        run = await uow.runs.get(ctx.run_id)
        if run is None or run.status != RunStatus.RUNNING or run.attempts != ctx.attempts:
            raise LostClaim
        return run

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

        ``update`` writes the whole run, heartbeat included, so one statement does both.
        """
        new_step = step.value if step is not None else run.step
        await uow.runs.update(
            msgspec.structs.replace(
                run,
                step=new_step,
                payload=progress.to_payload(),
                heartbeat_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
        ctx.progress = progress
        ctx.step = new_step

    async def record_progress(
        self, ctx: RunContext, *, step: Step | None, progress: RunProgress
    ) -> None:
        """Commit progress alone, in a unit of work of its own."""
        async with self.uow() as uow:
            run = await self.owned_run(uow, ctx)
            await self.commit(uow, ctx, run, self.clock.now(), step=step, progress=progress)
