"""The sweeper: re-enqueues runs left ``queued``/``running`` by a crashed worker or a restart."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from reseller_core.domain.runs import RunStatus
from reseller_core.ports import Clock, TaskQueue, UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.jobs import process_run_job
from reseller_core.services.processing.lifestyle_requests import lifestyle_run_job

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
            # Lifestyle runs are claimed and resumed the same way (one image per scene).
            lifestyle = await uow.lifestyle_runs.stale(cutoff)
            held = [
                item.id
                for item in lifestyle
                if item.status == "running"
                and (item.heartbeat_at or item.updated_at) >= timeout_cutoff
            ]
            for run_id in held:
                await uow.lifestyle_runs.heartbeat(run_id, timeout_cutoff - timedelta(seconds=1))
            if released or held:
                await uow.commit()
        jobs = [process_run_job(run.id) for run in stale]
        jobs += [lifestyle_run_job(item.id) for item in lifestyle]
        count = 0
        for job in jobs:
            try:
                await self._queue.enqueue(job)
            except Exception:
                logger.exception("could not re-enqueue %s %s", job.name, job.args.get("run_id"))
                continue
            count += 1
        return count
