"""Adapters that declare themselves free cost nothing and count against no daily ceiling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reseller_adapters.ai import OfflineAIProvider
from reseller_adapters.images import OfflineImageEditor
from reseller_adapters.search.offline import OfflineSearchProvider
from reseller_core.domain.plans import DailyUsage, day_window
from reseller_core.domain.runs import RunStatus
from reseller_core.ports.search import SearchMatch
from reseller_core.ports.usage import charges_nothing
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.progress import RunProgress
from reseller_core.services.processing.usage import UsageMeter
from reseller_core.testing import FixedClock, SequentialIds
from reseller_core.testing.conformance.uow_builders import build_product, build_run, build_user
from reseller_core.testing.memory_uow import MemoryDatabase, memory_uow_factory


class HostedSearch:
    """A search adapter that says nothing about its cost: a paid one."""

    name = "serp_api"

    async def shopping_matches(self, query: str) -> tuple[SearchMatch, ...]:
        return ()


def test_the_offline_adapters_declare_themselves_free() -> None:
    for adapter in (OfflineAIProvider(), OfflineSearchProvider(), OfflineImageEditor()):
        assert charges_nothing(adapter), adapter
    assert not charges_nothing(HostedSearch())

    class SaysTruthy:
        free = "yes"

    assert not charges_nothing(SaysTruthy())


@pytest.mark.parametrize("free", [True, False])
async def test_only_paid_calls_count_toward_the_search_ceiling(free: bool) -> None:
    db, clock = MemoryDatabase(), FixedClock()
    meter = UsageMeter(
        uow=memory_uow_factory(db), ids=SequentialIds(), clock=clock, config=CoreConfig()
    )
    ctx = RunContext(
        run=build_run(build_product(build_user()), status=RunStatus.RUNNING, attempts=1),
        progress=RunProgress(),
    )
    search = OfflineSearchProvider() if free else HostedSearch()
    for _ in range(3):
        await meter.metered(
            ctx,
            search.shopping_matches("red ball"),
            provider=search,
            role="search",
            operation="shopping",
        )
    start, end = day_window(clock.now())
    async with db.unit_of_work() as uow:
        usage = await uow.usage.daily_usage(ctx.user_id, start, end)
    assert usage == (DailyUsage() if free else DailyUsage(serp_api_calls=3))
    assert end - start == timedelta(days=1)
