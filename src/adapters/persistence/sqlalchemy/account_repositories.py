"""Accounts on SQLAlchemy Core: users, API tokens and e-mail confirmation tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from reseller_adapters.persistence.sqlalchemy import mappers as m
from reseller_adapters.persistence.sqlalchemy.repositories import (
    _AUTHENTICATE,
    _STAMP_TOKEN,
    _USER_BY_ID,
    CONFIRMATION_COLUMNS,
    TOKEN_COLUMNS,
    USER_COLUMNS,
    _Repository,
    _rowcount,
    lock_user,
)
from reseller_adapters.persistence.sqlalchemy.tables import api_tokens, confirmation_tokens, users
from reseller_core.domain.users import ApiToken, ConfirmationToken, User


class SqlUserRepository(_Repository):
    async def add(self, user: User) -> None:
        await self._execute(
            sa.insert(users).values(m.to_values(user)), conflict="Email has already been taken"
        )

    async def _one(self, condition: ColumnElement[bool]) -> User | None:
        row = (await self._execute(sa.select(*USER_COLUMNS).where(condition))).first()
        return m.from_values(User, m.USER_FIELDS, row) if row is not None else None

    async def get(self, user_id: str) -> User | None:
        row = (await self._execute(_USER_BY_ID, {"user_id": user_id})).first()
        return m.from_values(User, m.USER_FIELDS, row) if row is not None else None

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(users.c.email == email)

    async def update(self, user: User) -> None:
        await self._execute(
            sa.update(users).where(users.c.id == user.id).values(m.to_update_values(user)),
            conflict="Email has already been taken",
        )

    async def lock(self, user_id: str) -> None:
        await lock_user(self._uow, user_id)


class SqlTokenRepository(_Repository):
    async def add(self, token: ApiToken) -> None:
        await self._execute(sa.insert(api_tokens).values({**m.to_values(token), "revoked": False}))

    async def authenticate(self, token_hash: str, now: datetime) -> tuple[ApiToken, User] | None:
        row = (await self._execute(_AUTHENTICATE, {"token_hash": token_hash, "now": now})).first()
        if row is None:
            return None
        split = len(TOKEN_COLUMNS)
        token = m.from_values(ApiToken, m.TOKEN_FIELDS, row[:split])
        user = m.from_values(User, m.USER_FIELDS, row[split:])
        return token, user

    async def touch(self, token_id: str, now: datetime) -> None:
        await self._execute(_STAMP_TOKEN, {"token_id": token_id, "used_at": now})

    async def revoke(self, token_id: str) -> None:
        await self._execute(
            sa.update(api_tokens).where(api_tokens.c.id == token_id).values(revoked=True)
        )

    async def add_confirmation(self, token: ConfirmationToken) -> None:
        await self._execute(sa.insert(confirmation_tokens).values(m.to_values(token)))

    async def find_confirmation(self, token_hash: str) -> ConfirmationToken | None:
        statement = sa.select(*CONFIRMATION_COLUMNS).where(
            confirmation_tokens.c.token_hash == token_hash
        )
        row = (await self._execute(statement)).first()
        return m.from_values(ConfirmationToken, m.CONFIRMATION_FIELDS, row) if row else None

    async def use_confirmation(self, token_id: str, now: datetime) -> bool:
        result = await self._execute(
            sa.update(confirmation_tokens)
            .where(confirmation_tokens.c.id == token_id, confirmation_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        return _rowcount(result) == 1

    async def invalidate_confirmations(self, user_id: str, now: datetime) -> None:
        await self._execute(
            sa.update(confirmation_tokens)
            .where(
                confirmation_tokens.c.user_id == user_id, confirmation_tokens.c.used_at.is_(None)
            )
            .values(used_at=now)
        )

    async def confirmation_sends_since(self, user_id: str, since: datetime) -> list[datetime]:
        statement = (
            sa.select(confirmation_tokens.c.created_at)
            .where(
                confirmation_tokens.c.user_id == user_id,
                confirmation_tokens.c.created_at >= since,
            )
            .order_by(confirmation_tokens.c.created_at)
        )
        return list((await self._execute(statement)).scalars())
