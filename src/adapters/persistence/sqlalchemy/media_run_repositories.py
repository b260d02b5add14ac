"""Media runs on SQLAlchemy Core: lifestyle generation (spec 30 §8.3) and marketplace
video runs (§9), one repository class over either table.

``add`` relies on each table's partial unique index over active runs: the second of two
concurrent requests for one product fails on insert, and the conflict is reported as
``Conflict`` for the use case to answer 422.
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
from reseller_adapters.persistence.sqlalchemy.tables import (
    lifestyle_generation_runs,
    video_generation_runs,
)
from reseller_core.domain import videos
from reseller_core.domain.media_runs import LifestyleRun
from reseller_core.domain.videos import VideoRun

RunT = TypeVar("RunT", LifestyleRun, VideoRun)
_ACTIVE = ("queued", "running")


def _timestamp(value: datetime) -> ColumnElement[datetime]:
    return sa.literal(value, UtcDateTime())


class SqlMediaRunRepository(Generic[RunT]):
    """One kind of media run: its table, its struct, its running step and conflict text."""

    table: sa.Table
    run_type: type[RunT]
    running_step: str
    already_active: str

    def __init__(self, uow: StatementExecutor) -> None:
        # A unit of work is made per request: the column list is built once per table.
        self._uow = uow
        self._fields: tuple[str, ...] = self.run_type.__struct_fields__
        self._columns = columns_of(self.table, self._fields)

    def _runs(self, rows: Iterable[Any]) -> builtins.list[RunT]:
        fields = self._fields
        return [msgspec.convert(dict(zip(fields, row, strict=True)), self.run_type) for row in rows]

    def _written(self, product_id: str) -> None:
        """Called after each write of a run (not its heartbeat); a subclass may note it."""

    async def add(self, run: RunT) -> None:
        await self._uow.execute(
            sa.insert(self.table).values(msgspec.structs.asdict(run)),
            conflict=self.already_active,
        )
        self._written(run.product_id)

    async def get(self, run_id: str) -> RunT | None:
        found = self._runs(
            await self._uow.execute(sa.select(*self._columns).where(self.table.c.id == run_id))
        )
        return found[0] if found else None

    async def update(self, run: RunT) -> None:
        values = msgspec.structs.asdict(run)
        for name in ("id", "product_id", "user_id", "created_at"):
            values.pop(name)
        await self._uow.execute(
            sa.update(self.table).where(self.table.c.id == run.id).values(values)
        )
        self._written(run.product_id)

    async def for_product(self, product_id: str) -> builtins.list[RunT]:
        statement = (
            sa.select(*self._columns)
            .where(self.table.c.product_id == product_id)
            .order_by(self.table.c.created_at.desc(), self.table.c.id.desc())
        )
        return self._runs(await self._uow.execute(statement))

    def _last_activity(self) -> ColumnElement[datetime]:
        return sa.func.coalesce(self.table.c.heartbeat_at, self.table.c.updated_at)

    async def claim(self, run_id: str, now: datetime, stale_before: datetime) -> RunT | None:
        """One conditional UPDATE: of two concurrent claimers, exactly one matches the row."""
        statement = (
            sa.update(self.table)
            .where(
                self.table.c.id == run_id,
                sa.or_(
                    self.table.c.status == "queued",
                    sa.and_(
                        self.table.c.status == "running",
                        self._last_activity() < _timestamp(stale_before),
                    ),
                ),
            )
            .values(
                status="running",
                step=self.running_step,
                started_at=sa.func.coalesce(self.table.c.started_at, _timestamp(now)),
                heartbeat_at=now,
                updated_at=now,
            )
            .returning(*self._columns)
        )
        found = self._runs(await self._uow.execute(statement))
        if found:
            self._written(found[0].product_id)
        return found[0] if found else None

    async def heartbeat(self, run_id: str, now: datetime) -> None:
        await self._uow.execute(
            sa.update(self.table).where(self.table.c.id == run_id).values(heartbeat_at=now)
        )

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[RunT]:
        statement = (
            sa.select(*self._columns)
            .where(
                self.table.c.status.in_(_ACTIVE), self._last_activity() < _timestamp(stale_before)
            )
            .order_by(self.table.c.id)
            .limit(limit)
        )
        return self._runs(await self._uow.execute(statement))


class SqlLifestyleRunRepository(SqlMediaRunRepository[LifestyleRun]):
    table = lifestyle_generation_runs
    run_type = LifestyleRun
    running_step = "lifestyle_generating"
    already_active = "A lifestyle generation run is already in progress"


class SqlVideoRunRepository(SqlMediaRunRepository[VideoRun]):
    table = video_generation_runs
    run_type = VideoRun
    running_step = videos.RENDER_STEP
    already_active = videos.ALREADY_ACTIVE
