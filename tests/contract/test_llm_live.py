"""The LLM adapter against the real vendors: one recognition and one description each.

Each test runs only when its vendor's key is in the environment and is skipped otherwise,
naming the variable. Nothing else in the suite reaches the network.
"""

from __future__ import annotations

import os

import pytest

from reseller_core.testing.conformance.ai_provider import SELLER_FACTS, AIProviderConformance

pytest.importorskip("pydantic_ai", reason="the dev extra installs pydantic-ai-slim")

from reseller_adapters.ai.llm.provider import LLMConfig, PydanticAIProvider

LIVE = {
    "gemini": (("GOOGLE_API_KEY", "GEMINI_API_KEY"), "google-gla:gemini-3.5-flash-lite"),
    "openai": (("OPENAI_API_KEY",), "openai:gpt-4.1-mini"),
    "anthropic": (("ANTHROPIC_API_KEY",), "anthropic:claude-sonnet-4-6"),
}


@pytest.mark.parametrize("vendor", sorted(LIVE))
async def test_live_vendor_recognises_and_describes(vendor: str) -> None:
    variables, model = LIVE[vendor]
    if not any(os.environ.get(name) for name in variables):
        pytest.skip(f"live {vendor} test: set {' or '.join(variables)} to run it")
    model = os.environ.get(f"RESELLER_LIVE_{vendor.upper()}_MODEL", model)
    provider = PydanticAIProvider(LLMConfig(model=model, timeout_s=60, web_search=False))
    try:
        recognition = await provider.recognize(
            [AIProviderConformance().sample_image()], SELLER_FACTS
        )
        assert recognition.brand == SELLER_FACTS.brand
        assert 0 <= recognition.confidence_score <= 1
        description = await provider.describe(SELLER_FACTS, recognition)
        assert description.suggested_title.strip()
        assert len(description.suggested_title) <= 160
    finally:
        await provider.aclose()
