"""The sweeper: re-enqueues runs left ``queued``/``running`` by a crashed worker or a restart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from reseller_core.domain.runs import RunStatus
from reseller_core.ports import Clock, Job, TaskQueue, UnitOfWorkFactory
from reseller_core.ports.media_runs import MediaRunRepository
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.jobs import process_run_job
from reseller_core.services.processing.lifestyle_requests import lifestyle_run_job
from reseller_core.services.processing.video_requests import video_run_job

logger = logging.getLogger(__name__)


class RunSweeper:
    """Finds orphaned runs and hands them back to the queue; ``claim`` decides who runs them."""

    def __init__(
        self, *, uow: UnitOfWorkFactory, queue: TaskQueue, clock: Clock, config: CoreConfig
    ) -> None:
        self._uow = uow
        self._queue = queue
        self._clock = clock
        self._config = config

    async def sweep(self, stale_before: datetime | None = None) -> int:
        """Enqueue every stale run again; returns how many were enqueued.

        Enqueueing a run that is in fact still live is harmless: ``claim`` refuses it.

        Args:
            stale_before: runs inactive since before this instant are orphans. Defaults to
                now minus ``run_heartbeat_timeout_s``. A later cutoff is the caller's
                statement that no worker owns those runs (an in-process queue at start-up
                passes "now": the previous process is gone). Such runs are also released,
                their heartbeat backdated past the timeout, so that ``claim`` takes them at
                once instead of after the timeout.
        """
        now = self._clock.now()
        timeout_cutoff = now - timedelta(seconds=self._config.run_heartbeat_timeout_s)
        cutoff = timeout_cutoff if stale_before is None else stale_before
        async with self._uow() as uow:
            stale = await uow.runs.stale(cutoff)
            released = [
                run
                for run in stale
                if run.status == RunStatus.RUNNING
                and (run.heartbeat_at or run.updated_at) >= timeout_cutoff
            ]
            for run in released:
                await uow.runs.heartbeat(run.id, timeout_cutoff - timedelta(seconds=1))
            # Media runs (lifestyle scenes, videos) are claimed and resumed the same way.
            media: list[Job] = []
            held = False
            kinds: tuple[tuple[MediaRunRepository[Any], Callable[[str], Job]], ...] = (
                (uow.lifestyle_runs, lifestyle_run_job),
                (uow.video_runs, video_run_job),
            )
            for repository, job_for in kinds:
                for item in await repository.stale(cutoff):
                    media.append(job_for(item.id))
                    if (
                        item.status == "running"
                        and (item.heartbeat_at or item.updated_at) >= timeout_cutoff
                    ):
                        held = True
                        backdated = timeout_cutoff - timedelta(seconds=1)
                        await repository.heartbeat(item.id, backdated)
            if released or held:
                await uow.commit()
        jobs = [process_run_job(run.id) for run in stale] + media
        count = 0
        for job in jobs:
            try:
                await self._queue.enqueue(job)
            except Exception:
                logger.exception("could not re-enqueue %s %s", job.name, job.args.get("run_id"))
                continue
            count += 1
        return count
