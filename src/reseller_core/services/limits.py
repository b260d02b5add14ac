"""Plan-limit checks at the points where AI work is queued (decision Q-A12).

The check runs inside the unit of work that queues the work: it takes the user's write
lock, counts this month's recorded usage plus the units still held by queued runs, and
raises ``LimitExceeded`` (402) before anything is written. Two requests of one user at the
last unit of an allowance therefore cannot both pass: the second waits for the first to
commit and then counts the run it queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from reseller_core.domain.plans import (
    ACTION_BUCKETS,
    Bucket,
    MeteredAction,
    check_limits,
    day_window,
    month_window,
)
from reseller_core.domain.users import User
from reseller_core.errors import LimitExceeded
from reseller_core.ports import UnitOfWork
from reseller_core.services.config import CoreConfig


async def ensure_within_limit(
    uow: UnitOfWork,
    user: User,
    action: MeteredAction,
    now: datetime,
    config: CoreConfig,
) -> User:
    """Raise ``LimitExceeded`` when ``action`` may not be queued for ``user`` now.

    Call it in the unit of work that queues the work, after the 404 checks and before the
    422 ones (spec 10 §1.2). Returns the user as stored (locked for the rest of the unit of
    work), whose ``addon_credits`` the check used.
    """
    return await enforce_limits(uow, user, ACTION_BUCKETS[action], now, config)


async def enforce_limits(
    uow: UnitOfWork, user: User, buckets: Sequence[Bucket], now: datetime, config: CoreConfig
) -> User:
    """Raise LimitExceeded (402) for the first exhausted bucket or daily ceiling."""
    stale_after = timedelta(seconds=config.processing_run_stale_after_s)
    reserved = await uow.usage.in_flight(user.id, now - stale_after)
    stored = await uow.users.get(user.id) or user
    month_start, month_end = month_window(now)
    day_start, day_end = day_window(now)
    monthly = await uow.usage.monthly_counts(stored.id, month_start, month_end)
    daily = await uow.usage.daily_usage(stored.id, day_start, day_end)
    breach = check_limits(
        user=stored,
        now=now,
        buckets=buckets,
        monthly_usage=monthly,
        daily_usage=daily,
        ceilings=config.daily_ceilings,
        trial_plan=config.trial_limits_plan,
        reserved=reserved,
    )
    if breach is not None:
        raise LimitExceeded(
            operation=breach.operation,
            used=breach.used,
            limit=breach.limit,
            addon_credits=breach.addon_credits,
            upgrade_url=config.pricing_url,
        )
    return stored
