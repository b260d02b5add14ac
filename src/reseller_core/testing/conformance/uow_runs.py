"""Unit-of-work conformance: processing runs, their claims and the stale-run query."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from reseller_core.domain.runs import ProcessingRun, RunStatus, Step
from reseller_core.errors import Conflict
from reseller_core.ports.unit_of_work import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import (
    T0,
    build_run,
    new_id,
)


class RunConformance(UnitOfWorkSuiteBase):
    """Processing runs: one claim per attempt, stale runs found for the sweeper."""

    async def test_runs_add_get_update_and_latest(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        assert (
            await self.read(uow_factory, lambda uow: uow.runs.latest_for_product(product.id))
            is None
        )
        first = build_run(product, status=RunStatus.COMPLETED)
        second = build_run(product, created_at=T0 + timedelta(seconds=1))
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(first))
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(second))
        assert await self.read(uow_factory, lambda uow: uow.runs.get(first.id)) == first
        assert (
            await self.read(uow_factory, lambda uow: uow.runs.latest_for_product(product.id))
            == second
        )
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored is not None
        assert stored.latest_run_id == second.id

        finished = msgspec.structs.replace(
            second,
            status=RunStatus.FAILED,
            step=Step.PRICE_RESEARCHED,
            finished_at=T0 + timedelta(minutes=1),
            error_code="ai_rate_limited",
            error_message="slow down",
            payload={"retryable": True, "detail": {"stage": "price"}},
            updated_at=T0 + timedelta(minutes=1),
        )
        await self.in_uow(uow_factory, lambda uow: uow.runs.update(finished))
        assert await self.read(uow_factory, lambda uow: uow.runs.get(second.id)) == finished
        assert await self.read(uow_factory, lambda uow: uow.runs.get(new_id())) is None

    async def test_update_claimed_writes_only_under_the_same_claim(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        run = build_run(product, status=RunStatus.RUNNING, attempts=2)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(run))
        later = T0 + timedelta(seconds=5)
        progressed = msgspec.structs.replace(
            run, step=Step.RECOGNITION_COMPLETED, payload={"n": 1}, heartbeat_at=later
        )
        assert await self.in_uow(uow_factory, lambda uow: uow.runs.update_claimed(progressed))
        assert await self.read(uow_factory, lambda uow: uow.runs.get(run.id)) == progressed
        # Another worker's attempt, a finished run, a missing run: refused, nothing written.
        stale_attempt = msgspec.structs.replace(progressed, attempts=1, step=Step.PRICE_RESEARCHED)
        assert not await self.in_uow(
            uow_factory, lambda uow: uow.runs.update_claimed(stale_attempt)
        )
        assert await self.read(uow_factory, lambda uow: uow.runs.get(run.id)) == progressed
        completed = msgspec.structs.replace(progressed, status=RunStatus.COMPLETED)
        assert await self.in_uow(uow_factory, lambda uow: uow.runs.update_claimed(completed))
        after_finish = msgspec.structs.replace(completed, step=Step.PRICE_RESEARCHED)
        assert not await self.in_uow(uow_factory, lambda uow: uow.runs.update_claimed(after_finish))
        assert await self.read(uow_factory, lambda uow: uow.runs.get(run.id)) == completed
        missing = build_run(product, status=RunStatus.RUNNING)
        assert not await self.in_uow(uow_factory, lambda uow: uow.runs.update_claimed(missing))
        assert await self.read(uow_factory, lambda uow: uow.runs.get(missing.id)) is None

    async def test_claim_queued_run_once(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        run = build_run(product)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(run))
        now = T0 + timedelta(minutes=1)
        stale_before = now - timedelta(minutes=10)
        claimed = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, now, stale_before)
        )
        assert claimed == msgspec.structs.replace(
            run,
            status=RunStatus.RUNNING,
            heartbeat_at=now,
            started_at=now,
            attempts=1,
            updated_at=now,
        )
        assert await self.read(uow_factory, lambda uow: uow.runs.get(run.id)) == claimed
        later = now + timedelta(seconds=5)
        again = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, later, later - timedelta(minutes=10))
        )
        assert again is None
        assert await self.read(uow_factory, lambda uow: uow.runs.claim(new_id(), now, now)) is None

    async def test_claim_reclaims_stale_running_run(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        started = T0 + timedelta(minutes=1)
        run = build_run(
            product,
            status=RunStatus.RUNNING,
            started_at=started,
            heartbeat_at=started,
            attempts=1,
            updated_at=started,
        )
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(run))
        now = T0 + timedelta(minutes=30)
        fresh = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, now, started - timedelta(seconds=1))
        )
        assert fresh is None  # its heartbeat is recent enough: the worker is alive
        await self.in_uow(
            uow_factory, lambda uow: uow.runs.heartbeat(run.id, started + timedelta(minutes=5))
        )
        assert (
            await self.in_uow(
                uow_factory,
                lambda uow: uow.runs.claim(run.id, now, started + timedelta(minutes=4)),
            )
            is None
        )
        reclaimed = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, now, now - timedelta(minutes=10))
        )
        assert reclaimed is not None
        assert (reclaimed.status, reclaimed.attempts) == (RunStatus.RUNNING, 2)
        assert (reclaimed.started_at, reclaimed.heartbeat_at, reclaimed.updated_at) == (
            started,
            now,
            now,
        )

    async def test_finished_runs_are_not_claimable(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        runs = [
            build_run(product, status=status) for status in (RunStatus.COMPLETED, RunStatus.FAILED)
        ]

        async def setup(uow: UnitOfWork) -> None:
            for run in runs:
                await uow.runs.add(run)

        await self.in_uow(uow_factory, setup)
        far = T0 + timedelta(days=30)
        for run in runs:
            async with uow_factory() as uow:
                assert await uow.runs.claim(run.id, far, far) is None, run.status

    async def test_concurrent_claims_have_one_winner(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        run = build_run(product)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(run))
        now = T0 + timedelta(minutes=1)

        async def claim() -> ProcessingRun | None:
            return await self.in_uow(
                uow_factory, lambda uow: uow.runs.claim(run.id, now, now - timedelta(minutes=5))
            )

        results = await asyncio.gather(*(claim() for _ in range(4)))
        assert sum(result is not None for result in results) == 1
        stored = await self.read(uow_factory, lambda uow: uow.runs.get(run.id))
        assert stored is not None
        assert stored.attempts == 1

    async def test_one_active_run_per_product(self, uow_factory: UnitOfWorkFactory) -> None:
        """A second queued or running run of a product is a Conflict until the first ends."""
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        other = await self.given_product(uow_factory, user)
        first = build_run(product)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(first))
        for second in (build_run(product), build_run(product, status=RunStatus.RUNNING)):

            async def add_second(uow: UnitOfWork, run: ProcessingRun = second) -> None:
                await uow.runs.add(run)

            with pytest.raises(Conflict):
                await self.in_uow(uow_factory, add_second)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(build_run(other)))
        finished = build_run(product, status=RunStatus.FAILED)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(finished))
        done = msgspec.structs.replace(first, status=RunStatus.COMPLETED)
        await self.in_uow(uow_factory, lambda uow: uow.runs.update(done))
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(build_run(product)))

    async def test_concurrent_run_adds_admit_one(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)

        async def add() -> bool:
            try:
                await self.in_uow(uow_factory, lambda uow: uow.runs.add(build_run(product)))
            except Conflict:
                return False
            return True

        outcomes = await asyncio.gather(*(add() for _ in range(4)))
        assert sorted(outcomes) == [False, False, False, True]

    async def test_stale_runs(self, uow_factory: UnitOfWorkFactory) -> None:
        # A base far in the past keeps other tests' runs (on a shared database) out of the way.
        base = datetime(2001, 1, 1, tzinfo=UTC)
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        # One active run per product: each active run here has a product of its own.
        others = [await self.given_product(uow_factory, user) for _ in range(3)]

        def at(minutes: int) -> datetime:
            return base + timedelta(minutes=minutes)

        queued_old = build_run(product, created_at=at(0), updated_at=at(2))
        running_old = build_run(
            others[0], status=RunStatus.RUNNING, heartbeat_at=at(1), updated_at=at(9)
        )
        running_live = build_run(
            others[1], status=RunStatus.RUNNING, heartbeat_at=at(20), updated_at=at(1)
        )
        queued_new = build_run(others[2], updated_at=at(20))
        done_old = build_run(product, status=RunStatus.COMPLETED, updated_at=at(0))
        failed_old = build_run(
            product, status=RunStatus.FAILED, heartbeat_at=at(0), updated_at=at(0)
        )
        runs = [queued_old, running_old, running_live, queued_new, done_old, failed_old]

        async def setup(uow: UnitOfWork) -> None:
            for run in runs:
                await uow.runs.add(run)

        await self.in_uow(uow_factory, setup)
        mine = {run.id for run in runs}
        stale = await self.read(uow_factory, lambda uow: uow.runs.stale(at(10)))
        assert [run.id for run in stale if run.id in mine] == [running_old.id, queued_old.id]
        first = await self.read(uow_factory, lambda uow: uow.runs.stale(at(10), limit=1))
        assert [run.id for run in first] == [running_old.id]
