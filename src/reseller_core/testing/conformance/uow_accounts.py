"""Unit-of-work conformance: users, API and confirmation tokens, product tabs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from reseller_core.domain.users import User
from reseller_core.errors import Conflict
from reseller_core.ports.unit_of_work import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import (
    T0,
    assert_utc,
    build_confirmation,
    build_tab,
    build_token,
    build_user,
    new_id,
)


class AccountConformance(UnitOfWorkSuiteBase):
    """Users, their tokens and their tabs."""

    async def test_user_round_trip(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user(
            confirmed_at=T0 + timedelta(microseconds=250_001),
            selected_marketplaces=("poshmark", "ebay"),
            plan="starter",
            plan_status="active",
            plan_period="monthly",
            plan_expires_at=T0 + timedelta(days=30),
            trial_ends_at=T0 + timedelta(days=7),
            addon_credits={"ai_drafts": 3, "lifestyle": 10},
        )
        await self.in_uow(uow_factory, lambda uow: uow.users.add(user))
        stored = await self.read(uow_factory, lambda uow: uow.users.get(user.id))
        assert stored == user
        assert stored is not None
        for value in (stored.confirmed_at, stored.created_at, stored.plan_expires_at):
            assert_utc(value)
        by_email = await self.read(uow_factory, lambda uow: uow.users.get_by_email(user.email))
        assert by_email == user
        assert await self.read(uow_factory, lambda uow: uow.users.get(new_id())) is None

    async def test_offset_timestamps_are_the_same_instant(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        paris = timezone(timedelta(hours=2))
        user = build_user(confirmed_at=datetime(2026, 3, 10, 14, 0, tzinfo=paris))
        await self.in_uow(uow_factory, lambda uow: uow.users.add(user))
        stored = await self.read(uow_factory, lambda uow: uow.users.get(user.id))
        assert stored is not None
        assert stored.confirmed_at == T0

    async def test_user_update(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        changed = msgspec.structs.replace(
            user,
            confirmed_at=T0 + timedelta(hours=1),
            plan="pro",
            addon_credits={"videos": 2},
            updated_at=T0 + timedelta(hours=1),
        )
        await self.in_uow(uow_factory, lambda uow: uow.users.update(changed))
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) == changed

    async def test_a_second_writer_of_a_locked_user_waits_and_reads_the_first(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        changed = msgspec.structs.replace(user, plan="pro", updated_at=T0 + timedelta(hours=1))
        locked, release = asyncio.Event(), asyncio.Event()
        order: list[str] = []

        async def first() -> None:
            async with uow_factory() as uow:
                await uow.users.lock(user.id)
                locked.set()
                await release.wait()
                await uow.users.update(changed)
                # Recorded before the commit: once the commit releases the lock, the
                # second writer may run before this coroutine resumes.
                order.append("first")
                await uow.commit()

        async def second() -> User | None:
            await locked.wait()
            async with uow_factory() as uow:
                await uow.users.lock(user.id)
                order.append("second")
                return await uow.users.get(user.id)

        writers = asyncio.gather(first(), second())
        await locked.wait()
        await asyncio.sleep(0.2)
        assert order == [], "the second writer went ahead of the lock"
        release.set()
        _, seen = await asyncio.wait_for(writers, timeout=10)
        assert order == ["first", "second"]
        assert seen == changed, "after the wait, the second reads what the first wrote"

    async def test_email_is_unique(self, uow_factory: UnitOfWorkFactory) -> None:
        first = await self.given_user(uow_factory)
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.users.add(build_user(email=first.email))

        async def add_twins() -> None:
            async with uow_factory() as uow:
                twin = build_user()
                await uow.users.add(twin)
                await uow.users.add(build_user(email=twin.email))

        with pytest.raises(Conflict):
            await add_twins()
        other = await self.given_user(uow_factory)
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.users.update(msgspec.structs.replace(other, email=first.email))
        assert await self.read(uow_factory, lambda uow: uow.users.get(other.id)) == other

    async def test_authenticate_reads_the_live_token_and_touch_stamps_it(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        token = build_token(user)
        await self.in_uow(uow_factory, lambda uow: uow.tokens.add(token))
        now = T0 + timedelta(days=1)
        found = await self.in_uow(
            uow_factory, lambda uow: uow.tokens.authenticate(token.token_hash, now)
        )
        assert found is not None
        got_token, got_user = found
        assert got_user == user
        assert got_token == token  # a pure read: nothing stamped
        await self.in_uow(uow_factory, lambda uow: uow.tokens.touch(token.id, now))
        again = await self.read(
            uow_factory, lambda uow: uow.tokens.authenticate(token.token_hash, now)
        )
        assert again is not None
        assert again[0] == msgspec.structs.replace(token, last_used_at=now)

    async def test_authenticate_rejects_expired_revoked_and_unknown(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        expired = build_token(user, expires_at=T0)
        revoked = build_token(user)

        async def setup(uow: UnitOfWork) -> None:
            await uow.tokens.add(expired)
            await uow.tokens.add(revoked)
            await uow.tokens.revoke(revoked.id)

        await self.in_uow(uow_factory, setup)
        for token_hash in (expired.token_hash, revoked.token_hash, "unknown-hash"):
            async with uow_factory() as uow:
                assert await uow.tokens.authenticate(token_hash, T0) is None, token_hash
        live_before = await self.read(
            uow_factory,
            lambda uow: uow.tokens.authenticate(expired.token_hash, T0 - timedelta(seconds=1)),
        )
        assert live_before is not None

    async def test_token_hash_is_unique(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        token = build_token(user)
        await self.in_uow(uow_factory, lambda uow: uow.tokens.add(token))
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.tokens.add(build_token(user, token_hash=token.token_hash))

    async def test_confirmation_tokens(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        older = build_confirmation(user, created_at=T0 - timedelta(hours=2))
        first = build_confirmation(user, created_at=T0)
        second = build_confirmation(user, created_at=T0 + timedelta(minutes=5))

        async def setup(uow: UnitOfWork) -> None:
            for token in (older, second, first):
                await uow.tokens.add_confirmation(token)

        await self.in_uow(uow_factory, setup)
        found = await self.read(
            uow_factory, lambda uow: uow.tokens.find_confirmation(first.token_hash)
        )
        assert found == first
        assert await self.read(uow_factory, lambda uow: uow.tokens.find_confirmation("x")) is None
        sends = await self.read(
            uow_factory,
            lambda uow: uow.tokens.confirmation_sends_since(user.id, T0 - timedelta(hours=1)),
        )
        assert sends == [first.created_at, second.created_at]

        used_at = T0 + timedelta(minutes=10)
        assert await self.in_uow(
            uow_factory, lambda uow: uow.tokens.use_confirmation(first.id, used_at)
        )
        assert not await self.in_uow(
            uow_factory, lambda uow: uow.tokens.use_confirmation(first.id, used_at)
        )
        invalidated_at = T0 + timedelta(minutes=20)
        await self.in_uow(
            uow_factory, lambda uow: uow.tokens.invalidate_confirmations(user.id, invalidated_at)
        )
        async with uow_factory() as uow:
            stored = [
                await uow.tokens.find_confirmation(token.token_hash)
                for token in (older, first, second)
            ]
        assert [token.used_at if token else None for token in stored] == [
            invalidated_at,
            used_at,
            invalidated_at,
        ]
        assert not await self.read(
            uow_factory, lambda uow: uow.tokens.use_confirmation(second.id, used_at)
        )

    # -- tabs --------------------------------------------------------------------------------

    async def test_tabs_are_listed_by_position_then_creation(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        tabs = [build_tab(user, "B", 2), build_tab(user, "A", 1), build_tab(user, "C", 2)]
        foreign = build_tab(stranger, "A", 1)

        async def setup(uow: UnitOfWork) -> None:
            for tab in [*tabs, foreign]:
                await uow.tabs.add(tab)

        await self.in_uow(uow_factory, setup)
        listed = await self.read(uow_factory, lambda uow: uow.tabs.list(user.id))
        assert listed == sorted(tabs, key=lambda tab: (tab.position, tab.id))
        assert (
            await self.read(uow_factory, lambda uow: uow.tabs.get(user.id, tabs[0].id)) == tabs[0]
        )
        assert await self.read(uow_factory, lambda uow: uow.tabs.get(user.id, foreign.id)) is None
