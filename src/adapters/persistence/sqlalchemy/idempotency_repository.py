"""``Idempotency-Key`` answers on SQLAlchemy Core.

The claim is one ``INSERT ... ON CONFLICT DO NOTHING`` on the (user, key, operation)
primary key: of two requests racing with one key exactly one inserts, on SQLite and on
PostgreSQL alike, and the other reads the row that won.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from reseller_adapters.persistence.sqlalchemy.column_types import UtcDateTime
from reseller_adapters.persistence.sqlalchemy.executor import StatementExecutor
from reseller_adapters.persistence.sqlalchemy.tables import idempotency_keys
from reseller_core.ports.idempotency import StoredAnswer

_FIELDS = StoredAnswer.__struct_fields__
_COLUMNS = [idempotency_keys.c[name] for name in _FIELDS]


def _timestamp(value: datetime) -> ColumnElement[datetime]:
    return sa.literal(value, UtcDateTime())


def _identifies(record: StoredAnswer) -> ColumnElement[bool]:
    table = idempotency_keys.c
    return sa.and_(
        table.user_id == record.user_id,
        table.key == record.key,
        table.operation == record.operation,
    )


class SqlIdempotencyRepository:
    def __init__(self, uow: StatementExecutor) -> None:
        self._uow = uow

    def _insert_unless_taken(self, values: dict[str, Any]) -> Any:
        dialect = postgresql if self._uow.dialect == "postgresql" else sqlite
        return dialect.insert(idempotency_keys).values(values).on_conflict_do_nothing()

    async def claim(self, record: StoredAnswer, now: datetime) -> StoredAnswer | None:
        await self._uow.execute(
            sa.delete(idempotency_keys).where(
                _identifies(record), idempotency_keys.c.expires_at <= _timestamp(now)
            )
        )
        inserted = await self._uow.execute(
            self._insert_unless_taken(msgspec.structs.asdict(record))
        )
        if getattr(inserted, "rowcount", 0) == 1:
            return None
        rows = (await self._uow.execute(sa.select(*_COLUMNS).where(_identifies(record)))).all()
        if not rows:  # deleted meanwhile by its own request's release: ours to take now
            await self._uow.execute(
                sa.insert(idempotency_keys).values(msgspec.structs.asdict(record))
            )
            return None
        values = dict(zip(_FIELDS, rows[0], strict=True))
        values["body"] = bytes(values["body"])
        return msgspec.convert(values, StoredAnswer)

    async def complete(
        self, record: StoredAnswer, status: int, content_type: str | None, body: bytes
    ) -> None:
        await self._uow.execute(
            sa.update(idempotency_keys)
            .where(_identifies(record))
            .values(status=status, content_type=content_type, body=body)
        )

    async def release(self, record: StoredAnswer) -> None:
        await self._uow.execute(
            sa.delete(idempotency_keys).where(
                _identifies(record), idempotency_keys.c.status.is_(None)
            )
        )

    async def delete_expired(self, now: datetime) -> int:
        result = await self._uow.execute(
            sa.delete(idempotency_keys).where(idempotency_keys.c.expires_at <= _timestamp(now))
        )
        return int(getattr(result, "rowcount", 0) or 0)
