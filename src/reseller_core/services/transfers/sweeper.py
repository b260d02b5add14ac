"""Re-enqueues exports and imports left by a dead worker or a restart; purges expired exports.

The same rule as the processing-run sweeper: a record quiet past the heartbeat timeout is
an orphan; an in-process queue at start-up passes "now" (the previous process is gone) and
the records are released at once. ``claim`` decides who runs a record, so enqueueing a
live one is harmless. An export already read as ``stalled`` is left alone (terminal).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import msgspec

from reseller_core.domain.transfers import ExportStatus
from reseller_core.ports import Clock, ObjectStorage, TaskQueue, UnitOfWorkFactory
from reseller_core.ports.storage import StorageError
from reseller_core.services.config import CoreConfig
from reseller_core.services.transfers.jobs import export_job, import_job

logger = logging.getLogger(__name__)


class TransferSweeper:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        queue: TaskQueue,
        storage: ObjectStorage,
        clock: Clock,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._storage = storage
        self._queue = queue
        self._clock = clock
        self._timeout = timedelta(seconds=config.transfers.job_heartbeat_timeout_s)

    async def _purge_expired(self, now: datetime) -> None:
        """Decision Q1: completed exports past ``expires_at`` become ``expired``, archive
        deleted (after the commit: no storage call inside the transaction)."""
        async with self._uow() as uow:
            expired = await uow.exports.expired(now)
            for export in expired:
                await uow.exports.update(
                    msgspec.structs.replace(export, status=ExportStatus.EXPIRED, updated_at=now)
                )
            await uow.commit()
        for export in expired:
            if export.storage_key is None:
                continue
            try:
                await self._storage.delete(export.storage_key)
            except StorageError:
                logger.warning("could not delete the archive of expired export %s", export.id)

    async def sweep(self, stale_before: datetime | None = None) -> int:
        """Enqueue every orphaned export and import again; how many were enqueued."""
        now = self._clock.now()
        timeout_cutoff = now - self._timeout
        cutoff = timeout_cutoff if stale_before is None else stale_before
        released_at = timeout_cutoff - timedelta(seconds=1)
        async with self._uow() as uow:
            exports = await uow.exports.stale(cutoff)
            imports = await uow.imports.stale(cutoff)
            for export in exports:
                if export.status == "running":
                    await uow.exports.heartbeat(export.id, released_at)
            for record in imports:
                if record.status == "running":
                    await uow.imports.heartbeat(record.id, released_at)
            await uow.commit()
        await self._purge_expired(now)
        jobs = [export_job(e.id) for e in exports] + [import_job(i.id) for i in imports]
        count = 0
        for job in jobs:
            try:
                await self._queue.enqueue(job)
            except Exception:
                logger.exception("could not re-enqueue %s", job.name)
                continue
            count += 1
        return count
