"""Usage accounting: what the seller is charged for, and the provider calls behind it.

Two records, two rules:

- A **usage event** (decision Q-A6) per finished unit of work a plan counts (a draft, a
  price research, a background removal). It is written in the stage's own unit of work,
  with the progress marker that makes the stage skip on resume, so it is recorded exactly
  once per run and bucket. Beyond the plan it consumes an add-on credit (Q-A7).
- A **provider call** per request to a paid provider, for the daily safety ceilings
  (spec 10 §5.4). Recording is best-effort (§5.1): it is written in its own short unit of
  work, so a stage that later fails still leaves its calls counted, and a failure to write
  it is logged and never interrupts the run. Calls to an adapter that declares itself free
  (``free = True``: the offline ones) cost nothing and are not recorded, so they count
  against no ceiling.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

import msgspec

from reseller_core.domain.costs import estimate_cost
from reseller_core.domain.plans import (
    PLANS,
    Bucket,
    credits_to_consume,
    effective_plan,
    month_window,
)
from reseller_core.ports import (
    AIProviderError,
    Clock,
    IdFactory,
    ProviderCall,
    UnitOfWork,
    UnitOfWorkFactory,
    UsageEvent,
)
from reseller_core.ports.usage import (
    MeteredProvider,
    ProviderUsage,
    charges_nothing,
    collect_usage,
)
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.context import RunContext
from reseller_core.services.user_lock import locked_user

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def record_unit(uow: UnitOfWork, event: UsageEvent, *, trial_limits_plan: str) -> None:
    """Record ``event`` (one unit) in the caller's unit of work; beyond the user's plan
    limit for its bucket it consumes an add-on credit (decision Q-A7).

    A user who holds credits for the bucket is locked and read again before the month is
    counted, so two units recorded at once (two runs of one seller) take turns: the second
    counts the first's unit and sees the balance it left, and a credit is never spent twice
    or left undeducted. Callers record the unit before their other writes, so the user's
    lock comes first, in the order a finalize takes it (the user, then the product).
    """
    user = await uow.users.get(event.user_id)
    if user is not None and int(user.addon_credits.get(event.bucket, 0)) > 0:
        user = await locked_user(uow, user.id)
    if user is not None:
        credits = int(user.addon_credits.get(event.bucket, 0))
        if credits > 0:
            start, end = month_window(event.created_at)
            monthly = await uow.usage.monthly_counts(user.id, start, end)
            used = int(monthly.get(event.bucket, 0))
            limits = PLANS[effective_plan(user, event.created_at, trial_limits_plan)]
            consume = credits_to_consume(used, 1, limits.for_bucket(Bucket(event.bucket)), credits)
            if consume > 0:
                balance = {**user.addon_credits, event.bucket: credits - consume}
                await uow.users.update(
                    msgspec.structs.replace(
                        user, addon_credits=balance, updated_at=event.created_at
                    )
                )
    await uow.usage.record(event)


class UsageMeter:
    """Records a run's usage events and provider calls."""

    def __init__(
        self, *, uow: UnitOfWorkFactory, ids: IdFactory, clock: Clock, config: CoreConfig
    ) -> None:
        self._uow = uow
        self._ids = ids
        self._clock = clock
        self._config = config

    async def record_usage(
        self, uow: UnitOfWork, ctx: RunContext, bucket: Bucket, now: datetime
    ) -> None:
        """One usage event in the caller's unit of work, consuming an add-on credit if due."""
        await record_unit(
            uow,
            UsageEvent(
                id=self._ids.new_id(),
                user_id=ctx.user_id,
                product_id=ctx.product_id,
                run_id=ctx.run_id,
                bucket=bucket.value,
                quantity=1,
                created_at=now,
            ),
            trial_limits_plan=self._config.trial_limits_plan,
        )

    async def metered(
        self,
        ctx: RunContext,
        call: Awaitable[T],
        *,
        provider: MeteredProvider,
        role: str,
        operation: str,
    ) -> T:
        """Await ``call`` and record it (success or error) against the user's daily usage.

        ``provider`` is the adapter making the call; a free one's calls are not recorded.

        ``role`` is one of ``llm``, ``search``, ``image_editor`` (see
        ``reseller_core.domain.plans.DAILY_RESOURCE_BY_ROLE``). The row's ``cost_usd`` is
        estimated (spec 10 §5.5) from what the adapter reported while the call ran
        (``reseller_core.ports.usage``): token counts, or a flat per-request price.
        """
        if charges_nothing(provider):
            return await call
        started = time.monotonic()
        status, error_code = "success", None
        usages: list[ProviderUsage] = []
        try:
            with collect_usage() as usages:
                return await call
        except AIProviderError as exc:
            status, error_code = "error", exc.code
            raise
        except Exception as exc:
            status, error_code = "error", type(exc).__name__
            raise
        finally:
            duration_ms = int((time.monotonic() - started) * 1000)
            await self._record_call(
                ProviderCall(
                    id=self._ids.new_id(),
                    user_id=ctx.user_id,
                    product_id=ctx.product_id,
                    provider=provider.name,
                    role=role,
                    operation=operation,
                    status=status,
                    cost_usd=estimate_cost(usages),
                    duration_ms=duration_ms,
                    error_code=error_code,
                    created_at=self._clock.now(),
                )
            )

    async def _record_call(self, call: ProviderCall) -> None:
        try:
            async with self._uow() as uow:
                await uow.usage.record_call(call)
                await uow.commit()
        except Exception:
            logger.warning(
                "could not record the %s call of product %s", call.operation, call.product_id
            )
