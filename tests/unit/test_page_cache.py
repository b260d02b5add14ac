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


def test_one_render_per_expiry_while_others_wait_for_it() -> None:
    """Requests for a missing page take turns; the first renders, the rest find its page."""
    import asyncio

    cache = PageCache(10)
    renders: list[str] = []

    async def request(name: str) -> str:
        async def render() -> str:
            renders.append(name)
            await asyncio.sleep(0.01)  # the render
            return f"rendered by {name}"

        return await cache.fill("catalogue", render)

    async def burst() -> list[str]:
        return await asyncio.gather(*(request(f"r{n}") for n in range(20)))

    pages = asyncio.run(burst())
    assert renders == ["r0"]
    assert set(pages) == {"rendered by r0"}
    assert cache._filling == {}  # no turn is kept once nobody waits


def test_without_a_cache_every_request_renders() -> None:
    import asyncio

    cache = PageCache(0)
    renders: list[int] = []

    async def request(n: int) -> None:
        async def render() -> str:
            renders.append(n)
            await asyncio.sleep(0)
            return "page"

        await cache.fill("catalogue", render)

    async def burst() -> None:
        await asyncio.gather(*(request(n) for n in range(5)))

    asyncio.run(burst())
    assert sorted(renders) == [0, 1, 2, 3, 4]


def test_what_is_not_a_page_is_returned_and_not_kept() -> None:
    import asyncio

    cache = PageCache(10)

    async def not_found() -> int:
        return 404

    assert asyncio.run(cache.fill("missing", not_found)) == 404
    assert cache.get("missing") is None
