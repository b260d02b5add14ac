"""Accounts: register, log in, authenticate, confirm e-mail, revoke, read and edit /me."""

from __future__ import annotations

from typing import Any

from reseller_core.domain.users import IssuedToken, User
from reseller_core.services.deps import Deps
from reseller_core.services.results import AuthContext, ResendResult


class AccountService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def register(self, body: Any, *, client_key: str | None = None) -> IssuedToken:
        """Create a user (unconfirmed, 7-day trial), e-mail a confirmation link, issue a token.

        ``client_key`` (the client IP over HTTP) enables the public auth rate limit.
        """
        raise NotImplementedError

    async def login(self, body: Any, *, client_key: str | None = None) -> IssuedToken:
        raise NotImplementedError

    async def authenticate(self, authorization: str | None) -> AuthContext:
        """Resolve an ``Authorization`` header value; Unauthorized for anything not live."""
        raise NotImplementedError

    async def revoke(self, auth: AuthContext) -> None:
        raise NotImplementedError

    async def resend_confirmation(self, user: User) -> ResendResult:
        raise NotImplementedError

    async def confirm(self, body: Any, *, client_key: str | None = None) -> User:
        raise NotImplementedError

    async def confirm_email(self, email: str) -> User:
        """Operator action: confirm an address without a token (``reseller users confirm``)."""
        raise NotImplementedError

    async def me(self, user_id: str) -> User:
        raise NotImplementedError

    async def update_me(self, user: User, body: Any) -> User:
        raise NotImplementedError

    def require_confirmed(self, user: User) -> None:
        """The write gate: EmailNotConfirmed when the user's address is unconfirmed."""
        raise NotImplementedError

    def supported_marketplaces(self) -> list[tuple[str, str]]:
        """(id, label) of every supported marketplace, in catalogue order."""
        raise NotImplementedError
