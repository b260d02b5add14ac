"""The logging setup: structured lines, redaction of secrets, the cap on libraries' loggers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from reseller_entrypoints.logging_setup import (
    OWN_LOGGERS,
    configure_logging,
    redact,
    request_id_var,
)
from reseller_entrypoints.settings import Settings, SettingsError, load_settings


@pytest.fixture
def fx_log() -> Iterator[io.StringIO]:
    """Configure through the real setup; hand back what it writes; restore logging after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    yield buffer
    for handler in root.handlers[:]:
        if handler not in saved_handlers:
            root.removeHandler(handler)
    for handler in saved_handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(saved_level)
    for name in (*OWN_LOGGERS, "uvicorn"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _install(buffer: io.StringIO, **settings: str) -> None:
    configure_logging(Settings(**settings))  # type: ignore[arg-type]
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "stderr"]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("PUT /uploads/k.jpg?expires=1&ct=image%2Fjpeg&max=10&sig=0a1b2c3d HTTP/1.1", "0a1b2c3d"),
        ("GET /confirm?token=AbC-dEf_123 HTTP/1.1", "AbC-dEf_123"),
        ("https://b.s3/k?X-Amz-Signature=f00d&X-Amz-Credential=AKIA%2Fx", "f00d"),
        ("https://b.s3/k?X-Amz-Signature=f00d&X-Amz-Credential=AKIAQX%2Fx", "AKIAQX"),
        ("https://b.s3/k?X-Amz-Security-Token=IQoJb3&a=1", "IQoJb3"),
        ("headers: {'authorization': 'Bearer tok.en-123'}", "tok.en-123"),
        ("(b'authorization', b'Bearer s3cr3t')", "s3cr3t"),
        ('body {"email": "a@b.c", "password": "hunter22"}', "hunter22"),
        ('{"token": "raw-token-value"}', "raw-token-value"),
        ("postgresql+asyncpg://app:pa55word@db:5432/reseller", "pa55word"),
        ("redis://:redispass@cache:6379/0", "redispass"),
    ],
)
def test_redact_removes_the_secret_and_keeps_the_rest(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert "[redacted]" in redacted or "***" in redacted
    assert redacted[:4] == text[:4]


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "processing run 01HX finished outcome=completed duration_ms=152 tokens_used=3"
    assert redact(text) == text


def test_text_lines_are_key_value_with_redacted_fields(fx_log: io.StringIO) -> None:
    _install(fx_log)
    logging.getLogger("reseller_core.services").info(
        "mail to %s", "https://x/confirm?token=abc123", extra={"run_id": "01R", "token": "t0k"}
    )
    [line] = fx_log.getvalue().splitlines()
    assert " level=INFO logger=reseller_core.services " in line
    assert 'msg="mail to https://x/confirm?token=[redacted]"' in line
    assert line.endswith("run_id=01R token=[redacted]")
    assert "abc123" not in line and "t0k" not in line


def test_json_lines_carry_the_request_id_and_the_access_fields(fx_log: io.StringIO) -> None:
    _install(fx_log, log_format="json")
    reset = request_id_var.set("req-0001-abcd")
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "PUT",
            "/uploads/a.jpg?expires=9&sig=deadbeef",
            "1.1",
            201,
        )
    finally:
        request_id_var.reset(reset)
    [line] = fx_log.getvalue().splitlines()
    record = json.loads(line)
    assert record["request_id"] == "req-0001-abcd"
    assert record["logger"] == "uvicorn.access"
    assert record["method"] == "PUT"
    assert record["path"] == "/uploads/a.jpg?expires=9&sig=[redacted]"
    assert record["status"] == 201


def test_tracebacks_are_redacted(fx_log: io.StringIO) -> None:
    _install(fx_log)
    try:
        raise RuntimeError("upload to /uploads/k?sig=cafebabe failed")
    except RuntimeError:
        logging.getLogger("reseller_adapters.storage").exception("upload failed")
    output = fx_log.getvalue()
    assert "Traceback" in output and "RuntimeError" in output
    assert "cafebabe" not in output


def test_libraries_are_capped_at_warning_unless_asked(fx_log: io.StringIO) -> None:
    _install(fx_log, log_level="DEBUG")
    logging.getLogger("botocore.auth").debug("CanonicalRequest dump")
    logging.getLogger("taskiq.receiver").info("Executing task 9f3a")
    logging.getLogger("reseller_core.services").debug("our own debug line")
    logging.getLogger("botocore.auth").warning("a library warning")
    output = fx_log.getvalue()
    assert "CanonicalRequest" not in output and "Executing task" not in output
    assert "our own debug line" in output and "a library warning" in output

    fx_log.seek(0)
    fx_log.truncate()
    _install(fx_log, log_level="DEBUG", log_libraries_level="DEBUG")
    logging.getLogger("botocore.auth").debug("CanonicalRequest dump")
    assert "CanonicalRequest" in fx_log.getvalue()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("RESELLER_LOG_FORMAT", "yaml"), ("RESELLER_LOG_LEVEL", "LOUD")],
)
def test_a_bad_log_setting_names_itself(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable.removeprefix("RESELLER_").lower()):
        load_settings({variable: value})
