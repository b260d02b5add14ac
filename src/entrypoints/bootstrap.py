"""The composition root: settings → adapters → use cases. No module-level state.

The HTTP app, the worker and the embedding API all build their object graph here, through
an :class:`~reseller_entrypoints.plugins.AdapterRegistry` so a deployment picks each adapter
by name. Every adapter built from the registry is checked against its port at wiring time
(:meth:`~reseller_entrypoints.plugins.AdapterRegistry.build`). ``build_container`` takes
keyword overrides for any port (``uow=``, ``storage=``, ``queue=``, ``ai=``, ...), so tests
and embedders replace an adapter without wiring the graph by hand.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reseller_adapters.archives import StreamingZipArchiveWriter
from reseller_adapters.storage.local import LocalObjectStorage
from reseller_core.domain.marketplaces import Marketplace, MarketplaceRules, humanise
from reseller_core.ports import (
    AIProvider,
    Clock,
    IdFactory,
    ImageEditor,
    Mailer,
    MarketplaceAdapter,
    ObjectStorage,
    PasswordHasher,
    RateLimiter,
    SearchProvider,
    TaskQueue,
    UnitOfWorkFactory,
)
from reseller_core.ports.media import LifestyleImageGenerator, VideoRenderer
from reseller_core.ports.read_model import ProductReadModel
from reseller_core.services.accounts import AccountService
from reseller_core.services.deps import Deps
from reseller_core.services.idempotency import IdempotencyService
from reseller_core.services.plans import PlanService
from reseller_core.services.processing import PipelineService, RunSweeper, job_handlers
from reseller_core.services.processing.lifestyle_requests import (
    LifestyleRequests,
)
from reseller_core.services.processing.lifestyle_runs import LifestyleRunner, lifestyle_job_handlers
from reseller_core.services.processing.video_requests import VideoRequests
from reseller_core.services.processing.video_runs import VideoRunner, video_job_handlers
from reseller_core.services.product_edits import ProductEditService
from reseller_core.services.product_images import ProductImageService
from reseller_core.services.product_reads import ProductReadService
from reseller_core.services.products import ProductService
from reseller_core.services.storage_cleanup import storage_cleanup_job_handlers
from reseller_core.services.storefront_public import PublicStorefrontService
from reseller_core.services.storefronts import StorefrontService
from reseller_core.services.tabs import ProductTabService
from reseller_core.services.transfers.exports import ExportService
from reseller_core.services.transfers.imports import ImportService
from reseller_core.services.transfers.jobs import transfer_job_handlers
from reseller_core.services.transfers.sweeper import TransferSweeper
from reseller_entrypoints.builtin_adapters import register_builtins
from reseller_entrypoints.container import (
    READINESS_TIMEOUT_S,
    TEMP_UPLOAD_SWEEP_INTERVAL_S,
    TEMP_UPLOAD_SWEEPER,
    Container,
    Database,
    Services,
)
from reseller_entrypoints.plugins import (
    AI_PROVIDER,
    IMAGE_EDITOR,
    KINDS,
    LIFESTYLE_GENERATOR,
    MAILER,
    MARKETPLACE,
    QUEUE,
    RATE_LIMITER,
    SEARCH_PROVIDER,
    STORAGE,
    VIDEO_RENDERER,
    AdapterRegistry,
    BuildContext,
    PluginError,
)
from reseller_entrypoints.settings import Settings

__all__ = [
    "ADAPTER_KINDS",
    "READINESS_TIMEOUT_S",
    "TEMP_UPLOAD_SWEEPER",
    "TEMP_UPLOAD_SWEEP_INTERVAL_S",
    "Container",
    "Database",
    "Services",
    "build_container",
    "build_services",
    "check_adapter_names",
    "default_registry",
]

log = logging.getLogger(__name__)


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
    for name in registry.names(MARKETPLACE):
        if name in settings.core.supported_marketplaces:
            adapter = registry.build(MARKETPLACE, name, settings, context)
            if adapter.id != name:
                # Listings are stored under the name; an adapter answering to another id
                # would file them under the wrong marketplace.
                raise PluginError(
                    f"marketplace plugin {name!r} built an adapter with id "
                    f"{adapter.id!r}; the id must equal the plugin name"
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


ADAPTER_KINDS = tuple(kind.name for kind in KINDS if kind is not MARKETPLACE)
"""Adapter kinds a deployment picks by name, each with the setting of the same name."""


def default_registry() -> AdapterRegistry:
    """The built-in adapters plus every installed plugin."""
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.load_entry_points()
    return registry


def build_services(deps: Deps, read_model: ProductReadModel | None = None) -> Services:
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
        tabs=ProductTabService(uow=deps.uow, reader=deps.reader, clock=deps.clock, ids=deps.ids),
        edits=ProductEditService(
            uow=deps.uow, queue=deps.queue, clock=deps.clock, ids=deps.ids, config=deps.config
        ),
        images=ProductImageService(uow=deps.uow, queue=deps.queue, clock=deps.clock),
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
        plans=PlanService(uow=deps.uow, reader=deps.reader, clock=deps.clock, config=deps.config),
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
            uow=deps.uow,
            queue=deps.queue,
            storage=deps.storage,
            clock=deps.clock,
            config=deps.config,
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
        storefronts=StorefrontService(
            uow=deps.uow,
            reader=deps.reader,
            storage=deps.storage,
            queue=deps.queue,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
        public_store=PublicStorefrontService(
            uow=deps.uow,
            reader=deps.reader,
            rate_limiter=deps.rate_limiter,
            mailer=deps.mailer,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
            read_model=read_model,
        ),
        idempotency=IdempotencyService(uow=deps.uow, clock=deps.clock),
        lifestyle=LifestyleRequests(
            uow=deps.uow,
            reader=deps.reader,
            storage=deps.storage,
            queue=deps.queue,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
        lifestyle_runner=LifestyleRunner(
            uow=deps.uow,
            storage=deps.storage,
            generator=deps.lifestyle_generator,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
        videos=VideoRequests(
            uow=deps.uow,
            reader=deps.reader,
            storage=deps.storage,
            queue=deps.queue,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
        video_runner=VideoRunner(
            uow=deps.uow,
            storage=deps.storage,
            queue=deps.queue,
            renderer=deps.video_renderer,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
        ),
    )


def check_adapter_names(settings: Settings, registry: AdapterRegistry) -> None:
    """Raise ``PluginError`` when a setting names an adapter nobody registered."""
    for kind in ADAPTER_KINDS:
        registry.factory(kind, str(getattr(settings, kind)))


def database_pool_options(settings: Settings) -> dict[str, Any]:
    """The connection pool of a server or worker process: PostgreSQL keeps
    ``database_pool_size`` connections open, and opens up to half as many again (closed
    when returned) under bursts. Opening a connection costs a PostgreSQL backend process, so
    a pool smaller than the concurrent requests turns every burst into connection churn.
    SQLite keeps its own pool (one file, no server)."""
    if settings.resolved_database_url.startswith("sqlite"):
        return {}
    size = max(1, settings.database_pool_size)
    return {"pool_size": size, "max_overflow": max(1, size // 2)}


async def build_container(
    settings: Settings,
    *,
    registry: AdapterRegistry | None = None,
    database: Database | None = None,
    uow: UnitOfWorkFactory | None = None,
    read_model: ProductReadModel | None = None,
    storage: ObjectStorage | None = None,
    queue: TaskQueue | None = None,
    ai: AIProvider | None = None,
    image_editor: ImageEditor | None = None,
    lifestyle_generator: LifestyleImageGenerator | None = None,
    video_renderer: VideoRenderer | None = None,
    search: SearchProvider | None = None,
    rate_limiter: RateLimiter | None = None,
    mailer: Mailer | None = None,
    hasher: PasswordHasher | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    marketplaces: Mapping[str, MarketplaceAdapter] | None = None,
) -> Container:
    """Wire the adapters named in ``settings`` to the use cases.

    Each keyword override replaces one port and is used exactly as given: an overridden
    mailer is not routed through the queue, an overridden AI provider gets no simulated
    latency, and nothing is built from the registry for it. ``database`` and ``uow`` go
    together (a database handle for migrate/check/dispose and the units of work over it);
    with them the product reads answer from the tables unless ``read_model`` is given.
    """
    from reseller_adapters.system import SystemClock, UlidIdFactory

    if (database is None) != (uow is None):
        raise TypeError("build_container: override database and uow together, or neither")
    if registry is None:
        registry = default_registry()
    check_adapter_names(settings, registry)  # before anything is built or opened
    data_dir: Path = settings.data_path
    data_dir.mkdir(parents=True, exist_ok=True)
    context = BuildContext(
        clock=clock or SystemClock(),
        ids=ids or UlidIdFactory(),
        data_dir=data_dir,
        secret_key=_secret_key(settings),
    )
    if storage is None:
        storage = registry.build(STORAGE, settings.storage, settings, context)
    read_uow: UnitOfWorkFactory | None = None
    lookup_uow: UnitOfWorkFactory | None = None
    if database is None or uow is None:
        from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
        from reseller_adapters.persistence.sqlalchemy.read_model import SqlProductReadModel
        from reseller_entrypoints.http.documents import PayloadRenderer

        pool = database_pool_options(settings)
        sql = SqlAlchemyDatabase(settings.resolved_database_url, **pool)
        sql.read_model = SqlProductReadModel(
            PayloadRenderer(storage.public_url),
            page_cache_bytes=int(settings.product_page_cache_mb * 2**20),
        )
        database, uow = sql, sql.unit_of_work
        read_uow, lookup_uow = sql.read_unit_of_work, sql.lookup_unit_of_work
        read_model = read_model or sql.read_model
    if queue is None:
        queue = registry.build(QUEUE, settings.queue, settings, context)
    if ai is None:
        ai = registry.build(AI_PROVIDER, settings.ai_provider, settings, context)
        if settings.ai_latency_s > 0:
            from reseller_adapters.ai.latency import LatencyAIProvider

            ai = LatencyAIProvider(ai, settings.ai_latency_s)
    if mailer is None:
        from reseller_adapters.mail.queued import route_through_queue

        built_mailer = registry.build(MAILER, settings.mailer, settings, context)
        mailer = route_through_queue(built_mailer, queue, context.job_handlers)
    deps = Deps(
        uow=uow,
        read_uow=read_uow,
        lookup_uow=lookup_uow,
        storage=storage,
        queue=queue,
        ai=ai,
        image_editor=image_editor
        or registry.build(IMAGE_EDITOR, settings.image_editor, settings, context),
        lifestyle_generator=lifestyle_generator
        or registry.build(LIFESTYLE_GENERATOR, settings.lifestyle_generator, settings, context),
        video_renderer=video_renderer
        or registry.build(VIDEO_RENDERER, settings.video_renderer, settings, context),
        search=search
        or registry.build(SEARCH_PROVIDER, settings.search_provider, settings, context),
        rate_limiter=rate_limiter
        or registry.build(RATE_LIMITER, settings.rate_limiter, settings, context),
        mailer=mailer,
        hasher=hasher or _hasher(context),
        clock=context.clock,
        ids=context.ids,
        marketplaces=marketplaces
        if marketplaces is not None
        else _marketplaces(settings, registry, context),
        config=settings.core,
    )
    services = build_services(deps, read_model)
    services = replace(
        services,
        reads=ProductReadService(
            uow=deps.uow,
            reader=deps.reader,
            lookup=deps.lookup,
            clock=deps.clock,
            read_model=read_model,
            products=services.products,
        ),
    )
    context.job_handlers.update(job_handlers(runs=services.pipeline))
    context.job_handlers.update(lifestyle_job_handlers(services.lifestyle_runner))
    context.job_handlers.update(video_job_handlers(services.video_runner))
    context.job_handlers.update(storage_cleanup_job_handlers(deps.storage))
    context.job_handlers.update(
        transfer_job_handlers(exports=services.exports, imports=services.imports)
    )
    return Container(
        settings=settings,
        deps=deps,
        services=services,
        database=database,
        queue=queue,
        local_storage=storage if isinstance(storage, LocalObjectStorage) else None,
        resources={**context.resources, "secret_key": context.secret_key},
    )


def _hasher(context: BuildContext) -> PasswordHasher:
    """The hasher a plugin shared in ``context.resources``, else Argon2id."""
    shared = context.resources.get("password_hasher")
    if isinstance(shared, PasswordHasher):
        return shared
    from reseller_adapters.security.argon2 import Argon2PasswordHasher

    return Argon2PasswordHasher()
