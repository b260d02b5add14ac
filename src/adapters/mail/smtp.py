"""A mailer that sends through an SMTP server (aiosmtplib): what a fleet uses for real mail.

Security is ``starttls`` (submission on 587, the upgrade required), ``tls`` (implicit TLS,
usually 465) or ``none`` (a local relay on a trusted network). Certificates are verified
against the system store or ``ca_file``. Every connection, command and the TLS handshake
is bounded by ``timeout_s``; a transient failure (connection refused or dropped, a timeout,
a 4xx reply) is tried again ``attempts`` times with a growing pause, then raised so the
queue delivering the message can retry it later. A 5xx reply (bad address, refused
credentials) is raised at once: repeating it would not help.

Requests never wait for this: ``QueuedMailer`` (``reseller_adapters.mail.queued``) hands
the message to the task queue and a worker calls ``send``. The log names the recipient and
subject, never the body (confirmation mails carry single-use tokens) or the password.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from datetime import UTC, datetime
from typing import Any, Final, Literal

from reseller_adapters.mail.outbox import DEFAULT_SENDER, build_mime
from reseller_core.ports.mailer import EmailMessage

log = logging.getLogger(__name__)

SmtpSecurity = Literal["starttls", "tls", "none"]
SECURITY_MODES: Final = ("starttls", "tls", "none")
_TRANSIENT_REPLY: Final = range(400, 500)


class SmtpMailer:
    """``Mailer`` over one SMTP connection per message (mail is rare; no pool to keep)."""

    deliver_through_queue: Final = True
    """Sending is a network round trip: the composition root routes it through the queue."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        security: SmtpSecurity = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str = DEFAULT_SENDER,
        timeout_s: float = 10.0,
        attempts: int = 3,
        retry_delay_s: float = 1.0,
        ca_file: str | None = None,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"smtp security {security!r}: expected one of {SECURITY_MODES}")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if (username is None) != (password is None):
            raise ValueError("SMTP authentication needs both a username and a password")
        self.host = host
        self.port = port
        self.security: SmtpSecurity = security
        self._username = username
        self._password = password
        self.sender = sender
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.retry_delay_s = retry_delay_s
        self._tls_context = ssl.create_default_context(cafile=ca_file)

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpMailer:
        """Build from the ``RESELLER_SMTP_*`` settings; a missing host is a clear error."""
        if not settings.smtp_host:
            raise ValueError("RESELLER_MAILER=smtp needs RESELLER_SMTP_HOST")
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.smtp_sender,
            timeout_s=settings.smtp_timeout_s,
            attempts=settings.smtp_attempts,
            ca_file=settings.smtp_ca_file,
        )

    def banner(self) -> str:
        """For start-up lines: where mail goes, never the credentials."""
        auth = "with authentication" if self._username else "without authentication"
        return f"smtp://{self.host}:{self.port} ({self.security}, {auth})"

    def _client(self) -> Any:
        import aiosmtplib

        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout_s,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            tls_context=self._tls_context,
            username=self._username,
            password=self._password,
        )

    async def send(self, message: EmailMessage) -> None:
        import aiosmtplib

        mime = build_mime(message, sender=self.sender, sent_at=datetime.now(UTC))
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._client() as client:
                    await client.send_message(mime)
            except aiosmtplib.SMTPResponseException as error:
                if error.code not in _TRANSIENT_REPLY or attempt == self.attempts:
                    log.warning(
                        "mail to %s subject %r refused by %s: %s %s",
                        message.to,
                        message.subject,
                        self.host,
                        error.code,
                        error.message,
                    )
                    raise
                reason = f"{error.code} {error.message}"
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                if attempt == self.attempts:
                    log.warning(
                        "mail to %s subject %r not sent after %d attempts: %s: %s",
                        message.to,
                        message.subject,
                        attempt,
                        type(error).__name__,
                        error,
                    )
                    raise
                reason = f"{type(error).__name__}: {error}"
            else:
                log.info(
                    "mail to %s subject %r sent through %s:%d",
                    message.to,
                    message.subject,
                    self.host,
                    self.port,
                )
                return
            delay = self.retry_delay_s * 2 ** (attempt - 1)
            log.info(
                "mail to %s: attempt %d failed (%s); retrying in %.1f s",
                message.to,
                attempt,
                reason,
                delay,
            )
            await asyncio.sleep(delay)

    async def check(self) -> None:
        """Readiness: connect, greet, upgrade to TLS and log in as a send would, then quit."""
        async with self._client():
            return
