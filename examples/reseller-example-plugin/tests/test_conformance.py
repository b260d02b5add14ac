"""The plugin's adapters against the core's conformance suites: the verdict the core applies.

Subclass a suite, provide its fixture, declare the capabilities, and pytest runs every
inherited test on this plugin.
"""

from __future__ import annotations

import pytest
from reseller_core.ports import AIProvider, MarketplaceAdapter
from reseller_core.testing.conformance.ai_provider import SELLER_FACTS, AIProviderConformance
from reseller_core.testing.conformance.marketplace import MarketplaceAdapterConformance

from reseller_example_plugin import ExampleAIProvider, VintedMarketplace


class TestExampleAIProvider(AIProviderConformance):
    deterministic = True
    writes_sentences = True
    fault_codes = ("no_recognition_images",)

    @pytest.fixture
    def provider(self) -> AIProvider:
        return ExampleAIProvider()

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        await provider.recognize([], SELLER_FACTS)


class TestVintedMarketplace(MarketplaceAdapterConformance):
    @pytest.fixture
    def marketplace(self) -> MarketplaceAdapter:
        return VintedMarketplace()
