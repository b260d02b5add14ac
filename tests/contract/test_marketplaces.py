"""MarketplaceAdapter conformance for every built-in marketplace and the custom fallback."""

from __future__ import annotations

import pytest

from reseller_adapters.marketplaces.builtin import BuiltinMarketplace, builtin_marketplaces
from reseller_core.domain.marketplaces import (
    CATALOG_IDS,
    Marketplace,
    MarketplaceRules,
    get_marketplace,
)
from reseller_core.ports.marketplace import MarketplaceAdapter
from reseller_core.testing.conformance.marketplace import MarketplaceAdapterConformance


class TestBuiltinMarketplaces(MarketplaceAdapterConformance):
    @pytest.fixture(params=CATALOG_IDS)
    def marketplace(self, request: pytest.FixtureRequest) -> MarketplaceAdapter:
        entry = get_marketplace(request.param)
        assert entry is not None
        return BuiltinMarketplace(entry)


class TestCustomRulesMarketplace(MarketplaceAdapterConformance):
    """The adapter the composition root builds for a supported id nobody provides."""

    @pytest.fixture
    def marketplace(self) -> MarketplaceAdapter:
        return BuiltinMarketplace(
            Marketplace(
                id="local_fair",
                label="Local Fair",
                rules=MarketplaceRules(model="custom", tone="factual"),
            )
        )


class TestTightRulesMarketplace(MarketplaceAdapterConformance):
    """The built-in adapter under the tightest rules a plugin may declare: every limit at 1."""

    @pytest.fixture
    def marketplace(self) -> MarketplaceAdapter:
        return BuiltinMarketplace(
            Marketplace(
                id="tight_market",
                label="Tight Market",
                rules=MarketplaceRules(
                    model="social",
                    tone="casual",
                    title_max_chars=24,
                    title_max_words=1,
                    tags_max=1,
                    tags_min=1,
                    tag_max_chars=8,
                    hashtags_in_description=1,
                    hashtags_min=1,
                    description_max_chars=120,
                    plain_title=True,
                ),
            )
        )


def test_builtin_marketplaces_cover_the_catalogue_in_the_asked_order() -> None:
    adapters = builtin_marketplaces(["etsy", "not_in_catalogue", "ebay"])
    assert list(adapters) == ["etsy", "ebay"]
    assert all(adapter.id == key for key, adapter in adapters.items())
