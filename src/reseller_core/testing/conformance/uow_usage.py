"""Unit-of-work conformance: usage events and provider calls for the plan limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from reseller_core.domain.media_runs import LifestyleRunStatus
from reseller_core.domain.plans import DailyUsage
from reseller_core.domain.runs import RunStatus
from reseller_core.ports.unit_of_work import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import (
    build_call,
    build_run,
    build_usage,
    day,
    new_id,
)
from reseller_core.testing.conformance.uow_media_runs import build_lifestyle_run


class UsageConformance(UnitOfWorkSuiteBase):
    """Monthly counts and daily usage, per user."""

    async def test_monthly_counts(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
        events = [
            build_usage(user, "ai_drafts", start),
            build_usage(user, "ai_drafts", end - timedelta(microseconds=1), quantity=2),
            build_usage(user, "background_removals", day("2026-03-15"), quantity=4),
            build_usage(user, "ai_drafts", end),
            build_usage(user, "ai_drafts", start - timedelta(seconds=1)),
            build_usage(stranger, "ai_drafts", day("2026-03-15")),
        ]

        async def setup(uow: UnitOfWork) -> None:
            for event in events:
                await uow.usage.record(event)

        await self.in_uow(uow_factory, setup)
        counts = await self.read(
            uow_factory, lambda uow: uow.usage.monthly_counts(user.id, start, end)
        )
        assert counts == {"ai_drafts": 3, "background_removals": 4}
        nobody = await self.read(
            uow_factory, lambda uow: uow.usage.monthly_counts(new_id(), start, end)
        )
        assert nobody == {}

    async def test_daily_usage(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        start = datetime(2026, 3, 10, tzinfo=UTC)
        end = start + timedelta(days=1)
        calls = [
            build_call(user, "llm", start, "0.00125"),
            build_call(user, "llm", start + timedelta(hours=5), "0.5", status="error"),
            build_call(user, "search", start + timedelta(hours=6), "0.01"),
            build_call(user, "image_editor", end - timedelta(microseconds=1), "0.02"),
            build_call(user, "video_renderer", start + timedelta(hours=7), "1"),
            build_call(user, "llm", end, "5"),
            build_call(user, "llm", start - timedelta(seconds=1), "5"),
            build_call(stranger, "llm", start + timedelta(hours=1), "5"),
        ]

        async def setup(uow: UnitOfWork) -> None:
            for call in calls:
                await uow.usage.record_call(call)

        await self.in_uow(uow_factory, setup)
        usage = await self.read(uow_factory, lambda uow: uow.usage.daily_usage(user.id, start, end))
        assert usage == DailyUsage(
            gemini_calls=2,
            serp_api_calls=1,
            photoroom_calls=1,
            cost_usd=Decimal("1.53125"),
        )
        assert (
            await self.read(uow_factory, lambda uow: uow.usage.daily_usage(new_id(), start, end))
            == DailyUsage()
        )

    async def test_in_flight_counts_queued_runs_until_they_record(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        foreign = await self.given_product(uow_factory, stranger)
        since = datetime(2026, 3, 10, tzinfo=UTC)
        after = since + timedelta(minutes=5)
        # One active run per product: each active run here has a product of its own.
        second, third = [await self.given_product(uow_factory, user) for _ in range(2)]
        queued = build_run(product, created_at=after, updated_at=after)
        running = build_run(second, status=RunStatus.RUNNING, created_at=since, updated_at=since)
        runs = [
            queued,
            running,
            build_run(product, status=RunStatus.COMPLETED, created_at=after, updated_at=after),
            build_run(product, status=RunStatus.FAILED, created_at=after, updated_at=after),
            build_run(
                third,
                created_at=since - timedelta(seconds=1),
                updated_at=since - timedelta(seconds=1),
            ),
            build_run(foreign, created_at=after, updated_at=after),
        ]
        events = [
            build_usage(user, "ai_drafts", after, run_id=running.id),
            build_usage(user, "price_research", after, run_id=running.id),
            build_usage(user, "ai_drafts", after),
        ]

        async def setup(uow: UnitOfWork) -> None:
            for run in runs:
                await uow.runs.add(run)
            for event in events:
                await uow.usage.record(event)

        await self.in_uow(uow_factory, setup)
        held = await self.in_uow(uow_factory, lambda uow: uow.usage.in_flight(user.id, since))
        assert held == {"ai_drafts": 1, "background_removals": 2, "price_research": 1}

        # Lifestyle runs hold the images they were asked for and have not made yet.
        other = await self.given_product(uow_factory, user)
        lifestyle = [
            build_lifestyle_run(product, created_at=after, updated_at=after, completed_count=1),
            build_lifestyle_run(
                other,
                status=LifestyleRunStatus.RUNNING.value,
                requested_count=1,
                created_at=after,
                updated_at=after,
            ),
            build_lifestyle_run(
                foreign, status=LifestyleRunStatus.QUEUED.value, created_at=after, updated_at=after
            ),
        ]

        async def add_lifestyle(uow: UnitOfWork) -> None:
            for run in lifestyle:
                await uow.lifestyle_runs.add(run)

        await self.in_uow(uow_factory, add_lifestyle)
        held = await self.in_uow(uow_factory, lambda uow: uow.usage.in_flight(user.id, since))
        assert held["lifestyle"] == 3
        assert (
            await self.in_uow(uow_factory, lambda uow: uow.usage.in_flight(new_id(), since)) == {}
        )
