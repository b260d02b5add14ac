"""Imports (spec 50 §9, §12, decision Q3): upload an archive, list imports, read one.

``POST /imports`` is write-gated and takes the archive base64-encoded in JSON, so it has
its own body limit, derived from ``max_archive_bytes`` (spec 50 §9.1: about 34 MB for the
default 25 MB); every other route keeps the small default limit.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from reseller_core.services.results import AuthContext
from reseller_core.services.transfers.imports import request_body_limit
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.bodies import decode_json_body
from reseller_entrypoints.http.controllers.exports import PAGE_QUERY, page_params
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.lenient_schemas import IMPORT_REQUEST
from reseller_entrypoints.http.parsing.transfers import parse_request_import
from reseller_entrypoints.http.route_table import BodyDoc, LinkDoc, OperationDoc, api_doc
from reseller_entrypoints.http.transfer_presenters import import_list_response, import_response
from reseller_entrypoints.http.transfer_schemas import (
    ImportListResponse,
    ImportRequestBody,
    ImportResponse,
)

IMPORT_BODY: Final = BodyDoc(
    description=(
        "A ZIP archive in the export format, standard base64 with padding (no whitespace), "
        "at most 25,000,000 bytes once decoded (configurable)."
    ),
    example={
        "import": {"filename": "catalog.zip", "archive_base64": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}
    },
    command=ImportRequestBody,
    overrides={"import": IMPORT_REQUEST},
)
IMPORT_LINKS: Final = (
    LinkDoc("GetImport", "getApiV1ImportsById", {"id": "$response.body#/data/import/id"}),
)


async def read_limited_json(request: Request[Any, Any, Any], limit: int) -> Any:
    """The JSON body, read in chunks and refused with 413 as soon as it passes ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(status_code=413)
    return decode_json_body(bytes(body))


class ImportsController(Controller):
    path = "/api/v1/imports"
    tags = ["Imports"]
    dependencies = AUTH_DEPENDENCY

    @post(
        "/",
        status_code=202,
        operation_id="postApiV1Imports",
        summary="Import an archive",
        description=(
            "Checks the archive's structure at once (422 `import_failed` with the reason), "
            "stores it and queues the import: 202 with the queued import. Products are "
            "recreated one by one; those that fail are listed in `failure_details`. "
            "Requires a confirmed e-mail address."
        ),
        request_max_body_size=None,
        opt=api_doc(
            OperationDoc(
                protected=True,
                write_gated=True,
                body=IMPORT_BODY,
                validates=True,
                state_errors=True,
                links=IMPORT_LINKS,
            )
        ),
    )
    async def request_import(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> ImportResponse:
        container = container_from(state)
        limit = request_body_limit(container.settings.core.transfers.max_archive_bytes)
        imports = container.services.imports
        imports.check_write_gate(auth.user)  # answered before the body is read
        command, problems = parse_request_import(await read_limited_json(request, limit))
        return import_response(await imports.request(auth.user, command, problems))

    @get(
        "/",
        operation_id="getApiV1Imports",
        summary="List imports",
        description="The authenticated user's imports, newest first.",
        opt=api_doc(OperationDoc(protected=True, query=PAGE_QUERY)),
    )
    async def list_imports(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> ImportListResponse:
        page, page_size = page_params(request)
        imports = container_from(state).services.imports
        return import_list_response(await imports.list(auth.user, page=page, page_size=page_size))

    @get(
        "/{id:str}",
        operation_id="getApiV1ImportsById",
        summary="Get an import",
        description="One import: counters, `failure_details` and created product ids.",
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def get_import(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> ImportResponse:
        imports = container_from(state).services.imports
        return import_response(await imports.get(auth.user, id))
