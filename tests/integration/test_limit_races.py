"""Two finalizes at the last unit of an allowance, at the same moment: only one passes.

On the real adapters (SQLite and PostgreSQL): the limit check locks the user's row and
counts the units held by queued runs, so the second request waits for the first to commit
and then sees the run it queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from benchmarks.dataset import photo, upload_product

from reseller_adapters.persistence.sqlalchemy.usage_repository import SqlUsageRepository
from reseller_core.domain.runs import RunStatus
from reseller_core.domain.users import ConfirmationToken, User
from reseller_core.errors import InvalidProductState, LimitExceeded, ValidationFailed
from reseller_core.ports import UsageEvent
from reseller_core.services._tokens import token_digest
from reseller_core.services.processing.usage import record_unit
from reseller_entrypoints.embedded import ResellerCore

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fx_database_url(request: pytest.FixtureRequest) -> str | None:
    """None for a fresh SQLite file, else the session's PostgreSQL database."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("fx_postgres_url"))


@pytest.fixture
async def fx_core(fx_database_url: str | None) -> AsyncIterator[ResellerCore]:
    with tempfile.TemporaryDirectory() as data_dir:
        url = fx_database_url or f"sqlite+aiosqlite:///{data_dir}/reseller.db"
        core = await ResellerCore.open(url, data_dir, run_worker=False)
        try:
            yield core
        finally:
            await core.close()


async def test_two_finalizes_at_the_last_draft_cannot_both_pass(
    fx_core: ResellerCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"race-{secrets.token_hex(4)}@example.com"
    issued = await fx_core.register(email, PASSWORD)
    await fx_core.confirm_email(email)
    await fx_core.set_plan(email, "free")
    user = await fx_core.user(issued.user.id)
    async with fx_core.container.deps.uow() as uow:
        await uow.usage.record(
            UsageEvent(
                id=fx_core.container.deps.ids.new_id(),
                user_id=user.id,
                product_id=None,
                run_id=None,
                bucket="ai_drafts",
                quantity=4,
                created_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    products = [await upload_product(fx_core, user, {"title": "Lamp"}, [photo(n)]) for n in (1, 2)]

    # Each check waits (up to a second) for the other to reach the same point: without the
    # user's lock both would count the same usage and pass; with it, the second is still
    # waiting for the lock, so the first goes on alone.
    arrived: list[str] = []
    both_here = asyncio.Event()
    counts = SqlUsageRepository.monthly_counts

    async def meet(self: SqlUsageRepository, user_id: str, start: Any, end: Any) -> Any:
        arrived.append(user_id)
        if len(arrived) >= 2:
            both_here.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_here.wait(), 1.0)
        return await counts(self, user_id, start, end)

    monkeypatch.setattr(SqlUsageRepository, "monthly_counts", meet)
    outcomes = await asyncio.gather(
        *(fx_core.finalize_uploads(user, pid, images) for pid, images in products),
        return_exceptions=True,
    )
    passed = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, LimitExceeded)]
    assert len(passed) == 1 and len(refused) == 1, outcomes
    assert passed[0].run is not None
    assert (refused[0].operation, refused[0].used, refused[0].limit) == ("ai_drafts", 5, 5)
    report = await fx_core.usage(user)
    assert report.usage["ai_drafts"] == 4  # the admitted run has not recorded its draft yet


async def test_two_reprocess_requests_at_once_start_one_run(fx_core: ResellerCore) -> None:
    """Spec 20 §4.5 / issue guard: one active processing run per product, whoever wins."""
    email = f"twin-{secrets.token_hex(4)}@example.com"
    issued = await fx_core.register(email, PASSWORD)
    await fx_core.confirm_email(email)
    user = await fx_core.set_plan(email, "pro")
    product_id, images = await upload_product(fx_core, user, {"title": "Lamp"}, [photo(1)])
    finalized = await fx_core.finalize_uploads(user, product_id, images)
    assert finalized.run is not None
    await fx_core.container.services.pipeline.process(finalized.run.id)
    assert issued.user.id == user.id

    outcomes = await asyncio.gather(
        *(fx_core.reprocess(user, product_id) for _ in range(3)), return_exceptions=True
    )
    passed = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, InvalidProductState)]
    assert len(passed) == 1 and len(refused) == 2, outcomes
    async with fx_core.container.deps.reader() as uow:
        latest = await uow.runs.latest_for_product(product_id)
    assert latest is not None and latest.id == passed[0].run.id
    assert latest.status in (RunStatus.QUEUED, RunStatus.RUNNING)


async def test_two_units_beyond_the_plan_at_once_spend_two_credits(fx_core: ResellerCore) -> None:
    """Decision Q-A7 under concurrency: each unit beyond the plan consumes its own credit.

    The first unit's transaction stays open while the second is recorded. Without the
    user's lock the second would count the month and read the balance as they were before
    the first, and write the same balance back: two units, one credit deducted.
    """
    email = f"credits-{secrets.token_hex(4)}@example.com"
    issued = await fx_core.register(email, PASSWORD)
    await fx_core.confirm_email(email)
    await fx_core.set_plan(email, "free")
    await fx_core.add_credits(email, "ai_drafts", 5)
    deps = fx_core.container.deps
    trial_limits_plan = deps.config.trial_limits_plan

    def unit() -> UsageEvent:
        return UsageEvent(
            id=deps.ids.new_id(),
            user_id=issued.user.id,
            product_id=None,
            run_id=None,
            bucket="ai_drafts",
            quantity=1,
            created_at=datetime.now(UTC),
        )

    async with deps.uow() as uow:
        await uow.usage.record(msgspec.structs.replace(unit(), quantity=5))  # the plan's 5
        await uow.commit()

    recorded, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def first() -> None:
        async with deps.uow() as uow:
            await record_unit(uow, unit(), trial_limits_plan=trial_limits_plan)
            recorded.set()
            await release.wait()
            finished.append("first")
            await uow.commit()

    async def second() -> None:
        await recorded.wait()
        async with deps.uow() as uow:
            await record_unit(uow, unit(), trial_limits_plan=trial_limits_plan)
            await uow.commit()
            finished.append("second")

    both = asyncio.gather(first(), second())
    await recorded.wait()
    await asyncio.sleep(0.2)
    assert finished == [], "the second unit was recorded while the first was open"
    release.set()
    await asyncio.wait_for(both, timeout=10)
    assert finished == ["first", "second"]

    user = await fx_core.user(issued.user.id)
    assert user.addon_credits["ai_drafts"] == 3
    report = await fx_core.usage(user)
    assert report.usage["ai_drafts"] == 7


@pytest.mark.parametrize("change", ["marketplaces", "plan", "confirmation"])
async def test_a_change_to_the_user_while_a_unit_spends_a_credit_keeps_it_spent(
    fx_core: ResellerCore, change: str
) -> None:
    """A seller's settings, an operator's plan change or an address's confirmation writes
    the user's row back whole; it waits for the unit's transaction and reads the balance
    that unit left."""
    email = f"settings-{secrets.token_hex(4)}@example.com"
    issued = await fx_core.register(email, PASSWORD)
    if change != "confirmation":
        await fx_core.confirm_email(email)
    await fx_core.set_plan(email, "free")
    user = await fx_core.add_credits(email, "ai_drafts", 5)
    deps = fx_core.container.deps

    def unit(quantity: int) -> UsageEvent:
        return UsageEvent(
            id=deps.ids.new_id(),
            user_id=user.id,
            product_id=None,
            run_id=None,
            bucket="ai_drafts",
            quantity=quantity,
            created_at=datetime.now(UTC),
        )

    async with deps.uow() as uow:
        await uow.usage.record(unit(5))  # the plan's 5
        await uow.commit()

    recorded, release = asyncio.Event(), asyncio.Event()

    async def spend() -> None:
        async with deps.uow() as uow:
            await record_unit(uow, unit(1), trial_limits_plan=deps.config.trial_limits_plan)
            recorded.set()
            await release.wait()
            await uow.commit()

    async def write_user() -> Any:
        await recorded.wait()
        if change == "marketplaces":
            return await fx_core.set_marketplaces(user, ["ebay"])
        if change == "confirmation":
            return await fx_core.confirm_email(email)
        return await fx_core.set_plan(email, "free")

    both = asyncio.gather(spend(), write_user())
    await recorded.wait()
    await asyncio.sleep(0.2)
    release.set()
    _, written = await asyncio.wait_for(both, timeout=10)

    assert written.addon_credits["ai_drafts"] == 4
    stored = await fx_core.user(issued.user.id)
    assert stored.addon_credits["ai_drafts"] == 4
    if change == "marketplaces":
        assert stored.selected_marketplaces == ("ebay",)
    if change == "confirmation":
        assert stored.confirmed_at is not None


@pytest.mark.parametrize("confirmation", ["by token", "by the operator"])
async def test_a_confirmation_during_a_resend_takes_the_locks_in_the_resends_order(
    fx_core: ResellerCore, confirmation: str
) -> None:
    """A resend invalidates the user's tokens, then inserts one (whose key check locks the
    user on PostgreSQL). A confirmation that locked the user first and then waited for a
    token would wait in a cycle with it: PostgreSQL would abort one of the two."""
    email = f"resend-{secrets.token_hex(4)}@example.com"
    issued = await fx_core.register(email, PASSWORD)
    deps = fx_core.container.deps
    raw = secrets.token_urlsafe(16)
    now = datetime.now(UTC)

    def confirmation_token(secret: str) -> ConfirmationToken:
        return ConfirmationToken(
            id=deps.ids.new_id(),
            user_id=issued.user.id,
            token_hash=token_digest(secret),
            sent_to=email,
            expires_at=now + timedelta(hours=1),
            used_at=None,
            created_at=now,
        )

    async with deps.uow() as uow:
        await uow.tokens.add_confirmation(confirmation_token(raw))
        await uow.commit()

    invalidated, release = asyncio.Event(), asyncio.Event()

    async def resend() -> None:
        async with deps.uow() as uow:
            await uow.tokens.invalidate_confirmations(issued.user.id, now)
            invalidated.set()
            await release.wait()
            await uow.tokens.add_confirmation(confirmation_token(secrets.token_urlsafe(16)))
            await uow.commit()

    async def confirm() -> User:
        await invalidated.wait()
        if confirmation == "by token":
            return await fx_core.confirm(raw)
        return await fx_core.confirm_email(email)

    both = asyncio.gather(resend(), confirm(), return_exceptions=True)
    await invalidated.wait()
    await asyncio.sleep(0.2)  # the confirmation is waiting for a lock by now
    release.set()
    resent, confirmed = await asyncio.wait_for(both, timeout=10)
    assert resent is None, resent
    if confirmation == "by token":
        # The resend invalidated the token before the confirmation could use it.
        assert isinstance(confirmed, ValidationFailed), confirmed
    else:
        assert isinstance(confirmed, User) and confirmed.confirmed_at is not None, confirmed
