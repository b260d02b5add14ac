"""Outgoing e-mail."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgspec


class EmailMessage(msgspec.Struct, frozen=True, kw_only=True):
    to: str
    subject: str
    text: str
    html: str | None = None
    tag: str = "general"


@runtime_checkable
class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...
