"""The list page cache: a page is served only at the version it was read at, within bytes."""

from __future__ import annotations

import pytest

from reseller_adapters.persistence.sqlalchemy.list_page_cache import (
    ListPageCache,
    page_size_in_bytes,
)
from reseller_core.ports.read_model import DocumentPage, StoredDocument


def _page(*bodies: bytes | None) -> DocumentPage:
    return DocumentPage(
        documents=tuple(
            StoredDocument(product_id=f"p{n}", body=body) for n, body in enumerate(bodies)
        ),
        page=1,
        page_size=50,
        total_count=len(bodies),
        total_pages=1,
    )


def test_a_page_is_served_at_its_version_only() -> None:
    cache = ListPageCache(1 << 20)
    page = _page(b"{}", b"[]")
    cache.put("k", 3, page)
    assert cache.get("k", 3) is page
    assert cache.get("k", 4) is None  # the list changed since: read it again
    assert cache.get("k", 3) is None  # ...and the older page is gone for good
    assert (cache.hits, cache.misses) == (1, 2)


def test_out_of_order_readers_cost_a_read_never_a_stale_page() -> None:
    cache = ListPageCache(1 << 20)
    newer, older = _page(b"new"), _page(b"old")
    cache.put("k", 5, newer)
    cache.put("k", 4, older)  # a slower reader that started before the last write
    assert cache.get("k", 5) is None  # the current version does not match: read again
    cache.put("k", 5, newer)
    assert cache.get("k", 5) is newer


def test_a_version_that_went_back_drops_the_kept_page() -> None:
    """A restored database has earlier versions; the later history's page must not return."""
    cache = ListPageCache(1 << 20)
    cache.put("k", 9, _page(b"after"))
    assert cache.get("k", 5) is None
    assert len(cache) == 0
    assert cache.get("k", 9) is None


def test_the_least_recently_served_pages_go_first_once_over_the_bound() -> None:
    one = _page(b"x" * 1000)
    size = page_size_in_bytes(one)
    cache = ListPageCache(size * 2)
    cache.put("a", 1, one)
    cache.put("b", 1, _page(b"y" * 1000))
    assert cache.get("a", 1) is one  # "b" is now the least recently served
    cache.put("c", 1, _page(b"z" * 1000))
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) is one
    assert cache.get("c", 1) is not None
    assert cache.kept_bytes <= size * 2
    assert len(cache) == 2


def test_a_page_larger_than_the_whole_cache_is_not_kept() -> None:
    cache = ListPageCache(100)
    cache.put("k", 1, _page(b"x" * 1000))
    assert cache.get("k", 1) is None
    assert cache.kept_bytes == 0


def test_a_cache_needs_a_positive_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        ListPageCache(0)
