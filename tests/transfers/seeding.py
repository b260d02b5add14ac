"""Products with images written straight through a unit of work, for export tests."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from PIL import Image

from reseller_core.domain.artifacts import ArtifactStatus, DescriptionDraft, MarketplaceListing
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import Product, ProductStatus
from reseller_core.ports import IdFactory, ObjectStorage
from reseller_core.ports.unit_of_work import UnitOfWorkFactory


def image_bytes(fmt: str = "JPEG", color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(out, format=fmt)
    return out.getvalue()


CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


@dataclass(frozen=True)
class SeedImage:
    kind: ImageKind = ImageKind.ORIGINAL
    position: int = 1
    fmt: str = "JPEG"
    filename: str | None = "shoe-1.jpg"


async def seed_product(
    uow_factory: UnitOfWorkFactory,
    storage: ObjectStorage,
    ids: IdFactory,
    now: datetime,
    user_id: str,
    *,
    images: Sequence[SeedImage] = (SeedImage(),),
    status: ProductStatus = ProductStatus.READY,
    title: str | None = "Nike Air Max",
    price: Decimal | None = Decimal("89.00"),
    sku: str | None = None,
    tags: tuple[str, ...] = ("running",),
    notes: str | None = None,
    brand: str | None = None,
    with_artifacts: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> Product:
    product = Product(
        id=ids.new_id(),
        user_id=user_id,
        status=status,
        title=title,
        price=price,
        sku=sku,
        tags=tags,
        notes=notes,
        brand=brand,
        created_at=now,
        updated_at=now,
        **(extra or {}),
    )
    rows = []
    for seed in images:
        image_id = ids.new_id()
        key = f"users/{user_id}/products/{product.id}/originals/{image_id}{EXTENSIONS[seed.fmt]}"
        await storage.put(key, image_bytes(seed.fmt), content_type=CONTENT_TYPES[seed.fmt])
        rows.append(
            ProductImage(
                id=image_id,
                product_id=product.id,
                kind=seed.kind,
                position=seed.position,
                storage_key=key,
                content_type=CONTENT_TYPES[seed.fmt],
                width=8,
                height=6,
                processing_status=ImageStatus.READY,
                original_filename=seed.filename,
                created_at=now,
                updated_at=now,
            )
        )
    async with uow_factory() as uow:
        await uow.products.add(product)
        await uow.images.add_many(rows)
        if with_artifacts:
            await uow.products.save_description_draft(
                product.id,
                DescriptionDraft(
                    id=ids.new_id(),
                    status=ArtifactStatus.GENERATED,
                    provider="offline",
                    model="m",
                    suggested_title="Nike Air Max 90",
                    short_description="Classic runner",
                    long_description="A classic running shoe.",
                    key_features=("air",),
                    created_at=now,
                    updated_at=now,
                ),
            )
            await uow.products.save_listings(
                product.id,
                [
                    MarketplaceListing(
                        id=ids.new_id(),
                        marketplace="ebay",
                        status=ArtifactStatus.GENERATED,
                        generated_title="Nike Air Max 90 size 42",
                        generated_description="Great shoe",
                        generated_tags=("nike",),
                        generated_price_suggestion=Decimal("80.00"),
                        created_at=now,
                        updated_at=now,
                    )
                ],
            )
        await uow.commit()
    return product
