"""Mailers (the ``Mailer`` port)."""

from reseller_adapters.mail.outbox import OutboxMailer

__all__ = ["OutboxMailer"]
