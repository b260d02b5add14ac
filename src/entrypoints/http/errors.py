"""Every error leaves the server as the contract's envelope.

``{"error": {"code", "detail", "status", ...}}`` — for the core's ``DomainError`` (code →
status in ONE table below), for Litestar's own exceptions (unknown route, wrong method,
oversized body, unparseable request), for a storage adapter's ``StorageError`` that is
not a domain error (503: the object store failed, the request did not) and for anything
unexpected (a generic 500 whose detail never leaks internals; the traceback goes to the log
only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from reseller_core.errors import DependencyUnavailable, DomainError, RateLimited, Unauthorized
from reseller_core.ports.storage import StorageError
from reseller_entrypoints.http.presenters import error_payload

logger = logging.getLogger("reseller.http")

STATUS_BY_CODE: Final[Mapping[str, int]] = {
    "invalid_request": 400,
    "bad_request": 400,
    "unauthorized": 401,
    "limit_exceeded": 402,
    "email_not_confirmed": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "idempotency_key_in_use": 409,
    "request_too_large": 413,
    "validation_failed": 422,
    "invalid_product_state": 422,
    "invalid_uploads": 422,
    "export_failed": 422,
    "import_failed": 422,
    "too_many_active_jobs": 422,
    "storefront_not_found": 422,
    "reorder_failed": 422,
    "rate_limited": 429,
    "internal_server_error": 500,
    "storage_unavailable": 502,
    "upload_signing_failed": 502,
    "service_unavailable": 503,
}
"""The one mapping from a domain error code to its HTTP status."""

DEFAULT_DOMAIN_STATUS: Final = 422
"""Codes outside the table are the catalogue's per-action failures, all 422 (spec 60 §4)."""

_CODE_BY_STATUS: Final[Mapping[int, str]] = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    429: "rate_limited",
    500: "internal_server_error",
    503: "service_unavailable",
}
"""Codes for framework-raised HTTP exceptions (routing, body limits, request parsing)."""

_DETAIL_BY_STATUS: Final[Mapping[int, str]] = {
    400: "Invalid request",
    401: Unauthorized.default_detail,
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request body is too large",
    500: "Internal Server Error",
}
"""Fixed details for framework errors: the framework's own texts may name internals."""

JSON_MEDIA_TYPE: Final = "application/json"


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, DEFAULT_DOMAIN_STATUS)


def error_response(
    status: int,
    code: str,
    detail: str,
    *,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """Render one error envelope; 401 always carries ``WWW-Authenticate: Bearer`` (RFC 6750)."""
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    return Response(
        error_payload(status, code, detail, dict(extra or {})),
        status_code=status,
        media_type=JSON_MEDIA_TYPE,
        headers=all_headers,
    )


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """Render a use-case error with the status its code maps to."""
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    return error_response(
        status_for(exc.code), exc.code, exc.detail, extra=exc.extra(), headers=headers
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Render framework exceptions (404 route, 405 method, 413 body, 400 parsing) as envelopes."""
    status = exc.status_code
    if status >= 500:
        return unhandled_exception_handler(request, exc)
    if status == 404 and (request.url.path + "/").startswith("/store/"):
        # Public storefront paths answer the generic HTML page, not a JSON envelope.
        from reseller_entrypoints.http.controllers.public_store import generic_not_found

        return generic_not_found(request)
    code = _CODE_BY_STATUS.get(status) or _snake(HTTPStatus(status).phrase)
    detail = _DETAIL_BY_STATUS.get(status) or HTTPStatus(status).phrase
    headers = {
        name: value for name, value in (exc.headers or {}).items() if name.lower() == "allow"
    }
    return error_response(status, code, detail, headers=headers)


def storage_error_handler(request: Request[Any, Any, Any], exc: StorageError) -> Response[Any]:
    """Object storage failed mid-request: 503, like any unavailable dependency (logged, not shown).

    Adapters that know better raise domain errors (``storage_unavailable``,
    ``upload_signing_failed``, ``service_unavailable``), which take precedence over this.
    """
    logger.warning(
        "Object storage failed on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    unavailable = DependencyUnavailable("storage")
    return error_response(
        status_for(unavailable.code),
        unavailable.code,
        unavailable.detail,
        extra=unavailable.extra(),
    )


def unhandled_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log the traceback and answer a generic 500: nothing about the failure reaches the client."""
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_server_error", _DETAIL_BY_STATUS[500])


def _snake(phrase: str) -> str:
    return "_".join(phrase.lower().replace("-", " ").split())


def exception_handlers() -> ExceptionHandlersMap:
    """The handlers to register on the app (most specific class wins, then the 500 fallback)."""
    return {
        DomainError: domain_error_handler,
        HTTPException: http_exception_handler,
        StorageError: storage_error_handler,
        Exception: unhandled_exception_handler,
        500: unhandled_exception_handler,
    }
