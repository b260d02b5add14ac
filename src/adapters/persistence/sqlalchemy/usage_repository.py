"""Usage events, provider calls and the units reserved by queued work (spec 10 §5-6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import msgspec
import sqlalchemy as sa

from reseller_adapters.persistence.sqlalchemy import mappers as m
from reseller_adapters.persistence.sqlalchemy.repositories import _Repository, lock_user
from reseller_adapters.persistence.sqlalchemy.tables import (
    lifestyle_generation_runs as lifestyle_runs,
)
from reseller_adapters.persistence.sqlalchemy.tables import (
    processing_runs,
    provider_calls,
    usage_events,
)
from reseller_adapters.persistence.sqlalchemy.tables import (
    video_generation_runs as video_runs,
)
from reseller_core.domain.media_runs import ACTIVE_LIFESTYLE_STATUSES
from reseller_core.domain.plans import (
    DAILY_RESOURCE_BY_ROLE,
    PROCESSING_BUCKETS,
    Bucket,
    DailyUsage,
)
from reseller_core.domain.runs import ACTIVE_RUN_STATUSES
from reseller_core.ports.unit_of_work import ProviderCall, UsageEvent

_ACTIVE = [status.value for status in ACTIVE_RUN_STATUSES]
_ACTIVE_LIFESTYLE = [str(status) for status in ACTIVE_LIFESTYLE_STATUSES]


def _held_since(table: sa.Table, statuses: Sequence[str]) -> tuple[sa.ColumnElement[bool], ...]:
    """The user's rows of ``table`` in ``statuses`` created since ``since`` (both bound at
    execution): the work that still holds units of an allowance."""
    return (
        table.c.user_id == sa.bindparam("user_id"),
        table.c.status.in_(statuses),
        table.c.created_at >= sa.bindparam("since"),
    )


def _runs_holding(bucket: Bucket) -> sa.ScalarSelect[int]:
    """Processing runs in flight that have not recorded ``bucket`` yet."""
    recorded = (
        sa.select(usage_events.c.id)
        .where(usage_events.c.run_id == processing_runs.c.id, usage_events.c.bucket == bucket.value)
        .exists()
    )
    return (
        sa.select(sa.func.count())
        .select_from(processing_runs)
        .where(*_held_since(processing_runs, _ACTIVE), ~recorded)
        .scalar_subquery()
    )


_LIFESTYLE_IMAGES_HELD = (
    sa.select(
        sa.func.coalesce(
            sa.func.sum(lifestyle_runs.c.requested_count - lifestyle_runs.c.completed_count), 0
        )
    )
    .where(*_held_since(lifestyle_runs, _ACTIVE_LIFESTYLE))
    .scalar_subquery()
)
_RENDERS_HELD = (
    sa.select(sa.func.count()).where(*_held_since(video_runs, _ACTIVE)).scalar_subquery()
)
_IN_FLIGHT_BUCKETS = (
    *(bucket.value for bucket in PROCESSING_BUCKETS),
    Bucket.LIFESTYLE.value,
    Bucket.VIDEOS.value,
)
_IN_FLIGHT = sa.select(
    *(_runs_holding(bucket) for bucket in PROCESSING_BUCKETS),
    _LIFESTYLE_IMAGES_HELD,
    _RENDERS_HELD,
)
"""Every bucket's units held by in-flight work, in ``_IN_FLIGHT_BUCKETS`` order, in one
statement (one round trip where a finalize checks its limits twice)."""


def _in_window(table: sa.Table) -> tuple[sa.ColumnElement[bool], ...]:
    """The user's rows of ``table`` created in ``[start, end)`` (all three bound later)."""
    return (
        table.c.user_id == sa.bindparam("user_id"),
        table.c.created_at >= sa.bindparam("start"),
        table.c.created_at < sa.bindparam("end"),
    )


_INSERT_USAGE = sa.insert(usage_events)
_INSERT_CALL = sa.insert(provider_calls)
_MONTHLY_COUNTS = (
    sa.select(usage_events.c.bucket, sa.func.sum(usage_events.c.quantity))
    .where(*_in_window(usage_events))
    .group_by(usage_events.c.bucket)
)
_DAILY_CALLS = (
    sa.select(provider_calls.c.role, sa.func.count(), sa.func.sum(provider_calls.c.cost_usd))
    .where(*_in_window(provider_calls))
    .group_by(provider_calls.c.role)
)
"""Built once, as ``_IN_FLIGHT``: a finalize checks its limits twice, with both of these."""


class SqlUsageRepository(_Repository):
    async def record(self, event: UsageEvent) -> None:
        await self._execute(_INSERT_USAGE, m.to_values(event))

    async def record_call(self, call: ProviderCall) -> None:
        await self._execute(_INSERT_CALL, m.to_values(call))

    async def monthly_counts(self, user_id: str, start: datetime, end: datetime) -> dict[str, int]:
        params = {"user_id": user_id, "start": start, "end": end}
        return {row[0]: int(row[1]) for row in await self._execute(_MONTHLY_COUNTS, params)}

    async def in_flight(self, user_id: str, since: datetime) -> dict[str, int]:
        # The user's write lock first: two requests of one user check their limits one
        # after the other, and the second sees the run the first queued.
        await lock_user(self._uow, user_id)
        row = (await self._execute(_IN_FLIGHT, {"user_id": user_id, "since": since})).one()
        counts: dict[str, int] = {}
        for bucket, held in zip(_IN_FLIGHT_BUCKETS, row, strict=True):
            if int(held) > 0:
                counts[bucket] = int(held)
        return counts

    async def daily_usage(self, user_id: str, start: datetime, end: datetime) -> DailyUsage:
        calls: dict[str, int] = {}
        cost = Decimal("0")
        params = {"user_id": user_id, "start": start, "end": end}
        for row in await self._execute(_DAILY_CALLS, params):
            cost += Decimal(row[2] or 0)
            resource = DAILY_RESOURCE_BY_ROLE.get(row[0])
            if resource is not None:
                calls[resource.value] = calls.get(resource.value, 0) + int(row[1])
        return msgspec.convert({**calls, "cost_usd": cost}, DailyUsage)
