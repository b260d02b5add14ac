"""In-memory fake of the search provider: canned matches, recorded calls, failures on demand."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from reseller_core.ports.search import SearchMatch, SearchProviderError
from reseller_core.testing.fake_ai import _Hooks

__all__ = ["SEARCH_STAGES", "FakeSearchProvider", "sample_matches"]

SEARCH_STAGES: Final = ("lens_matches", "shopping_matches")
"""The ``SearchProvider`` methods ``FakeSearchProvider.fail`` can break."""


def sample_matches(brand: str, item: str, count: int = 3) -> tuple[SearchMatch, ...]:
    """``count`` shopping-style matches naming ``brand`` and ``item``, priced 30, 40, 50..."""
    return tuple(
        SearchMatch(
            title=f"{brand} {item} #{index + 1}",
            match_type="product",
            brand=brand,
            price=Decimal(30 + 10 * index).quantize(Decimal("0.01")),
            currency="USD",
            source="Fake Shop",
            source_domain="shop.example",
            url=f"https://shop.example/items/{index + 1}",
            thumbnail_url=f"https://shop.example/thumbs/{index + 1}.jpg",
            offline=True,
        )
        for index in range(count)
    )


class FakeSearchProvider(_Hooks[SearchProviderError]):
    """``SearchProvider`` answering with the matches it was given; ``calls`` records queries.

    A blank shopping query returns ``()`` without being recorded as a call, as the port says.
    """

    name = "fake-search"
    offline = True
    stages = SEARCH_STAGES

    def __init__(
        self,
        lens: Sequence[SearchMatch] = (),
        shopping: Sequence[SearchMatch] = (),
    ) -> None:
        super().__init__()
        self.lens = tuple(lens)
        self.shopping = tuple(shopping)

    async def lens_matches(self, image_url: str) -> tuple[SearchMatch, ...]:
        self._enter("lens_matches", image_url)
        return self.lens

    async def shopping_matches(self, query: str) -> tuple[SearchMatch, ...]:
        if not query.strip():
            return ()
        self._enter("shopping_matches", query)
        return self.shopping
