"""The composition root: settings → adapters → use cases. No module-level state.

The HTTP app, the worker and the embedding API all build their object graph here, through
an :class:`~reseller_entrypoints.plugins.AdapterRegistry` so a deployment picks each adapter by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reseller_adapters.archives import StreamingZipArchiveWriter
from reseller_core.domain.marketplaces import Marketplace, MarketplaceRules, humanise
from reseller_core.ports import MarketplaceAdapter
from reseller_core.services.accounts import AccountService
from reseller_core.services.deps import Deps
from reseller_core.services.processing import PipelineService, RunSweeper, job_handlers
from reseller_core.services.product_reads import ProductReadService
from reseller_core.services.products import ProductService
from reseller_core.services.transfers.exports import ExportService
from reseller_core.services.transfers.imports import ImportService
from reseller_core.services.transfers.jobs import transfer_job_handlers
from reseller_core.services.transfers.sweeper import TransferSweeper
from reseller_entrypoints.builtin_adapters import register_builtins
from reseller_entrypoints.plugins import AdapterRegistry, BuildContext, PluginError
from reseller_entrypoints.settings import Settings

log = logging.getLogger(__name__)

READINESS_TIMEOUT_S = 3.0
"""How long one readiness probe may take before its dependency counts as unavailable."""

TEMP_UPLOAD_SWEEP_INTERVAL_S = 600.0
"""How often a process serving local uploads deletes abandoned temporary upload files."""
TEMP_UPLOAD_SWEEPER = "temporary-upload-sweeper"
"""Name of the task that does it (every process with local storage runs one)."""


@dataclass(frozen=True, slots=True)
class Services:
    accounts: AccountService
    products: ProductService
    pipeline: PipelineService
    sweeper: RunSweeper
    exports: ExportService
    imports: ImportService
    transfer_sweeper: TransferSweeper
    reads: ProductReadService | None = None
    """Product reads from the read model (None: the HTTP layer answers from the tables)."""


@dataclass(slots=True)
class Container:
    """Everything one process needs, built once and closed once."""

    settings: Settings
    deps: Deps
    services: Services
    database: Any
    """The persistence adapter's database object (``check``, ``dispose``, ``migrate``)."""
    queue: Any
    local_storage: Any = None
    """The LocalObjectStorage when storage is local (the HTTP app serves its URLs)."""
    resources: dict[str, Any] = field(default_factory=dict)
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
            await self._sweep_temporary_uploads()
            self._tasks.append(
                asyncio.create_task(
                    self._sweep_temporary_uploads_forever(), name=TEMP_UPLOAD_SWEEPER
                )
            )
        in_process = self.settings.queue == "inprocess"
        if run_worker is None:
            run_worker = in_process
        if run_worker and hasattr(self.queue, "start"):
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

    async def _sweep_temporary_uploads(self) -> None:
        try:
            await asyncio.to_thread(self.local_storage.sweep_temporary)
        except OSError:
            log.exception("sweeping abandoned temporary upload files failed; will retry")

    async def _sweep_temporary_uploads_forever(self) -> None:
        while True:
            await asyncio.sleep(TEMP_UPLOAD_SWEEP_INTERVAL_S)
            await self._sweep_temporary_uploads()

    async def _sweep_forever(self) -> None:
        interval = max(0.05, self.settings.sweep_interval_s)
        # A shared queue may offer a deployment-wide lease: one worker sweeps per interval.
        lease = getattr(self.queue, "sweep_lease", None)
        while True:
            await asyncio.sleep(interval)
            try:
                if lease is not None and not await lease(interval * 0.8):
                    continue
                await self.services.sweeper.sweep()
                await self.services.transfer_sweeper.sweep()
            except Exception:
                log.exception("sweeper pass failed; retrying in %.0f s", interval)

    async def drain(self) -> None:
        """Wait until the in-process queue has no job left (tests, embedding, CLI)."""
        join = getattr(self.queue, "join", None)
        if join is not None:
            await join()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._worker_running and hasattr(self.queue, "stop"):
            await self.queue.stop()
            self._worker_running = False
        queue_closer = getattr(self.queue, "aclose", None)
        if queue_closer is not None:
            with contextlib.suppress(Exception):
                await queue_closer()
        storage_closer = getattr(self.deps.storage, "aclose", None)
        if storage_closer is not None:
            with contextlib.suppress(Exception):
                await storage_closer()
        for resource in self.resources.values():
            closer = getattr(resource, "aclose", None) or getattr(resource, "close", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    result = closer()
                    if asyncio.iscoroutine(result):
                        await result
        await self.database.dispose()
        self._started = False

    async def readiness(self) -> dict[str, str]:
        """Dependency name → ``"ok"`` or a short error, for ``/health/ready``."""
        checks: dict[str, Any] = {
            "database": self.database.check,
            "storage": self.deps.storage.check,
        }
        queue_check = getattr(self.queue, "check", None)
        if queue_check is not None:
            checks["queue"] = queue_check
        limiter_check = getattr(self.deps.rate_limiter, "check", None)
        if limiter_check is not None:
            checks["rate_limiter"] = limiter_check

        async def probe(check: Any) -> str:
            try:
                await asyncio.wait_for(check(), timeout=READINESS_TIMEOUT_S)
            except Exception as exc:
                return f"unavailable: {type(exc).__name__}"
            return "ok"

        # Probed concurrently: a dependency that hangs costs one timeout, not one each.
        results = await asyncio.gather(*(probe(check) for check in checks.values()))
        return dict(zip(checks, results, strict=True))


def _secret_key(settings: Settings) -> bytes:
    """The signing key: from settings, else generated once and kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key.encode("utf-8")
    path = settings.data_path / "secret_key"
    if path.exists():
        return path.read_text().strip().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Server and worker processes may start together on one data directory: the key is
    # written aside and linked into place, so exactly one key wins and none is half-read.
    draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_text(secrets.token_hex(32))
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip().encode("utf-8")


def _warn_unknown_marketplace(name: str, registry: AdapterRegistry) -> None:
    """A selected marketplace nobody provides: probably a typo, or a plugin not installed."""
    from difflib import get_close_matches

    from reseller_core.domain.marketplaces import CATALOG

    known = [m.id for m in CATALOG] + registry.names("marketplace")
    close = get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    log.warning(
        "marketplace %r is neither built in nor provided by an installed plugin; its "
        "listings get generic rules%s",
        name,
        hint,
    )


def _marketplaces(
    settings: Settings, registry: AdapterRegistry, context: BuildContext
) -> dict[str, MarketplaceAdapter]:
    """Built-in catalogue adapters, overridden or extended by marketplace plugins."""
    from reseller_adapters.marketplaces.builtin import BuiltinMarketplace, builtin_marketplaces

    adapters: dict[str, MarketplaceAdapter] = dict(
        builtin_marketplaces(settings.core.supported_marketplaces)
    )
    for name in registry.names("marketplace"):
        if name in settings.core.supported_marketplaces:
            adapter = registry.factory("marketplace", name)(settings, context)
            if getattr(adapter, "id", None) != name:
                # Listings are stored under the name; an adapter answering to another id
                # would file them under the wrong marketplace.
                raise PluginError(
                    f"marketplace plugin {name!r} built an adapter with id "
                    f"{getattr(adapter, 'id', None)!r}; the id must equal the plugin name"
                )
            adapters[name] = adapter
    for name in settings.core.supported_marketplaces:
        if name not in adapters:
            _warn_unknown_marketplace(name, registry)
            adapters[name] = BuiltinMarketplace(
                Marketplace(
                    id=name,
                    label=humanise(name),
                    rules=MarketplaceRules(model="custom", tone="factual"),
                )
            )
    return adapters


ADAPTER_KINDS = (
    "storage",
    "queue",
    "ai_provider",
    "image_editor",
    "search_provider",
    "rate_limiter",
    "mailer",
)
"""Adapter kinds a deployment picks by name, each with the setting of the same name."""


def default_registry() -> AdapterRegistry:
    """The built-in adapters plus every installed plugin."""
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.load_entry_points()
    return registry


def build_services(deps: Deps) -> Services:
    """The use cases over one set of ports; each takes the ports it uses."""
    return Services(
        accounts=AccountService(
            uow=deps.uow,
            reader=deps.reader,
            rate_limiter=deps.rate_limiter,
            mailer=deps.mailer,
            hasher=deps.hasher,
            clock=deps.clock,
            ids=deps.ids,
            marketplaces=deps.marketplaces,
            config=deps.config,
        ),
        products=ProductService(
            uow=deps.uow,
            reader=deps.reader,
            storage=deps.storage,
            queue=deps.queue,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
        pipeline=PipelineService(
            uow=deps.uow,
            storage=deps.storage,
            ai=deps.ai,
            image_editor=deps.image_editor,
            marketplaces=deps.marketplaces,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
            search=deps.search,
        ),
        sweeper=RunSweeper(uow=deps.uow, queue=deps.queue, clock=deps.clock, config=deps.config),
        exports=ExportService(
            uow=deps.uow,
            reader=deps.reader,
            storage=deps.storage,
            queue=deps.queue,
            mailer=deps.mailer,
            archives=StreamingZipArchiveWriter(),
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
        transfer_sweeper=TransferSweeper(
            uow=deps.uow, queue=deps.queue, clock=deps.clock, config=deps.config
        ),
        imports=ImportService(
            uow=deps.uow,
            reader=deps.reader,
            storage=deps.storage,
            queue=deps.queue,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
    )


def check_adapter_names(settings: Settings, registry: AdapterRegistry) -> None:
    """Raise ``PluginError`` when a setting names an adapter nobody registered."""
    for kind in ADAPTER_KINDS:
        registry.factory(kind, getattr(settings, kind))


async def build_container(
    settings: Settings, *, registry: AdapterRegistry | None = None
) -> Container:
    """Wire the adapters named in ``settings`` to the use cases."""
    from reseller_adapters.system import SystemClock, UlidIdFactory

    if registry is None:
        registry = default_registry()
    check_adapter_names(settings, registry)  # before anything is built or opened
    data_dir: Path = settings.data_path
    data_dir.mkdir(parents=True, exist_ok=True)
    context = BuildContext(clock=SystemClock(), ids=UlidIdFactory(), data_dir=data_dir)
    context.resources["secret_key"] = _secret_key(settings)

    from reseller_adapters.mail.queued import route_through_queue
    from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase

    database = SqlAlchemyDatabase(settings.resolved_database_url)
    storage = registry.factory("storage", settings.storage)(settings, context)
    from reseller_adapters.persistence.sqlalchemy.read_model import SqlProductReadModel
    from reseller_entrypoints.http.documents import PayloadRenderer

    database.read_model = SqlProductReadModel(PayloadRenderer(storage.public_url))
    queue = registry.factory("queue", settings.queue)(settings, context)
    ai = registry.factory("ai_provider", settings.ai_provider)(settings, context)
    if settings.ai_latency_s > 0:
        from reseller_adapters.ai.latency import LatencyAIProvider

        ai = LatencyAIProvider(ai, settings.ai_latency_s)
    deps = Deps(
        uow=database.unit_of_work,
        read_uow=database.read_unit_of_work,
        lookup_uow=database.lookup_unit_of_work,
        storage=storage,
        queue=queue,
        ai=ai,
        image_editor=registry.factory("image_editor", settings.image_editor)(settings, context),
        search=registry.factory("search_provider", settings.search_provider)(settings, context),
        rate_limiter=registry.factory("rate_limiter", settings.rate_limiter)(settings, context),
        mailer=route_through_queue(
            registry.factory("mailer", settings.mailer)(settings, context),
            queue,
            context.job_handlers,
        ),
        hasher=context.resources.get("password_hasher") or _hasher(),
        clock=context.clock,
        ids=context.ids,
        marketplaces=_marketplaces(settings, registry, context),
        config=settings.core,
    )
    services = build_services(deps)
    services = replace(
        services,
        reads=ProductReadService(deps, database.read_model, services.products),
    )
    context.job_handlers.update(job_handlers(runs=services.pipeline))
    context.job_handlers.update(
        transfer_job_handlers(exports=services.exports, imports=services.imports)
    )
    from reseller_adapters.storage.local import LocalObjectStorage

    return Container(
        settings=settings,
        deps=deps,
        services=services,
        database=database,
        queue=queue,
        local_storage=storage if isinstance(storage, LocalObjectStorage) else None,
        resources={k: v for k, v in context.resources.items() if k != "secret_key"},
    )


def _hasher() -> Any:
    from reseller_adapters.security.argon2 import Argon2PasswordHasher

    return Argon2PasswordHasher()
