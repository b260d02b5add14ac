"""A short-lived in-process cache of rendered public storefront pages.

Public pages are what strangers (and crawlers) request most, and every one of them costs
several statements and a template render. The pages already say ``Cache-Control: public,
max-age=60, s-maxage=300`` (a CDN may serve them minutes old), so one server process keeping
a rendered page for a few seconds promises nothing new: it only means a burst of visitors
costs one render per page per process instead of one each (the "microcache" of reverse
proxies). ``RESELLER_STOREFRONT_CACHE_SECONDS`` sets how long (0 turns it off).

When an entry expires under load, one request renders it again and the others asking for
the same page wait for that render (``fill``) instead of each rendering it: without
that, every page's expiry cost as many renders as requests were in flight (the p99 of a
cached catalogue under 32 connections was half a second).

Only what is the same for every visitor is kept: the catalogue and seller pages whole, and
the product page with a placeholder where the visitor's CSRF token goes (the caller fills
it in). A page that shows a flash message is never cached. Not-found answers are not
cached either, so a slug nobody has cannot fill the cache; the cache is bounded in entries
and the oldest entry goes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Final, TypeVar

Other = TypeVar("Other")

CSRF_PLACEHOLDER: Final = "\x00csrf-token\x00"
"""Stands for the visitor's CSRF token in a cached product page (no real text holds NUL:
seller text with NUL is refused when it is written)."""
MAX_ENTRIES: Final = 2048


@dataclass(frozen=True, slots=True)
class _Entry:
    body: str
    expires_at: float


@dataclass(slots=True)
class _Filling:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class PageCache:
    """Rendered pages by key, each kept for ``ttl_s`` seconds (``0``: nothing is kept)."""

    def __init__(
        self,
        ttl_s: float,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._filling: dict[Hashable, _Filling] = {}

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get(self, key: Hashable) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._entries[key]
            return None
        return entry.body

    def put(self, key: Hashable, body: str) -> None:
        if not self.enabled:
            return
        self._entries.pop(key, None)
        self._entries[key] = _Entry(body, self._clock() + self._ttl)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def fill(
        self, key: Hashable, render: Callable[[], Awaitable[str | Other]]
    ) -> str | Other:
        """The page kept under ``key``, else ``render()``'s, kept when it is a page.

        ``render`` may answer something else instead of a page (a not-found response); that
        is returned and not kept. Requests for one missing page take turns: the first
        renders, the others find its page when their turn comes.
        """
        page = self.get(key)
        if page is not None:
            return page
        async with self._turn(key):
            page = self.get(key)
            if page is not None:
                return page
            made = await render()
            if isinstance(made, str):
                self.put(key, made)
            return made

    @contextlib.asynccontextmanager
    async def _turn(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the page's render turn (nothing to wait for when nothing is kept)."""
        if not self.enabled:
            yield
            return
        turn = self._filling.setdefault(key, _Filling())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if not turn.users:
                del self._filling[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
