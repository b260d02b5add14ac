"""CORS for ``/api/*`` as spec 60 §8 fixes it, as plain ASGI middleware.

It wraps the whole Litestar handler (outside routing), so a preflight is answered before
routing and authentication for any ``/api/*`` path, known or not, and the CORS headers reach
every response of an allowed origin, error envelopes included. Matching is exact string
equality; a ``*`` entry allows any origin but the response still echoes the concrete origin.
No credentials header: auth is a bearer token, never a cookie.

Decision 60-Q5 (accepted) refines §8: ``Access-Control-Allow-Headers`` is the fixed list
``authorization, content-type, accept`` rather than an echo of the request, and
``Retry-After`` is exposed so browser clients can honour a 429.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

API_PATH_PREFIX: Final = "/api/"
ALLOW_METHODS: Final = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
ALLOW_HEADERS: Final = "authorization, content-type, accept"
EXPOSE_HEADERS: Final = "Retry-After"
MAX_AGE: Final = "86400"
CORS_VARY: Final = ("Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method")

RawHeaders = list[tuple[bytes, bytes]]


def header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes), decoded as latin-1."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def merge_vary(existing: str | None, additions: Sequence[str]) -> str:
    """Union of ``Vary`` tokens, existing first, de-duplicated case-insensitively."""
    tokens: list[str] = []
    seen: set[str] = set()
    for raw in [*(existing or "").split(","), *additions]:
        token = raw.strip()
        if token and token.lower() not in seen:
            seen.add(token.lower())
            tokens.append(token)
    return ", ".join(tokens)


class CorsMiddleware:
    """Preflight answers and CORS response headers for the ``/api/*`` paths."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]) -> None:
        self.app = app
        self.allow_any = "*" in allowed_origins
        self.origins = frozenset(origin for origin in allowed_origins if origin != "*")

    def allows(self, origin: str) -> bool:
        """Exact match; ``*`` admits every real origin but not the opaque ``null`` origin."""
        return origin in self.origins or (self.allow_any and origin != "null")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not scope["path"].startswith(API_PATH_PREFIX):
            await self.app(scope, receive, send)
            return
        http_scope: HTTPScope = scope
        origin = header_value(http_scope["headers"], b"origin")
        if http_scope["method"] == "OPTIONS":
            await self._preflight(origin, send)
            return
        if origin is None or not self.allows(origin):
            await self.app(scope, receive, send)
            return
        cors_headers = self._cors_headers(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_cors(list(message.get("headers", [])), cors_headers)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _cors_headers(self, origin: str) -> RawHeaders:
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", ALLOW_METHODS.encode()),
            (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
            (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
            (b"access-control-max-age", MAX_AGE.encode()),
        ]

    async def _preflight(self, origin: str | None, send: Send) -> None:
        if origin is None:
            await _empty(send, 400, [(b"vary", b"Origin")])
        elif not self.allows(origin):
            await _empty(send, 403, [(b"vary", b"Origin")])
        else:
            await _empty(send, 204, _with_cors([], self._cors_headers(origin)))


def _with_cors(headers: RawHeaders, cors_headers: RawHeaders) -> RawHeaders:
    names = {name for name, _ in cors_headers}
    vary = header_value(headers, b"vary")
    kept = [(name, value) for name, value in headers if name.lower() not in names | {b"vary"}]
    return [*kept, *cors_headers, (b"vary", merge_vary(vary, CORS_VARY).encode("latin-1"))]


async def _empty(send: Send, status: int, headers: RawHeaders) -> None:
    if status != 204:
        headers = [*headers, (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
