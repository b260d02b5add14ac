"""The run lifecycle: claim, execute the stages, keep the claim alive, record a failure.

How a run survives a dying worker:

- Each stage reads what it needs in a short unit of work, calls the providers with no
  transaction open, then writes its output, the run's new ``step`` and its progress in the
  run ``payload`` (plus the stage's usage event) in **one** unit of work, with a heartbeat.
  The step therefore advances visibly (Q-M7), and "stage done" and "usage recorded" are
  committed together or not at all.
- A run whose worker died stays ``running`` with an old heartbeat; the sweeper re-enqueues
  it, ``claim`` hands it to a new worker, and the run resumes after the last committed
  step, reloading earlier outputs from the progress and the stored artifacts. Stages that
  produce several things (listings, variants) record each one as it commits and skip the
  ones already there. So a resumed run ends in the same state as an uninterrupted one,
  with no duplicate listing, variant or usage event.
- ``claim`` increments ``attempts``; every write checks that the run is still ``running``
  under the same attempt (in the statement that writes the run, ``update_claimed``, which
  the stage's other writes precede in its unit of work), so a worker that was presumed dead
  and comes back stops, its stage rolled back, instead of writing over its successor.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.plans import check_daily, day_window
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import ERROR_MESSAGES, ProcessingRun, RunErrorCode, RunStatus, Step
from reseller_core.ports import (
    AIProvider,
    Clock,
    IdFactory,
    ImageEditor,
    MarketplaceAdapter,
    ObjectStorage,
    SearchProvider,
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.failures import (
    LostClaim,
    PipelineFailure,
    ProductGone,
    jsonable,
    product_deleted,
)
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.keepalive import keepalive
from reseller_core.services.processing.progress import RunProgress
from reseller_core.services.processing.stages import Stage, default_stages
from reseller_core.services.processing.usage import UsageMeter

logger = logging.getLogger(__name__)


def failure_payload(
    failure: PipelineFailure, progress: RunProgress, *, provider: str, offline: bool
) -> dict[str, Any]:
    """A failed run's payload: the failure's details, whether a retry may help, and the
    uploads the provider rejected (the seller must replace those)."""
    payload: dict[str, Any] = {"provider": provider, **jsonable(failure.details)}
    payload["retryable"] = failure.retryable
    payload["offline"] = offline
    if progress.rejected_images and "rejected_images" not in payload:
        payload["rejected_images"] = [msgspec.to_builtins(r) for r in progress.rejected_images]
    return payload


class PipelineService:
    """Executes processing runs (spec 30 §5.3, §6): claims one, runs its stages in order."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        storage: ObjectStorage,
        ai: AIProvider,
        image_editor: ImageEditor,
        marketplaces: Mapping[str, MarketplaceAdapter],
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
        stages: Sequence[Stage] | None = None,
        search: SearchProvider | None = None,
    ) -> None:
        self._uow = uow
        self._ai = ai
        self._clock = clock
        self._config = config
        journal = RunJournal(uow=uow, clock=clock)
        self._stages = (
            tuple(stages)
            if stages is not None
            else default_stages(
                journal=journal,
                usage=UsageMeter(uow=uow, ids=ids, clock=clock, config=config),
                storage=storage,
                ai=ai,
                image_editor=image_editor,
                ids=ids,
                marketplaces=marketplaces,
                config=config,
                search=search,
            )
        )

    async def process(self, run_id: str) -> None:
        """Claim the run and execute it to ``completed`` or ``failed``.

        Safe to call twice: a run that is not claimable (already finished, or running
        under a live worker) is left alone. Errors never escape into the queue; only
        cancellation does, leaving the run ``running`` for the sweeper to resume.
        """
        try:
            ctx = await self._claim(run_id)
        except Exception:
            logger.exception("processing run %s could not be claimed", run_id)
            return
        if ctx is None:
            return
        fields = {"run_id": ctx.run_id, "product_id": ctx.product_id, "attempt": ctx.attempts}
        logger.info(
            "processing run %s started: product %s, attempt %d, step %s",
            ctx.run_id,
            ctx.product_id,
            ctx.attempts,
            ctx.step,
            extra=fields,
        )
        began = time.monotonic()
        outcome = "interrupted"
        try:
            async with self._keepalive(ctx):
                for stage in self._stages:
                    await stage.run(ctx)
            outcome = "completed"
        except PipelineFailure as failure:
            outcome = f"failed ({failure.code})"
            await self._fail_safely(ctx, failure)
        except ProductGone:
            outcome = "stopped (product deleted)"
            await self._fail_safely(ctx, product_deleted())
        except LostClaim:
            outcome = "stopped (taken over by another worker)"
        except Exception as exc:
            outcome = f"failed (unexpected {type(exc).__name__})"
            logger.exception("processing run %s failed unexpectedly", run_id)
            unexpected = PipelineFailure(
                RunErrorCode.PROCESSOR_ERROR,
                retryable=False,
                details={"reason": type(exc).__name__, "detail": str(exc)[:500]},
            )
            await self._fail_safely(ctx, unexpected)
        finally:
            # One line per run, whatever ended it (cancellation included: "interrupted").
            duration_ms = round((time.monotonic() - began) * 1000)
            logger.log(
                logging.WARNING if outcome.startswith("failed (unexpected") else logging.INFO,
                "processing run %s finished: %s after %d ms",
                ctx.run_id,
                outcome,
                duration_ms,
                extra={**fields, "outcome": outcome, "duration_ms": duration_ms},
            )

    async def _claim(self, run_id: str) -> RunContext | None:
        """Claim the run, re-check the daily ceilings and start it (one unit of work)."""
        now = self._clock.now()
        stale_before = now - timedelta(seconds=self._config.run_heartbeat_timeout_s)
        async with self._uow() as uow:
            run = await uow.runs.claim(run_id, now, stale_before=stale_before)
            if run is None:
                return None
            ctx = RunContext(run=run, progress=RunProgress.from_payload(run.payload))
            product = await uow.products.get_by_id(run.product_id)
            if product is None:
                logger.info("processing run %s has no product any more", run_id)
                await self._write_failure(uow, run, product_deleted(), now, ctx)
                await uow.commit()
                return None
            day_start, day_end = day_window(now)
            breach = check_daily(
                await uow.usage.daily_usage(run.user_id, day_start, day_end),
                self._config.daily_ceilings,
            )
            if breach is not None:
                failure = PipelineFailure(
                    RunErrorCode.LIMIT_EXCEEDED,
                    retryable=True,
                    details={
                        "operation": breach.operation,
                        "used": breach.used,
                        "limit": breach.limit,
                    },
                )
                await self._write_failure(uow, run, failure, now, ctx)
                await uow.commit()
                return None
            images = await uow.images.for_product(run.product_id)
            started = [
                msgspec.structs.replace(
                    image, processing_status=ImageStatus.PROCESSING, updated_at=now
                )
                for image in images
                if image.processing_status == ImageStatus.UPLOADED
            ]
            if started:
                await uow.images.update_many(started)
            marked = {image.id: image for image in started}
            step = Step.PREPARE_IMAGES.value if run.step in (Step.QUEUED, "") else run.step
            started_run = msgspec.structs.replace(
                run, step=step, started_at=run.started_at or now, heartbeat_at=now, updated_at=now
            )
            await uow.runs.update(started_run)
            await uow.commit()
        ctx.run = started_run
        ctx.product = product
        ctx.images = tuple(marked.get(image.id, image) for image in images)
        return ctx

    async def _fail_safely(self, ctx: RunContext, failure: PipelineFailure) -> None:
        try:
            async with self._uow() as uow:
                run = await uow.runs.get(ctx.run_id)
                if run is None or run.status != RunStatus.RUNNING or run.attempts != ctx.attempts:
                    return
                await self._write_failure(uow, run, failure, self._clock.now(), ctx)
                await uow.commit()
        except Exception:
            # The run stays ``running``; the sweeper re-enqueues it once its heartbeat ages.
            logger.exception("could not record the failure of processing run %s", ctx.run_id)

    async def _write_failure(
        self,
        uow: UnitOfWork,
        run: ProcessingRun,
        failure: PipelineFailure,
        now: datetime,
        ctx: RunContext,
    ) -> None:
        """Run ``failed``; images back to ``uploaded`` (retryable) or ``failed``; product review."""
        images = await uow.images.for_product(run.product_id)
        changed: list[ProductImage] = []
        for image in images:
            if failure.retryable:
                if image.kind == ImageKind.ORIGINAL and image.processing_status in (
                    ImageStatus.PROCESSING,
                    ImageStatus.FAILED,
                ):
                    changed.append(
                        msgspec.structs.replace(
                            image, processing_status=ImageStatus.UPLOADED, updated_at=now
                        )
                    )
            elif image.processing_status == ImageStatus.PROCESSING:
                changed.append(
                    msgspec.structs.replace(
                        image, processing_status=ImageStatus.FAILED, updated_at=now
                    )
                )
        if changed:
            await uow.images.update_many(changed)
        payload = failure_payload(
            failure, ctx.progress, provider=self._ai.name, offline=self._ai.offline
        )
        await uow.runs.update(
            msgspec.structs.replace(
                run,
                status=RunStatus.FAILED,
                error_code=failure.code.value,
                error_message=ERROR_MESSAGES[failure.code],
                payload=payload,
                finished_at=now,
                updated_at=now,
            )
        )
        await uow.products.set_status_if(
            run.product_id, ProductStatus.PROCESSING, ProductStatus.REVIEW, now
        )

    def _keepalive(self, ctx: RunContext) -> contextlib.AbstractAsyncContextManager[None]:
        """Heartbeat in the background while a stage waits on a slow provider."""

        async def beat(uow: UnitOfWork, now: datetime) -> None:
            await uow.runs.heartbeat(ctx.run_id, now)

        return keepalive(
            self._uow,
            self._clock,
            beat,
            interval_s=self._config.run_heartbeat_timeout_s / 3,
            label=f"run {ctx.run_id}",
        )
