"""Mailers (the ``Mailer`` port)."""

from adapters.mail.outbox import OutboxMailer

__all__ = ["OutboxMailer"]
