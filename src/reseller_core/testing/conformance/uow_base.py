"""The base every unit-of-work conformance mixin builds on: the fixture and the helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from reseller_core.domain.products import Product
from reseller_core.domain.users import User
from reseller_core.ports.unit_of_work import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.testing.conformance.uow_builders import (
    build_product,
    build_user,
)

T = TypeVar("T")


class UnitOfWorkSuiteBase:
    """The ``uow_factory`` fixture an adapter's test class provides, and shared helpers."""

    pytestmark = pytest.mark.asyncio

    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        raise NotImplementedError("provide a `uow_factory` fixture")

    async def in_uow(
        self, factory: UnitOfWorkFactory, work: Callable[[UnitOfWork], Awaitable[T]]
    ) -> T:
        """Run ``work`` in a fresh unit of work and commit."""
        async with factory() as uow:
            result = await work(uow)
            await uow.commit()
        return result

    async def read(
        self, factory: UnitOfWorkFactory, work: Callable[[UnitOfWork], Awaitable[T]]
    ) -> T:
        """Run ``work`` in a fresh unit of work that is left without committing."""
        async with factory() as uow:
            return await work(uow)

    async def given_user(self, factory: UnitOfWorkFactory, **overrides: Any) -> User:
        user = build_user(**overrides)
        await self.in_uow(factory, lambda uow: uow.users.add(user))
        return user

    async def given_product(
        self, factory: UnitOfWorkFactory, user: User, **overrides: Any
    ) -> Product:
        product = build_product(user, **overrides)
        await self.in_uow(factory, lambda uow: uow.products.add(product))
        return product
