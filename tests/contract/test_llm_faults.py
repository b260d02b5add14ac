"""Fault injection on the vendor fakes: each fault ends as spec 30 §5.4's code, retried per §5.6.

Waits are recorded instead of slept, so the backoff (base * 2^n) and ``Retry-After`` are
asserted exactly and the tests stay fast; the hung connection uses a real short timeout.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reseller_core.ports.ai import AIProviderError, Recognition
from reseller_core.testing.conformance.ai_provider import SELLER_FACTS, AIProviderConformance
from tests.vendor_fakes import FAKES, GeminiFake, Reply, VendorFake

pytest.importorskip("pydantic_ai", reason="the dev extra installs pydantic-ai-slim")

from reseller_adapters.ai.llm.provider import LLMConfig, PydanticAIProvider

MODELS = {
    "gemini": "google-gla:gemini-3.5-flash-lite",
    "openai": "openai:gpt-4.1-mini",
    "anthropic": "anthropic:claude-sonnet-4-6",
}
KEY = "live-looking-key-AIzaSyFAKE0123456789abcdef"
BACKOFF = 0.01
IMAGE = AIProviderConformance().sample_image()
RECOGNITION = Recognition(category="sneakers", confidence_score=0.9, needs_review=False)


class Harness:
    def __init__(self, fake: VendorFake, **options: object) -> None:
        self.fake = fake
        self.waits: list[float] = []

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        settings: dict[str, object] = {
            "model": MODELS[fake.vendor],
            "api_key": KEY,
            "base_url": fake.base_url + ("/v1" if fake.vendor == "openai" else ""),
            "timeout_s": 2.0,
            "backoff_s": BACKOFF,
            "retry_after_max_s": 5.0,
            **options,
        }
        self.provider = PydanticAIProvider(LLMConfig(**settings), sleep=sleep)  # type: ignore[arg-type]

    async def recognize_error(self) -> AIProviderError:
        with pytest.raises(AIProviderError) as caught:
            await self.provider.recognize([IMAGE], SELLER_FACTS)
        error = caught.value
        assert KEY not in str(error) and KEY not in repr(error.details)
        assert "iVBORw0KGgo" not in repr(error.details), "no image bytes in an error"
        return error


@pytest.fixture(params=sorted(FAKES))
def fake(request: pytest.FixtureRequest) -> Iterator[VendorFake]:
    fake = FAKES[request.param]().start()
    yield fake
    fake.stop()


@pytest.fixture
def gemini() -> Iterator[GeminiFake]:
    fake = GeminiFake().start()
    yield fake
    fake.stop()


def vendor_fake(vendor: str) -> Iterator[VendorFake]:
    fake = FAKES[vendor]().start()
    yield fake
    fake.stop()


openai = pytest.fixture(lambda: (yield from vendor_fake("openai")))
anthropic = pytest.fixture(lambda: (yield from vendor_fake("anthropic")))


# --- 429: quota and rate limits --------------------------------------------------------------


async def test_gemini_resource_exhausted_is_quota_retried_once_with_backoff(
    gemini: GeminiFake,
) -> None:
    harness = Harness(gemini)
    gemini.push(gemini.fault("quota"), gemini.fault("quota"))
    error = await harness.recognize_error()
    assert error.code == "ai_quota_exhausted" and error.retryable is True
    assert error.details["provider"] == "gemini"
    assert error.details["status"] == "RESOURCE_EXHAUSTED"
    assert error.details["attempts"] == 2
    assert len(gemini.requests) == 2
    assert harness.waits == [BACKOFF]


async def test_a_retry_that_succeeds_returns_the_answer(gemini: GeminiFake) -> None:
    harness = Harness(gemini, max_retries=2)
    gemini.push(gemini.fault("quota"), gemini.fault("unavailable"))
    recognition = await harness.provider.recognize([IMAGE], SELLER_FACTS)
    assert recognition.brand == "Acme"
    assert harness.waits == [BACKOFF, BACKOFF * 2], "backoff doubles per attempt"
    assert len(gemini.requests) == 3


async def test_openai_rate_limit_honours_retry_after(openai: VendorFake) -> None:
    harness = Harness(openai)
    openai.push(openai.fault("rate", retry_after="2"), openai.fault("rate", retry_after="2"))
    error = await harness.recognize_error()
    assert error.code == "ai_rate_limited" and error.retryable is True
    assert error.details["status"] == "rate_limit_exceeded"
    assert harness.waits == [2.0], "Retry-After is longer than the backoff, so it wins"


async def test_rate_limit_without_retry_after_uses_the_backoff(anthropic: VendorFake) -> None:
    harness = Harness(anthropic)
    anthropic.push(anthropic.fault("rate"), anthropic.fault("rate"))
    error = await harness.recognize_error()
    assert error.code == "ai_rate_limited"
    assert error.details["provider"] == "anthropic"
    assert harness.waits == [BACKOFF]
    assert len(anthropic.requests) == 2


async def test_a_retry_after_beyond_the_cap_fails_at_once(openai: VendorFake) -> None:
    harness = Harness(openai)
    openai.push(openai.fault("rate", retry_after="3600"))
    error = await harness.recognize_error()
    assert error.code == "ai_rate_limited"
    assert harness.waits == [] and len(openai.requests) == 1


async def test_openai_insufficient_quota_is_quota_and_not_retried(openai: VendorFake) -> None:
    harness = Harness(openai)
    openai.push(openai.fault("quota"))
    error = await harness.recognize_error()
    assert error.code == "ai_quota_exhausted" and error.retryable is True
    assert error.details["status"] == "insufficient_quota"
    assert len(openai.requests) == 1, "no body hint that waiting helps: one attempt"


async def test_anthropic_exhausted_credits_are_quota(anthropic: VendorFake) -> None:
    harness = Harness(anthropic)
    anthropic.push(anthropic.fault("quota"))
    error = await harness.recognize_error()
    assert error.code == "ai_quota_exhausted"


# --- 503, 500, transport ----------------------------------------------------------------------


async def test_503_is_retried_then_an_unclassified_processor_error(gemini: GeminiFake) -> None:
    harness = Harness(gemini)
    gemini.push(gemini.fault("unavailable"), gemini.fault("unavailable"))
    error = await harness.recognize_error()
    assert error.code == "processor_error" and error.retryable is False
    assert error.details["status"] == "UNAVAILABLE" and error.details["http_status"] == 503
    assert len(gemini.requests) == 2 and harness.waits == [BACKOFF]


async def test_500_is_not_retried(gemini: GeminiFake) -> None:
    harness = Harness(gemini)
    gemini.push(gemini.fault("server"))
    error = await harness.recognize_error()
    assert error.code == "processor_error" and error.retryable is False
    assert len(gemini.requests) == 1


async def test_hung_connection_times_out_after_a_retry(fake: VendorFake) -> None:
    harness = Harness(fake, timeout_s=0.5)
    fake.push(Reply(200, b"", hang_s=5), Reply(200, b"", hang_s=5))
    error = await harness.recognize_error()
    assert error.code == "ai_provider_timeout" and error.retryable is True
    assert "timeout" in error.details["transport_reason"]
    assert len(fake.requests) == 2 and harness.waits == [BACKOFF]


# --- what the model answered ------------------------------------------------------------------


async def test_truncated_json_body_is_a_processor_error(gemini: GeminiFake) -> None:
    harness = Harness(gemini)
    whole = gemini.success('{"category": "sneakers"}').body
    gemini.push(Reply(200, whole[: len(whole) // 2]), Reply(200, whole[: len(whole) // 2]))
    error = await harness.recognize_error()
    assert error.code == "processor_error" and error.retryable is False


async def test_output_that_breaks_the_schema_is_a_processor_error(fake: VendorFake) -> None:
    harness = Harness(fake)
    broken = '{"category": ["not", "a", "string"], "confidence_score": "very"}'
    fake.push(fake.success(broken), fake.success(broken))
    error = await harness.recognize_error()
    assert error.code == "processor_error" and error.retryable is False
    assert error.details["reason"] == "invalid_output"


async def test_an_oversized_answer_is_cut_off(fake: VendorFake) -> None:
    harness = Harness(fake, max_response_bytes=20_000)
    huge = '{"category": "sneakers", "confidence_score": 0.5, "needs_review": true, ' + (
        '"distinguishing_features": ["' + "x" * 50_000 + '"]}'
    )
    fake.push(fake.success(huge))
    error = await harness.recognize_error()
    assert error.code == "processor_error"
    assert error.details["reason"] == "oversized_answer"
    assert len(fake.requests) == 1


async def test_an_image_the_vendor_cannot_fetch(gemini: GeminiFake) -> None:
    harness = Harness(gemini)
    gemini.push(gemini.fault("media"))
    error = await harness.recognize_error()
    assert error.code == "ai_media_fetch_failed" and error.retryable is True
    assert error.details["status"] == "INVALID_ARGUMENT"
    assert len(gemini.requests) == 1


async def test_a_rejected_grounding_request(gemini: GeminiFake) -> None:
    harness = Harness(gemini)
    gemini.push(gemini.fault("grounding"))
    with pytest.raises(AIProviderError) as caught:
        await harness.provider.research_price(SELLER_FACTS, RECOGNITION)
    assert caught.value.code == "ai_grounding_request_invalid"
    assert caught.value.retryable is True
    assert "googleSearch" in str(gemini.requests[0]["body"]["tools"])


async def test_token_counts_become_the_call_cost(gemini: GeminiFake) -> None:
    from reseller_core.domain.costs import estimate_cost
    from reseller_core.ports.usage import collect_usage

    harness = Harness(gemini)
    gemini.usage = (1_000_000, 500_000)
    with collect_usage() as usages:
        await harness.provider.recognize([IMAGE], SELLER_FACTS)
    assert [(u.model, u.input_tokens, u.output_tokens, u.images) for u in usages] == [
        ("gemini-3.5-flash-lite", 1_000_000, 500_000, 1)
    ]
    assert str(estimate_cost(usages)) == "0.30000000"


async def test_each_operation_uses_its_own_model(gemini: GeminiFake) -> None:
    harness = Harness(gemini, operation_models={"recognition": "google-gla:gemini-3.8-flash"})
    recognition = await harness.provider.recognize([IMAGE], SELLER_FACTS)
    await harness.provider.describe(SELLER_FACTS, recognition)
    paths = [request["path"] for request in gemini.requests]
    assert paths == [
        "/v1beta/models/gemini-3.8-flash:generateContent",
        "/v1beta/models/gemini-3.5-flash-lite:generateContent",
    ]
    assert harness.provider.model == "gemini-3.5-flash-lite"
