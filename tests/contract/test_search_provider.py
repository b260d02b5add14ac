"""SearchProvider conformance for the offline provider and the fake in ``reseller_core.testing``."""

from __future__ import annotations

import pytest

from reseller_adapters.search.offline import OfflineSearchProvider
from reseller_core.ports.search import SearchProvider, SearchProviderError
from reseller_core.testing.conformance.search_provider import SearchProviderConformance
from reseller_core.testing.fake_search import FakeSearchProvider, sample_matches


class TestOfflineSearchProvider(SearchProviderConformance):
    deterministic = True

    @pytest.fixture
    def search(self) -> SearchProvider:
        return OfflineSearchProvider()

    async def test_finds_nothing_rather_than_inventing(self, search: SearchProvider) -> None:
        assert await search.lens_matches(self.image_url()) == ()
        assert await search.shopping_matches("Acme sneakers") == ()


class TestFakeSearchProvider(SearchProviderConformance):
    deterministic = True
    can_fail = True

    @pytest.fixture
    def search(self) -> SearchProvider:
        return FakeSearchProvider(shopping=sample_matches("Acme", "sneakers"))

    async def provoke_failure(self, search: SearchProvider) -> None:
        assert isinstance(search, FakeSearchProvider)
        search.fail("shopping_matches", SearchProviderError("fake outage", retryable=True))
        await search.shopping_matches("Acme sneakers")
