"""Unit-of-work conformance: commit, rollback and isolation of one unit of work."""

from __future__ import annotations

import pytest

from reseller_core.ports.unit_of_work import (
    UnitOfWorkFactory,
)
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import (
    build_user,
)


class TransactionConformance(UnitOfWorkSuiteBase):
    """Commit persists; leaving without it, or with an exception, rolls back."""

    async def test_commit_persists(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user()
        async with uow_factory() as uow:
            await uow.users.add(user)
            await uow.commit()
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) == user

    async def test_exit_without_commit_rolls_back(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user()
        async with uow_factory() as uow:
            await uow.users.add(user)
            assert await uow.users.get(user.id) == user  # visible inside its own transaction
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) is None

    async def test_exception_rolls_back(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user()

        async def fail() -> None:
            async with uow_factory() as uow:
                await uow.users.add(user)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            await fail()
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) is None

    async def test_rollback_discards_and_work_continues(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        dropped, kept, uncommitted = build_user(), build_user(), build_user()
        async with uow_factory() as uow:
            await uow.users.add(dropped)
            await uow.rollback()
            await uow.users.add(kept)
            await uow.commit()
            await uow.users.add(uncommitted)  # after a commit: a new transaction, never committed
        assert await self.read(uow_factory, lambda uow: uow.users.get(dropped.id)) is None
        assert await self.read(uow_factory, lambda uow: uow.users.get(kept.id)) == kept
        assert await self.read(uow_factory, lambda uow: uow.users.get(uncommitted.id)) is None
