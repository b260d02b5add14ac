"""Plans and usage: what a seller has used this month, and the operator's plan changes.

``GET /me/usage`` reads the month's recorded usage beside the limits of the effective plan
(spec 10 §3.5). There is no billing provider: operators set a user's plan (with an optional
trial) and grant add-on credits, which are consumed once the monthly allowance is used up
(decision Q-A7, ``UsageMeter.record_usage``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from reseller_core.domain.plans import BUCKET_ORDER, PLANS, Bucket, effective_plan, month_window
from reseller_core.domain.users import Plan, PlanStatus, User, normalise_email
from reseller_core.errors import FieldErrors, NotFound, Unauthorized, ValidationFailed
from reseller_core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.user_lock import locked_user

PLAN_PERIODS = ("monthly", "annual")
MAX_TRIAL_DAYS = 366
MAX_CREDIT_GRANT = 1_000_000


class UsageReport(msgspec.Struct, frozen=True, kw_only=True):
    """The month's usage per bucket beside the effective plan's limits (spec 10 §3.5)."""

    usage: dict[str, int]
    limits: dict[str, int]
    addon_credits: dict[str, int]
    plan: str
    limits_plan: str
    period_start: datetime
    period_end: datetime


class PlanService:
    """Usage reads for sellers; plan and credit changes for operators."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        config: CoreConfig,
        reader: UnitOfWorkFactory | None = None,
    ) -> None:
        self._uow = uow
        self._reader = reader or uow
        self._clock = clock
        self._config = config

    async def usage(self, user_id: str) -> UsageReport:
        """This calendar month's recorded usage (UTC) and the limits that apply now."""
        now = self._clock.now()
        start, end = month_window(now)
        async with self._reader() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise Unauthorized()
            counts = await uow.usage.monthly_counts(user.id, start, end)
        limits_plan = effective_plan(user, now, self._config.trial_limits_plan)
        limits = PLANS[limits_plan]
        return UsageReport(
            usage={bucket.value: int(counts.get(bucket.value, 0)) for bucket in BUCKET_ORDER},
            limits={bucket.value: limits.for_bucket(bucket) for bucket in BUCKET_ORDER},
            addon_credits={key: int(value) for key, value in user.addon_credits.items()},
            plan=user.plan if user.plan in PLANS else Plan.FREE,
            limits_plan=limits_plan,
            period_start=start,
            period_end=end,
        )

    async def set_plan(
        self,
        email: str,
        plan: str,
        *,
        trial_days: int | None = None,
        period: str | None = None,
    ) -> User:
        """Operator action (``reseller users set-plan``): put a user on ``plan``.

        With ``trial_days`` the user is ``trialing`` until then (the trial plan's limits
        apply, spec 10 §6.2); otherwise ``free`` for the free plan and ``active`` for a paid
        one, with no expiry (no billing provider ends it).
        """
        errors: FieldErrors = {}
        if plan not in PLANS:
            errors["plan"] = [f"must be one of {', '.join(PLANS)}"]
        if trial_days is not None and not 1 <= trial_days <= MAX_TRIAL_DAYS:
            errors["trial_days"] = [f"must be between 1 and {MAX_TRIAL_DAYS}"]
        if period is not None and period not in PLAN_PERIODS:
            errors["period"] = [f"must be one of {', '.join(PLAN_PERIODS)}"]
        if period is not None and plan == Plan.FREE:
            errors["period"] = ["is not allowed on the free plan"]
        if errors:
            raise ValidationFailed(errors)
        now = self._clock.now().replace(microsecond=0)
        async with self._uow() as uow:
            user = await self._by_email(uow, email)
            user = await locked_user(uow, user.id) or user
            trial_ends_at: datetime | None
            if trial_days is not None:
                status, trial_ends_at = PlanStatus.TRIALING, now + timedelta(days=trial_days)
            else:
                status = PlanStatus.FREE if plan == Plan.FREE else PlanStatus.ACTIVE
                trial_ends_at = user.trial_ends_at
            updated = msgspec.structs.replace(
                user,
                plan=plan,
                plan_status=status,
                plan_period=period,
                plan_expires_at=None,
                trial_ends_at=trial_ends_at,
                updated_at=now,
            )
            await uow.users.update(updated)
            await uow.commit()
        return updated

    async def add_credits(self, email: str, bucket: str, amount: int) -> User:
        """Operator action (``reseller users add-credits``): add to a bucket's credit balance."""
        errors: FieldErrors = {}
        names = [item.value for item in Bucket]
        if bucket not in names:
            errors["operation"] = [f"must be one of {', '.join(names)}"]
        if not 1 <= amount <= MAX_CREDIT_GRANT:
            errors["amount"] = [f"must be between 1 and {MAX_CREDIT_GRANT}"]
        if errors:
            raise ValidationFailed(errors)
        async with self._uow() as uow:
            user = await self._by_email(uow, email)
            user = await locked_user(uow, user.id) or user
            balance = {**user.addon_credits}
            balance[bucket] = max(0, int(balance.get(bucket, 0))) + amount
            updated = msgspec.structs.replace(
                user, addon_credits=balance, updated_at=self._clock.now()
            )
            await uow.users.update(updated)
            await uow.commit()
        return updated

    @staticmethod
    async def _by_email(uow: UnitOfWork, email: str) -> User:
        user = await uow.users.get_by_email(normalise_email(email))
        if user is None:
            raise NotFound("User not found")
        return user
