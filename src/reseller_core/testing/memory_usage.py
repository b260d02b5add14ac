"""In-memory usage metering for ``MemoryUnitOfWork`` (spec 10 §5): events, provider calls,
and the units that queued or running runs hold."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from reseller_core.domain.plans import (
    DAILY_RESOURCE_BY_ROLE,
    PROCESSING_BUCKETS,
    Bucket,
    DailyUsage,
)
from reseller_core.domain.runs import ACTIVE_RUN_STATUSES
from reseller_core.ports.unit_of_work import ProviderCall, UsageEvent
from reseller_core.testing.memory_tables import MemoryRepo


class MemoryUsageRepository(MemoryRepo):
    async def record(self, event: UsageEvent) -> None:
        self._t.usage_events[event.id] = event

    async def record_call(self, call: ProviderCall) -> None:
        self._t.provider_calls[call.id] = call

    async def monthly_counts(self, user_id: str, start: datetime, end: datetime) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self._t.usage_events.values():
            if event.user_id == user_id and start <= event.created_at < end:
                counts[event.bucket] = counts.get(event.bucket, 0) + event.quantity
        return counts

    async def in_flight(self, user_id: str, since: datetime) -> dict[str, int]:
        # Units of work on one MemoryDatabase already run one at a time: no lock to take.
        recorded = {(event.run_id, event.bucket) for event in self._t.usage_events.values()}
        counts: dict[str, int] = {}
        for run in self._t.runs.values():
            if run.user_id != user_id or run.status not in ACTIVE_RUN_STATUSES:
                continue
            if run.created_at < since:
                continue
            for bucket in PROCESSING_BUCKETS:
                if (run.id, bucket.value) not in recorded:
                    counts[bucket.value] = counts.get(bucket.value, 0) + 1
        images = sum(
            max(0, run.requested_count - run.completed_count)
            for run in self._t.lifestyle_runs.values()
            if run.user_id == user_id and run.active and run.created_at >= since
        )
        if images:
            counts[Bucket.LIFESTYLE.value] = images
        renders = sum(
            1
            for run in self._t.video_runs.values()
            if run.user_id == user_id and run.active and run.created_at >= since
        )
        if renders:
            counts[Bucket.VIDEOS.value] = renders
        return counts

    async def daily_usage(self, user_id: str, start: datetime, end: datetime) -> DailyUsage:
        calls: dict[str, int] = {}
        cost = Decimal("0")
        for call in self._t.provider_calls.values():
            if call.user_id != user_id or not start <= call.created_at < end:
                continue
            cost += call.cost_usd
            resource = DAILY_RESOURCE_BY_ROLE.get(call.role)
            if resource is not None:
                calls[resource.value] = calls.get(resource.value, 0) + 1
        return msgspec.convert({**calls, "cost_usd": cost}, DailyUsage)
