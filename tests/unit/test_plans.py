"""The limit arithmetic (spec 10 §4-6, decisions Q-A5..Q-A7)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reseller_core.domain.plans import (
    BUCKET_ORDER,
    DAILY_ORDER,
    PLANS,
    PROCESSING_BUCKETS,
    Bucket,
    DailyCeilings,
    DailyUsage,
    bucket_exhausted,
    check_daily,
    check_limits,
    credits_to_consume,
    day_window,
    effective_plan,
    month_window,
)
from reseller_core.domain.users import Plan, PlanStatus, User

NOW = datetime(2026, 4, 15, 10, 30, tzinfo=UTC)
NO_CEILINGS = DailyCeilings(
    gemini_calls=None, serp_api_calls=None, photoroom_calls=None, cost_usd=None
)
PLAN_NAMES = [plan.value for plan in Plan]
STATUSES = [status.value for status in PlanStatus]


def make_user(
    *,
    plan: str = Plan.FREE,
    plan_status: str = PlanStatus.TRIALING,
    trial_ends_at: datetime | None = None,
    credits: dict[str, int] | None = None,
) -> User:
    return User(
        id="01J00000000000000000000USR",
        email="seller@example.com",
        password_hash="x",
        confirmed_at=None,
        selected_marketplaces=("ebay",),
        plan=plan,
        plan_status=plan_status,
        trial_ends_at=trial_ends_at,
        addon_credits=credits or {},
        created_at=NOW - timedelta(days=30),
        updated_at=NOW - timedelta(days=30),
    )


def after_trial(**kwargs: object) -> User:
    return make_user(trial_ends_at=NOW - timedelta(days=1), **kwargs)  # type: ignore[arg-type]


def check(user: User, buckets: tuple[Bucket, ...], usage: dict[str, int], **kw: object):  # type: ignore[no-untyped-def]
    return check_limits(
        user=user,
        now=NOW,
        buckets=buckets,
        monthly_usage=usage,
        daily_usage=kw.pop("daily", DailyUsage()),  # type: ignore[arg-type]
        ceilings=kw.pop("ceilings", NO_CEILINGS),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


# --- plans table -----------------------------------------------------------------------------


def test_plan_table_matches_spec() -> None:
    table = {
        "free": (5, 15, 0, 5),
        "starter": (50, 150, 150, 50),
        "growth": (250, 750, 750, 250),
        "pro": (1000, 3000, 3000, 1000),
    }
    for name, limits in table.items():
        plan = PLANS[name]
        assert (
            plan.ai_drafts,
            plan.background_removals,
            plan.lifestyle,
            plan.price_research,
        ) == limits


def test_bucket_order() -> None:
    assert [b.value for b in BUCKET_ORDER] == [
        "ai_drafts",
        "background_removals",
        "lifestyle",
        "price_research",
        "videos",
    ]
    assert set(PROCESSING_BUCKETS) == {
        Bucket.AI_DRAFTS,
        Bucket.BACKGROUND_REMOVALS,
        Bucket.PRICE_RESEARCH,
    }
    assert [r.value for r in DAILY_ORDER] == [
        "gemini_calls",
        "serp_api_calls",
        "photoroom_calls",
        "cost_usd",
    ]


# --- effective plan --------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    plan=st.sampled_from([*PLAN_NAMES, "enterprise", ""]),
    status=st.sampled_from(STATUSES),
    offset=st.none() | st.integers(-10 * 86400, 10 * 86400),
    trial_plan=st.sampled_from(PLAN_NAMES),
)
def test_effective_plan(plan: str, status: str, offset: int | None, trial_plan: str) -> None:
    ends = None if offset is None else NOW + timedelta(seconds=offset)
    user = make_user(plan=plan, plan_status=status, trial_ends_at=ends)
    in_trial = status == "trialing" and ends is not None and ends > NOW
    expected = trial_plan if in_trial else (plan if plan in PLAN_NAMES else "free")
    assert effective_plan(user, NOW, trial_plan) == expected


def test_trial_ends_exactly_now_is_over() -> None:
    assert effective_plan(make_user(trial_ends_at=NOW), NOW) == "free"
    assert effective_plan(make_user(trial_ends_at=NOW + timedelta(seconds=1)), NOW) == "starter"


def test_trial_uses_starter_limits_then_free() -> None:
    usage = {"ai_drafts": 10}
    in_trial = make_user(trial_ends_at=NOW + timedelta(days=3))
    assert check(in_trial, PROCESSING_BUCKETS, usage) is None
    breach = check(after_trial(), PROCESSING_BUCKETS, usage)
    assert breach is not None
    assert (breach.operation, breach.used, breach.limit) == ("ai_drafts", 10, 5)


# --- monthly buckets -------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    used=st.integers(0, 5000),
    limit=st.integers(0, 5000),
    credits=st.integers(-5, 200),
)
def test_bucket_exhausted_rule(used: int, limit: int, credits: int) -> None:
    assert bucket_exhausted(used, limit, credits) is (used >= limit and credits <= 0)


bucket_usage = st.fixed_dictionaries({b.value: st.integers(0, 1200) for b in BUCKET_ORDER})
bucket_credits = st.fixed_dictionaries(
    {}, optional={b.value: st.integers(-2, 3) for b in BUCKET_ORDER}
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    plan=st.sampled_from(PLAN_NAMES),
    usage=bucket_usage,
    credits=bucket_credits,
    buckets=st.lists(st.sampled_from(BUCKET_ORDER), unique=True).map(tuple),
)
def test_first_exhausted_bucket_in_fixed_order(
    plan: str, usage: dict[str, int], credits: dict[str, int], buckets: tuple[Bucket, ...]
) -> None:
    user = after_trial(plan=plan, plan_status="active", credits=credits)
    limits = PLANS[plan]
    exhausted = [
        b
        for b in BUCKET_ORDER
        if b in buckets and usage[b.value] >= limits.for_bucket(b) and credits.get(b.value, 0) <= 0
    ]
    breach = check(user, buckets, usage)
    if not exhausted:
        assert breach is None
        return
    first = exhausted[0]
    assert breach is not None
    assert breach.operation == first.value
    assert breach.used == usage[first.value]
    # The limit excludes add-on credits (spec 10 §6.3).
    assert breach.limit == limits.for_bucket(first)
    assert breach.addon_credits == credits.get(first.value, 0)
    # The order of ``buckets`` does not matter.
    assert check(user, tuple(reversed(buckets)), usage) == breach


@settings(max_examples=100, deadline=None, derandomize=True)
@given(used=st.integers(0, 10_000), plan_status=st.sampled_from(["free", "expired", "active"]))
def test_free_lifestyle_is_always_exhausted_without_credits(used: int, plan_status: str) -> None:
    user = after_trial(plan="free", plan_status=plan_status)
    breach = check(user, (Bucket.LIFESTYLE,), {"lifestyle": used})
    assert breach is not None
    assert (breach.operation, breach.limit) == ("lifestyle", 0)
    with_credit = after_trial(plan="free", plan_status=plan_status, credits={"lifestyle": 1})
    assert check(with_credit, (Bucket.LIFESTYLE,), {"lifestyle": used}) is None


def test_missing_usage_counts_as_zero() -> None:
    assert check(after_trial(), PROCESSING_BUCKETS, {}) is None


def test_credits_lift_an_exhausted_bucket() -> None:
    usage = {"ai_drafts": 500}
    assert check(after_trial(credits={"ai_drafts": 1}), PROCESSING_BUCKETS, usage) is None
    breach = check(after_trial(credits={"ai_drafts": 0}), PROCESSING_BUCKETS, usage)
    assert breach is not None
    assert breach.addon_credits == 0


# --- daily ceilings --------------------------------------------------------------------------

daily_usage = st.builds(
    DailyUsage,
    gemini_calls=st.integers(0, 400),
    serp_api_calls=st.integers(0, 200),
    photoroom_calls=st.integers(0, 400),
    cost_usd=st.decimals(min_value=0, max_value=30, places=4),
)
ceilings = st.builds(
    DailyCeilings,
    gemini_calls=st.none() | st.integers(0, 400),
    serp_api_calls=st.none() | st.integers(0, 200),
    photoroom_calls=st.none() | st.integers(0, 400),
    cost_usd=st.none() | st.decimals(min_value=0, max_value=30, places=2),
)
MONEY = re.compile(r"^\d+\.\d{2}$")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(usage=daily_usage, limits=ceilings)
def test_daily_ceilings_in_order(usage: DailyUsage, limits: DailyCeilings) -> None:
    exceeded = [
        r.value
        for r in DAILY_ORDER
        if getattr(limits, r.value) is not None
        and getattr(usage, r.value) >= getattr(limits, r.value)
    ]
    breach = check_daily(usage, limits)
    if not exceeded:
        assert breach is None
        return
    assert breach is not None
    assert breach.operation == f"daily_{exceeded[0]}"
    assert breach.addon_credits == 0
    if exceeded[0] == "cost_usd":
        assert isinstance(breach.used, str)
        assert MONEY.match(breach.used)
        assert isinstance(breach.limit, str)
        assert MONEY.match(breach.limit)
        assert Decimal(breach.limit) == limits.cost_usd
    else:
        assert breach.used == getattr(usage, exceeded[0])
        assert breach.limit == getattr(limits, exceeded[0])
        assert isinstance(breach.used, int)
        assert isinstance(breach.limit, int)


def test_daily_cost_decimal_strings() -> None:
    breach = check_daily(DailyUsage(cost_usd=Decimal("10.02")), DailyCeilings())
    assert breach is not None
    assert (breach.operation, breach.used, breach.limit) == ("daily_cost_usd", "10.02", "10.00")
    assert check_daily(DailyUsage(cost_usd=Decimal("9.99")), DailyCeilings()) is None


def test_default_ceilings() -> None:
    defaults = DailyCeilings()
    assert (defaults.gemini_calls, defaults.serp_api_calls, defaults.photoroom_calls) == (
        200,
        100,
        200,
    )
    assert defaults.cost_usd == Decimal("10.00")
    breach = check_daily(DailyUsage(gemini_calls=200, serp_api_calls=100), defaults)
    assert breach is not None
    assert breach.operation == "daily_gemini_calls"


def test_monthly_buckets_before_daily_ceilings() -> None:
    breach = check(
        after_trial(),
        PROCESSING_BUCKETS,
        {"price_research": 5},
        daily=DailyUsage(gemini_calls=1000),
        ceilings=DailyCeilings(),
    )
    assert breach is not None
    assert breach.operation == "price_research"
    daily_only = check(
        after_trial(),
        PROCESSING_BUCKETS,
        {},
        daily=DailyUsage(photoroom_calls=1000),
        ceilings=DailyCeilings(),
    )
    assert daily_only is not None
    assert daily_only.operation == "daily_photoroom_calls"


def test_daily_ceilings_apply_during_the_trial() -> None:
    user = make_user(trial_ends_at=NOW + timedelta(days=1))
    breach = check(
        user,
        (Bucket.LIFESTYLE,),
        {},
        daily=DailyUsage(serp_api_calls=100),
        ceilings=DailyCeilings(),
    )
    assert breach is not None
    assert breach.operation == "daily_serp_api_calls"


# --- add-on credit consumption (Q-A7) --------------------------------------------------------


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    used_before=st.integers(0, 300),
    quantity=st.integers(0, 50),
    limit=st.integers(0, 200),
    credits=st.integers(-10, 100),
)
def test_credits_to_consume_bounds(
    used_before: int, quantity: int, limit: int, credits: int
) -> None:
    consumed = credits_to_consume(used_before, quantity, limit, credits)
    overage = max(0, used_before + quantity - limit) - max(0, used_before - limit)
    assert consumed >= 0
    assert consumed <= overage <= quantity
    assert consumed <= max(0, credits)
    assert consumed == min(max(0, credits), overage)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    used_before=st.integers(0, 100),
    quantities=st.lists(st.integers(0, 10), max_size=8),
    limit=st.integers(0, 100),
)
def test_credits_are_consumed_one_overage_event_at_a_time(
    used_before: int, quantities: list[int], limit: int
) -> None:
    """With ample credits, consuming in steps equals consuming the total at once."""
    ample = 10_000
    used, stepwise = used_before, 0
    for quantity in quantities:
        stepwise += credits_to_consume(used, quantity, limit, ample)
        used += quantity
    assert stepwise == credits_to_consume(used_before, sum(quantities), limit, ample)


def test_allowance_is_used_before_credits() -> None:
    assert credits_to_consume(45, 10, 50, 100) == 5
    assert credits_to_consume(10, 10, 50, 100) == 0
    assert credits_to_consume(60, 3, 50, 2) == 2
    assert credits_to_consume(60, 3, 50, 0) == 0


# --- windows ---------------------------------------------------------------------------------

aware_datetimes = st.builds(
    lambda naive, minutes: naive.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 12, 31)),
    st.integers(-14 * 60, 14 * 60),
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(aware_datetimes)
def test_month_window(now: datetime) -> None:
    start, end = month_window(now)
    assert start <= now < end
    assert start.tzinfo is not None
    assert start.utcoffset() == timedelta(0)
    assert (start.day, start.hour, start.minute, start.second, start.microsecond) == (1, 0, 0, 0, 0)
    assert (end.day, end.hour, end.minute, end.second, end.microsecond) == (1, 0, 0, 0, 0)
    assert 28 <= (end - start).days <= 31
    utc_now = now.astimezone(UTC)
    assert (start.year, start.month) == (utc_now.year, utc_now.month)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(aware_datetimes)
def test_day_window(now: datetime) -> None:
    start, end = day_window(now)
    assert start <= now < end
    assert end - start == timedelta(days=1)
    assert start.utcoffset() == timedelta(0)
    assert start.date() == now.astimezone(UTC).date()
    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (
            datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
        ),
        (
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
        ),
        # 00:30 on 1 May in UTC+2 is still April in UTC.
        (
            datetime(2026, 5, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 4, 1, tzinfo=UTC),
            datetime(2026, 5, 1, tzinfo=UTC),
        ),
    ],
)
def test_month_window_examples(now: datetime, start: datetime, end: datetime) -> None:
    assert month_window(now) == (start, end)
