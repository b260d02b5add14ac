"""Building an export holds neither the archive nor the images in memory (decision Q5).

Local storage (objects on disk), 40 products with two 400 kB images each: the archive is
over 30 MB, while the export job's peak Python allocation stays a few megabytes.
"""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from pathlib import Path

from reseller_adapters.archives import StreamingZipArchiveWriter
from reseller_adapters.storage.local import LocalObjectStorage
from reseller_core.commands.transfers import RequestExport
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import Product, ProductStatus
from reseller_core.domain.transfers import ExportStatus
from reseller_core.domain.users import User
from reseller_core.services.config import CoreConfig
from reseller_core.services.transfers.exports import ExportService
from reseller_core.testing import (
    FixedClock,
    MemoryDatabase,
    MemoryMailer,
    RecordingTaskQueue,
    SequentialIds,
    memory_uow_factory,
)

PRODUCTS = 40
IMAGE_BYTES = 400_000
PEAK_LIMIT = 8_000_000


async def test_export_memory_does_not_grow_with_the_catalogue(tmp_path: Path) -> None:
    clock, ids, db = FixedClock(), SequentialIds(), MemoryDatabase()
    storage = LocalObjectStorage(tmp_path / "objects", "http://127.0.0.1:8000", b"k" * 32)
    queue = RecordingTaskQueue()
    service = ExportService(
        uow=memory_uow_factory(db),
        reader=memory_uow_factory(db),
        storage=storage,
        queue=queue,
        mailer=MemoryMailer(),
        archives=StreamingZipArchiveWriter(tmp_path),
        clock=clock,
        ids=ids,
        config=CoreConfig(),
    )
    now = clock.now()
    user = User(
        id=ids.new_id(),
        email="m@example.com",
        password_hash="x",
        confirmed_at=now,
        selected_marketplaces=(),
        created_at=now,
        updated_at=now,
    )
    async with db.unit_of_work() as uow:
        await uow.users.add(user)
        for _ in range(PRODUCTS):
            product = Product(
                id=ids.new_id(),
                user_id=user.id,
                status=ProductStatus.READY,
                title="T",
                created_at=now,
                updated_at=now,
            )
            await uow.products.add(product)
            images = []
            for position in (1, 2):
                key = f"users/{user.id}/products/{product.id}/originals/{position}.jpg"
                await storage.put(
                    key, b"\xff\xd8\xff" + os.urandom(IMAGE_BYTES), content_type="image/jpeg"
                )
                images.append(
                    ProductImage(
                        id=ids.new_id(),
                        product_id=product.id,
                        kind=ImageKind.ORIGINAL,
                        position=position,
                        storage_key=key,
                        content_type="image/jpeg",
                        processing_status=ImageStatus.READY,
                        created_at=now,
                        updated_at=now,
                    )
                )
            await uow.images.add_many(images)
        await uow.commit()

    view = await service.request(user, RequestExport())
    tracemalloc.start()
    try:
        await service.run(view.export.id)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    export = (await service.get(user, view.export.id)).export
    assert export.status is ExportStatus.COMPLETED
    assert export.storage_key is not None
    path = tmp_path / "objects" / export.storage_key
    size = path.stat().st_size
    assert size > PRODUCTS * 2 * IMAGE_BYTES
    assert len(zipfile.ZipFile(path).namelist()) == 2 + PRODUCTS * 2
    print(f"export peak {peak} bytes for a {size}-byte archive")
    assert peak < PEAK_LIMIT, f"peak {peak} bytes for a {size}-byte archive"
