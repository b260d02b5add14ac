"""Plan-limit checks at the points where AI work is queued (decision Q-A12)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reseller_core.domain.plans import Bucket, check_limits, day_window, month_window
from reseller_core.domain.users import User
from reseller_core.errors import LimitExceeded
from reseller_core.ports import UnitOfWork
from reseller_core.services.config import CoreConfig


async def enforce_limits(
    uow: UnitOfWork, user: User, buckets: Sequence[Bucket], now: datetime, config: CoreConfig
) -> None:
    """Raise LimitExceeded (402) for the first exhausted bucket or daily ceiling."""
    month_start, month_end = month_window(now)
    day_start, day_end = day_window(now)
    monthly = await uow.usage.monthly_counts(user.id, month_start, month_end)
    daily = await uow.usage.daily_usage(user.id, day_start, day_end)
    breach = check_limits(
        user=user,
        now=now,
        buckets=buckets,
        monthly_usage=monthly,
        daily_usage=daily,
        ceilings=config.daily_ceilings,
        trial_plan=config.trial_limits_plan,
    )
    if breach is not None:
        raise LimitExceeded(
            operation=breach.operation,
            used=breach.used,
            limit=breach.limit,
            addon_credits=breach.addon_credits,
            upgrade_url=config.pricing_url,
        )
