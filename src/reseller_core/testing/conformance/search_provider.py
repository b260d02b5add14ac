"""Conformance suite for the ``SearchProvider`` port (spec 30 §6.1, §6.4, §6.7).

Subclass :class:`SearchProviderConformance` and provide the ``search`` fixture. The suite
asks for Lens matches of ``image_url()`` and shopping matches of ``QUERY`` and checks the
normalised shape the pipeline and the LLM rely on: a title, a known ``match_type``, an
exact non-negative price or none, http(s) links, and ``offline`` set by providers that
searched nothing real. A blank shopping query returns nothing.

A provider that can be made to fail on purpose (a fake service answering 500) sets
``can_fail = True`` and implements ``provoke_failure``: it must raise
``SearchProviderError`` with a message.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from reseller_core.ports.search import (
    MATCH_TYPES,
    SearchMatch,
    SearchProvider,
    SearchProviderError,
)

QUERY = "Acme sneakers"
"""The suite's shopping query: a brand and an item type, as the pipeline builds them."""


def _is_link(value: str | None) -> bool:
    return value is None or value.startswith(("http://", "https://"))


class SearchProviderConformance:
    """What every ``SearchProvider`` owes the pipeline, whatever service sits behind it."""

    pytestmark = pytest.mark.asyncio

    deterministic: bool = False
    """True when the same query always gives the same matches."""

    can_fail: bool = False
    """True when ``provoke_failure`` can make the provider fail; False skips that test."""

    @pytest.fixture
    def search(self) -> SearchProvider:
        raise NotImplementedError("provide a `search` fixture")

    def image_url(self) -> str:
        """A URL of a product photo the provider can fetch (override for a fake service)."""
        return "https://images.example/products/acme-sneaker.jpg"

    async def provoke_failure(self, search: SearchProvider) -> None:
        """Make one call that must raise ``SearchProviderError``."""
        raise NotImplementedError("implement provoke_failure() when can_fail is True")

    @staticmethod
    def assert_match_shape(match: SearchMatch, search: SearchProvider) -> None:
        assert isinstance(match, SearchMatch), match
        assert isinstance(match.title, str) and match.title.strip(), match
        assert match.match_type in MATCH_TYPES, match.match_type
        assert match.price is None or (isinstance(match.price, Decimal) and match.price >= 0), (
            f"prices are non-negative Decimals or None, got {match.price!r}"
        )
        assert match.currency is None or (len(match.currency) == 3 and match.currency.isupper())
        assert _is_link(match.url), match.url
        assert _is_link(match.thumbnail_url), match.thumbnail_url
        if search.offline:
            assert match.offline, "an offline provider marks its matches offline"

    async def test_names_itself(self, search: SearchProvider) -> None:
        assert isinstance(search.name, str) and search.name.strip()
        assert isinstance(search.offline, bool)

    async def test_lens_matches_are_normalised(self, search: SearchProvider) -> None:
        matches = await search.lens_matches(self.image_url())
        assert isinstance(matches, tuple)
        for match in matches:
            self.assert_match_shape(match, search)
            assert match.match_type in ("visual_match", "exact_match"), match.match_type

    async def test_shopping_matches_are_normalised(self, search: SearchProvider) -> None:
        matches = await search.shopping_matches(QUERY)
        assert isinstance(matches, tuple)
        for match in matches:
            self.assert_match_shape(match, search)
            assert match.match_type == "product", match.match_type

    @pytest.mark.parametrize("query", ["", "   "])
    async def test_blank_query_finds_nothing(self, search: SearchProvider, query: str) -> None:
        assert await search.shopping_matches(query) == ()

    async def test_same_query_gives_the_same_matches(self, search: SearchProvider) -> None:
        if not self.deterministic:
            pytest.skip("the provider does not declare deterministic output")
        first = await search.shopping_matches(QUERY)
        assert first == await search.shopping_matches(QUERY)
        lens = await search.lens_matches(self.image_url())
        assert lens == await search.lens_matches(self.image_url())

    async def test_failures_are_search_provider_errors(self, search: SearchProvider) -> None:
        if not self.can_fail:
            pytest.skip("the provider declares no way to provoke a failure (can_fail)")
        with pytest.raises(SearchProviderError) as caught:
            await self.provoke_failure(search)
        assert str(caught.value), "a failure needs a human-readable message"
        assert isinstance(caught.value.retryable, bool)
