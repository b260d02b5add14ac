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


MAX_JSON_DEPTH: Final = 16
"""Deepest nesting of arrays and objects a body may have. The deepest body the API reads is
four levels (``uploads`` items inside an object); a 2 KB body of a thousand nested arrays
would otherwise exhaust the decoder's recursion limit."""


async def read_json(request: Request[Any, Any, Any]) -> Any:
    """The decoded JSON body; an empty body is ``{}``, unparseable bytes are MALFORMED_BODY.

    Reading enforces the route's body size limit (413). The ``Content-Type`` header is not
    required: mobile clients that omit it still send JSON.
    """
    return decode_json_body(await request.body())


def decode_json_body(raw: bytes) -> Any:
    """The one JSON decoding path for request bodies: malformed, not UTF-8 or too deep is
    MALFORMED_BODY (the services answer ``400 invalid_request`` at their step of the order
    of checks); an empty body is ``{}``.

    Only a body of no bytes at all is empty: whitespace alone is not a JSON text, and a client
    that sends it sent something other than what it meant (a stray newline from a shell
    pipeline), so it is malformed like any other text that is not JSON.
    """
    if not raw:
        return {}
    try:
        value = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError, UnicodeError):
        # RecursionError: nested deeper than the decoder's own limit (about a thousand).
        return MALFORMED_BODY
    # Every real body has fewer brackets than the limit, and then cannot nest deeper.
    brackets = raw.count(b"[") + raw.count(b"{")
    if brackets > MAX_JSON_DEPTH and _nesting_exceeds(value, MAX_JSON_DEPTH):
        return MALFORMED_BODY
    return value


def _nesting_exceeds(value: Any, limit: int) -> bool:
    """True when arrays and objects in ``value`` nest deeper than ``limit`` (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
