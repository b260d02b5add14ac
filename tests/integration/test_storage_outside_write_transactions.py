"""Use cases talk to storage with no write transaction open.

On SQLite a write transaction holds the database's one write lock (``BEGIN IMMEDIATE``),
so a storage call inside it would stall every other writer for as long as storage takes.
Here storage holds one call (finalize's ``HEAD``, the upload signing of create and of
prepare) until released, and another seller's write on the same database completes in the
meantime; once released, the held use case completes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase, upgrade
from reseller_core.commands import (
    CreateProduct,
    FinalizeItem,
    FinalizeUploads,
    PrepareUploads,
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
from tests.slow_storage import HeldStorage

WRITE_GUARD_S = 60
"""Only a guard against hanging for ever if the write lock were held: not a timing claim."""
INTENT = UploadIntent(filename="shoe.jpg", content_type="image/jpeg", byte_size=1000)


@dataclass
class World:
    storage: HeldStorage
    products: ProductService
    first: User
    second: User


@pytest.fixture
async def fx_database(tmp_path: Path) -> AsyncIterator[SqlAlchemyDatabase]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reseller.db'}"
    await asyncio.to_thread(upgrade, url)
    database = SqlAlchemyDatabase(url)
    yield database
    await database.dispose()


async def world(database: SqlAlchemyDatabase, operation: str) -> World:
    clock, ids, config = FixedClock(), SequentialIds(), CoreConfig()
    storage = HeldStorage(operation=operation)
    accounts = AccountService(
        uow=database.unit_of_work,
        reader=database.read_unit_of_work,
        rate_limiter=RecordingRateLimiter(clock),
        mailer=MemoryMailer(),
        hasher=PlainPasswordHasher(),
        clock=clock,
        ids=ids,
        marketplaces={},
        config=config,
    )
    products = ProductService(
        uow=database.unit_of_work,
        reader=database.read_unit_of_work,
        storage=storage,  # type: ignore[arg-type]
        queue=RecordingTaskQueue(),
        clock=clock,
        ids=ids,
        config=config,
    )
    users = []
    for email in ("first@example.com", "second@example.com"):
        await accounts.register(Register(email=email, password="correct horse battery"))
        users.append(await accounts.confirm_email(email))
    return World(storage=storage, products=products, first=users[0], second=users[1])


async def finalize(w: World) -> Callable[[], Awaitable[Any]]:
    created = await w.products.create(w.first, CreateProduct(uploads=(INTENT,)))
    (instruction,) = created.upload_instructions
    w.storage.inner.put_object_directly(instruction.storage_key, b"x" * 1000, "image/jpeg")
    command = FinalizeUploads(
        product_id=created.view.product.id, uploads=(FinalizeItem(id=instruction.image_id),)
    )
    return lambda: w.products.finalize_uploads(w.first, command)


async def create(w: World) -> Callable[[], Awaitable[Any]]:
    """With a SKU, whose uniqueness is read from the database before anything is signed."""
    command = CreateProduct(product=SellerFields(sku="LAMP-1"), uploads=(INTENT,))
    return lambda: w.products.create(w.first, command)


async def prepare(w: World) -> Callable[[], Awaitable[Any]]:
    created = await w.products.create(w.first, CreateProduct())
    command = PrepareUploads(product_id=created.view.product.id, uploads=(INTENT,))
    return lambda: w.products.prepare_uploads(w.first, command)


@pytest.mark.parametrize(
    ("operation", "use_case", "status"),
    [
        ("head", finalize, ProductStatus.PROCESSING),
        ("sign_upload", create, ProductStatus.UPLOADING),
        ("sign_upload", prepare, ProductStatus.DRAFT),
    ],
    ids=["finalize", "create", "prepare"],
)
async def test_another_write_completes_while_a_use_case_waits_on_storage(
    fx_database: SqlAlchemyDatabase,
    operation: str,
    use_case: Callable[[World], Awaitable[Callable[[], Awaitable[Any]]]],
    status: ProductStatus,
) -> None:
    w = await world(fx_database, operation)
    call = await use_case(w)
    w.storage.hold()
    held = asyncio.create_task(call())
    await w.storage.held.wait()
    other = await asyncio.wait_for(
        w.products.create(w.second, CreateProduct(product=SellerFields(title="Lamp"))),
        WRITE_GUARD_S,
    )
    assert other.view.product.status == ProductStatus.DRAFT
    assert not held.done()

    w.storage.release()
    result = await held
    assert result.view.product.status == status
