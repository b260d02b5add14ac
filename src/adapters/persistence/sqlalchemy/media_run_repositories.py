"""Lifestyle generation runs (spec 30 §8.3) on SQLAlchemy Core.

``add`` relies on the table's partial unique index over active runs: the second of two
concurrent requests for one product fails on insert, and the conflict is reported as
``Conflict`` for the use case to answer 422.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from reseller_adapters.persistence.sqlalchemy.column_types import UtcDateTime
from reseller_adapters.persistence.sqlalchemy.executor import StatementExecutor
from reseller_adapters.persistence.sqlalchemy.tables import lifestyle_generation_runs as runs
from reseller_core.domain.media_runs import LifestyleRun

_FIELDS: tuple[str, ...] = LifestyleRun.__struct_fields__
_COLUMNS = [runs.c[name] for name in _FIELDS]
_ACTIVE = ("queued", "running")
ALREADY_ACTIVE = "A lifestyle generation run is already in progress"


def _timestamp(value: datetime) -> ColumnElement[datetime]:
    return sa.literal(value, UtcDateTime())


def _runs(rows: Iterable[Any]) -> builtins.list[LifestyleRun]:
    return [msgspec.convert(dict(zip(_FIELDS, row, strict=True)), LifestyleRun) for row in rows]


class SqlLifestyleRunRepository:
    def __init__(self, uow: StatementExecutor) -> None:
        self._uow = uow

    async def add(self, run: LifestyleRun) -> None:
        await self._uow.execute(
            sa.insert(runs).values(msgspec.structs.asdict(run)), conflict=ALREADY_ACTIVE
        )

    async def get(self, run_id: str) -> LifestyleRun | None:
        found = _runs(await self._uow.execute(sa.select(*_COLUMNS).where(runs.c.id == run_id)))
        return found[0] if found else None

    async def update(self, run: LifestyleRun) -> None:
        values = msgspec.structs.asdict(run)
        for name in ("id", "product_id", "user_id", "created_at"):
            values.pop(name)
        await self._uow.execute(sa.update(runs).where(runs.c.id == run.id).values(values))

    async def for_product(self, product_id: str) -> builtins.list[LifestyleRun]:
        statement = (
            sa.select(*_COLUMNS)
            .where(runs.c.product_id == product_id)
            .order_by(runs.c.created_at.desc(), runs.c.id.desc())
        )
        return _runs(await self._uow.execute(statement))

    @staticmethod
    def _last_activity() -> ColumnElement[datetime]:
        return sa.func.coalesce(runs.c.heartbeat_at, runs.c.updated_at)

    async def claim(
        self, run_id: str, now: datetime, stale_before: datetime
    ) -> LifestyleRun | None:
        """One conditional UPDATE: of two concurrent claimers, exactly one matches the row."""
        statement = (
            sa.update(runs)
            .where(
                runs.c.id == run_id,
                sa.or_(
                    runs.c.status == "queued",
                    sa.and_(
                        runs.c.status == "running",
                        self._last_activity() < _timestamp(stale_before),
                    ),
                ),
            )
            .values(
                status="running",
                step="lifestyle_generating",
                started_at=sa.func.coalesce(runs.c.started_at, _timestamp(now)),
                heartbeat_at=now,
                updated_at=now,
            )
            .returning(*_COLUMNS)
        )
        found = _runs(await self._uow.execute(statement))
        return found[0] if found else None

    async def heartbeat(self, run_id: str, now: datetime) -> None:
        await self._uow.execute(sa.update(runs).where(runs.c.id == run_id).values(heartbeat_at=now))

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[LifestyleRun]:
        statement = (
            sa.select(*_COLUMNS)
            .where(runs.c.status.in_(_ACTIVE), self._last_activity() < _timestamp(stale_before))
            .order_by(runs.c.id)
            .limit(limit)
        )
        return _runs(await self._uow.execute(statement))
