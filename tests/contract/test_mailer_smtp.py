"""The SMTP mailer against a real SMTP server (aiosmtpd): plain, STARTTLS and implicit TLS.

The conformance suite runs over each transport with authentication; the rest proves the
failure handling (refused credentials, unverifiable certificates, transient replies retried,
a silent server bounded by the timeout) and that mail goes through the task queue, so a
request never waits for the mail server.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from reseller_adapters.mail.outbox import OutboxMailer
from reseller_adapters.mail.queued import SEND_EMAIL_JOB, QueuedMailer, route_through_queue
from reseller_adapters.mail.smtp import SmtpMailer
from reseller_core.commands import Register
from reseller_core.ports.mailer import EmailMessage, Mailer
from reseller_core.testing.conformance.mailer import MailerConformance
from reseller_core.testing.fakes import RecordingTaskQueue
from reseller_entrypoints.bootstrap import build_container
from reseller_entrypoints.settings import load_settings
from tests.services import free_port
from tests.smtp_server import SmtpServer

USER, PASSWORD = "mailer", "smtp-pass-word"
MESSAGE = EmailMessage(to="seller@example.test", subject="Hello", text="Body")


def _mailer(server: SmtpServer, **options: object) -> SmtpMailer:
    return SmtpMailer(
        "127.0.0.1",
        server.port,
        security=server.security,  # type: ignore[arg-type]
        username=server.username,
        password=server.password,
        ca_file=server.ca_file,
        timeout_s=5,
        retry_delay_s=0,
        **options,  # type: ignore[arg-type]
    )


class _SmtpConformance(MailerConformance):
    security = "none"

    @pytest.fixture
    def server(self, tmp_path: Path) -> Iterator[SmtpServer]:
        with SmtpServer(tmp_path, security=self.security, username=USER, password=PASSWORD) as s:
            yield s

    @pytest.fixture
    def mailer(self, server: SmtpServer) -> Mailer:
        mailer = _mailer(server)
        mailer.test_server = server  # type: ignore[attr-defined]
        return mailer

    async def delivered(self, mailer: Mailer) -> Sequence[EmailMessage]:
        server: SmtpServer = mailer.test_server  # type: ignore[attr-defined]
        assert server.logins, "the mailer never authenticated"
        return server.received


class TestSmtpPlain(_SmtpConformance):
    security = "none"


class TestSmtpStartTls(_SmtpConformance):
    security = "starttls"


class TestSmtpImplicitTls(_SmtpConformance):
    security = "tls"


@pytest.fixture
def fx_starttls(tmp_path: Path) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path, security="starttls", username=USER, password=PASSWORD) as server:
        yield server


async def test_envelope_uses_the_sender_and_recipient(fx_starttls: SmtpServer) -> None:
    await _mailer(fx_starttls, sender="Shop <shop@example.test>").send(MESSAGE)
    assert fx_starttls.envelopes == [("shop@example.test", ["seller@example.test"])]


async def test_refused_credentials_fail_at_once(fx_starttls: SmtpServer) -> None:
    mailer = SmtpMailer(
        "127.0.0.1",
        fx_starttls.port,
        username=USER,
        password="wrong",
        ca_file=fx_starttls.ca_file,
        attempts=3,
        retry_delay_s=0,
    )
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await mailer.send(MESSAGE)
    assert fx_starttls.received == [] and fx_starttls.logins == []


async def test_an_unverifiable_certificate_is_refused(fx_starttls: SmtpServer) -> None:
    mailer = SmtpMailer("127.0.0.1", fx_starttls.port, username=USER, password=PASSWORD, attempts=1)
    with pytest.raises((aiosmtplib.SMTPException, ssl.SSLError), match="CERTIFICATE_VERIFY"):
        await mailer.send(MESSAGE)
    assert fx_starttls.received == []


async def test_starttls_is_required_not_optional(tmp_path: Path) -> None:
    with SmtpServer(tmp_path) as plain_only:
        mailer = SmtpMailer("127.0.0.1", plain_only.port, security="starttls", attempts=1)
        with pytest.raises(aiosmtplib.SMTPException, match=r"(?i)starttls"):
            await mailer.send(MESSAGE)
        assert plain_only.received == []


async def test_a_transient_reply_is_retried_then_raised(fx_starttls: SmtpServer) -> None:
    fx_starttls.reply_to_data = "451 4.3.0 try again later"
    mailer = _mailer(fx_starttls, attempts=3)
    with pytest.raises(aiosmtplib.SMTPDataError) as raised:
        await mailer.send(MESSAGE)
    assert raised.value.code == 451
    assert len(fx_starttls.logins) == 3, "each attempt is a new connection"
    fx_starttls.reply_to_data = None
    await mailer.send(MESSAGE)
    assert [m.subject for m in fx_starttls.received] == ["Hello"]


async def test_a_permanent_reply_is_not_retried(fx_starttls: SmtpServer) -> None:
    fx_starttls.reply_to_data = "550 5.1.1 no such mailbox"
    with pytest.raises(aiosmtplib.SMTPDataError):
        await _mailer(fx_starttls, attempts=3).send(MESSAGE)
    assert len(fx_starttls.logins) == 1


async def test_a_closed_port_fails_after_every_attempt() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), security="none", attempts=2, retry_delay_s=0)
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await mailer.send(MESSAGE)


async def test_a_silent_server_is_bounded_by_the_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        mailer = SmtpMailer("127.0.0.1", port, security="none", timeout_s=0.3, attempts=1)
        with pytest.raises((aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPConnectTimeoutError)):
            await mailer.send(MESSAGE)


async def test_check_logs_in_like_a_send(fx_starttls: SmtpServer) -> None:
    await _mailer(fx_starttls).check()
    assert fx_starttls.logins == [USER]
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await SmtpMailer(
            "127.0.0.1", fx_starttls.port, username=USER, password="x", ca_file=fx_starttls.ca_file
        ).check()


def test_settings_choose_the_transport(tmp_path: Path) -> None:
    settings = load_settings(
        {},
        smtp_host="mail.example.test",
        smtp_port=465,
        smtp_security="tls",
        smtp_username=USER,
        smtp_password=PASSWORD,
    )
    mailer = SmtpMailer.from_settings(settings)
    assert (mailer.host, mailer.port, mailer.security) == ("mail.example.test", 465, "tls")
    assert PASSWORD not in mailer.banner()
    with pytest.raises(ValueError, match="RESELLER_SMTP_HOST"):
        SmtpMailer.from_settings(load_settings({}))


async def test_the_queue_carries_the_message_to_the_transport(fx_starttls: SmtpServer) -> None:
    queue = RecordingTaskQueue()
    handlers: dict[str, Any] = {}
    mailer = route_through_queue(_mailer(fx_starttls), queue, handlers)
    assert isinstance(mailer, QueuedMailer)
    queue.register(SEND_EMAIL_JOB, mailer.deliver)
    assert handlers[SEND_EMAIL_JOB] == mailer.deliver
    html = EmailMessage(to="a@example.test", subject="S", text="T", html="<p>H</p>", tag="t")
    await mailer.send(html)
    assert queue.names() == [SEND_EMAIL_JOB]
    assert fx_starttls.received == [], "nothing is sent before a worker runs the job"
    assert await queue.run_all(raise_errors=True) == 1
    [received] = fx_starttls.received
    assert (received.to, received.subject, received.tag) == ("a@example.test", "S", "t")
    assert received.html is not None and "<p>H</p>" in received.html


def test_local_mailers_are_not_queued(tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path)
    handlers: dict[str, Any] = {}
    assert route_through_queue(outbox, RecordingTaskQueue(), handlers) is outbox
    assert handlers == {}


async def test_a_slow_mail_server_does_not_hold_up_sign_up(
    tmp_path: Path, fx_starttls: SmtpServer
) -> None:
    """Registration returns while the mail server still sits on DATA; the mail follows."""
    settings = load_settings(
        {},
        data_dir=str(tmp_path / "var"),
        mailer="smtp",
        smtp_host="127.0.0.1",
        smtp_port=fx_starttls.port,
        smtp_username=USER,
        smtp_password=PASSWORD,
        smtp_ca_file=fx_starttls.ca_file,
    )
    fx_starttls.gate.clear()
    container = await build_container(settings)
    await container.start()
    try:
        issued = await container.services.accounts.register(
            Register(email="slow@example.test", password="correct horse battery")
        )
        assert issued.user.email == "slow@example.test"
        assert fx_starttls.received == []
        fx_starttls.gate.set()
        await asyncio.wait_for(container.drain(), timeout=30)
    finally:
        await container.close()
    [mail] = fx_starttls.received
    assert mail.to == "slow@example.test"
    assert "/confirm?token=" in mail.text
    assert not list((tmp_path / "var").glob("outbox/*.eml"))
