"""A worker killed mid-import: the job delivered again finishes it, nothing is duplicated."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import timedelta

import pytest

from reseller_core.domain.transfers import ImportStatus
from reseller_core.services.transfers.jobs import IMPORT_JOB
from reseller_core.services.transfers.sweeper import TransferSweeper
from reseller_core.testing import memory_uow_factory
from tests.transfers.seeding import image_bytes
from tests.transfers.world import World


def _archive(count: int) -> bytes:
    out = io.BytesIO()
    products = [
        {"title": f"Product {i}", "sku": f"SKU-{i}", "images": [{"path": f"{i}.jpg"}]}
        for i in range(count)
    ]
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"products": products}))
        for i in range(count):
            archive.writestr(f"{i}.jpg", image_bytes("JPEG"))
    return out.getvalue()


async def test_killed_import_is_redone_without_duplicates() -> None:
    world = World()
    import_id = await world.store(_archive(6))
    real_put = world.storage.put
    puts = 0

    async def dying_put(key: str, data: bytes, *, content_type: str) -> None:
        nonlocal puts
        puts += 1
        if puts == 4:  # the worker dies while storing the 4th product's image
            raise asyncio.CancelledError
        await real_put(key, data, content_type=content_type)

    world.storage.put = dying_put  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await world.service.run(import_id)
    halfway = await world.record(import_id)
    assert halfway.status is ImportStatus.RUNNING and halfway.next_index == 3

    # A delivery while the first worker's heartbeat is fresh does nothing.
    world.storage.put = real_put  # type: ignore[method-assign]
    await world.service.run(import_id)
    assert (await world.record(import_id)).next_index == 3

    world.clock.advance(timedelta(minutes=5))  # past the heartbeat timeout: taken over
    await world.service.run(import_id)
    done = await world.record(import_id)
    assert done.status is ImportStatus.COMPLETED
    assert (done.total_products, done.imported_products, done.failed_products) == (6, 6, 0)
    products = world.db.snapshot().products
    assert len(products) == 6
    assert sorted(row.product.sku or "" for row in products.values()) == [
        f"SKU-{i}" for i in range(6)
    ]
    assert list(done.created_product_ids) == list(dict.fromkeys(done.created_product_ids))


async def test_restart_sweep_requeues_the_interrupted_import() -> None:
    world = World()
    import_id = await world.store(_archive(3))
    real_put = world.storage.put

    async def dying_put(key: str, data: bytes, *, content_type: str) -> None:
        raise asyncio.CancelledError

    world.storage.put = dying_put  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await world.service.run(import_id)
    world.storage.put = real_put  # type: ignore[method-assign]

    sweeper = TransferSweeper(
        uow=memory_uow_factory(world.db),
        queue=world.queue,
        storage=world.storage,
        clock=world.clock,
        config=world.config,
    )
    # An in-process queue restarting says "no worker owns anything": cutoff = now.
    world.clock.advance(seconds=1)
    assert await sweeper.sweep(stale_before=world.clock.now()) == 1
    world.queue.register(IMPORT_JOB, lambda args: world.service.run(str(args["import_id"])))
    await world.queue.run_all(raise_errors=True)
    done = await world.record(import_id)
    assert done.status is ImportStatus.COMPLETED and done.imported_products == 3


async def test_sweep_expires_completed_exports_and_deletes_their_archives() -> None:
    from reseller_core.domain.transfers import ExportStatus
    from reseller_core.testing.conformance.uow_transfers import build_export

    world = World()
    async with world.db.unit_of_work() as uow:
        await uow.users.add(world.user)
        await uow.commit()
    key = f"users/{world.user.id}/exports/x/a.zip"
    await world.storage.put(key, b"PK", content_type="application/zip")
    now = world.clock.now()
    export = build_export(
        world.user,
        status=ExportStatus.COMPLETED,
        storage_key=key,
        completed_at=now,
        expires_at=now + timedelta(days=7),
    )
    async with world.db.unit_of_work() as uow:
        await uow.exports.add(export)
        await uow.commit()
    sweeper = TransferSweeper(
        uow=memory_uow_factory(world.db),
        queue=world.queue,
        storage=world.storage,
        clock=world.clock,
        config=world.config,
    )
    await sweeper.sweep()
    assert await world.storage.head(key) is not None  # not yet
    world.clock.advance(timedelta(days=7, seconds=1))
    await sweeper.sweep()
    async with world.db.unit_of_work() as uow:
        swept = await uow.exports.get_by_id(export.id)
    assert swept is not None and swept.status is ExportStatus.EXPIRED
    assert await world.storage.head(key) is None
