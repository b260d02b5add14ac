"""Models their vendors deprecate: the announcement at start-up, in ``probe``, and its dates.

The announcements come from Pydantic AI's table of the vendors' deprecation notices, so
these tests name real models: ``gemini-2.5-flash`` (retired on 2026-12-01, Google answers
it with ``gemini-3.5-flash-lite``), ``claude-sonnet-4-5`` (retired on 2026-11-30, nothing
answers in its place) and ``claude-opus-4-5`` (retiring on 2027-01-22). The day is given,
so the tests mean the same on any date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.vendor_fakes import VendorFake, running

pytest.importorskip("pydantic_ai", reason="the dev extra installs pydantic-ai-slim")

from pydantic_ai.profiles import ModelDeprecation

from reseller_adapters.ai.llm.provider import LLMConfig, ModelProbe, PydanticAIProvider
from reseller_adapters.ai.llm.vendors import Deprecation, describe_deprecation

KEY = "deprecation-test-key-0044"
DAY = date(2026, 12, 2)
URL = "https://example.com/deprecations"


def keyed(vendor: str) -> Iterator[VendorFake]:
    """The vendor's fake, accepting only ``KEY``."""
    with running(vendor) as fake:
        fake.key = KEY
        yield fake


gemini = pytest.fixture(lambda: (yield from keyed("gemini")))
anthropic = pytest.fixture(lambda: (yield from keyed("anthropic")))


def provider(fake: VendorFake, model: str, day: date = DAY, **models: str) -> PydanticAIProvider:
    config = LLMConfig(model=model, operation_models=models, api_key=KEY, base_url=fake.base_url)
    return PydanticAIProvider(config, today=lambda: day)


@pytest.mark.parametrize(
    ("announced", "expected"),
    [
        (
            ModelDeprecation(source_url=URL),
            Deprecation(f"deprecated by its vendor ({URL})", retired=False),
        ),
        (
            ModelDeprecation(source_url=URL, retirement_date=date(2027, 1, 22), replacement="b"),
            Deprecation(
                f"deprecated by its vendor, retiring on 2027-01-22; the vendor recommends b ({URL})",
                retired=False,
            ),
        ),
        (
            ModelDeprecation(source_url=URL, retirement_date=DAY, replacement="b", rerouted_to="c"),
            Deprecation(
                f"retired by its vendor on {DAY}; c answers in its place; "
                f"the vendor recommends b ({URL})",
                retired=False,
            ),
        ),
        (
            ModelDeprecation(source_url=URL, retirement_date=date(2026, 11, 30)),
            Deprecation(
                f"retired by its vendor on 2026-11-30; requests to it fail ({URL})", retired=True
            ),
        ),
    ],
)
def test_an_announcement_in_one_line(announced: ModelDeprecation, expected: Deprecation) -> None:
    assert describe_deprecation(announced, DAY) == expected


async def test_a_model_answered_by_its_successor_is_usable_with_a_notice(
    gemini: VendorFake,
) -> None:
    llm = provider(gemini, "google-gla:gemini-2.5-flash")
    try:
        [probe] = await llm.probe()
        await llm.check()  # usable: no error
    finally:
        await llm.aclose()
    assert probe.name == "gemini:gemini-2.5-flash" and probe.problem is None
    assert probe.notice is not None
    assert "retired by its vendor on 2026-12-01" in probe.notice
    assert "gemini-3.5-flash-lite answers in its place" in probe.notice
    assert llm.startup_warnings() == [f"the AI model gemini:gemini-2.5-flash is {probe.notice}"]


async def test_a_retired_model_nothing_answers_for_is_a_problem(anthropic: VendorFake) -> None:
    llm = provider(anthropic, "anthropic:claude-sonnet-4-5")
    try:
        [probe] = await llm.probe()
        assert probe.notice is None
        assert probe.problem is not None
        assert probe.problem.startswith("the model is retired by its vendor on 2026-11-30")
        assert "requests to it fail; the vendor recommends claude-sonnet-5-5" in probe.problem
        with pytest.raises(RuntimeError, match="anthropic:claude-sonnet-4-5: the model is"):
            await llm.check()
    finally:
        await llm.aclose()
    assert anthropic.requests, "the vendor was still asked about the model"


async def test_a_model_is_a_problem_from_its_retirement_date_on(anthropic: VendorFake) -> None:
    before = provider(anthropic, "anthropic:claude-opus-4-5", date(2027, 1, 21))
    after = provider(anthropic, "anthropic:claude-opus-4-5", date(2027, 1, 22))
    try:
        [early] = await before.probe()
        [late] = await after.probe()
    finally:
        await before.aclose()
        await after.aclose()
    assert early.problem is None and early.notice is not None
    assert "retiring on 2027-01-22" in early.notice
    assert late.notice is None and late.problem is not None
    assert "retired by its vendor on 2027-01-22" in late.problem


async def test_current_models_carry_no_notice(gemini: VendorFake) -> None:
    llm = provider(
        gemini, "google-gla:gemini-3.5-flash-lite", recognition="google-gla:gemini-3.8-flash"
    )
    try:
        probes = await llm.probe()
    finally:
        await llm.aclose()
    assert probes == [
        ModelProbe("gemini:gemini-3.8-flash", None),
        ModelProbe("gemini:gemini-3.5-flash-lite", None),
    ]
    assert llm.startup_warnings() == []


async def test_a_problem_from_the_vendor_keeps_the_announcement(anthropic: VendorFake) -> None:
    config = LLMConfig(
        model="anthropic:claude-sonnet-4-5", api_key="a-wrong-key", base_url=anthropic.base_url
    )
    llm = PydanticAIProvider(config, today=lambda: DAY)
    try:
        [probe] = await llm.probe()
    finally:
        await llm.aclose()
    assert probe.problem is not None
    assert probe.problem.startswith("the key was refused (HTTP 401); the model is retired")
