"""Processing runs on the real LLM, search and editor adapters against loopback vendor fakes.

Vendor faults end the run as spec 30 §5.4 says (error code, ``retryable``, payload, the
originals' state), and after a failing run no key, token or image byte is found in the
logs, the run's payload or its error message.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator

import pytest

from reseller_adapters.images.photoroom import PhotoroomImageEditor
from reseller_adapters.search.serpapi import SerpApiSearchProvider
from reseller_core.domain.images import ImageKind
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_entrypoints.logging_setup import KeyValueFormatter
from tests.service_fakes import PHOTOROOM_KEY, SERP_KEY, PhotoroomFake, SerpApiFake
from tests.unit.test_pipeline import Env, ScriptedEditor, product_photo
from tests.vendor_fakes import GeminiFake, Reply

pytest.importorskip("pydantic_ai", reason="the dev extra installs pydantic-ai-slim")

from reseller_adapters.ai.llm.provider import LLMConfig, PydanticAIProvider

GEMINI_KEY = "AIzaSyD-fake-gemini-key-0123456789abcdef"
PHOTO = product_photo()


async def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def gemini() -> Iterator[GeminiFake]:
    fake = GeminiFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def serp() -> Iterator[SerpApiFake]:
    fake = SerpApiFake()
    yield fake
    fake.stop()


@pytest.fixture
def photoroom() -> Iterator[PhotoroomFake]:
    fake = PhotoroomFake()
    yield fake
    fake.stop()


def llm_env(gemini: GeminiFake, timeout_s: float = 2.0, **env: object) -> Env:
    provider = PydanticAIProvider(
        LLMConfig(
            model="google-gla:gemini-3.5-flash-lite",
            api_key=GEMINI_KEY,
            base_url=gemini.base_url,
            timeout_s=timeout_s,
            backoff_s=0.001,
        ),
        sleep=no_sleep,
    )
    return Env(ai=provider, **env)  # type: ignore[arg-type]


def originals(env: Env, run_id: str) -> list[str]:
    return [
        image.processing_status.value
        for image in env.images(run_id)
        if image.kind == ImageKind.ORIGINAL
    ]


async def test_a_run_completes_on_the_llm_adapter(gemini: GeminiFake) -> None:
    env = llm_env(gemini)
    run_id = await env.seed(photos=(PHOTO,), brand="Acme", category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.status == RunStatus.COMPLETED, run.payload
    assert run.payload["provider"] == "llm" and run.payload["model"] == "gemini-3.5-flash-lite"
    row = env.row(run_id)
    assert row.description_draft.suggested_title.startswith("Acme Trail Runner")
    assert row.price_research.suggested_target_price is not None
    assert {listing.marketplace for listing in row.listings} == {"ebay", "depop"}
    calls = [c for c in env.db.snapshot().provider_calls.values() if c.role == "llm"]
    assert calls and all(c.cost_usd > 0 for c in calls), "token counts became costs"


@pytest.mark.parametrize(
    ("faults", "code", "retryable", "images"),
    [
        (("quota", "quota"), "ai_quota_exhausted", True, "uploaded"),
        (("media",), "ai_media_fetch_failed", True, "uploaded"),
        (("hang", "hang"), "ai_provider_timeout", True, "uploaded"),
        (("server",), "processor_error", False, "failed"),
        (("unavailable", "unavailable"), "processor_error", False, "failed"),
        (("broken", "broken"), "processor_error", False, "failed"),
    ],
)
async def test_vendor_faults_end_the_run_as_the_spec_says(
    gemini: GeminiFake, faults: tuple[str, ...], code: str, retryable: bool, images: str
) -> None:
    for fault in faults:
        if fault == "hang":
            gemini.push(Reply(200, b"", hang_s=5))
        elif fault == "broken":
            gemini.push(gemini.success('{"confidence_score": "high"}'))
        else:
            gemini.push(gemini.fault(fault))
    env = llm_env(gemini, timeout_s=0.5 if "hang" in faults else 2.0)
    run_id = await env.seed(photos=(PHOTO, PHOTO), brand="Acme", category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert (run.status, run.error_code) == (RunStatus.FAILED, code)
    assert run.payload["retryable"] is retryable
    assert run.payload["provider"] == "gemini"
    assert run.error_message
    assert originals(env, run_id) == [images, images]
    assert env.product(run_id).status == ProductStatus.REVIEW


async def test_no_secret_or_image_byte_leaks_from_a_failing_run(
    gemini: GeminiFake, serp: SerpApiFake, photoroom: PhotoroomFake
) -> None:
    gemini.answers["confidence_score"] = {
        **gemini.answers["confidence_score"],
        "confidence_score": 0.3,
    }
    encoded = base64.b64encode(PHOTO).decode()
    echo = f"internal error handling key={GEMINI_KEY} part inlineData {encoded[:400]}"
    queued = [gemini.success(json.dumps(gemini.answers["confidence_score"]))]
    queued.append(gemini.success(json.dumps(gemini.answers["same_model_family"])))
    queued.append(
        gemini.json_reply(500, {"error": {"code": 500, "message": echo, "status": "INTERNAL"}})
    )
    gemini.push(*queued)
    editor = PhotoroomImageEditor(PHOTOROOM_KEY, base_url=photoroom.base_url)
    env = llm_env(
        gemini,
        search=SerpApiSearchProvider(SERP_KEY, base_url=serp.base_url),
        editor=ScriptedEditor(),
    )
    env.editor._inner = editor  # type: ignore[assignment]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        run_id = await env.seed(photos=(PHOTO,))
        await env.pipeline.process(run_id)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    run = env.run(run_id)
    assert run.status == RunStatus.FAILED and run.error_code == "processor_error"
    assert serp.requests, "the unsure recognition ran the Lens fallback"
    assert "[redacted]" in run.payload["detail"] and "[data]" in run.payload["detail"]
    calls = [
        f"{c.provider} {c.operation} {c.status} {c.error_code}"
        for c in env.db.snapshot().provider_calls.values()
    ]
    evidence = "\n".join(
        [stream.getvalue(), json.dumps(run.payload), run.error_message or "", *calls]
    )
    assert stream.getvalue(), "the run logged something to check"
    for secret in (GEMINI_KEY, SERP_KEY, PHOTOROOM_KEY):
        assert secret not in evidence
    for chunk in (encoded[:24], encoded[1000:1024], repr(PHOTO[:16])[2:-1]):
        assert chunk not in evidence, "image bytes leaked"
