"""A mailer that delivers to a folder: the embedded default, so sign-up works with no SMTP.

Each message becomes one RFC 5322 ``.eml`` file, which any mail client opens and tests
parse with the standard library. The log names the file but never prints the body, since
confirmation mails carry single-use tokens.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from reseller_core.ports.clock import Clock
from reseller_core.ports.mailer import EmailMessage

log = logging.getLogger(__name__)

DEFAULT_SENDER = "ResellerIO <no-reply@reseller.localhost>"
TAG_HEADER = "X-Reseller-Tag"
_UNSAFE_TAG = re.compile(r"[^a-z0-9_-]+")
_MAX_LINE_OCTETS = 998


def build_mime(message: EmailMessage, *, sender: str, sent_at: datetime) -> MimeMessage:
    """The RFC 5322 form of ``message``: text part, plus an HTML alternative when present.

    The standard library refuses header values with line breaks, so a subject cannot
    inject headers.
    """
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(sent_at)
    mime["Message-ID"] = make_msgid(domain="reseller.localhost")
    mime[TAG_HEADER] = message.tag
    mime.set_content(message.text, cte=_transfer_encoding(message.text))
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html", cte=_transfer_encoding(message.html))
    return mime


def _transfer_encoding(body: str) -> str | None:
    """``8bit`` (the body as written) unless a line exceeds RFC 5322's 998 octets.

    The standard library would otherwise pick quoted-printable, whose soft line breaks cut
    a long confirmation link in two: a developer reading the outbox (or a test grepping it)
    could no longer copy the link.
    """
    longest = max((len(line.encode("utf-8")) for line in body.splitlines()), default=0)
    return "8bit" if longest <= _MAX_LINE_OCTETS else None


class OutboxMailer:
    """``Mailer`` writing ``<UTC timestamp>-<tag>-<short random>.eml`` files to ``directory``.

    File names sort by sending time. The directory is created on first send. Files are
    written atomically (temporary file, then rename), so a reader never sees half a message.
    """

    def __init__(
        self, directory: Path, *, sender: str = DEFAULT_SENDER, clock: Clock | None = None
    ) -> None:
        self.directory = Path(directory)
        self._sender = sender
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    async def send(self, message: EmailMessage) -> None:
        sent_at = self._now().astimezone(UTC)
        mime = build_mime(message, sender=self._sender, sent_at=sent_at)
        tag = _UNSAFE_TAG.sub("-", message.tag.lower()).strip("-")[:40] or "general"
        name = f"{sent_at:%Y%m%dT%H%M%S%fZ}-{tag}-{secrets.token_hex(4)}.eml"
        path = await asyncio.to_thread(self._write, name, mime.as_bytes())
        log.info("mail to %s subject %r written to %s", message.to, message.subject, path)

    def _write(self, name: str, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / name
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target
