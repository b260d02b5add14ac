"""AIProvider conformance for the offline provider (directly and behind simulated latency)."""

from __future__ import annotations

import pytest

from adapters.ai.latency import LatencyAIProvider
from adapters.ai.offline import OfflineAIProvider
from reseller_core.ports.ai import AIProvider
from reseller_core.testing.conformance.ai_provider import SELLER_FACTS, AIProviderConformance


class TestOfflineAIProvider(AIProviderConformance):
    deterministic = True
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
