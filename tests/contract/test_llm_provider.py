"""The LLM adapter passes the AIProvider conformance suite against each vendor's wire protocol.

The real Pydantic AI and vendor SDK code runs over real HTTP against loopback fakes of the
Gemini, OpenAI and Anthropic APIs (``tests/vendor_fakes.py``); faults are the vendors'
own error shapes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reseller_core.domain.marketplaces import CATALOG
from reseller_core.ports.ai import AIProvider, Recognition
from reseller_core.testing.conformance.ai_provider import SELLER_FACTS, AIProviderConformance
from tests.vendor_fakes import FAKES, VendorFake

pytest.importorskip("pydantic_ai", reason="the dev extra installs pydantic-ai-slim")

from reseller_adapters.ai.llm.provider import LLMConfig, PydanticAIProvider

MODELS = {
    "gemini": "google-gla:gemini-3.5-flash-lite",
    "openai": "openai:gpt-4.1-mini",
    "anthropic": "anthropic:claude-sonnet-4-6",
}
TEST_KEY = "test-key-not-a-secret-0123456789"


async def no_sleep(seconds: float) -> None:
    """Backoff waits are recorded by the fault tests; here they cost nothing."""


def llm_provider(fake: VendorFake, **overrides: object) -> PydanticAIProvider:
    options: dict[str, object] = {
        "model": MODELS[fake.vendor],
        "api_key": TEST_KEY,
        "base_url": fake.base_url + ("/v1" if fake.vendor == "openai" else ""),
        "timeout_s": 2.0,
        **overrides,
    }
    config = LLMConfig(**options)  # type: ignore[arg-type]
    return PydanticAIProvider(config, sleep=no_sleep)


class _VendorConformance(AIProviderConformance):
    vendor = ""
    fault_codes = ("ai_provider_timeout", "processor_error")

    @pytest.fixture
    def fake(self) -> Iterator[VendorFake]:
        fake = FAKES[self.vendor]().start()
        yield fake
        fake.stop()

    @pytest.fixture
    def provider(self, fake: VendorFake) -> AIProvider:
        self._fake = fake
        # Generous for a loaded CI machine; the hung-connection fault waits it out twice.
        return llm_provider(fake, timeout_s=1.5)

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        fake = self._fake
        if code == "ai_provider_timeout":
            fake.push(*[_hang()] * 2)
        else:
            fake.push(fake.json_reply(500, {"error": {"message": "internal", "code": 500}}))
        await provider.recognize([self.sample_image()], SELLER_FACTS)


def _hang():  # type: ignore[no-untyped-def]
    from tests.vendor_fakes import Reply

    return Reply(200, b"", hang_s=5.0)


class TestGeminiConformance(_VendorConformance):
    vendor = "gemini"
    fault_codes = ("ai_provider_timeout", "processor_error", "ai_quota_exhausted")

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        if code == "ai_quota_exhausted":
            self._fake.push(*[self._fake.fault("quota")] * 2)
            await provider.recognize([self.sample_image()], SELLER_FACTS)
        else:
            await super().provoke_failure(provider, code)


class TestOpenAIConformance(_VendorConformance):
    vendor = "openai"
    fault_codes = ("ai_provider_timeout", "processor_error", "ai_rate_limited")

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        if code == "ai_rate_limited":
            self._fake.push(*[self._fake.fault("rate")] * 2)
            await provider.recognize([self.sample_image()], SELLER_FACTS)
        else:
            await super().provoke_failure(provider, code)


class TestAnthropicConformance(_VendorConformance):
    vendor = "anthropic"
    fault_codes = ("ai_provider_timeout", "processor_error", "ai_rate_limited")

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        if code == "ai_rate_limited":
            self._fake.push(*[self._fake.fault("rate")] * 2)
            await provider.recognize([self.sample_image()], SELLER_FACTS)
        else:
            await super().provoke_failure(provider, code)


@pytest.mark.parametrize("vendor", sorted(FAKES))
async def test_photos_go_inline_and_the_key_in_a_header(vendor: str) -> None:
    fake = FAKES[vendor]().start()
    try:
        provider = llm_provider(fake)
        sample = AIProviderConformance().sample_image()
        recognition = await provider.recognize([sample], SELLER_FACTS)
        assert isinstance(recognition, Recognition)
        assert recognition.brand == "Acme" and recognition.possible_model == "Trail Runner"
        request = fake.requests[-1]
        text = str(request["body"])
        assert "iVBORw0KGgo" in text, "the PNG is sent inline as base64"
        assert TEST_KEY not in text, "the key travels in a header, never in the body"
        assert TEST_KEY in " ".join(request["headers"].values())
        listing = await provider.write_listing(
            __import__("reseller_core.ports.ai", fromlist=["ListingRequest"]).ListingRequest(
                marketplace=CATALOG[0].id,
                label=CATALOG[0].label,
                rules=CATALOG[0].rules,
                facts=SELLER_FACTS,
                description=await provider.describe(SELLER_FACTS, recognition),
                price=None,
            )
        )
        assert listing.generation_version == MODELS[vendor].split(":", 1)[1]
    finally:
        fake.stop()
