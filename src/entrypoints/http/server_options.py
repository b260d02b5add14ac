"""Which event loop and HTTP parser uvicorn runs on: uvloop and httptools where installed.

uvicorn's own ``auto`` picks the same pair when both import, but saying it explicitly lets
``reseller serve`` report its choice and lets the benchmark serve our app exactly as the
command does. Without them (an interpreter uvloop does not build for, Windows) the server
falls back to asyncio's loop and h11, which answer the same bytes more slowly.
"""

from __future__ import annotations

import importlib.util
from typing import Final

from msgspec import Struct

FAST_LOOP: Final = "uvloop"
FAST_HTTP: Final = "httptools"
FALLBACK_LOOP: Final = "asyncio"
FALLBACK_HTTP: Final = "h11"


class ServerProtocols(Struct, frozen=True):
    """The ``loop`` and ``http`` arguments to hand ``uvicorn.run``."""

    loop: str
    http: str

    @property
    def fast(self) -> bool:
        return self.loop == FAST_LOOP and self.http == FAST_HTTP


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def server_protocols() -> ServerProtocols:
    """uvloop and httptools when each is importable here, else asyncio and h11."""
    return ServerProtocols(
        loop=FAST_LOOP if _installed(FAST_LOOP) else FALLBACK_LOOP,
        http=FAST_HTTP if _installed(FAST_HTTP) else FALLBACK_HTTP,
    )
