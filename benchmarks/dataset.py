"""The data the benchmarks read and ingest, made through the real use cases.

- The *full product*: 3 photos through the whole pipeline for a seller who selected all 12
  catalogue marketplaces, which leaves 6 images (3 originals, 3 background-removed
  variants), 12 marketplace listings, a description draft, a price research and a run.
- The *catalogue*: one seller's 10,000 products. One is processed for real (2 photos, the
  default 3 marketplaces, like the ingest benchmark); the rest are row-level copies of it
  with their own ids, titles, SKUs and timestamps, inserted in bulk.

Sellers are moved to the ``pro`` plan so the monthly limits never stop a benchmark; the
daily provider ceilings are per seller, so the ingest spreads its products over sellers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from PIL import Image, ImageDraw
from ulid import ULID

from reseller_adapters.persistence.sqlalchemy import mappers
from reseller_adapters.persistence.sqlalchemy.tables import (
    processing_runs,
    product_images,
    products,
)
from reseller_core.commands.storefronts import SaveStorefront
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.marketplaces import CATALOG_IDS
from reseller_core.domain.products import Product, SellerFields
from reseller_core.domain.storefronts import product_ref
from reseller_core.domain.uploads import UploadIntent
from reseller_core.domain.users import Plan, PlanStatus, User
from reseller_entrypoints.embedded import ResellerCore

PASSWORD = "benchmark password 1"
CATALOGUE_SIZE = 10_000
INSERT_CHUNK = 500

FULL_PRODUCT_FIELDS: dict[str, Any] = {
    "title": "Nike Air Max 90 running shoes",
    "brand": "Nike",
    "category": "Sneakers",
    "condition": "Used - very good",
    "color": "White",
    "size": "US 10",
    "price": "89.00",
    "tags": ["running", "air-max", "nike"],
}


@dataclass(frozen=True, slots=True)
class ReadDataset:
    """What the read benchmarks request: two sellers' tokens and the ids to read."""

    product_token: str
    product_id: str
    catalogue_token: str
    catalogue_size: int
    store_slug: str = ""
    store_product_ref: str = ""
    """The public storefront (spec 40 §6): ``STORE_PRODUCTS`` of the catalogue seller's
    products are public on it; the ref is one of them."""


STORE_SLUG = "bench-store"
STORE_PRODUCTS = 24


def photo(index: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG like a seller's phone photo, downscaled: an item on a plain background."""
    item = (40 + (index * 53) % 200, 30 + (index * 97) % 200, 60 + (index * 31) % 180)
    image = Image.new("RGB", size, (245, 245, 240))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=item)
    draw.rectangle((width // 3, height // 6, width // 2, height // 3), fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def seller(
    core: ResellerCore, email: str, marketplaces: tuple[str, ...] | None = None
) -> tuple[User, str]:
    """A confirmed seller on the ``pro`` plan, and a bearer token of theirs."""
    issued = await core.register(email, PASSWORD, selected_marketplaces=marketplaces)
    await core.confirm_email(email)
    container = core.container
    async with container.deps.uow() as uow:
        user = await uow.users.get(issued.user.id)
        assert user is not None
        user = msgspec.structs.replace(
            user, plan=Plan.PRO, plan_status=PlanStatus.ACTIVE, trial_ends_at=None
        )
        await uow.users.update(user)
        await uow.commit()
    return user, issued.token


async def upload_product(
    core: ResellerCore, user: User, fields: dict[str, Any], photos: list[bytes]
) -> tuple[str, list[str]]:
    """A product with its photos uploaded (not finalized): its id and image ids."""
    intents = [
        UploadIntent(filename=f"photo-{n}.jpg", content_type="image/jpeg", byte_size=len(data))
        for n, data in enumerate(photos, start=1)
    ]
    created = await core.create_product(user, msgspec.convert(fields, SellerFields), intents)
    for instruction, data in zip(created.upload_instructions, photos, strict=True):
        await core.upload(instruction, data)
    return created.view.product.id, [i.image_id for i in created.upload_instructions]


async def processed_product(
    core: ResellerCore, user: User, fields: dict[str, Any], photos: list[bytes]
) -> ProductView:
    """A product taken through upload, finalize and the whole pipeline."""
    product_id, image_ids = await upload_product(core, user, fields, photos)
    await core.finalize_uploads(user, product_id, image_ids)
    return await core.wait_until_settled(user, product_id, timeout=120)


async def seed_read_dataset(
    core: ResellerCore, catalogue_size: int = CATALOGUE_SIZE
) -> ReadDataset:
    """The full product and the catalogue, in the database ``core`` is open on."""
    reader, reader_token = await seller(core, "reader@bench.example", CATALOG_IDS)
    full = await processed_product(core, reader, FULL_PRODUCT_FIELDS, [photo(n) for n in range(3)])
    if len(full.images) != 6 or len(full.marketplace_listings) != len(CATALOG_IDS):
        raise RuntimeError(
            f"the full product has {len(full.images)} images and "
            f"{len(full.marketplace_listings)} listings; expected 6 and {len(CATALOG_IDS)}"
        )
    owner, owner_token = await seller(core, "catalogue@bench.example")
    template = await processed_product(
        core,
        owner,
        {"title": "Levi's 501 jeans", "brand": "Levi's", "size": "W32 L32", "price": "45.00"},
        [photo(10), photo(11)],
    )
    await clone_products(core, template.product.id, catalogue_size - 1)
    ref = await publish_storefront(core, owner)
    return ReadDataset(
        product_token=reader_token,
        product_id=full.product.id,
        catalogue_token=owner_token,
        catalogue_size=catalogue_size,
        store_slug=STORE_SLUG,
        store_product_ref=ref,
    )


async def publish_storefront(core: ResellerCore, owner: User) -> str:
    """An enabled storefront with ``STORE_PRODUCTS`` public products; one product's ref.

    The products are published by a direct update that bumps their version, and their
    stored documents are rebuilt in the same transaction, as every product writer does.
    """
    await core.storefronts.save(
        owner, SaveStorefront(slug=STORE_SLUG, title="Bench Store", enabled=True)
    )
    database = core.container.database
    async with database.unit_of_work() as uow:
        connection = await uow.session.connection()
        ids = [
            row[0]
            for row in await connection.execute(
                sa.select(products.c.id)
                .where(products.c.user_id == owner.id)
                .order_by(products.c.id)
                .limit(STORE_PRODUCTS)
            )
        ]
        await connection.execute(
            sa.update(products)
            .where(products.c.id.in_(ids))
            .values(
                storefront_enabled=True,
                storefront_published_at=products.c.updated_at,
                status="ready",
                version=products.c.version + 1,
            )
        )
        await database.read_model.refresh(uow, ids)
        await uow.commit()
    view = await core.product(owner, ids[0])
    return product_ref(view.product.id, view.product.title)


def _new_id() -> str:
    return str(ULID())


def _with_new_id(document: Any) -> Any:
    return None if document is None else {**document, "id": _new_id()}


async def clone_products(core: ResellerCore, template_id: str, count: int) -> None:
    """Insert ``count`` copies of a product (row, images, latest run) with fresh ids."""
    engine = core.container.database.engine
    async with engine.begin() as connection:
        product = dict(
            (await connection.execute(sa.select(products).where(products.c.id == template_id)))
            .one()
            ._mapping
        )
        images = [
            dict(row._mapping)
            for row in await connection.execute(
                sa.select(product_images).where(product_images.c.product_id == template_id)
            )
        ]
        run = dict(
            (
                await connection.execute(
                    sa.select(processing_runs).where(
                        processing_runs.c.id == product["latest_run_id"]
                    )
                )
            )
            .one()
            ._mapping
        )
        fields = mappers.PRODUCT_FIELDS
        product_rows: list[dict[str, Any]] = []
        image_rows: list[dict[str, Any]] = []
        run_rows: list[dict[str, Any]] = []
        for n in range(1, count + 1):
            moment = product["updated_at"] - timedelta(minutes=n)
            product_id, run_id = _new_id(), _new_id()
            copy = {
                **product,
                "id": product_id,
                "title": f"{product['title']} #{n:05d}",
                "sku": f"SKU-{n:05d}",
                "created_at": moment,
                "updated_at": moment,
                "latest_run_id": run_id,
                "description_draft": _with_new_id(product["description_draft"]),
                "price_research": _with_new_id(product["price_research"]),
                "marketplace_listings": [
                    _with_new_id(listing) for listing in product["marketplace_listings"]
                ],
            }
            struct = mappers.from_values(Product, fields, [copy[name] for name in fields])
            copy["search_document"] = mappers.product_document(struct)
            product_rows.append(copy)
            image_rows.extend(
                {**image, "id": _new_id(), "product_id": product_id, "created_at": moment}
                for image in images
            )
            run_rows.append({**run, "id": run_id, "product_id": product_id})
        for table, rows in (
            (products, product_rows),
            (product_images, image_rows),
            (processing_runs, run_rows),
        ):
            for start in range(0, len(rows), INSERT_CHUNK):
                await connection.execute(sa.insert(table), rows[start : start + INSERT_CHUNK])
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load: planner statistics and the
        # visibility map (index-only counts). SQLite has no such daemon and is left as is.
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
