"""Reading JSON request bodies inside handlers, after authentication has run.

Handlers read the body themselves (instead of Litestar's ``data``) so the order of checks of
spec 10 §1.2 holds: authentication runs first, and the services decide when a body that is
not a JSON object becomes ``400 invalid_request`` (after the rate limit and the write gate).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from litestar import Request


class MalformedBody:
    """Stands in for a body that is not JSON at all.

    It is not a ``dict``, so the services reject it with ``invalid_request`` at the point of
    their check order where a non-object body is rejected.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<malformed JSON body>"


MALFORMED_BODY: Final = MalformedBody()


async def read_json(request: Request[Any, Any, Any]) -> Any:
    """The decoded JSON body; an empty body is ``{}``, unparseable bytes are MALFORMED_BODY.

    Reading enforces the route's body size limit (413). The ``Content-Type`` header is not
    required: mobile clients that omit it still send JSON.
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return MALFORMED_BODY
