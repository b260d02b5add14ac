"""``create_app``: the Litestar application over one Container.

The container is built by the start-up hook (or handed in by tests) and kept on
``app.state``; Litestar dependency injection hands its use cases to the controllers. CORS and
the security headers wrap the whole ASGI handler, outside routing, so they also cover
preflights, unknown routes and framework errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import swagger_ui_bundle
from litestar import Litestar
from litestar.datastructures import State
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.gc_tuning import freeze_startup_objects
from reseller_entrypoints.http.app_state import (
    API_OWNERS,
    CONTAINER,
    OPENAPI_DOCUMENT,
    PAGE_CACHE,
)
from reseller_entrypoints.http.controllers.auth import AuthController, ConfirmPageController
from reseller_entrypoints.http.controllers.exports import ExportsController
from reseller_entrypoints.http.controllers.imports import ImportsController
from reseller_entrypoints.http.controllers.lifestyle import LifestyleController
from reseller_entrypoints.http.controllers.me import MeController
from reseller_entrypoints.http.controllers.product_edits import ProductLifecycleController
from reseller_entrypoints.http.controllers.product_images import ProductImagesController
from reseller_entrypoints.http.controllers.products import ProductsController
from reseller_entrypoints.http.controllers.public_store import PublicStoreController
from reseller_entrypoints.http.controllers.storefront import (
    InquiriesController,
    StorefrontController,
)
from reseller_entrypoints.http.controllers.system import DocsController, SystemController
from reseller_entrypoints.http.controllers.tabs import ProductTabsController
from reseller_entrypoints.http.controllers.uploads_local import LocalStorageController
from reseller_entrypoints.http.controllers.videos import VideoController
from reseller_entrypoints.http.cors import CorsMiddleware
from reseller_entrypoints.http.dependencies import SERVICE_DEPENDENCIES
from reseller_entrypoints.http.errors import exception_handlers
from reseller_entrypoints.http.idempotency import IdempotencyMiddleware
from reseller_entrypoints.http.openapi import DOCS_UI_PATH, build_openapi_document, openapi_config
from reseller_entrypoints.http.page_cache import PageCache
from reseller_entrypoints.http.request_ids import RequestIdMiddleware
from reseller_entrypoints.http.route_table import api_operations
from reseller_entrypoints.http.security_headers import SecurityHeadersMiddleware
from reseller_entrypoints.settings import Settings, load_settings
from reseller_entrypoints.startup_report import report_startup

API_CONTROLLERS: Final = (
    SystemController,
    AuthController,
    MeController,
    ProductsController,
    LifestyleController,
    VideoController,
    ProductTabsController,
    ProductLifecycleController,
    ProductImagesController,
    ExportsController,
    ImportsController,
    StorefrontController,
    InquiriesController,
)
"""The API controllers in declaration order: discovery lists their endpoints in this order."""

JSON_BODY_LIMIT: Final = 1024 * 1024
"""Default request body limit; the local upload route streams with its own limit."""

_HERE = Path(__file__).parent


def _local_storage_enabled(settings: Settings, container: Container | None) -> bool:
    """Known up front for a given container; otherwise decided by the storage setting."""
    if container is not None:
        return container.local_storage is not None
    return settings.storage == "local"


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> Litestar:
    """Build the HTTP app.

    Without ``container`` the start-up hook builds one from ``settings`` (default: the
    environment); with one (tests, embedding) that container is used. Either way the app
    starts it on start-up (idempotent) and closes it on shutdown.
    """
    if container is not None:
        settings = container.settings
    elif settings is None:
        settings = load_settings()
    resolved_settings = settings

    async def start(app: Litestar) -> None:
        own = app.state.get(CONTAINER) or await build_container(resolved_settings)
        app.state[CONTAINER] = own
        app.state[PAGE_CACHE] = PageCache(own.settings.storefront_cache_s)
        await own.start()
        if container is None:  # a served app (tests and embedders hand in their own)
            await report_startup(own, "server")
        operations = api_operations(app, API_CONTROLLERS)
        app.state[OPENAPI_DOCUMENT] = build_openapi_document(app, operations)

    async def stop(app: Litestar) -> None:
        own: Container | None = app.state.get(CONTAINER)
        if own is not None:
            await own.close()

    route_handlers: list[Any] = [
        *API_CONTROLLERS,
        ConfirmPageController,
        DocsController,
        PublicStoreController,
        create_static_files_router(
            path="/static/store",
            directories=[_HERE / "static" / "store"],
            include_in_schema=False,
            send_as_attachment=False,
        ),
        create_static_files_router(
            path=f"{DOCS_UI_PATH}/assets",
            directories=[_HERE / "static", Path(swagger_ui_bundle.swagger_ui_path)],
            include_in_schema=False,
        ),
    ]
    if _local_storage_enabled(resolved_settings, container):
        route_handlers.append(LocalStorageController)

    initial_state: dict[str, Any] = {API_OWNERS: API_CONTROLLERS}
    if container is not None:
        initial_state[CONTAINER] = container

    app = Litestar(
        route_handlers=route_handlers,
        dependencies=SERVICE_DEPENDENCIES,
        exception_handlers=exception_handlers(),
        on_startup=[start],
        on_shutdown=[stop],
        state=State(initial_state),
        openapi_config=openapi_config(),
        template_config=TemplateConfig(directory=_HERE / "templates", engine=JinjaTemplateEngine),
        request_max_body_size=JSON_BODY_LIMIT,
        # Logging is configured once per process (reseller_entrypoints.logging_setup);
        # Litestar's default would add a second root handler with its own format.
        logging_config=None,
        middleware=[IdempotencyMiddleware],
        debug=False,
    )
    app.asgi_handler = RequestIdMiddleware(
        SecurityHeadersMiddleware(
            CorsMiddleware(app.asgi_handler, resolved_settings.allowed_origins),
            hsts=resolved_settings.public_base_url.startswith("https://"),
        )
    )
    return app


def create_served_app() -> Litestar:
    """The app ``reseller serve`` runs: ``create_app()`` plus the served process's GC set-up.

    Once the app has started, every object alive then (modules, routes, the container,
    about 150,000 of them) is moved out of the cyclic garbage collector's reach
    (``gc.freeze``). Left in, each full collection walked them all: under load those
    pauses made the p99 of ``GET /products/:id`` about five times its p50 and cost about a
    quarter of its throughput (docs/performance.md). Objects made later are collected as
    usual. Only the served process does this: an app built by a test or an embedder shares
    its process, whose collector it leaves alone.
    """
    app = create_app()
    app.on_startup.append(freeze_startup_objects)
    return app
