"""Mailer conformance for the memory fake and the outbox-folder adapter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest

from reseller_adapters.mail.outbox import TAG_HEADER, OutboxMailer
from reseller_core.ports.mailer import EmailMessage, Mailer
from reseller_core.testing.conformance.mailer import MailerConformance
from reseller_core.testing.fakes import FixedClock, MemoryMailer


def read_outbox(directory: Path) -> list[EmailMessage]:
    """Parse the outbox back into port messages, oldest first (file names sort by time)."""
    messages = []
    for path in sorted(directory.glob("*.eml")):
        mime = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(mime, MimeMessage)
        text_part = mime.get_body(preferencelist=("plain",))
        html_part = mime.get_body(preferencelist=("html",))
        assert text_part is not None
        messages.append(
            EmailMessage(
                to=str(mime["To"]),
                subject=str(mime["Subject"]),
                text=text_part.get_content(),
                html=html_part.get_content() if html_part is not None else None,
                tag=str(mime[TAG_HEADER]),
            )
        )
    return messages


class TestMemoryMailer(MailerConformance):
    @pytest.fixture
    def mailer(self) -> Mailer:
        return MemoryMailer()

    async def delivered(self, mailer: Mailer) -> Sequence[EmailMessage]:
        assert isinstance(mailer, MemoryMailer)
        return mailer.sent


class TestOutboxMailer(MailerConformance):
    @pytest.fixture
    def mailer(self, tmp_path: Path) -> Mailer:
        return OutboxMailer(tmp_path / "outbox")

    async def delivered(self, mailer: Mailer) -> Sequence[EmailMessage]:
        assert isinstance(mailer, OutboxMailer)
        return read_outbox(mailer.directory)


async def test_outbox_file_name_and_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(datetime(2026, 3, 29, 11, 50, 0, 123456, tzinfo=UTC))
    mailer = OutboxMailer(tmp_path / "deep" / "outbox", clock=clock)
    with caplog.at_level(logging.INFO, logger="reseller_adapters.mail.outbox"):
        await mailer.send(
            EmailMessage(
                to="seller@example.test",
                subject="Confirm your email",
                text="token=raw-secret-token",
                tag="Confirm Email!",
            )
        )
    (path,) = (tmp_path / "deep" / "outbox").iterdir()
    assert path.name.startswith("20260329T115000123456Z-confirm-email-")
    assert path.suffix == ".eml"
    (record,) = [r for r in caplog.records if r.name == "reseller_adapters.mail.outbox"]
    line = record.getMessage()
    assert "seller@example.test" in line
    assert "Confirm your email" in line
    assert str(path) in line
    assert "raw-secret-token" not in line
    (message,) = read_outbox(path.parent)
    assert message.tag == "Confirm Email!"


async def test_outbox_refuses_header_injection(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    with pytest.raises(ValueError, match=r"linefeed|carriage|newline"):
        await mailer.send(
            EmailMessage(to="a@example.test", subject="Hi\r\nBcc: victim@example.test", text="x")
        )
    assert list(tmp_path.iterdir()) == []


async def test_memory_mailer_helpers() -> None:
    mailer = MemoryMailer()
    await mailer.send(EmailMessage(to="A@example.test", subject="s", text="t"))
    assert len(mailer.to("a@EXAMPLE.test")) == 1
    mailer.fail_with = ConnectionError("smtp down")
    with pytest.raises(ConnectionError):
        await mailer.send(EmailMessage(to="b@example.test", subject="s", text="t"))
    mailer.clear()
    assert mailer.sent == []


async def test_outbox_keeps_long_links_readable(tmp_path: Path) -> None:
    """A developer (or an e2e test) copies the link straight out of the raw file."""
    token = "A" * 43
    link = f"http://127.0.0.1:8000/confirm?token={token}"
    mailer = OutboxMailer(tmp_path)
    await mailer.send(
        EmailMessage(
            to="a@example.test",
            subject="Confirm",
            text=f"Grüße! Open {link} within 48 hours to confirm your address, thank you.",
            html=f'<p>Open <a href="{link}">{link}</a> to confirm your address.</p>',
        )
    )
    (path,) = tmp_path.iterdir()
    raw = path.read_text(encoding="utf-8")
    assert raw.count(link) == 3
    assert "Grüße!" in raw


async def test_outbox_encodes_overlong_lines(tmp_path: Path) -> None:
    body = "x" * 2000
    await OutboxMailer(tmp_path).send(EmailMessage(to="a@example.test", subject="s", text=body))
    (path,) = tmp_path.iterdir()
    assert all(len(line) <= 998 for line in path.read_bytes().splitlines())
    (message,) = read_outbox(tmp_path)
    assert message.text.strip() == body
