"""Plans, usage buckets and the limit arithmetic (spec 10 §4-6, decisions Q-A5..Q-A7).

Pure functions: the caller passes the user, the month's usage, today's provider calls and
the current time; the answer is which limit (if any) blocks the action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import msgspec

from reseller_core.domain.users import Plan, User, trial_active


class Bucket(StrEnum):
    AI_DRAFTS = "ai_drafts"
    BACKGROUND_REMOVALS = "background_removals"
    LIFESTYLE = "lifestyle"
    PRICE_RESEARCH = "price_research"
    VIDEOS = "videos"


BUCKET_ORDER: tuple[Bucket, ...] = (
    Bucket.AI_DRAFTS,
    Bucket.BACKGROUND_REMOVALS,
    Bucket.LIFESTYLE,
    Bucket.PRICE_RESEARCH,
    Bucket.VIDEOS,
)

PROCESSING_BUCKETS: tuple[Bucket, ...] = (
    Bucket.AI_DRAFTS,
    Bucket.BACKGROUND_REMOVALS,
    Bucket.PRICE_RESEARCH,
)
"""What finalize and reprocess consume (decision Q-A12: where processing work is queued)."""


class MeteredAction(StrEnum):
    """The kinds of AI work whose queueing is checked against the limits (decision Q-A12)."""

    PROCESSING = "processing"
    LIFESTYLE = "lifestyle"
    VIDEO = "video"


ACTION_BUCKETS: dict[MeteredAction, tuple[Bucket, ...]] = {
    MeteredAction.PROCESSING: PROCESSING_BUCKETS,
    MeteredAction.LIFESTYLE: (Bucket.LIFESTYLE,),
    MeteredAction.VIDEO: (Bucket.VIDEOS,),
}


class DailyResource(StrEnum):
    LLM_CALLS = "gemini_calls"
    SEARCH_CALLS = "serp_api_calls"
    IMAGE_EDITOR_CALLS = "photoroom_calls"
    COST_USD = "cost_usd"


DAILY_ORDER: tuple[DailyResource, ...] = tuple(DailyResource)

DAILY_RESOURCE_BY_ROLE: dict[str, DailyResource] = {
    "llm": DailyResource.LLM_CALLS,
    "search": DailyResource.SEARCH_CALLS,
    "image_editor": DailyResource.IMAGE_EDITOR_CALLS,
}
"""``ProviderCall.role`` → the daily call ceiling it counts toward (spec 10 §5.4).

Every call, whatever its role or status, also adds its ``cost_usd`` to the cost ceiling.
"""


class PlanLimits(msgspec.Struct, frozen=True, kw_only=True):
    ai_drafts: int
    background_removals: int
    lifestyle: int
    price_research: int
    videos: int

    def for_bucket(self, bucket: Bucket) -> int:
        return int(getattr(self, bucket.value))


PLANS: dict[str, PlanLimits] = {
    Plan.FREE: PlanLimits(
        ai_drafts=5, background_removals=15, lifestyle=0, price_research=5, videos=0
    ),
    Plan.STARTER: PlanLimits(
        ai_drafts=50, background_removals=150, lifestyle=150, price_research=50, videos=20
    ),
    Plan.GROWTH: PlanLimits(
        ai_drafts=250, background_removals=750, lifestyle=750, price_research=250, videos=100
    ),
    Plan.PRO: PlanLimits(
        ai_drafts=1000, background_removals=3000, lifestyle=3000, price_research=1000, videos=400
    ),
}


Count = Annotated[int, msgspec.Meta(ge=0)]


class DailyCeilings(msgspec.Struct, frozen=True, kw_only=True):
    """Per user per UTC day, one per kind of provider; ``None`` disables a resource.

    ``gemini_calls`` counts calls to the AI provider (whatever its vendor),
    ``serp_api_calls`` to the search provider and ``photoroom_calls`` to the image editor;
    the names are the spec's (they appear in the 402 ``operation``). Calls to an adapter
    that declares itself free count against none of them (``reseller_core.ports.usage``).
    """

    gemini_calls: Count | None = 200
    serp_api_calls: Count | None = 100
    photoroom_calls: Count | None = 200
    cost_usd: Decimal | None = Decimal("10.00")

    def __post_init__(self) -> None:
        if self.cost_usd is not None and not self.cost_usd >= 0:
            raise ValueError("cost_usd must be zero or more")


class DailyUsage(msgspec.Struct, frozen=True, kw_only=True):
    gemini_calls: int = 0
    serp_api_calls: int = 0
    photoroom_calls: int = 0
    cost_usd: Decimal = Decimal("0")


class LimitBreach(msgspec.Struct, frozen=True, kw_only=True):
    """The first limit that blocks an action: the body of a 402."""

    operation: str
    used: int | str
    limit: int | str
    addon_credits: int


def effective_plan(user: User, now: datetime, trial_plan: str = Plan.STARTER) -> str:
    """The plan whose limits apply: the trial plan during an active trial, else the plan."""
    if trial_active(user, now):
        return trial_plan
    return user.plan if user.plan in PLANS else Plan.FREE


def month_window(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month in UTC containing ``now``: [start, end)."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def day_window(now: datetime) -> tuple[datetime, datetime]:
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def bucket_exhausted(used: int, limit: int, credits: int, reserved: int = 0) -> bool:
    """Exhausted when what is left (allowance, then credits) is already spoken for.

    ``used`` counts recorded events; ``reserved`` the units that work already queued will
    record (one per bucket per queued run), so a request does not pass on the strength of
    an allowance an earlier, still running request is about to use. With nothing queued
    this is: the allowance is used up and no add-on credit remains.
    """
    return reserved >= max(0, limit - used) + max(0, credits)


def check_limits(
    *,
    user: User,
    now: datetime,
    buckets: Sequence[Bucket],
    monthly_usage: Mapping[str, int],
    daily_usage: DailyUsage,
    ceilings: DailyCeilings,
    trial_plan: str = Plan.STARTER,
    reserved: Mapping[str, int] | None = None,
) -> LimitBreach | None:
    """Return the first breached limit for an action consuming ``buckets``, or None.

    ``reserved`` (bucket → units) is the work already queued but not yet recorded; a breach
    reports it within ``used``, the figure the refusal is based on.
    """
    limits = PLANS[effective_plan(user, now, trial_plan)]
    pending = reserved or {}
    for bucket in BUCKET_ORDER:
        if bucket not in buckets:
            continue
        used = int(monthly_usage.get(bucket.value, 0))
        held = int(pending.get(bucket.value, 0))
        limit = limits.for_bucket(bucket)
        credits = int(user.addon_credits.get(bucket.value, 0))
        if bucket_exhausted(used, limit, credits, held):
            return LimitBreach(
                operation=bucket.value, used=used + held, limit=limit, addon_credits=credits
            )
    return check_daily(daily_usage, ceilings)


def check_daily(daily_usage: DailyUsage, ceilings: DailyCeilings) -> LimitBreach | None:
    for resource in DAILY_ORDER:
        limit = getattr(ceilings, resource.value)
        if limit is None:
            continue
        used = getattr(daily_usage, resource.value)
        if used >= limit:
            if resource == DailyResource.COST_USD:
                return LimitBreach(
                    operation=f"daily_{resource.value}",
                    used=f"{Decimal(used):.2f}",
                    limit=f"{Decimal(limit):.2f}",
                    addon_credits=0,
                )
            return LimitBreach(
                operation=f"daily_{resource.value}",
                used=int(used),
                limit=int(limit),
                addon_credits=0,
            )
    return None


def credits_to_consume(used_before: int, quantity: int, limit: int, credits: int) -> int:
    """How many add-on credits ``quantity`` new events consume (Q-A7: allowance first)."""
    over_before = max(0, used_before - limit)
    over_after = max(0, used_before + quantity - limit)
    return min(max(0, credits), over_after - over_before)
