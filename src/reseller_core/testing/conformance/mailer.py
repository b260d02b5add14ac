"""Conformance suite for the ``Mailer`` port.

Subclass :class:`MailerConformance`, provide ``mailer`` and implement ``delivered``: read
back what the mailer delivered (from its outbox, a test SMTP server, ...) as port
``EmailMessage`` values, oldest first. ``html`` may be None when a transport drops it and
``supports_html`` is False.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from reseller_core.ports.mailer import EmailMessage, Mailer


class MailerConformance:
    """Every message sent arrives once, intact, with its recipient and subject."""

    pytestmark = pytest.mark.asyncio

    supports_html: bool = True

    @pytest.fixture
    def mailer(self) -> Mailer:
        raise NotImplementedError("provide a `mailer` fixture")

    async def delivered(self, mailer: Mailer) -> Sequence[EmailMessage]:
        raise NotImplementedError("implement delivered()")

    async def test_text_message_is_delivered(self, mailer: Mailer) -> None:
        await mailer.send(
            EmailMessage(
                to="seller@example.test",
                subject="Confirm your email",
                text="Open http://127.0.0.1:8000/confirm?token=abc to confirm.",
                tag="confirmation",
            )
        )
        (message,) = await self.delivered(mailer)
        assert message.to == "seller@example.test"
        assert message.subject == "Confirm your email"
        assert "http://127.0.0.1:8000/confirm?token=abc" in message.text
        assert message.html is None

    async def test_html_alternative_is_kept(self, mailer: Mailer) -> None:
        await mailer.send(
            EmailMessage(
                to="seller@example.test",
                subject="Your listing is ready",
                text="Plain body",
                html="<p>HTML <b>body</b></p>",
            )
        )
        (message,) = await self.delivered(mailer)
        assert "Plain body" in message.text
        if self.supports_html:
            assert message.html is not None
            assert "<b>body</b>" in message.html

    async def test_unicode_survives(self, mailer: Mailer) -> None:
        await mailer.send(
            EmailMessage(to="zoe@example.test", subject="Ça marche — ✓", text="Grüße, 東京 🙂")
        )
        (message,) = await self.delivered(mailer)
        assert message.subject == "Ça marche — ✓"
        assert "Grüße, 東京 🙂" in message.text

    async def test_each_send_delivers_one_message_in_order(self, mailer: Mailer) -> None:
        for number in range(3):
            await mailer.send(
                EmailMessage(to=f"user{number}@example.test", subject=f"n{number}", text="x")
            )
        delivered = await self.delivered(mailer)
        assert [message.subject for message in delivered] == ["n0", "n1", "n2"]
        assert [message.to for message in delivered] == [
            f"user{number}@example.test" for number in range(3)
        ]
