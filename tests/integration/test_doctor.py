"""``reseller doctor`` against loopback fakes of the vendors, SerpApi and Photoroom."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reseller_entrypoints.cli import main
from tests.service_fakes import PHOTOROOM_KEY, SERP_KEY, PhotoroomFake, SerpApiFake
from tests.vendor_fakes import FAKES, VendorFake

pytest.importorskip("pydantic_ai", reason="the dev extra installs pydantic-ai-slim")

KEYS = {
    "gemini": "gemini-doctor-key-0011",
    "openai": "sk-doctor-key-0022",
    "anthropic": "sk-ant-doctor-key-0033",
}
MODELS = {
    "gemini": "google-gla:gemini-3.5-flash-lite",
    "openai": "openai:gpt-4.1-mini",
    "anthropic": "anthropic:claude-sonnet-4-6",
}
VARIABLES = {
    "gemini": "GOOGLE_API_KEY",
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
}


@pytest.fixture(params=sorted(FAKES))
def vendor(request: pytest.FixtureRequest) -> Iterator[VendorFake]:
    fake = FAKES[request.param]().start()
    fake.key = KEYS[request.param]
    yield fake
    fake.stop()


@pytest.fixture
def hosted() -> Iterator[tuple[SerpApiFake, PhotoroomFake]]:
    serp, photoroom = SerpApiFake(), PhotoroomFake()
    yield serp, photoroom
    serp.stop()
    photoroom.stop()


def configure(
    monkeypatch: pytest.MonkeyPatch, vendor: VendorFake, serp: SerpApiFake, room: PhotoroomFake
) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    suffix = "/v1" if vendor.vendor == "openai" else ""
    monkeypatch.setenv("RESELLER_AI_PROVIDER", "llm")
    monkeypatch.setenv("RESELLER_AI_MODEL", MODELS[vendor.vendor])
    monkeypatch.setenv("RESELLER_AI_BASE_URL", vendor.base_url + suffix)
    monkeypatch.setenv("RESELLER_SEARCH_PROVIDER", "serpapi")
    monkeypatch.setenv("RESELLER_SERPAPI_BASE_URL", serp.base_url)
    monkeypatch.setenv("RESELLER_IMAGE_EDITOR", "photoroom")
    monkeypatch.setenv("RESELLER_PHOTOROOM_BASE_URL", room.base_url)


def test_every_provider_answers(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    vendor: VendorFake,
    hosted: tuple[SerpApiFake, PhotoroomFake],
) -> None:
    serp, room = hosted
    configure(monkeypatch, vendor, serp, room)
    monkeypatch.setenv(VARIABLES[vendor.vendor], KEYS[vendor.vendor])
    monkeypatch.setenv("RESELLER_SERPAPI_API_KEY", SERP_KEY)
    monkeypatch.setenv("RESELLER_PHOTOROOM_API_KEY", PHOTOROOM_KEY)
    monkeypatch.setenv("RESELLER_AI_MODEL_RECOGNITION", MODELS[vendor.vendor] + "-pro")

    assert main(["doctor", "--timeout", "4"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 4 and all(line.endswith(": ok") for line in lines), out
    assert any("-pro" in line for line in lines), "each distinct model is looked up"
    assert [r["path"] for r in vendor.requests if r["body"] is None], "a GET, no tokens"
    assert not [r for r in vendor.requests if r["body"] is not None], "no generation call"
    for key in (*KEYS.values(), SERP_KEY, PHOTOROOM_KEY):
        assert key not in out.out + out.err


def test_missing_and_refused_keys_are_named_not_shown(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    vendor: VendorFake,
    hosted: tuple[SerpApiFake, PhotoroomFake],
) -> None:
    serp, room = hosted
    configure(monkeypatch, vendor, serp, room)
    monkeypatch.setenv("RESELLER_AI_API_KEY", "wrong-key-for-the-doctor")
    monkeypatch.setenv("RESELLER_PHOTOROOM_API_KEY", "wrong-photoroom-key-9")

    assert main(["doctor", "--timeout", "4"]) == 1
    out = capsys.readouterr()
    assert "the key was refused (HTTP 401)" in out.err
    assert "set RESELLER_SERPAPI_API_KEY" in out.err
    assert "Photoroom refused the key check: HTTP 403" in out.err
    assert "wrong-key-for-the-doctor" not in out.out + out.err
    assert "wrong-photoroom-key-9" not in out.out + out.err


@pytest.mark.parametrize(
    ("vendor_name", "model", "exit_code", "said"),
    [
        (
            "gemini",
            "google-gla:gemini-2.5-flash",
            0,
            ": ok; retired by its vendor on 2026-12-01; gemini-3.5-flash-lite answers in its place",
        ),
        (
            "anthropic",
            "anthropic:claude-sonnet-4-5",
            1,
            ": the model is retired by its vendor on 2026-11-30; requests to it fail; "
            "the vendor recommends claude-sonnet-5-5",
        ),
    ],
)
def test_a_model_its_vendor_retired_is_named_with_the_announcement(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    hosted: tuple[SerpApiFake, PhotoroomFake],
    vendor_name: str,
    model: str,
    exit_code: int,
    said: str,
) -> None:
    serp, room = hosted
    fake = FAKES[vendor_name]().start()
    try:
        fake.key = KEYS[vendor_name]
        configure(monkeypatch, fake, serp, room)
        monkeypatch.setenv("RESELLER_AI_MODEL", model)
        monkeypatch.setenv(VARIABLES[vendor_name], KEYS[vendor_name])
        monkeypatch.setenv("RESELLER_SERPAPI_API_KEY", SERP_KEY)
        monkeypatch.setenv("RESELLER_PHOTOROOM_API_KEY", PHOTOROOM_KEY)
        assert main(["doctor", "--timeout", "4"]) == exit_code
    finally:
        fake.stop()
    out = capsys.readouterr()
    [line] = [line for line in (out.out + out.err).splitlines() if "ai_provider" in line]
    assert said in line, line
    assert (line in out.out.splitlines()) == (exit_code == 0)
