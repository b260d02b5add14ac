"""System endpoints (public, never gated): discovery, health, readiness, the OpenAPI document,
and the interactive docs page whose assets are served locally (no CDN)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.response import Template

import reseller_core
from reseller_core.errors import DependencyUnavailable
from reseller_entrypoints.bootstrap import Container
from reseller_entrypoints.http.app_state import OPENAPI_DOCUMENT, api_owners_from
from reseller_entrypoints.http.openapi import DOCS_UI_PATH, OPENAPI_PATH, build_openapi_document
from reseller_entrypoints.http.route_table import OperationDoc, api_doc, api_operations
from reseller_entrypoints.http.schemas import (
    DependencyState,
    DiscoveryData,
    DiscoveryResponse,
    EndpointBody,
    HealthData,
    HealthResponse,
    ReadinessData,
    ReadinessResponse,
)

logger = logging.getLogger("reseller.http")

SERVICE_NAME: Final = "resellerio"
DOCS_PATH: Final = DOCS_UI_PATH
"""Decision 60-Q10: ``docs_path`` points at the served interactive docs."""


class NotReady(DependencyUnavailable):
    """Readiness failed; the envelope names each dependency's state (never its error text)."""

    def __init__(self, dependencies: Mapping[str, str]) -> None:
        self.dependencies = dict(dependencies)
        failed = ", ".join(name for name, state in self.dependencies.items() if state != "ok")
        super().__init__(failed, f"Not ready: {failed} unavailable")

    def extra(self) -> Mapping[str, Any]:
        return {"dependencies": self.dependencies}


def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The published document: built once (at start-up) and cached on the app state."""
    state = request.app.state
    document: dict[str, Any] | None = state.get(OPENAPI_DOCUMENT)
    if document is None:
        operations = api_operations(request.app, api_owners_from(state))
        document = state[OPENAPI_DOCUMENT] = build_openapi_document(request.app, operations)
    return document


class SystemController(Controller):
    """Metadata a client reads before it has an account."""

    path = "/api/v1"
    tags = ["System"]

    @get(
        "/",
        operation_id="getApiV1",
        summary="Discover the API",
        description="Returns API metadata and the list of currently available endpoints.",
        opt=api_doc(OperationDoc(database=False)),
    )
    async def discovery(self, request: Request[Any, Any, Any]) -> DiscoveryResponse:
        """Generated from the live route table so it can never drift from what is served."""
        operations = api_operations(request.app, api_owners_from(request.app.state))
        return DiscoveryResponse(
            data=DiscoveryData(
                name=SERVICE_NAME,
                version="v1",
                docs_path=DOCS_PATH,
                docs_ui_path=DOCS_UI_PATH,
                openapi_path=OPENAPI_PATH,
                endpoints=[
                    EndpointBody(
                        method=op.method,
                        path=op.discovery_path,
                        description=op.handler.description or "",
                    )
                    for op in operations
                ],
            )
        )

    @get(
        "/health",
        operation_id="getApiV1Health",
        summary="Liveness",
        description="Returns 200 whenever the process can serve requests, with its version.",
        opt=api_doc(OperationDoc(database=False)),
    )
    async def health(self) -> HealthResponse:
        """Liveness only: probing dependencies here would restart healthy pods on a DB blip."""
        return HealthResponse(
            data=HealthData(name=SERVICE_NAME, status="ok", version=reseller_core.__version__)
        )

    @get(
        "/health/ready",
        operation_id="getApiV1HealthReady",
        summary="Readiness",
        description=(
            "Probes the database, object storage, the job queue and the rate limiter (those a "
            "deployment can probe); 503 `service_unavailable` with a `dependencies` map naming "
            "each one `ok` or `unavailable` when any of them is down."
        ),
        opt=api_doc(OperationDoc(database=True)),
    )
    async def readiness(self, container: NamedDependency[Container]) -> ReadinessResponse:
        """Details of a failed probe go to the log; clients only learn ok / unavailable."""
        checks = await container.readiness()
        states: dict[str, DependencyState] = {
            name: "ok" if result == "ok" else "unavailable" for name, result in checks.items()
        }
        if any(state != "ok" for state in states.values()):
            logger.warning("Readiness failed: %s", checks)
            raise NotReady(states)
        return ReadinessResponse(data=ReadinessData(status="ok", dependencies=states))

    @get(
        "/openapi.json",
        operation_id="getApiV1OpenapiJson",
        summary="Get OpenAPI document",
        description="Returns the raw OpenAPI 3.1 document of this API (no `data` wrapper).",
        media_type=MediaType.JSON,
        opt=api_doc(OperationDoc(database=False, free_form_success=True)),
    )
    async def openapi(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return openapi_document(request)


class DocsController(Controller):
    """Swagger UI from the ``swagger_ui_bundle`` wheel: the page loads nothing off-site."""

    path = DOCS_UI_PATH
    include_in_schema = False

    @get("/", media_type=MediaType.HTML, sync_to_thread=False)
    def docs_page(self) -> Template:
        return Template(template_name="docs.html", context={"openapi_path": OPENAPI_PATH})
