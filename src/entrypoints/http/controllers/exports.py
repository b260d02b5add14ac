"""Exports (spec 50 §3, §7, decision Q3): request one, list them, read one.

Not write-gated (spec 50 §1). The archive is built by a queued job; clients poll the
record and download from ``download_url`` once it is ``completed``.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.lenient_schemas import EXPORT_REQUEST
from reseller_entrypoints.http.parsing.transfers import parse_request_export
from reseller_entrypoints.http.route_table import (
    BodyDoc,
    LinkDoc,
    OperationDoc,
    QueryParamDoc,
    api_doc,
)
from reseller_entrypoints.http.transfer_presenters import export_list_response, export_response
from reseller_entrypoints.http.transfer_schemas import (
    ExportListResponse,
    ExportRequestBody,
    ExportResponse,
)

PAGE_QUERY: Final = (
    QueryParamDoc(
        "page", "Page number (default 1); a value that is not 1 or more means the default."
    ),
    QueryParamDoc(
        "page_size",
        "Records per page (default 20, at most 100; larger values mean 100); a value that is "
        "not 1 or more means the default.",
    ),
)
"""Lenient like the product list: typed as strings, as no value is refused."""

EXPORT_BODY: Final = BodyDoc(
    description=(
        "Optional as a whole (`{}` exports every product). Filters as for the product list; "
        "invalid filter values are dropped, never an error."
    ),
    example={"export": {"name": "Ready inventory", "filters": {"status": "ready"}}},
    command=ExportRequestBody,
    required=False,
    overrides={"export": EXPORT_REQUEST},
)
EXPORT_LINKS: Final = (
    LinkDoc("GetExport", "getApiV1ExportsById", {"id": "$response.body#/data/export/id"}),
)


def page_params(request: Request[Any, Any, Any]) -> tuple[int, int]:
    """``page``/``page_size`` from the query; invalid values fall back to the defaults."""

    def number(name: str, default: int, maximum: int) -> int:
        text = request.query_params.get(name, "")
        if not (text.isascii() and text.isdigit()) or len(text) > 6:
            return default
        return min(max(int(text), 1), maximum) if int(text) >= 1 else default

    return number("page", 1, 100_000), number("page_size", 20, 100)


class ExportsController(Controller):
    path = "/api/v1/exports"
    tags = ["Exports"]
    dependencies = AUTH_DEPENDENCY

    @post(
        "/",
        status_code=202,
        operation_id="postApiV1Exports",
        summary="Request an export",
        description=(
            "Queues a ZIP export (Products.xlsx, manifest.json, images) of the products the "
            "filters match: 202 with the queued export. 422 `export_failed` when no product "
            "matches; 422 `too_many_active_jobs` when two exports are already queued or running."
        ),
        opt=api_doc(
            OperationDoc(protected=True, body=EXPORT_BODY, state_errors=True, links=EXPORT_LINKS)
        ),
    )
    async def request_export(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> ExportResponse:
        command, problems = parse_request_export(await read_json(request))
        exports = container_from(state).services.exports
        return export_response(await exports.request(auth.user, command, problems))

    @get(
        "/",
        operation_id="getApiV1Exports",
        summary="List exports",
        description="The authenticated user's exports, newest first.",
        opt=api_doc(OperationDoc(protected=True, query=PAGE_QUERY)),
    )
    async def list_exports(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> ExportListResponse:
        page, page_size = page_params(request)
        exports = container_from(state).services.exports
        return export_list_response(await exports.list(auth.user, page=page, page_size=page_size))

    @get(
        "/{id:str}",
        operation_id="getApiV1ExportsById",
        summary="Get an export",
        description=(
            "One export with a fresh `download_url` (15 minutes) once completed; an export "
            "quiet for 10 minutes while queued or running reads as `stalled`."
        ),
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def get_export(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> ExportResponse:
        exports = container_from(state).services.exports
        return export_response(await exports.get(auth.user, id))
