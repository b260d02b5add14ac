"""Transport and security headers (spec 60 §9), added to responses as they leave the app.

* every response: ``X-Content-Type-Options: nosniff``;
* every ``/api/*`` response: ``Cache-Control: no-store`` unless the handler chose a policy
  (responses carry bearer tokens and private data; register/login hand out tokens);
* HTML pages: the CSP and the other browser headers of §9, without ``'unsafe-inline'``
  scripts (decision 60-Q4: our pages load scripts only from files);
* ``Strict-Transport-Security`` when the public base URL is HTTPS.

A handler that sets one of these headers itself keeps its value.
"""

from __future__ import annotations

from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from reseller_entrypoints.http.cors import API_PATH_PREFIX, RawHeaders, header_value

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self' wss: ws:; "
    "media-src 'self' https:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PERMISSIONS_POLICY: Final = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HTML_HEADERS: Final[RawHeaders] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-permitted-cross-domain-policies", b"none"),
]
HSTS: Final = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith(API_PATH_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._secured(list(message.get("headers", [])), is_api)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _secured(self, headers: RawHeaders, is_api: bool) -> RawHeaders:
        present = {name.lower() for name, _ in headers}
        wanted: RawHeaders = [(b"x-content-type-options", b"nosniff")]
        if is_api:
            wanted.append((b"cache-control", b"no-store"))
        content_type = header_value(headers, b"content-type") or ""
        if content_type.lower().startswith("text/html"):
            wanted.extend(HTML_HEADERS)
        if self.hsts:
            wanted.append(HSTS)
        return headers + [(name, value) for name, value in wanted if name not in present]
