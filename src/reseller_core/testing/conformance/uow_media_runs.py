"""Conformance of the lifestyle-run repository (spec 30 §8.3, decision Q-M14), and the
checks every media-run repository (lifestyle, video) shares."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from reseller_core.domain.media_runs import LifestyleRun, LifestyleRunStatus
from reseller_core.domain.products import Product
from reseller_core.errors import Conflict
from reseller_core.ports.media_runs import MediaRunRepository
from reseller_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import T0, new_id


def build_lifestyle_run(product: Product, **overrides: Any) -> LifestyleRun:
    values: dict[str, Any] = {
        "id": new_id(),
        "product_id": product.id,
        "user_id": product.user_id,
        "status": LifestyleRunStatus.QUEUED.value,
        "step": "queued",
        "scene_family": "apparel",
        "prompt_version": "v1",
        "requested_count": 3,
        "created_at": T0,
        "updated_at": T0,
    }
    return LifestyleRun(**{**values, **overrides})


Runs = Callable[[UnitOfWork], MediaRunRepository[Any]]
"""Picks one kind of media-run repository from a unit of work."""


async def check_concurrent_adds_admit_one(
    suite: UnitOfWorkSuiteBase, uow_factory: UnitOfWorkFactory, runs: Runs, build: Callable[[], Any]
) -> None:
    """Four simultaneous adds of an active run for one product: exactly one succeeds."""

    async def add() -> bool:
        try:
            await suite.in_uow(uow_factory, lambda uow: runs(uow).add(build()))
        except Conflict:
            return False
        return True

    outcomes = await asyncio.gather(*(add() for _ in range(4)))
    assert sorted(outcomes) == [False, False, False, True]


async def check_claim_admits_one_worker_then_a_stale_one(
    suite: UnitOfWorkSuiteBase, uow_factory: UnitOfWorkFactory, runs: Runs, run: Any, step: str
) -> None:
    """A queued run is claimed once; a running one only once its heartbeat is stale."""
    await suite.in_uow(uow_factory, lambda uow: runs(uow).add(run))
    now = T0 + timedelta(seconds=10)
    window = timedelta(minutes=2)
    first = await suite.in_uow(uow_factory, lambda uow: runs(uow).claim(run.id, now, now - window))
    assert first is not None
    assert (first.status, first.step, first.started_at) == ("running", step, now)
    again = await suite.in_uow(uow_factory, lambda uow: runs(uow).claim(run.id, now, now - window))
    assert again is None
    stale = await suite.read(uow_factory, lambda uow: runs(uow).stale(now + timedelta(minutes=5)))
    assert run.id in {found.id for found in stale}
    later = now + timedelta(minutes=5)
    taken = await suite.in_uow(
        uow_factory, lambda uow: runs(uow).claim(run.id, later, later - window)
    )
    assert taken is not None and taken.heartbeat_at == later and taken.started_at == now


class LifestyleRunConformance(UnitOfWorkSuiteBase):
    async def test_lifestyle_runs_round_trip_newest_first(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        older = build_lifestyle_run(
            product,
            status="partial",
            step="lifestyle_partial",
            completed_count=2,
            model="gemini-2.5-flash-image",
            payload={"summary": "2 of 3", "scene_keys": ["model_studio"], "scene_results": []},
            error_code="lifestyle_partial_failure",
            finished_at=T0 + timedelta(seconds=5),
        )
        newer = build_lifestyle_run(product, created_at=T0 + timedelta(seconds=10))
        async with uow_factory() as uow:
            await uow.lifestyle_runs.add(older)
            await uow.lifestyle_runs.add(newer)
            await uow.commit()
        listed = await self.read(
            uow_factory, lambda uow: uow.lifestyle_runs.for_product(product.id)
        )
        assert listed == [newer, older]
        assert await self.read(uow_factory, lambda uow: uow.lifestyle_runs.get(older.id)) == older

    async def test_lifestyle_one_active_run_per_product(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        first = build_lifestyle_run(product)
        await self.in_uow(uow_factory, lambda uow: uow.lifestyle_runs.add(first))
        with pytest.raises(Conflict):
            await self.in_uow(
                uow_factory, lambda uow: uow.lifestyle_runs.add(build_lifestyle_run(product))
            )
        finished = msgspec.structs.replace(first, status="completed", step="lifestyle_generated")
        await self.in_uow(uow_factory, lambda uow: uow.lifestyle_runs.update(finished))
        await self.in_uow(
            uow_factory, lambda uow: uow.lifestyle_runs.add(build_lifestyle_run(product))
        )

    async def test_lifestyle_concurrent_adds_admit_one(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        await check_concurrent_adds_admit_one(
            self, uow_factory, lambda uow: uow.lifestyle_runs, lambda: build_lifestyle_run(product)
        )

    async def test_lifestyle_claim_admits_one_worker_then_a_stale_one(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        await check_claim_admits_one_worker_then_a_stale_one(
            self,
            uow_factory,
            lambda uow: uow.lifestyle_runs,
            build_lifestyle_run(product),
            "lifestyle_generating",
        )
