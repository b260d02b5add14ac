"""The start-up report: one line per adapter without secrets, a warning per dependency down."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reseller_entrypoints.bootstrap import build_container
from reseller_entrypoints.settings import Settings, load_settings
from reseller_entrypoints.startup_report import report_startup
from tests.services import free_port

SECRET = "s3-secret-never-logged"


async def reported(
    settings: Settings, role: str, caplog: pytest.LogCaptureFixture
) -> list[logging.LogRecord]:
    """The start-up report of a container built on ``settings``, as logged."""
    container = await build_container(settings)
    try:
        with caplog.at_level(logging.INFO, logger="reseller.startup"):
            await report_startup(container, role)
    finally:
        await container.close()
    return [r for r in caplog.records if r.name == "reseller.startup"]


async def test_each_adapter_is_named_and_a_dependency_down_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(
        {},
        data_dir=str(tmp_path),
        storage="s3",
        s3_bucket="photos",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_access_key_id="AKIAEXAMPLE",
        s3_secret_access_key=SECRET,
        mailer="smtp",
        smtp_host="mail.example.test",
        smtp_username="mailer",
        smtp_password=SECRET,
    )
    records = await reported(settings, "server", caplog)
    kinds = [getattr(r, "adapter_kind", None) for r in records if r.levelno == logging.INFO]
    assert kinds == [
        "database",
        "storage",
        "queue",
        "rate_limiter",
        "mailer",
        "ai_provider",
        "image_editor",
        "marketplaces",
    ]
    text = "\n".join(r.getMessage() for r in records)
    assert SECRET not in text
    assert "bucket=photos" in text
    assert "smtp://mail.example.test:587 (starttls, with authentication)" in text
    down = [r for r in records if r.levelno == logging.WARNING]
    # Only the storage is down for sure (a loaded machine may also time out the SQLite probe).
    [warning] = [r for r in down if r.dependency == "storage"]  # type: ignore[attr-defined]
    assert "server started while storage is unavailable" in warning.getMessage()


async def test_a_model_its_vendor_deprecated_is_a_warning_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("pydantic_ai", reason="the dev extra installs pydantic-ai-slim")
    settings = load_settings(
        {},
        data_dir=str(tmp_path),
        ai_provider="llm",
        ai_model="google-gla:gemini-2.5-flash",
        ai_api_key=SECRET,
        ai_base_url=f"http://127.0.0.1:{free_port()}",
    )
    records = await reported(settings, "worker", caplog)
    warnings = [
        r.getMessage()
        for r in records
        if getattr(r, "adapter_kind", None) == "ai_provider" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "worker ai_provider: the AI model gemini:gemini-2.5-flash is retired by its vendor on "
        "2026-12-01; gemini-3.5-flash-lite answers in its place"
    )
    assert SECRET not in "\n".join(r.getMessage() for r in caplog.records)
