"""AIProvider conformance for the offline provider (directly and behind simulated latency)
and for the in-memory fake shipped in ``reseller_core.testing``."""

from __future__ import annotations

import pytest

from reseller_adapters.ai.latency import LatencyAIProvider
from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_core.domain.marketplaces import CATALOG
from reseller_core.domain.runs import SEED_RETRYABLE
from reseller_core.ports.ai import AIProvider, AIProviderError, Recognition
from reseller_core.testing import FakeAIProvider
from reseller_core.testing.conformance.ai_provider import SELLER_FACTS, AIProviderConformance


class TestOfflineAIProvider(AIProviderConformance):
    deterministic = True
    follows_marketplace_rules = True
    prices_from_evidence = True
    reports_missing_details = True
    reconciles_by_brand = True
    states_every_fact = True
    writes_sentences = True
    fault_codes = ("no_recognition_images",)

    @pytest.fixture
    def provider(self) -> AIProvider:
        return OfflineAIProvider()

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        assert code == "no_recognition_images"
        await provider.recognize([], SELLER_FACTS)


class TestLatencyWrappedProvider(TestOfflineAIProvider):
    """The latency wrapper must not change what the provider it wraps owes the core."""

    @pytest.fixture
    def provider(self) -> AIProvider:
        return LatencyAIProvider(OfflineAIProvider(), delay_s=0)


class TestFakeAIProvider(AIProviderConformance):
    """The fake owes the core what a real provider does, including through its fail hook."""

    deterministic = True
    fault_codes = (
        "no_recognition_images",
        "ai_rate_limited",
        "ai_provider_timeout",
        "shopping_search_failed",
        "marketplace_listing_failed",
    )

    @pytest.fixture
    def provider(self) -> AIProvider:
        return FakeAIProvider()

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        assert isinstance(provider, FakeAIProvider)
        provider.heal()
        if code == "no_recognition_images":
            await provider.recognize([], SELLER_FACTS)
            return
        error = AIProviderError(code, f"fake failure: {code}", retryable=code in SEED_RETRYABLE)
        recognition = Recognition(category="sneakers", confidence_score=1.0, needs_review=False)
        if code == "shopping_search_failed":
            provider.fail("research_price", error)
            await provider.research_price(SELLER_FACTS, recognition)
        elif code == "marketplace_listing_failed":
            provider.fail("write_listing", error)
            await self._listing(provider, CATALOG[0])
        else:
            provider.fail("recognize", error)
            await provider.recognize([self.sample_image()], SELLER_FACTS)
