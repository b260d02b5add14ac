"""The ``Idempotency-Key`` header, applied in one place to every operation that takes it.

An operation takes the header when its ``OperationDoc`` says ``metered=True`` (every
metered ``POST``) or ``idempotent=True`` (any other ``POST`` worth protecting); nothing
else is needed on the route. Requests without the header pass through untouched.

With the header the middleware authenticates the caller first (a missing or dead token is
the usual 401, before the key is looked at), checks the key, buffers the body (within the
JSON body limit) and asks ``IdempotencyService`` whether to run the operation or to replay
the answer stored for the key. A replay sends the stored status, content type and body as
they were, with ``Idempotent-Replayed: true``. The answer of a run is captured on its way
out and handed back to the service, which keeps it if it is a success.
"""

from __future__ import annotations

from typing import Any, Final

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from reseller_core.ports.idempotency import StoredAnswer
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.route_table import DOC_KEY, OperationDoc

IDEMPOTENCY_HEADER: Final = b"idempotency-key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
BODY_LIMIT: Final = 1024 * 1024
"""The JSON body limit of the app: a keyed body is buffered before the handler reads it."""


def takes_idempotency_key(doc: OperationDoc | None, method: str) -> bool:
    """Whether an operation honours ``Idempotency-Key`` (its OpenAPI text says so too)."""
    return doc is not None and method == "POST" and (doc.metered or doc.idempotent)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: dict[str, Any] = dict(await receive())
        if message["type"] == "http.disconnect":
            raise HTTPException(status_code=400)
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > BODY_LIMIT:
            raise HTTPException(status_code=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body to the handler, then the real channel."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class IdempotencyMiddleware:
    """Litestar route middleware: replays or records the answers to keyed requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        doc = handler.opt.get(DOC_KEY) if handler is not None else None
        method = str(scope.get("method", ""))
        key = _header(scope, IDEMPOTENCY_HEADER) if scope["type"] == ScopeType.HTTP else None
        if key is None or not takes_idempotency_key(doc, method):
            await self.app(scope, receive, send)
            return
        container = container_from(scope["app"].state)
        authorization = _header(scope, b"authorization")
        auth = await container.services.accounts.authenticate(authorization)
        body = await _read_body(receive)
        service = container.services.idempotency
        operation = f"{method} {scope['path']}"
        claim, stored = await service.begin(auth.user.id, key, operation, body)
        if stored is not None:
            await _send_stored(stored, send)
            return
        await self._run(scope, _replaying(body, receive), send, claim)

    async def _run(self, scope: Scope, receive: Receive, send: Send, claim: StoredAnswer) -> None:
        service = container_from(scope["app"].state).services.idempotency
        status = 0
        content_type: str | None = None
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    if bytes(name).lower() == b"content-type":
                        content_type = bytes(value).decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except BaseException:
            await service.abandon(claim)
            raise
        await service.finish(claim, status, content_type, b"".join(chunks))


async def _send_stored(stored: StoredAnswer, send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (b"content-length", str(len(stored.body)).encode("ascii")),
        (REPLAYED_HEADER.lower().encode("ascii"), b"true"),
    ]
    if stored.content_type is not None:
        headers.append((b"content-type", stored.content_type.encode("latin-1")))
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": stored.status,
        "headers": headers,
    }
    await send(start)  # type: ignore[arg-type]
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})
