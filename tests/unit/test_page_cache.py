"""The rendered-page cache: entries expire after the TTL, the oldest go first, 0 keeps none."""

from __future__ import annotations

from reseller_entrypoints.http.page_cache import PageCache


def test_entries_expire_and_the_oldest_are_evicted_first() -> None:
    now = [0.0]
    cache = PageCache(10, max_entries=2, clock=lambda: now[0])
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")  # "a" is the oldest written: it goes
    assert cache.get("a") is None and cache.get("b") == "B" and cache.get("c") == "C"
    now[0] = 9.9
    assert cache.get("b") == "B"
    now[0] = 10.0
    assert cache.get("b") is None and len(cache) == 1


def test_a_ttl_of_zero_keeps_nothing() -> None:
    cache = PageCache(0)
    cache.put("a", "A")
    assert not cache.enabled and cache.get("a") is None and len(cache) == 0
