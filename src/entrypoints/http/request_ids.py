"""Request ids: every request gets one, every log line written while serving it carries it.

A client (or the reverse proxy in front) may send ``X-Request-ID``; a well-formed value is
kept so one id follows a request across systems, anything else is replaced by a fresh id.
The id is echoed in the response's ``X-Request-ID`` header, so a user's bug report can
quote it and an operator can find the matching lines.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from reseller_entrypoints.logging_setup import request_id_var

REQUEST_ID_HEADER: Final = b"x-request-id"
_WELL_FORMED: Final = re.compile(rb"^[A-Za-z0-9._:-]{8,128}$")


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == REQUEST_ID_HEADER and _WELL_FORMED.match(value):
            return value.decode("ascii")
    return None


class RequestIdMiddleware:
    """Outermost ASGI layer: sets the request id for logging and the response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != REQUEST_ID_HEADER
                ]
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
