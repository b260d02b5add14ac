"""Finalize asks storage about the uploaded objects with no write transaction open.

On SQLite a write transaction holds the database's one write lock (``BEGIN IMMEDIATE``),
so a storage call inside it would stall every other writer for as long as storage takes.
Here storage holds finalize's ``HEAD`` until released, and another seller's write on the
same database completes in the meantime.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase, upgrade
from reseller_core.commands import (
    CreateProduct,
    FinalizeItem,
    FinalizeUploads,
    Register,
    SellerFields,
    UploadIntent,
)
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.users import User
from reseller_core.services.accounts import AccountService
from reseller_core.services.config import CoreConfig
from reseller_core.services.products import ProductService
from reseller_core.testing import (
    MemoryMailer,
    PlainPasswordHasher,
    RecordingRateLimiter,
    RecordingTaskQueue,
)
from reseller_core.testing.fakes import FixedClock, SequentialIds
from tests.slow_storage import HeldHeadStorage

WRITE_GUARD_S = 60
"""Only a guard against hanging for ever if the write lock were held: not a timing claim."""


@pytest.fixture
async def fx_database(tmp_path: Path) -> AsyncIterator[SqlAlchemyDatabase]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reseller.db'}"
    await asyncio.to_thread(upgrade, url)
    database = SqlAlchemyDatabase(url)
    yield database
    await database.dispose()


async def seller(accounts: AccountService, email: str) -> User:
    await accounts.register(Register(email=email, password="correct horse battery"))
    return await accounts.confirm_email(email)


async def test_another_write_completes_while_finalize_waits_on_storage(
    fx_database: SqlAlchemyDatabase,
) -> None:
    clock, ids, config = FixedClock(), SequentialIds(), CoreConfig()
    storage = HeldHeadStorage()
    accounts = AccountService(
        uow=fx_database.unit_of_work,
        reader=fx_database.read_unit_of_work,
        rate_limiter=RecordingRateLimiter(clock),
        mailer=MemoryMailer(),
        hasher=PlainPasswordHasher(),
        clock=clock,
        ids=ids,
        marketplaces={},
        config=config,
    )
    products = ProductService(
        uow=fx_database.unit_of_work,
        reader=fx_database.read_unit_of_work,
        storage=storage,
        queue=RecordingTaskQueue(),
        clock=clock,
        ids=ids,
        config=config,
    )
    first = await seller(accounts, "first@example.com")
    second = await seller(accounts, "second@example.com")
    intent = UploadIntent(filename="shoe.jpg", content_type="image/jpeg", byte_size=1000)
    created = await products.create(first, CreateProduct(uploads=(intent,)))
    (instruction,) = created.upload_instructions
    storage.inner.put_object_directly(instruction.storage_key, b"x" * 1000, "image/jpeg")

    storage.hold()
    finalize = asyncio.create_task(
        products.finalize_uploads(
            first,
            FinalizeUploads(
                product_id=created.view.product.id,
                uploads=(FinalizeItem(id=instruction.image_id),),
            ),
        )
    )
    await storage.held.wait()
    other = await asyncio.wait_for(
        products.create(second, CreateProduct(product=SellerFields(title="Lamp"))),
        WRITE_GUARD_S,
    )
    assert other.view.product.status == ProductStatus.DRAFT
    assert not finalize.done()

    storage.release()
    result = await finalize
    assert result.view.product.status == ProductStatus.PROCESSING
    assert result.run is not None
