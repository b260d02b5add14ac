"""The published OpenAPI 3.1 document: Litestar's generated schema, shaped to the contract.

Litestar documents the response Structs; this module adds what the contract fixes and
Litestar cannot know (spec 60 §7.3): the envelopes, the error responses each operation can
produce, bearer security on protected operations only, request bodies (handlers read them
after authentication, so Litestar never sees them), path and query parameter texts, sorted
tags. Everything per operation comes from the handler's ``OperationDoc``; the document is
built once at start-up and served as-is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from http import HTTPStatus
from typing import Any, Final

from litestar import Litestar, Router
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from reseller_entrypoints.http.route_table import ApiOperation, OperationDoc

OPENAPI_VERSION: Final = "3.1.0"
TITLE: Final = "ResellerIO API"
API_VERSION: Final = "v1"
DESCRIPTION: Final = (
    "Turn product photos into marketplace-ready listings: accounts, products, uploads "
    "and AI processing."
)
DOCS_UI_PATH: Final = "/docs/api"
OPENAPI_PATH: Final = "/api/v1/openapi.json"
SECURITY_SCHEME: Final = "BearerAuth"

_REF = "#/components/schemas/"

PATH_PARAM_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "id": "Primary resource identifier.",
    "image_id": "Product image identifier.",
    "page_id": "Storefront page identifier.",
}

ENVELOPE_SCHEMAS: Final[Mapping[str, Any]] = {
    "SuccessEnvelope": {
        "type": "object",
        "description": "Every JSON success response: the payload sits under `data`.",
        "required": ["data"],
        "properties": {"data": {"type": "object"}},
    },
    "ErrorEnvelope": {
        "type": "object",
        "description": "Every error response. Branch on `code` and the HTTP status.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "detail", "status"],
                "properties": {
                    "code": {"type": "string", "description": "Stable snake_case code."},
                    "detail": {"type": "string", "description": "Human-readable text."},
                    "status": {"type": "integer", "description": "The HTTP status."},
                },
                "additionalProperties": True,
            }
        },
    },
    "ValidationErrorEnvelope": {
        "type": "object",
        "description": "422 field validation: `fields` maps a request field to its messages.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "detail", "status", "fields"],
                "properties": {
                    "code": {"const": "validation_failed"},
                    "detail": {"type": "string"},
                    "status": {"const": 422},
                    "fields": {
                        "type": "object",
                        "description": (
                            "Field → list of messages; nested inputs map to a nested object "
                            "or to a list aligned with the input."
                        ),
                        "additionalProperties": {
                            "anyOf": [
                                {"type": "array", "items": {"type": "string"}},
                                {"type": "array", "items": {"type": "object"}},
                                {"type": "object"},
                            ]
                        },
                    },
                },
                "additionalProperties": True,
            }
        },
    },
    "LimitExceededResponse": {
        "type": "object",
        "description": "402: a monthly plan limit or a daily safety ceiling is reached.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": [
                    "code",
                    "detail",
                    "status",
                    "operation",
                    "used",
                    "limit",
                    "upgrade_url",
                ],
                "properties": {
                    "code": {"const": "limit_exceeded"},
                    "detail": {"type": "string"},
                    "status": {"const": 402},
                    "operation": {
                        "type": "string",
                        "description": "The bucket (`ai_drafts`…) or `daily_<resource>`.",
                    },
                    "used": {"type": ["integer", "string"]},
                    "limit": {"type": ["integer", "string"]},
                    "addon_credits": {"type": "integer"},
                    "upgrade_url": {"type": "string", "description": "Absolute URL."},
                },
                "additionalProperties": True,
            }
        },
    },
}

_ERROR_DESCRIPTIONS: Final[Mapping[int, str]] = {
    400: "`invalid_request`: the body is not a JSON object, or a required key is missing.",
    401: "`unauthorized`: missing or invalid bearer token (or credentials).",
    402: "`limit_exceeded`: a plan limit or daily ceiling is reached.",
    403: "`email_not_confirmed`: confirm the e-mail address first.",
    404: "`not_found`: unknown, foreign or malformed id.",
    409: "`conflict`: the resource changed concurrently; retry.",
    413: "`request_too_large`: the body exceeds the size limit.",
    422: "Validation or state error (`validation_failed` with `fields`, or a state code).",
    429: "`rate_limited`: too many requests; see `Retry-After`.",
    502: "`storage_unavailable` or `upload_signing_failed`.",
    503: "`service_unavailable`: a backing service is unreachable; retry shortly.",
}


def _builtin_schema_routes_disabled(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Litestar always mounts its own schema routes; answer 404 there (we serve our own)."""
    raise NotFoundException()


def openapi_config() -> OpenAPIConfig:
    """Litestar's generator settings, with its built-in schema routes switched off.

    An empty ``render_plugins`` would make Litestar mount every default UI (all loading
    from CDNs), so one JSON plugin is configured and its router is guarded to 404.
    """
    return OpenAPIConfig(
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        render_plugins=[JsonRenderPlugin()],
        openapi_router=Router(
            path="/schema",
            route_handlers=[],
            guards=[_builtin_schema_routes_disabled],
            include_in_schema=False,
        ),
        create_examples=False,
        use_handler_docstrings=False,
    )


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": dict(schema)}}


def _error(status: int, schema: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": _ERROR_DESCRIPTIONS[status], "content": _json(schema), **extra}


def _error_responses(op: ApiOperation) -> dict[str, Any]:
    doc = op.doc
    error = _ref("ErrorEnvelope")
    out: dict[int, dict[str, Any]] = {}
    if doc.body is not None:
        out[400] = _error(400, error)
    if doc.protected or doc.unauthorized:
        out[401] = _error(
            401,
            error,
            headers={
                "WWW-Authenticate": {
                    "description": "Always `Bearer`.",
                    "schema": {"type": "string"},
                }
            },
        )
    if doc.metered:
        out[402] = _error(402, _ref("LimitExceededResponse"))
    if doc.write_gated:
        out[403] = _error(403, error)
    if op.path_params:
        out[404] = _error(404, error)
    if doc.conflict:
        out[409] = _error(409, error)
    if doc.body is not None:
        out[413] = _error(413, error)
    if doc.validates or doc.state_errors:
        variants = ([_ref("ValidationErrorEnvelope")] if doc.validates else []) + (
            [error] if doc.state_errors else []
        )
        out[422] = _error(422, variants[0] if len(variants) == 1 else {"anyOf": variants})
    if doc.rate_limited:
        out[429] = _error(
            429,
            error,
            headers={
                "Retry-After": {
                    "description": "Seconds until a request may succeed.",
                    "schema": {"type": "integer"},
                }
            },
        )
    if doc.storage:
        out[502] = _error(502, error)
    if doc.database:
        out[503] = _error(503, error)
    return {str(status): out[status] for status in sorted(out)}


def _success_responses(op: ApiOperation, raw: Mapping[str, Any]) -> dict[str, Any]:
    status = op.handler.status_code
    raw_response = raw.get("responses", {}).get(str(status), {})
    raw_schema = raw_response.get("content", {}).get("application/json", {}).get("schema") or {
        "type": "object"
    }
    if op.doc.free_form_success:
        schema: dict[str, Any] = {"type": "object", "additionalProperties": True}
    else:
        schema = {"allOf": [_ref("SuccessEnvelope"), raw_schema]}
    out: dict[str, Any] = {}
    for code in sorted({status, *op.doc.extra_success}):
        out[str(code)] = {"description": HTTPStatus(code).phrase, "content": _json(schema)}
    if op.doc.links:
        out[str(status)]["links"] = {
            link.name: {"operationId": link.operation_id, "parameters": dict(link.parameters)}
            for link in op.doc.links
        }
    return out


def _parameters(op: ApiOperation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": PATH_PARAM_DESCRIPTIONS.get(name, f"{name.replace('_', ' ')} value."),
            "schema": {"type": "string"},
        }
        for name in op.path_params
    ]
    params.extend(
        {
            "name": query.name,
            "in": "query",
            "required": False,
            "description": query.description,
            "schema": dict(query.schema),
        }
        for query in op.doc.query
    )
    return params


def _request_body(doc: OperationDoc) -> dict[str, Any] | None:
    if doc.body is None:
        return None
    schema: dict[str, Any] = {"type": "object", "additionalProperties": True}
    if doc.body.properties:
        schema["properties"] = deepcopy(dict(doc.body.properties))
    if doc.body.required_keys:
        schema["required"] = list(doc.body.required_keys)
    return {
        "required": doc.body.required,
        "description": doc.body.description,
        "content": {"application/json": {"schema": schema, "example": dict(doc.body.example)}},
    }


def _operation(op: ApiOperation, raw: Mapping[str, Any]) -> dict[str, Any]:
    handler = op.handler
    operation: dict[str, Any] = {
        "tags": list(raw.get("tags") or handler.resolve_tags() or []),
        "summary": handler.summary or raw.get("summary") or "",
        "description": handler.description or raw.get("description") or "",
        "operationId": handler.operation_id or raw.get("operationId"),
        "parameters": _parameters(op),
    }
    if (body := _request_body(op.doc)) is not None:
        operation["requestBody"] = body
    operation["responses"] = {**_success_responses(op, raw), **_error_responses(op)}
    if op.doc.protected:
        operation["security"] = [{SECURITY_SCHEME: []}]
    return operation


def build_openapi_document(app: Litestar, operations: Sequence[ApiOperation]) -> dict[str, Any]:
    """Shape Litestar's generated schema into the published document (spec 60 §7.3)."""
    generated = app.openapi_schema.to_schema()
    raw_paths: Mapping[str, Any] = generated.get("paths", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        raw = raw_paths.get(op.path, {}).get(op.method.lower(), {})
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, raw)
    schemas = {**generated.get("components", {}).get("schemas", {}), **deepcopy(ENVELOPE_SCHEMAS)}
    tags = sorted({tag for item in paths.values() for op in item.values() for tag in op["tags"]})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": API_VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/", "description": "Current environment"}],
        "externalDocs": {"description": "Interactive API docs", "url": DOCS_UI_PATH},
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "token"}
            },
        },
    }
