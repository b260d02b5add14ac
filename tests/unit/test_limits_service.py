"""``ensure_within_limit``: the check lifestyle and video generation call before queueing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reseller_core.domain.plans import MeteredAction
from reseller_core.domain.users import Plan, PlanStatus, User
from reseller_core.errors import LimitExceeded
from reseller_core.ports import UsageEvent
from reseller_core.services.config import CoreConfig
from reseller_core.services.limits import ensure_within_limit
from reseller_core.testing.conformance.uow_builders import T0, build_product, build_user, new_id
from reseller_core.testing.conformance.uow_media_runs import build_lifestyle_run
from reseller_core.testing.memory_uow import MemoryDatabase

CONFIG = CoreConfig(pricing_url="https://reseller.test/pricing")
NOW = T0 + timedelta(days=10)


async def given(db: MemoryDatabase, user: User, lifestyle_used: int = 0) -> None:
    async with db.unit_of_work() as uow:
        await uow.users.add(user)
        if lifestyle_used:
            await uow.usage.record(
                UsageEvent(
                    id=new_id(),
                    user_id=user.id,
                    product_id=None,
                    run_id=None,
                    bucket="lifestyle",
                    quantity=lifestyle_used,
                    created_at=NOW,
                )
            )
        await uow.commit()


async def check(db: MemoryDatabase, user: User, action: MeteredAction) -> None:
    async with db.unit_of_work() as uow:
        await ensure_within_limit(uow, user, action, NOW, CONFIG)


@pytest.mark.parametrize(
    ("action", "operation"),
    [(MeteredAction.LIFESTYLE, "lifestyle"), (MeteredAction.VIDEO, "videos")],
)
async def test_the_free_plan_gets_402_on_lifestyle_and_video(
    action: MeteredAction, operation: str
) -> None:
    db = MemoryDatabase()
    user = build_user(plan=Plan.FREE, plan_status=PlanStatus.FREE)
    await given(db, user)
    with pytest.raises(LimitExceeded) as info:
        await check(db, user, action)
    assert info.value.extra() == {
        "operation": operation,
        "used": 0,
        "limit": 0,
        "upgrade_url": "https://reseller.test/pricing",
    }
    # Processing is still allowed: only the buckets the action consumes are checked.
    await check(db, user, MeteredAction.PROCESSING)


async def test_credits_open_lifestyle_to_the_free_plan() -> None:
    db = MemoryDatabase()
    user = build_user(plan=Plan.FREE, plan_status=PlanStatus.FREE, addon_credits={"lifestyle": 3})
    await given(db, user)
    await check(db, user, MeteredAction.LIFESTYLE)
    # A queued run asking for three images holds all three credits.
    async with db.unit_of_work() as uow:
        product = build_product(user)
        await uow.products.add(product)
        await uow.lifestyle_runs.add(build_lifestyle_run(product, created_at=NOW, updated_at=NOW))
        await uow.commit()
    with pytest.raises(LimitExceeded) as info:
        await check(db, user, MeteredAction.LIFESTYLE)
    assert (info.value.operation, info.value.used, info.value.limit) == ("lifestyle", 3, 0)


async def test_a_paid_plan_is_refused_at_its_allowance() -> None:
    db = MemoryDatabase()
    user = build_user(plan=Plan.STARTER, plan_status=PlanStatus.ACTIVE)
    await given(db, user, lifestyle_used=149)
    await check(db, user, MeteredAction.LIFESTYLE)
    await given(db, other := build_user(plan=Plan.STARTER, plan_status=PlanStatus.ACTIVE), 150)
    with pytest.raises(LimitExceeded) as info:
        await check(db, other, MeteredAction.LIFESTYLE)
    assert (info.value.used, info.value.limit) == (150, 150)
