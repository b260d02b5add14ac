"""Pages of sellers' product lists kept in memory, each with the list version it was read at.

A seller's app polls the same page of ``GET /products`` over and over, and reading a page
is the expensive part of the request (its 50 documents and the total count over the whole
list). The database gives each seller's version a new random value with every committed
change to the seller's products or documents (migration 0013); the authenticating
statement reads that version, so a page kept under the same version is exactly what
reading it again would return, and the page statement is skipped.

The version is read *before* the page (in the same snapshot, or an earlier one), so a kept
page is never older than the version it is kept under: a writer that commits in between
makes the kept page newer than its label, never staler, and the next reader (who sees the
new version) reads the page again. An entry is served only at exactly its version and
dropped at any other, so a database restored to an earlier state (its versions earlier
too) never meets a page kept from the later one.

The cache is per process and bounded in bytes (``RESELLER_PRODUCT_PAGE_CACHE_MB``); the
least recently served pages go first. Everything runs on the event loop's thread.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import NamedTuple

from reseller_core.ports.read_model import DocumentPage

_ENTRY_OVERHEAD = 512
"""Bytes counted per kept page besides its documents (the structs, the key)."""


class _Kept(NamedTuple):
    version: int
    page: DocumentPage
    size: int


def page_size_in_bytes(page: DocumentPage) -> int:
    """What keeping ``page`` costs, about: its documents' bytes and a fixed overhead each."""
    return _ENTRY_OVERHEAD + sum(
        len(doc.body) + _ENTRY_OVERHEAD for doc in page.documents if doc.body is not None
    )


class ListPageCache:
    """Least recently served pages go first once their bytes pass ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("a page cache needs a positive size (0 means no cache)")
        self._max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def kept_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, version: int) -> DocumentPage | None:
        """The page kept under ``key`` if it was read at ``version``; else None.

        A page kept at any other version is dropped: a later version means the list changed;
        an earlier one means the database went back (a restore), and the kept page belongs
        to a history the database no longer has.
        """
        kept = self._entries.get(key)
        if kept is not None:
            if kept.version == version:
                self._entries.move_to_end(key)
                self.hits += 1
                return kept.page
            self._drop(key)
        self.misses += 1
        return None

    def put(self, key: Hashable, version: int, page: DocumentPage) -> None:
        """Keep ``page``, read at ``version``, in place of what ``key`` held.

        Two readers of one page may finish out of order; the later ``put`` wins even when
        it was read at the earlier version. That costs the next reader a read, never a stale
        page: it sees the current version and the entry does not match.
        """
        if key in self._entries:
            self._drop(key)
        size = page_size_in_bytes(page)
        if size > self._max_bytes:
            return
        self._entries[key] = _Kept(version, page, size)
        self._bytes += size
        while self._bytes > self._max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def _drop(self, key: Hashable) -> None:
        kept = self._entries.pop(key)
        self._bytes -= kept.size
