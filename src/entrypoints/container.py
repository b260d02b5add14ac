"""The object graph of one process, and its lifecycle: start once, probe, close once.

``bootstrap.build_container`` builds it; the HTTP app, the worker and the embedding API
hold one each. Optional adapter abilities (start/stop, close, readiness, drain, sweep
lease) are found with ``isinstance`` over the lifecycle protocols in
``reseller_core.ports.lifecycle``, never by attribute name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from reseller_adapters.storage.local import LocalObjectStorage
from reseller_core.ports import (
    Closable,
    Drainable,
    ReadinessProbe,
    Startable,
    SweepLease,
    TaskQueue,
)
from reseller_core.services.accounts import AccountService
from reseller_core.services.deps import Deps
from reseller_core.services.idempotency import IdempotencyService
from reseller_core.services.plans import PlanService
from reseller_core.services.processing import PipelineService, RunSweeper
from reseller_core.services.processing.lifestyle_requests import LifestyleRequests
from reseller_core.services.processing.lifestyle_runs import LifestyleRunner
from reseller_core.services.processing.video_requests import VideoRequests
from reseller_core.services.processing.video_runs import VideoRunner
from reseller_core.services.product_edits import ProductEditService
from reseller_core.services.product_images import ProductImageService
from reseller_core.services.product_reads import ProductReadService
from reseller_core.services.products import ProductService
from reseller_core.services.storefront_public import PublicStorefrontService
from reseller_core.services.storefronts import StorefrontService
from reseller_core.services.tabs import ProductTabService
from reseller_core.services.transfers.exports import ExportService
from reseller_core.services.transfers.imports import ImportService
from reseller_core.services.transfers.sweeper import TransferSweeper
from reseller_entrypoints.settings import Settings

log = logging.getLogger(__name__)

READINESS_TIMEOUT_S = 3.0
"""How long one readiness probe may take before its dependency counts as unavailable."""

TEMP_UPLOAD_SWEEP_INTERVAL_S = 600.0
"""How often a process serving local uploads deletes abandoned temporary upload files."""
TEMP_UPLOAD_SWEEPER = "temporary-upload-sweeper"
"""Name of the task that does it (every process with local storage runs one)."""


class Database(ReadinessProbe, Protocol):
    """What the container needs of the persistence adapter beside its units of work."""

    async def migrate(self) -> None:
        """Bring the schema to the newest revision."""
        ...

    async def dispose(self) -> None:
        """Close every pooled connection (once, at shutdown)."""
        ...


@dataclass(frozen=True, slots=True)
class Services:
    accounts: AccountService
    products: ProductService
    tabs: ProductTabService
    edits: ProductEditService
    images: ProductImageService
    pipeline: PipelineService
    sweeper: RunSweeper
    exports: ExportService
    imports: ImportService
    plans: PlanService
    transfer_sweeper: TransferSweeper
    storefronts: StorefrontService
    public_store: PublicStorefrontService
    idempotency: IdempotencyService
    lifestyle: LifestyleRequests
    lifestyle_runner: LifestyleRunner
    videos: VideoRequests
    video_runner: VideoRunner
    reads: ProductReadService | None = None
    """Product reads from the read model (None: the HTTP layer answers from the tables)."""


@dataclass(slots=True)
class Container:
    """Everything one process needs, built once and closed once."""

    settings: Settings
    deps: Deps
    services: Services
    database: Database
    queue: TaskQueue
    local_storage: LocalObjectStorage | None = None
    """The LocalObjectStorage when storage is local (the HTTP app serves its URLs)."""
    resources: dict[str, object] = field(default_factory=dict)
    """Shared clients the adapters opened; each Closable one is closed at shutdown."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _started: bool = False
    _worker_running: bool = False

    async def start(self, *, run_worker: bool | None = None, migrate: bool | None = None) -> None:
        """Apply migrations; where this process runs jobs, start them and the sweeper.

        Idempotent. ``migrate`` defaults to ``settings.auto_migrate``. ``run_worker``
        defaults to whether the queue lives in this process: with the in-process queue the
        server runs jobs itself; with a shared queue (taskiq) it only enqueues, and
        ``reseller worker`` processes (``run_worker=True``) consume. With an in-process
        queue this process is the only worker, so every run still queued or running at
        start-up was orphaned by the previous process and is enqueued again at once; a
        shared-queue worker takes over only runs whose heartbeat has timed out, since other
        live workers may be running the rest.
        """
        if self._started:
            return
        self._started = True
        if self.settings.auto_migrate if migrate is None else migrate:
            await self.database.migrate()
        if self.local_storage is not None:
            # Uploads stream into the storage's temporary folder: a process killed mid-upload
            # leaves its file there, so every process that serves uploads sweeps them.
            await self._sweep_temporary_uploads(self.local_storage)
            self._tasks.append(
                asyncio.create_task(
                    self._sweep_temporary_uploads_forever(self.local_storage),
                    name=TEMP_UPLOAD_SWEEPER,
                )
            )
        in_process = self.settings.queue == "inprocess"
        if run_worker is None:
            run_worker = in_process
        if run_worker and isinstance(self.queue, Startable):
            await self.queue.start()
            self._worker_running = True
            cutoff = self.deps.clock.now() if in_process else None
            try:
                count = await self.services.sweeper.sweep(stale_before=cutoff)
                if count:
                    log.info("re-enqueued %d unfinished processing run(s) at start-up", count)
                count = await self.services.transfer_sweeper.sweep(stale_before=cutoff)
                if count:
                    log.info("re-enqueued %d unfinished export/import job(s) at start-up", count)
            except Exception:
                log.exception("start-up sweep failed; the periodic sweeper will retry")
            self._tasks.append(asyncio.create_task(self._sweep_forever()))

    @staticmethod
    async def _sweep_temporary_uploads(storage: LocalObjectStorage) -> None:
        try:
            await asyncio.to_thread(storage.sweep_temporary)
        except OSError:
            log.exception("sweeping abandoned temporary upload files failed; will retry")

    async def _sweep_temporary_uploads_forever(self, storage: LocalObjectStorage) -> None:
        while True:
            await asyncio.sleep(TEMP_UPLOAD_SWEEP_INTERVAL_S)
            await self._sweep_temporary_uploads(storage)

    async def _sweep_forever(self) -> None:
        interval = max(0.05, self.settings.sweep_interval_s)
        # A shared queue may offer a deployment-wide lease: one worker sweeps per interval.
        lease = self.queue if isinstance(self.queue, SweepLease) else None
        while True:
            await asyncio.sleep(interval)
            try:
                if lease is not None and not await lease.sweep_lease(interval * 0.8):
                    continue
                await self.services.sweeper.sweep()
                await self.services.transfer_sweeper.sweep()
                await self.services.idempotency.purge_expired()
            except Exception:
                log.exception("sweeper pass failed; retrying in %.0f s", interval)

    async def drain(self) -> None:
        """Wait until the in-process queue has no job left (tests, embedding, CLI)."""
        if isinstance(self.queue, Drainable):
            await self.queue.join()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._worker_running and isinstance(self.queue, Startable):
            await self.queue.stop()
            self._worker_running = False
        closed: set[int] = set()
        for closable in (self.queue, self.deps.storage, *self.resources.values()):
            if isinstance(closable, Closable) and id(closable) not in closed:
                closed.add(id(closable))
                with contextlib.suppress(Exception):
                    await closable.aclose()
        await self.database.dispose()
        self._started = False

    async def readiness(self) -> dict[str, str]:
        """Dependency name → ``"ok"`` or a short error, for ``/health/ready``."""
        checks: dict[str, Callable[[], Awaitable[None]]] = {"database": self.database.check}
        probes: dict[str, object] = {
            "storage": self.deps.storage,
            "queue": self.queue,
            "rate_limiter": self.deps.rate_limiter,
        }
        for name, adapter in probes.items():
            if isinstance(adapter, ReadinessProbe):
                checks[name] = adapter.check

        async def probe(check: Callable[[], Awaitable[None]]) -> str:
            try:
                await asyncio.wait_for(check(), timeout=READINESS_TIMEOUT_S)
            except Exception as exc:
                return f"unavailable: {type(exc).__name__}"
            return "ok"

        # Probed concurrently: a dependency that hangs costs one timeout, not one each.
        results = await asyncio.gather(*(probe(check) for check in checks.values()))
        return dict(zip(checks, results, strict=True))
