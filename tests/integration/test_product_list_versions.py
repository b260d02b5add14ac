"""The seller's product list version: database triggers move it with every committed change.

A kept page of ``GET /products`` is served again only while this number is unchanged, so
it must move with every change to the seller's products or documents, including writes
that bypass the application, and never with anything else. On PostgreSQL the triggers are
deferred to commit, so writers of one seller that lock rows in any order (the user row
first for a limit check, products in any order) never deadlock over the version row.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from benchmarks.dataset import seller
from sqlalchemy.ext.asyncio import create_async_engine

from reseller_adapters.persistence.sqlalchemy.tables import (
    product_documents,
    product_list_versions,
    products,
    users,
)
from reseller_core.commands import SellerFields
from reseller_entrypoints.embedded import ResellerCore
from tests.integration.conftest import core_on


async def _version_row(core: ResellerCore, user_id: str) -> int | None:
    """The seller's stored version, None when it has no row."""
    async with core.container.deps.reader() as uow:
        found = (
            await uow.execute(
                sa.select(product_list_versions.c.version).where(
                    product_list_versions.c.user_id == user_id
                )
            )
        ).scalar()
    return None if found is None else int(found)


async def _version(core: ResellerCore, user_id: str) -> int:
    """The seller's version as the page read sees it (0 without a row)."""
    return await _version_row(core, user_id) or 0


async def _raw(core: ResellerCore, *statements: sa.Executable) -> None:
    """Statements in one transaction that bypasses the repositories (a manual fix)."""
    async with core.container.deps.uow() as uow:
        for statement in statements:
            await uow.execute(statement)
        await uow.commit()


def test_the_version_moves_with_every_change_and_only_then(
    fx_engine_url: Callable[[str], str],
) -> None:
    async def scenario() -> None:
        async with core_on(fx_engine_url) as core:
            user, _ = await seller(core, f"v-{secrets.token_hex(4)}@example.test")
            other, _ = await seller(core, f"w-{secrets.token_hex(4)}@example.test")
            seen = [await _version(core, user.id)]

            async def moved() -> None:
                now = await _version(core, user.id)
                assert now not in seen
                seen.append(now)

            created = await core.create_product(user, SellerFields(title="Denim"))
            product_id = created.view.product.id
            await moved()
            await core.update_product(user, product_id, SellerFields(title="Denim jacket"))
            await moved()
            await _raw(
                core,
                sa.update(products)
                .where(products.c.id == product_id)
                .values(title="Edited elsewhere"),
            )
            await moved()
            await _raw(
                core,
                sa.delete(product_documents).where(product_documents.c.product_id == product_id),
            )
            await moved()
            await core.container.services.reads.repair([product_id])
            await moved()
            # Another seller's products, a token's last use and a profile change do not
            # move this seller's version.
            await core.create_product(other, SellerFields(title="Other"))
            async with core.container.deps.uow() as uow:
                await uow.execute(
                    sa.update(users).where(users.c.id == user.id).values(plan_status="active")
                )
                await uow.commit()
            assert await _version(core, user.id) == seen[-1]
            await core.delete_product(user, product_id)
            await moved()

    asyncio.run(scenario())


def test_deleting_a_seller_deletes_its_version(fx_engine_url: Callable[[str], str]) -> None:
    async def scenario() -> None:
        async with core_on(fx_engine_url) as core:
            user, _ = await seller(core, f"gone-{secrets.token_hex(4)}@example.test")
            await core.create_product(user, SellerFields(title="Denim"))
            assert await _version_row(core, user.id) is not None
            await _raw(core, sa.delete(users).where(users.c.id == user.id))
            assert await _version_row(core, user.id) is None

    asyncio.run(scenario())


@pytest.mark.postgres
def test_one_transaction_changes_the_version_once(fx_postgres_url: str) -> None:
    """The deferred triggers fire at commit (``SET CONSTRAINTS ALL IMMEDIATE`` fires them
    early); the second firing in one transaction leaves the version as the first set it."""

    async def scenario() -> None:
        async with core_on(lambda _dir: fx_postgres_url) as core:
            user, _ = await seller(core, f"once-{secrets.token_hex(4)}@example.test")
            for n in range(3):
                await core.create_product(user, SellerFields(title=f"Item {n}"))
            before = await _version(core, user.id)
            read = sa.select(product_list_versions.c.version).where(
                product_list_versions.c.user_id == user.id
            )
            change = sa.update(products).where(products.c.user_id == user.id)
            async with core.container.deps.uow() as uow:
                await uow.execute(change.values(notes="a"))
                assert (await uow.execute(read)).scalar() == before  # deferred to commit
                await uow.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
                first = (await uow.execute(read)).scalar()
                assert first != before
                await uow.execute(change.values(notes="b"))
                await uow.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
                assert (await uow.execute(read)).scalar() == first
                await uow.commit()
            assert await _version(core, user.id) == first

    asyncio.run(scenario())


@pytest.mark.postgres
def test_writers_of_one_seller_in_any_lock_order_never_deadlock(fx_postgres_url: str) -> None:
    """Transactions that lock the user row or not, then two products (in id order), all
    commit and change the version.

    With a trigger that locked the version row as soon as a product changed (not at
    commit), one writer would hold it while waiting for a product row that another holds
    while waiting for the version row.
    """
    transactions = 40

    async def scenario() -> None:
        async with core_on(lambda _dir: fx_postgres_url) as core:
            user, _ = await seller(core, f"race-{secrets.token_hex(4)}@example.test")
            ids = [
                (await core.create_product(user, SellerFields(title=f"Item {n}"))).view.product.id
                for n in range(4)
            ]
            before = await _version(core, user.id)
            engine = create_async_engine(fx_postgres_url, pool_size=8, max_overflow=0)
            rng = random.Random(7)
            plans = [(rng.random() < 0.5, sorted(rng.sample(ids, 2))) for _ in range(transactions)]

            async def write(lock_user: bool, order: list[str]) -> None:
                async with engine.begin() as connection:
                    if lock_user:
                        await connection.execute(
                            sa.select(users.c.id).where(users.c.id == user.id).with_for_update()
                        )
                    for product_id in order:
                        await connection.execute(
                            sa.update(products)
                            .where(products.c.id == product_id)
                            .values(notes=secrets.token_hex(2))
                        )
                        await asyncio.sleep(0.005)

            try:
                await asyncio.wait_for(
                    asyncio.gather(*(write(lock, order) for lock, order in plans)), timeout=60
                )
            finally:
                await engine.dispose()
            assert await _version(core, user.id) != before

    asyncio.run(scenario())
