"""Export and import records (spec 50) on SQLAlchemy Core: one generic repository per table.

Both tables have the same life cycle (queued → running → terminal, a heartbeat, a per-user
cap on active jobs), so one class serves both, parametrised by table and struct.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from reseller_adapters.persistence.sqlalchemy.column_types import UtcDateTime
from reseller_adapters.persistence.sqlalchemy.executor import StatementExecutor
from reseller_adapters.persistence.sqlalchemy.mappers import columns_of
from reseller_adapters.persistence.sqlalchemy.repositories import LOCK_USER
from reseller_adapters.persistence.sqlalchemy.tables import exports, imports
from reseller_core.domain.transfers import Export, Import

R = TypeVar("R", Export, Import)

_JSON_FIELDS = frozenset({"filter_params", "failures", "created_product_ids"})
_ACTIVE = ("queued", "running")


def _timestamp(value: datetime) -> ColumnElement[datetime]:
    return sa.literal(value, UtcDateTime())


class _TransferRepository(Generic[R]):
    def __init__(self, uow: StatementExecutor, table: sa.Table, kind: type[R]) -> None:
        self._uow = uow
        self._table = table
        self._kind: type[R] = kind
        self._fields: tuple[str, ...] = kind.__struct_fields__
        self._columns = columns_of(table, self._fields)

    def _values(self, record: R) -> dict[str, Any]:
        values = msgspec.structs.asdict(record)
        for name in _JSON_FIELDS.intersection(values):
            values[name] = msgspec.to_builtins(values[name])
        return values

    def _records(self, rows: Iterable[Any]) -> builtins.list[R]:
        return [
            msgspec.convert(dict(zip(self._fields, row, strict=True)), self._kind) for row in rows
        ]

    async def _select(self, *conditions: ColumnElement[bool]) -> R | None:
        rows = await self._uow.execute(sa.select(*self._columns).where(*conditions))
        found = self._records(rows)
        return found[0] if found else None

    async def add(self, record: R) -> None:
        await self._uow.execute(sa.insert(self._table).values(self._values(record)))

    async def get(self, user_id: str, record_id: str) -> R | None:
        return await self._select(self._table.c.id == record_id, self._table.c.user_id == user_id)

    async def get_by_id(self, record_id: str) -> R | None:
        return await self._select(self._table.c.id == record_id)

    async def update(self, record: R) -> None:
        values = self._values(record)
        for name in ("id", "user_id", "created_at"):
            values.pop(name)
        await self._uow.execute(
            sa.update(self._table).where(self._table.c.id == record.id).values(values)
        )

    async def list(self, user_id: str, *, offset: int, limit: int) -> builtins.list[R]:
        statement = (
            sa.select(*self._columns)
            .where(self._table.c.user_id == user_id)
            .order_by(self._table.c.requested_at.desc(), self._table.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return self._records(await self._uow.execute(statement))

    async def count(self, user_id: str) -> int:
        statement = sa.select(sa.func.count()).where(self._table.c.user_id == user_id)
        return int((await self._uow.execute(statement)).scalar_one())

    async def count_active(self, user_id: str) -> int:
        # The user's write lock first, so concurrent requests of one user count one after
        # the other.
        await self._uow.execute(LOCK_USER, {"user_id": user_id})
        statement = sa.select(sa.func.count()).where(
            self._table.c.user_id == user_id, self._table.c.status.in_(_ACTIVE)
        )
        return int((await self._uow.execute(statement)).scalar_one())

    def _last_activity(self) -> ColumnElement[datetime]:
        return sa.func.coalesce(self._table.c.heartbeat_at, self._table.c.updated_at)

    async def claim(self, record_id: str, now: datetime, stale_before: datetime) -> R | None:
        """One conditional UPDATE: of two concurrent claimers, exactly one matches a row."""
        table = self._table
        values: dict[str, Any] = {
            "status": "running",
            "heartbeat_at": now,
            "updated_at": now,
            "error_message": None,
            "error_code": None,
        }
        if "started_at" in table.c:
            values["started_at"] = sa.func.coalesce(table.c.started_at, _timestamp(now))
        statement = (
            sa.update(table)
            .where(
                table.c.id == record_id,
                sa.or_(
                    table.c.status == "queued",
                    sa.and_(
                        table.c.status == "running",
                        self._last_activity() < _timestamp(stale_before),
                    ),
                ),
            )
            .values(values)
            .returning(*self._columns)
        )
        found = self._records(await self._uow.execute(statement))
        return found[0] if found else None

    async def heartbeat(self, record_id: str, now: datetime) -> None:
        await self._uow.execute(
            sa.update(self._table).where(self._table.c.id == record_id).values(heartbeat_at=now)
        )

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[R]:
        statement = (
            sa.select(*self._columns)
            .where(
                self._table.c.status.in_(_ACTIVE),
                self._last_activity() < _timestamp(stale_before),
            )
            .order_by(self._table.c.id)
            .limit(limit)
        )
        return self._records(await self._uow.execute(statement))


class SqlExportRepository(_TransferRepository[Export]):
    def __init__(self, uow: StatementExecutor) -> None:
        super().__init__(uow, exports, Export)

    async def expired(self, now: datetime, limit: int = 100) -> builtins.list[Export]:
        statement = (
            sa.select(*self._columns)
            .where(exports.c.status == "completed", exports.c.expires_at <= _timestamp(now))
            .order_by(exports.c.expires_at, exports.c.id)
            .limit(limit)
        )
        return self._records(await self._uow.execute(statement))


class SqlImportRepository(_TransferRepository[Import]):
    def __init__(self, uow: StatementExecutor) -> None:
        super().__init__(uow, imports, Import)
