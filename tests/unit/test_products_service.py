"""ProductService over the in-memory fakes (spec 20 §3-4, spec 30 §3 and §5.5, spec 10 §6)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import ProductSource, ProductStatus, ProductTab
from reseller_core.domain.repeated_requests import FINALIZE_REPEAT_WINDOW
from reseller_core.domain.runs import RunStatus
from reseller_core.domain.users import User
from reseller_core.errors import (
    EmailNotConfirmed,
    InvalidProductState,
    InvalidRequest,
    InvalidUploads,
    LimitExceeded,
    NotFound,
    StorageUnavailable,
    UploadSigningFailed,
    ValidationFailed,
)
from reseller_core.ports import ProviderCall, UsageEvent
from reseller_core.services.config import CoreConfig
from reseller_core.services.deps import Deps
from reseller_core.services.processing import PROCESS_RUN_JOB
from reseller_core.services.results import ProductWithUploads, UploadInstruction
from reseller_core.testing.fakes import FixedClock, MemoryObjectStorage, RecordingTaskQueue
from reseller_core.testing.memory_uow import MemoryDatabase
from tests.slow_storage import HeldStorage

from .conftest import START
from .json_use_cases import JsonAccounts, JsonProducts, product_service

S = ProductStatus
UNKNOWN_ID = "01J00000000000000000000000"


def intent(name: str = "shoe.jpg", content_type: str = "image/jpeg", size: int = 1000) -> dict:
    return {"filename": name, "content_type": content_type, "byte_size": size}


def intents(count: int) -> list[dict[str, Any]]:
    return [intent(f"photo-{index}.jpg") for index in range(count)]


def upload_all(storage: MemoryObjectStorage, instructions: Any, size: int = 1000) -> None:
    """Play the client's PUTs to the signed URLs."""
    for instruction in instructions:
        storage.put_object_directly(instruction.storage_key, b"x" * size, "image/jpeg")


def finalize_body(*instructions: UploadInstruction) -> dict[str, Any]:
    return {"uploads": [{"id": instruction.image_id} for instruction in instructions]}


async def set_product(db: MemoryDatabase, product_id: str, **changes: Any) -> None:
    async with db.unit_of_work() as uow:
        product = await uow.products.get_by_id(product_id)
        assert product is not None
        await uow.products.update(
            msgspec.structs.replace(product, **changes), expected_version=product.version
        )
        await uow.commit()


async def set_images(db: MemoryDatabase, product_id: str, status: ImageStatus) -> None:
    async with db.unit_of_work() as uow:
        images = await uow.images.for_product(product_id)
        await uow.images.update_many(
            [msgspec.structs.replace(image, processing_status=status) for image in images]
        )
        await uow.commit()


async def add_image(
    db: MemoryDatabase, product_id: str, image_id: str, kind: ImageKind, position: int
) -> None:
    async with db.unit_of_work() as uow:
        await uow.images.add_many(
            [
                ProductImage(
                    id=image_id,
                    product_id=product_id,
                    kind=kind,
                    position=position,
                    storage_key=f"users/x/products/{product_id}/variants/{image_id}.png",
                    content_type="image/png",
                    processing_status=ImageStatus.READY,
                    created_at=START,
                    updated_at=START,
                )
            ]
        )
        await uow.commit()


_event_ids = itertools.count(1)


async def seed_usage(
    db: MemoryDatabase,
    user: User,
    bucket: str,
    quantity: int,
    when: Any,
    run_id: str | None = None,
) -> None:
    async with db.unit_of_work() as uow:
        await uow.usage.record(
            UsageEvent(
                id=f"01J0000000000000000000{next(_event_ids):04d}",
                user_id=user.id,
                product_id=None,
                run_id=run_id,
                bucket=bucket,
                quantity=quantity,
                created_at=when,
            )
        )
        await uow.commit()


async def create_uploading(
    products: JsonProducts, user: User, count: int = 2, **product: Any
) -> ProductWithUploads:
    return await products.create(user, {"product": product, "uploads": intents(count)})


async def processing_product(
    products: JsonProducts, storage: MemoryObjectStorage, user: User, count: int = 2
) -> tuple[str, Any]:
    created = await create_uploading(products, user, count)
    upload_all(storage, created.upload_instructions)
    result = await products.finalize_uploads(
        user, created.view.product.id, finalize_body(*created.upload_instructions)
    )
    return created.view.product.id, result


def image_statuses(db: MemoryDatabase, product_id: str) -> list[str]:
    images = sorted(
        (i for i in db.snapshot().images.values() if i.product_id == product_id),
        key=lambda i: (i.position, i.id),
    )
    return [image.processing_status.value for image in images]


# --- write gate and 400s -------------------------------------------------------------------


async def test_write_gate_comes_before_everything(
    fx_products: JsonProducts, fx_unconfirmed_user: User, fx_db: MemoryDatabase
) -> None:
    calls = [
        fx_products.create(fx_unconfirmed_user, "not an object"),
        fx_products.create(fx_unconfirmed_user, {"uploads": intents(1)}),
        fx_products.prepare_uploads(fx_unconfirmed_user, "malformed", None),
        fx_products.finalize_uploads(fx_unconfirmed_user, UNKNOWN_ID, {"uploads": 5}),
        fx_products.reprocess(fx_unconfirmed_user, UNKNOWN_ID),
    ]
    for call in calls:
        with pytest.raises(EmailNotConfirmed):
            await call
    assert fx_db.snapshot().products == {}


async def test_write_gate_disabled_by_config(fx_deps: Deps, fx_unconfirmed_user: User) -> None:
    service = JsonProducts(
        product_service(
            dataclasses.replace(fx_deps, config=CoreConfig(require_email_confirmation=False))
        )
    )
    created = await service.create(fx_unconfirmed_user, {})
    assert created.view.product.status == S.DRAFT


async def test_reads_are_not_gated(
    fx_products: JsonProducts, fx_user: User, fx_unconfirmed_user: User
) -> None:
    listed = await fx_products.list(fx_unconfirmed_user, {})
    assert listed.page.total_count == 0


@pytest.mark.parametrize("payload", ["x", 3, [], [{"product": {}}], True])
async def test_create_body_not_an_object(
    fx_products: JsonProducts, fx_user: User, payload: Any
) -> None:
    with pytest.raises(InvalidRequest):
        await fx_products.create(fx_user, payload)


@pytest.mark.parametrize("product", ["x", 3, [], True])
async def test_create_product_not_an_object(
    fx_products: JsonProducts, fx_user: User, product: Any
) -> None:
    with pytest.raises(InvalidRequest):
        await fx_products.create(fx_user, {"product": product})


async def test_prepare_and_finalize_need_an_object(
    fx_products: JsonProducts, fx_user: User
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    for payload in (None, [], "uploads"):
        with pytest.raises(InvalidRequest):
            await fx_products.prepare_uploads(fx_user, product_id, payload)
        with pytest.raises(InvalidRequest):
            await fx_products.finalize_uploads(fx_user, product_id, payload)


# --- create --------------------------------------------------------------------------------


async def test_a_null_body_is_not_an_object(fx_products: JsonProducts, fx_user: User) -> None:
    """An empty body reads as ``{}``; JSON ``null`` is refused like any non-object body."""
    with pytest.raises(InvalidRequest, match="Request body must be a JSON object"):
        await fx_products.create(fx_user, None)


@pytest.mark.parametrize("payload", [{}, {"product": None}, {"uploads": []}, {"uploads": None}])
async def test_create_empty_draft(fx_products: JsonProducts, fx_user: User, payload: Any) -> None:
    created = await fx_products.create(fx_user, payload)
    product = created.view.product
    assert product.status == S.DRAFT
    assert product.source == ProductSource.MANUAL
    assert product.user_id == fx_user.id
    assert created.upload_instructions == ()
    assert created.view.images == ()
    assert created.view.latest_run is None


async def test_create_with_fields(
    fx_products: JsonProducts, fx_user: User, fx_db: MemoryDatabase
) -> None:
    created = await fx_products.create(
        fx_user,
        {
            "product": {
                "title": "  Nike Air Max  ",
                "brand": "",
                "price": "119",
                "cost": 40.5,
                "tags": "running, air-max\nrunning",
                "source": "mobile",
                "status": "sold",
                "sold_at": "2026-01-01T00:00:00Z",
                "ai_summary": "injected",
            }
        },
    )
    product = created.view.product
    assert product.status == S.DRAFT  # a client status is ignored (Q-P1)
    assert product.sold_at is None
    assert product.ai_summary is None
    assert (product.title, product.brand) == ("Nike Air Max", None)
    assert (product.price, product.cost) == (Decimal("119.00"), Decimal("40.50"))
    assert product.tags == ("running", "air-max")
    assert product.source == ProductSource.MOBILE
    assert fx_db.snapshot().products[product.id].product == product


async def test_create_with_uploads(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
) -> None:
    uploads = [
        intent("front.JPG", "image/jpg", 345678),
        intent("side.png", "IMAGE/PNG", 10),
        intent("noext", "image/heic", 5),
    ]
    created = await fx_products.create(fx_user, {"uploads": uploads})
    product = created.view.product
    assert product.status == S.UPLOADING
    instructions = created.upload_instructions
    images = created.view.images
    assert len(instructions) == len(images) == 3
    assert [i.image_id for i in instructions] == [image.id for image in images]
    assert [image.position for image in images] == [1, 2, 3]
    assert [image.original_filename for image in images] == ["front.JPG", "side.png", "noext"]
    assert [image.content_type for image in images] == ["image/jpeg", "image/png", "image/heic"]
    assert [image.byte_size for image in images] == [345678, 10, 5]
    assert {image.kind for image in images} == {ImageKind.ORIGINAL}
    assert {image.processing_status for image in images} == {ImageStatus.PENDING_UPLOAD}
    prefix = f"users/{fx_user.id}/products/{product.id}/originals/"
    for instruction, image, ext in zip(instructions, images, [".JPG", ".png", ""], strict=True):
        assert instruction.storage_key == image.storage_key
        assert instruction.storage_key.startswith(prefix)
        assert instruction.storage_key.endswith(ext)
        assert instruction.method == "PUT"
        assert instruction.headers == {"content-type": image.content_type}
        assert instruction.expires_at == fx_clock.now() + timedelta(seconds=900)
        assert instruction.storage_key in fx_storage.signed_uploads
    assert len({i.storage_key for i in instructions}) == 3
    assert len(fx_db.snapshot().images) == 3


@pytest.mark.parametrize(
    "error", [StorageUnavailable("RESELLER_STORAGE_ROOT"), UploadSigningFailed()]
)
async def test_create_persists_nothing_when_signing_fails(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
    error: Exception,
) -> None:
    fx_storage.fail("sign_upload", error)
    with pytest.raises(type(error)):
        await create_uploading(fx_products, fx_user, 2, title="Shoe")
    tables = fx_db.snapshot()
    assert tables.products == {}
    assert tables.images == {}
    # Without uploads the storage is not needed.
    assert (await fx_products.create(fx_user, {"product": {"title": "Shoe"}})).view.product


async def test_create_validation_reports_product_and_uploads_together(
    fx_products: JsonProducts, fx_user: User, fx_db: MemoryDatabase
) -> None:
    with pytest.raises(ValidationFailed) as info:
        await fx_products.create(
            fx_user,
            {
                "product": {"title": "x" * 161, "price": -1, "source": "import"},
                "uploads": [intent(), intent(size=0), intent(content_type="text/plain")],
            },
        )
    assert info.value.fields == {
        "title": ["should be at most 160 character(s)"],
        "price": ["must be greater than or equal to 0"],
        "source": ["is invalid"],
        "uploads": [
            {},
            {"byte_size": ["must be greater than 0"]},
            {"content_type": ["must be an image content type"]},
        ],
    }
    assert fx_db.snapshot().products == {}


@pytest.mark.parametrize(
    ("uploads", "message"),
    [
        ("x", ["is invalid"]),
        ({"filename": "a.jpg"}, ["is invalid"]),
        (intents(11), ["should have at most 10 item(s)"]),
    ],
)
async def test_create_uploads_batch_errors(
    fx_products: JsonProducts, fx_user: User, uploads: Any, message: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as info:
        await fx_products.create(fx_user, {"uploads": uploads})
    assert info.value.fields == {"uploads": message}


async def test_create_with_tabs(
    fx_products: JsonProducts, fx_user: User, fx_other_user: User, fx_db: MemoryDatabase
) -> None:
    tab_id, foreign_tab_id = "01JQ8ZB3C4D5E6F7G8H9J0KMNP", "01JQ8ZB3C4D5E6F7G8H9J0KMNQ"
    async with fx_db.unit_of_work() as uow:
        for tid, owner in ((tab_id, fx_user), (foreign_tab_id, fx_other_user)):
            await uow.tabs.add(
                ProductTab(
                    id=tid,
                    user_id=owner.id,
                    name="Shoes",
                    position=1,
                    created_at=START,
                    updated_at=START,
                )
            )
        await uow.commit()
    created = await fx_products.create(fx_user, {"product": {"product_tab_id": tab_id.lower()}})
    assert created.view.product.product_tab_id == tab_id
    assert created.view.tab is not None
    assert created.view.tab.name == "Shoes"
    for bad in (foreign_tab_id, UNKNOWN_ID, "nope"):
        with pytest.raises(ValidationFailed) as info:
            await fx_products.create(fx_user, {"product": {"product_tab_id": bad}})
        assert info.value.fields == {"product_tab_id": ["is invalid"]}


async def test_create_duplicate_sku(
    fx_products: JsonProducts, fx_user: User, fx_other_user: User
) -> None:
    await fx_products.create(fx_user, {"product": {"sku": "NK-1"}})
    await fx_products.create(fx_other_user, {"product": {"sku": "NK-1"}})  # per user
    with pytest.raises(ValidationFailed) as info:
        await fx_products.create(fx_user, {"product": {"sku": " NK-1 "}})
    assert info.value.fields == {"sku": ["has already been taken"]}


async def test_create_is_never_metered(
    fx_products: JsonProducts, fx_user: User, fx_clock: FixedClock, fx_db: MemoryDatabase
) -> None:
    fx_clock.advance(days=8)
    await seed_usage(fx_db, fx_user, "ai_drafts", 50, fx_clock.now())
    created = await create_uploading(fx_products, fx_user, 1)
    assert created.view.product.status == S.UPLOADING


# --- ownership ---------------------------------------------------------------------------


@pytest.mark.parametrize("product_id", ["foreign", UNKNOWN_ID, "not-a-ulid", ""])
async def test_foreign_and_malformed_ids_are_not_found(
    fx_products: JsonProducts, fx_user: User, fx_other_user: User, product_id: str
) -> None:
    foreign = await create_uploading(fx_products, fx_other_user, 1)
    if product_id == "foreign":
        product_id = foreign.view.product.id
    with pytest.raises(NotFound):
        await fx_products.get(fx_user, product_id)
    with pytest.raises(NotFound):
        await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(1)})
    with pytest.raises(NotFound):
        await fx_products.finalize_uploads(
            fx_user, product_id, finalize_body(*foreign.upload_instructions)
        )
    with pytest.raises(NotFound):
        await fx_products.reprocess(fx_user, product_id)


async def test_get_accepts_lower_case_ids(fx_products: JsonProducts, fx_user: User) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    assert (await fx_products.get(fx_user, product_id.lower())).product.id == product_id


# --- prepare_uploads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (S.DRAFT, True),
        (S.REVIEW, True),
        (S.READY, True),
        (S.UPLOADING, False),
        (S.PROCESSING, False),
        (S.SOLD, False),
        (S.ARCHIVED, False),
    ],
)
async def test_prepare_uploads_states(
    fx_products: JsonProducts,
    fx_user: User,
    fx_db: MemoryDatabase,
    status: ProductStatus,
    allowed: bool,
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    await set_product(fx_db, product_id, status=status)
    if allowed:
        result = await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(2)})
        assert result.view.product.status == status  # unchanged
        assert len(result.upload_instructions) == 2
        assert [i.processing_status for i in result.view.images] == [ImageStatus.PENDING_UPLOAD] * 2
    else:
        with pytest.raises(InvalidProductState):
            await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(2)})
        assert fx_db.snapshot().images == {}


@pytest.mark.parametrize("payload", [{}, {"uploads": []}, {"uploads": None}])
async def test_prepare_uploads_requires_uploads(
    fx_products: JsonProducts, fx_user: User, payload: dict[str, Any]
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    with pytest.raises(ValidationFailed) as info:
        await fx_products.prepare_uploads(fx_user, product_id, payload)
    assert info.value.fields == {"uploads": ["can't be blank"]}


async def test_prepare_uploads_validation_persists_nothing(
    fx_products: JsonProducts, fx_user: User, fx_db: MemoryDatabase
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    with pytest.raises(ValidationFailed) as info:
        await fx_products.prepare_uploads(
            fx_user, product_id, {"uploads": [intent(), intent(content_type="image/gif")]}
        )
    assert info.value.fields == {
        "uploads": [{}, {"content_type": ["is not a supported image type"]}]
    }
    assert fx_db.snapshot().images == {}


async def test_prepare_uploads_state_checked_before_fields(
    fx_products: JsonProducts, fx_user: User
) -> None:
    created = await create_uploading(fx_products, fx_user, 1)
    with pytest.raises(InvalidProductState):
        await fx_products.prepare_uploads(fx_user, created.view.product.id, {"uploads": []})


async def test_prepare_uploads_positions_continue_after_the_max(
    fx_products: JsonProducts, fx_user: User, fx_db: MemoryDatabase
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    await add_image(
        fx_db, product_id, "01J000000000000000000000V1", ImageKind.BACKGROUND_REMOVED, 7
    )
    result = await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(3)})
    new = [i for i in result.view.images if i.kind == ImageKind.ORIGINAL]
    assert [image.position for image in new] == [8, 9, 10]
    assert [i.image_id for i in result.upload_instructions] == [image.id for image in new]


async def test_prepare_uploads_twenty_originals_cap(
    fx_products: JsonProducts, fx_user: User, fx_db: MemoryDatabase
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(10)})
    await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(9)})
    # Variants do not count toward the cap.
    await add_image(
        fx_db, product_id, "01J000000000000000000000V1", ImageKind.BACKGROUND_REMOVED, 50
    )
    with pytest.raises(ValidationFailed) as info:
        await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(2)})
    assert info.value.fields == {"uploads": ["would exceed 20 images per product"]}
    await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(1)})
    originals = [i for i in fx_db.snapshot().images.values() if i.kind == ImageKind.ORIGINAL]
    assert len(originals) == 20


async def test_create_twenty_originals_cap_configurable(fx_deps: Deps, fx_user: User) -> None:
    service = JsonProducts(
        product_service(
            dataclasses.replace(fx_deps, config=CoreConfig(max_originals_per_product=2))
        )
    )
    with pytest.raises(ValidationFailed) as info:
        await service.create(fx_user, {"uploads": intents(3)})
    assert info.value.fields == {"uploads": ["would exceed 2 images per product"]}


async def test_prepare_uploads_is_not_metered(
    fx_products: JsonProducts, fx_user: User, fx_clock: FixedClock, fx_db: MemoryDatabase
) -> None:
    """Decision Q-A12: limits are checked only where AI work is queued."""
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    fx_clock.advance(days=8)
    await seed_usage(fx_db, fx_user, "ai_drafts", 5, fx_clock.now())
    result = await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(1)})
    assert len(result.upload_instructions) == 1


async def test_prepare_uploads_persists_nothing_when_signing_fails(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    before = fx_db.snapshot().products[product_id]
    fx_storage.fail("sign_upload", UploadSigningFailed())
    with pytest.raises(UploadSigningFailed):
        await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(2)})
    assert fx_db.snapshot().images == {}
    assert fx_db.snapshot().products[product_id] == before


# --- finalize_uploads --------------------------------------------------------------------


async def test_finalize_without_images(fx_products: JsonProducts, fx_user: User) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    with pytest.raises(InvalidProductState):
        await fx_products.finalize_uploads(fx_user, product_id, {"uploads": [{"id": UNKNOWN_ID}]})


async def test_finalize_invalid_uploads(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
) -> None:
    mine = await create_uploading(fx_products, fx_user, 1)
    other = await create_uploading(fx_products, fx_user, 1)
    upload_all(fx_storage, [*mine.upload_instructions, *other.upload_instructions])
    product_id = mine.view.product.id
    variant_id = "01J000000000000000000000V1"
    await add_image(fx_db, product_id, variant_id, ImageKind.BACKGROUND_REMOVED, 2)
    own = {"id": mine.upload_instructions[0].image_id}
    for bad in (
        {"id": other.upload_instructions[0].image_id},  # another product's image
        {"id": variant_id},  # not an original
        {"id": UNKNOWN_ID},
        {"id": "not-a-ulid"},
    ):
        with pytest.raises(InvalidUploads):
            await fx_products.finalize_uploads(fx_user, product_id, {"uploads": [own, bad]})
    assert image_statuses(fx_db, product_id) == ["pending_upload", "ready"]
    assert fx_db.snapshot().runs == {}


async def test_finalize_duplicates_are_a_validation_error(
    fx_products: JsonProducts, fx_user: User, fx_storage: MemoryObjectStorage
) -> None:
    created = await create_uploading(fx_products, fx_user, 1)
    upload_all(fx_storage, created.upload_instructions)
    image_id = created.upload_instructions[0].image_id
    with pytest.raises(ValidationFailed) as info:
        await fx_products.finalize_uploads(
            fx_user,
            created.view.product.id,
            {"uploads": [{"id": image_id}, {"id": image_id.lower()}]},
        )
    assert info.value.fields == {"uploads": ["contains duplicate image ids"]}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"uploads": ["can't be blank"]}),
        ({"uploads": []}, {"uploads": ["can't be blank"]}),
        ({"uploads": "x"}, {"uploads": ["is invalid"]}),
        ({"uploads": [{"id": None}]}, {"uploads": [{"id": ["can't be blank"]}]}),
    ],
)
async def test_finalize_field_errors(
    fx_products: JsonProducts, fx_user: User, payload: Any, fields: dict[str, Any]
) -> None:
    created = await create_uploading(fx_products, fx_user, 1)
    with pytest.raises(ValidationFailed) as info:
        await fx_products.finalize_uploads(fx_user, created.view.product.id, payload)
    assert info.value.fields == fields


async def test_finalize_missing_object_in_storage(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
) -> None:
    created = await create_uploading(fx_products, fx_user, 2)
    first, second = created.upload_instructions
    upload_all(fx_storage, [first])
    with pytest.raises(InvalidUploads) as info:
        await fx_products.finalize_uploads(
            fx_user, created.view.product.id, finalize_body(first, second)
        )
    assert second.image_id in info.value.detail
    assert image_statuses(fx_db, created.view.product.id) == ["pending_upload"] * 2
    assert fx_db.snapshot().runs == {}


@pytest.mark.parametrize("size", [0, 25_000_001])
async def test_finalize_object_size_out_of_bounds(
    fx_products: JsonProducts, fx_user: User, fx_storage: MemoryObjectStorage, size: int
) -> None:
    created = await create_uploading(fx_products, fx_user, 1)
    upload_all(fx_storage, created.upload_instructions, size=size)
    with pytest.raises(InvalidUploads):
        await fx_products.finalize_uploads(
            fx_user, created.view.product.id, finalize_body(*created.upload_instructions)
        )


async def test_partial_finalize_stays_uploading(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_queue: RecordingTaskQueue,
    fx_db: MemoryDatabase,
) -> None:
    created = await create_uploading(fx_products, fx_user, 2)
    first, _ = created.upload_instructions
    upload_all(fx_storage, [first], size=4321)
    result = await fx_products.finalize_uploads(
        fx_user,
        created.view.product.id,
        {"uploads": [{"id": first.image_id, "checksum": "abc", "width": 1200, "height": 1600}]},
    )
    assert result.view.product.status == S.UPLOADING
    assert result.run is None
    (finalized,) = result.finalized_images
    assert finalized.processing_status == ImageStatus.UPLOADED
    assert (finalized.checksum, finalized.width, finalized.height) == ("abc", 1200, 1600)
    assert image_statuses(fx_db, created.view.product.id) == ["uploaded", "pending_upload"]
    assert fx_queue.jobs == []
    assert fx_db.snapshot().runs == {}


async def test_refinalizing_an_uploaded_original_is_idempotent(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
) -> None:
    created = await create_uploading(fx_products, fx_user, 2)
    first, second = created.upload_instructions
    upload_all(fx_storage, created.upload_instructions)
    product_id = created.view.product.id
    for _ in range(2):
        result = await fx_products.finalize_uploads(fx_user, product_id, finalize_body(first))
        assert result.view.product.status == S.UPLOADING
        assert result.run is None
    result = await fx_products.finalize_uploads(fx_user, product_id, finalize_body(first, second))
    assert result.view.product.status == S.PROCESSING
    assert len(fx_db.snapshot().runs) == 1


async def test_partial_finalize_from_a_draft_product(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
) -> None:
    product_id = (await fx_products.create(fx_user, {})).view.product.id
    prepared = await fx_products.prepare_uploads(fx_user, product_id, {"uploads": intents(2)})
    upload_all(fx_storage, prepared.upload_instructions[:1])
    result = await fx_products.finalize_uploads(
        fx_user, product_id, finalize_body(prepared.upload_instructions[0])
    )
    assert result.view.product.status == S.UPLOADING


async def test_full_finalize_starts_one_queued_run(
    fx_clock: FixedClock,
    fx_products: JsonProducts,
    fx_accounts: JsonAccounts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_queue: RecordingTaskQueue,
    fx_db: MemoryDatabase,
) -> None:
    created = await create_uploading(fx_products, fx_user, 2)
    # The run uses the user's *current* selection, in catalogue order.
    await fx_accounts.update_me(fx_user, {"selected_marketplaces": ["etsy", "mercari", "ebay"]})
    upload_all(fx_storage, created.upload_instructions)
    first, second = created.upload_instructions
    partial = await fx_products.finalize_uploads(
        fx_user, created.view.product.id, finalize_body(first)
    )
    assert partial.run is None
    result = await fx_products.finalize_uploads(
        fx_user, created.view.product.id, finalize_body(second)
    )
    assert result.view.product.status == S.PROCESSING
    run = result.run
    assert run is not None
    assert (run.status, run.step, run.payload) == (RunStatus.QUEUED, "queued", {})
    assert run.marketplaces == ("ebay", "mercari", "etsy")
    assert run.user_id == fx_user.id
    assert run.product_id == created.view.product.id
    assert result.view.latest_run == run
    assert list(fx_db.snapshot().runs) == [run.id]
    assert [(job.name, dict(job.args)) for job in fx_queue.jobs] == [
        (PROCESS_RUN_JOB, {"run_id": run.id})
    ]
    assert image_statuses(fx_db, created.view.product.id) == ["uploaded", "uploaded"]
    # The same finalize again at once (a double tap) answers the run it started.
    repeated = await fx_products.finalize_uploads(
        fx_user, created.view.product.id, finalize_body(first, second)
    )
    assert repeated.run == run
    # Later, while processing, a finalize is refused; neither starts anything.
    fx_clock.advance(FINALIZE_REPEAT_WINDOW + timedelta(seconds=1))
    with pytest.raises(InvalidProductState):
        await fx_products.finalize_uploads(
            fx_user, created.view.product.id, finalize_body(first, second)
        )
    assert len(fx_db.snapshot().runs) == 1
    assert len(fx_queue.jobs) == 1


async def test_finalize_keeps_byte_size_from_storage(
    fx_products: JsonProducts, fx_user: User, fx_storage: MemoryObjectStorage
) -> None:
    created = await create_uploading(fx_products, fx_user, 1)
    upload_all(fx_storage, created.upload_instructions, size=777)
    result = await fx_products.finalize_uploads(
        fx_user, created.view.product.id, finalize_body(*created.upload_instructions)
    )
    assert result.finalized_images[0].byte_size == 777


@pytest.mark.parametrize("status", [S.SOLD, S.ARCHIVED])
async def test_finalize_refused_when_sold_or_archived(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
    status: ProductStatus,
) -> None:
    created = await create_uploading(fx_products, fx_user, 1)
    upload_all(fx_storage, created.upload_instructions)
    await set_product(fx_db, created.view.product.id, status=status)
    with pytest.raises(InvalidProductState):
        await fx_products.finalize_uploads(
            fx_user, created.view.product.id, finalize_body(*created.upload_instructions)
        )


async def test_finalize_over_the_free_plan_after_the_trial(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
    fx_queue: RecordingTaskQueue,
) -> None:
    created = await create_uploading(fx_products, fx_user, 2)
    upload_all(fx_storage, created.upload_instructions)
    first, second = created.upload_instructions
    fx_clock.advance(days=8)  # the trial is over: free limits (5 ai_drafts a month)
    await seed_usage(fx_db, fx_user, "ai_drafts", 5, fx_clock.now())
    # Last month's usage does not count.
    await seed_usage(fx_db, fx_user, "price_research", 40, fx_clock.now() - timedelta(days=40))
    # A finalize that starts no run is not metered.
    partial = await fx_products.finalize_uploads(
        fx_user, created.view.product.id, finalize_body(first)
    )
    assert partial.run is None
    with pytest.raises(LimitExceeded) as info:
        await fx_products.finalize_uploads(fx_user, created.view.product.id, finalize_body(second))
    error = info.value
    assert error.code == "limit_exceeded"
    assert (error.operation, error.used, error.limit, error.addon_credits) == (
        "ai_drafts",
        5,
        5,
        0,
    )
    assert error.upgrade_url == "https://app.example.test/pricing"
    assert error.extra()["upgrade_url"].startswith("https://")
    assert image_statuses(fx_db, created.view.product.id) == ["uploaded", "pending_upload"]
    assert fx_db.snapshot().runs == {}
    assert fx_queue.jobs == []


async def test_finalize_within_the_trial_uses_starter_limits(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
    fx_clock: FixedClock,
) -> None:
    await seed_usage(fx_db, fx_user, "ai_drafts", 49, fx_clock.now())
    _product_id, result = await processing_product(fx_products, fx_storage, fx_user, 1)
    assert result.run is not None
    # The queued run holds the 50th draft: the next finalize is refused before it records.
    created = await create_uploading(fx_products, fx_user, 1)
    upload_all(fx_storage, created.upload_instructions)
    with pytest.raises(LimitExceeded) as info:
        await fx_products.finalize_uploads(
            fx_user, created.view.product.id, finalize_body(*created.upload_instructions)
        )
    assert (info.value.used, info.value.limit) == (50, 50)
    # A run whose draft is recorded holds no unit any more: it is counted once.
    await seed_usage(fx_db, fx_user, "ai_drafts", 1, fx_clock.now(), run_id=result.run.id)
    with pytest.raises(LimitExceeded) as again:
        await fx_products.finalize_uploads(
            fx_user, created.view.product.id, finalize_body(*created.upload_instructions)
        )
    assert (again.value.used, again.value.limit) == (50, 50)


async def test_daily_ceiling_blocks_finalize_during_the_trial(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
) -> None:
    created = await create_uploading(fx_products, fx_user, 1)
    upload_all(fx_storage, created.upload_instructions)
    async with fx_db.unit_of_work() as uow:
        for index in range(100):
            await uow.usage.record_call(
                ProviderCall(
                    id=f"01J000000000000000000C{index:04d}",
                    user_id=fx_user.id,
                    product_id=None,
                    provider="serp_api",
                    role="search",
                    operation="shopping_matches",
                    status="error" if index % 2 else "success",  # every call counts
                    cost_usd=Decimal("0.0025"),
                    duration_ms=10,
                    error_code=None,
                    created_at=fx_clock.now() - timedelta(minutes=index),
                )
            )
        await uow.commit()
    with pytest.raises(LimitExceeded) as info:
        await fx_products.finalize_uploads(
            fx_user, created.view.product.id, finalize_body(*created.upload_instructions)
        )
    assert (info.value.operation, info.value.used, info.value.limit) == (
        "daily_serp_api_calls",
        100,
        100,
    )
    # The next UTC day starts afresh.
    fx_clock.set(fx_clock.now().replace(hour=0) + timedelta(days=1))
    result = await fx_products.finalize_uploads(
        fx_user, created.view.product.id, finalize_body(*created.upload_instructions)
    )
    assert result.run is not None


async def test_limit_comes_after_not_found(
    fx_products: JsonProducts,
    fx_user: User,
    fx_other_user: User,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
    fx_storage: MemoryObjectStorage,
) -> None:
    foreign = await create_uploading(fx_products, fx_other_user, 1)
    upload_all(fx_storage, foreign.upload_instructions)
    fx_clock.advance(days=8)
    await seed_usage(fx_db, fx_user, "ai_drafts", 5, fx_clock.now())
    with pytest.raises(NotFound):
        await fx_products.finalize_uploads(
            fx_user, foreign.view.product.id, finalize_body(*foreign.upload_instructions)
        )
    with pytest.raises(NotFound):
        await fx_products.reprocess(fx_user, foreign.view.product.id)


# --- reprocess ---------------------------------------------------------------------------


async def test_reprocess_needs_a_finalized_original(
    fx_products: JsonProducts, fx_user: User, fx_db: MemoryDatabase
) -> None:
    draft = (await fx_products.create(fx_user, {})).view.product.id
    with pytest.raises(InvalidProductState):
        await fx_products.reprocess(fx_user, draft)
    # Only pending originals (and a variant) is not enough either.
    prepared = await fx_products.prepare_uploads(fx_user, draft, {"uploads": intents(1)})
    await add_image(fx_db, draft, "01J000000000000000000000V1", ImageKind.BACKGROUND_REMOVED, 5)
    assert prepared.view.product.status == S.DRAFT
    with pytest.raises(InvalidProductState):
        await fx_products.reprocess(fx_user, draft)
    assert fx_db.snapshot().runs == {}


@pytest.mark.parametrize("status", [S.UPLOADING, S.SOLD, S.ARCHIVED])
async def test_reprocess_refused_states(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
    status: ProductStatus,
) -> None:
    product_id, _ = await processing_product(fx_products, fx_storage, fx_user)
    await set_product(fx_db, product_id, status=status)
    with pytest.raises(InvalidProductState):
        await fx_products.reprocess(fx_user, product_id)
    assert len(fx_db.snapshot().runs) == 1


async def test_reprocess_refused_while_a_run_is_active(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
) -> None:
    product_id, _ = await processing_product(fx_products, fx_storage, fx_user)
    fx_clock.advance(minutes=14)
    with pytest.raises(InvalidProductState):
        await fx_products.reprocess(fx_user, product_id)
    assert len(fx_db.snapshot().runs) == 1


async def test_reprocess_supersedes_a_stale_run(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
    fx_queue: RecordingTaskQueue,
) -> None:
    product_id, finalized = await processing_product(fx_products, fx_storage, fx_user)
    old_run = finalized.run
    await set_images(fx_db, product_id, ImageStatus.PROCESSING)
    fx_clock.advance(minutes=16)
    result = await fx_products.reprocess(fx_user, product_id)
    runs = fx_db.snapshot().runs
    stale = runs[old_run.id]
    assert (stale.status, stale.error_code) == (RunStatus.FAILED, "stalled")
    assert stale.finished_at == fx_clock.now()
    assert stale.payload.get("retryable") is True
    assert result.run.id != old_run.id
    assert runs[result.run.id].status == RunStatus.QUEUED
    assert result.view.product.status == S.PROCESSING
    assert result.view.latest_run is not None
    assert result.view.latest_run.id == result.run.id
    assert image_statuses(fx_db, product_id) == ["uploaded", "uploaded"]
    assert [job.args["run_id"] for job in fx_queue.jobs] == [old_run.id, result.run.id]


@pytest.mark.parametrize("status", [S.DRAFT, S.REVIEW, S.READY])
async def test_reprocess_after_a_finished_run(
    fx_products: JsonProducts,
    fx_accounts: JsonAccounts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_db: MemoryDatabase,
    fx_queue: RecordingTaskQueue,
    status: ProductStatus,
) -> None:
    product_id, finalized = await processing_product(fx_products, fx_storage, fx_user)
    async with fx_db.unit_of_work() as uow:
        await uow.runs.update(msgspec.structs.replace(finalized.run, status=RunStatus.FAILED))
        await uow.commit()
    await set_product(fx_db, product_id, status=status)
    async with fx_db.unit_of_work() as uow:
        images = await uow.images.for_product(product_id)
        await uow.images.update_many(
            [
                msgspec.structs.replace(images[0], processing_status=ImageStatus.FAILED),
                msgspec.structs.replace(images[1], processing_status=ImageStatus.READY),
            ]
        )
        await uow.commit()
    await fx_accounts.update_me(fx_user, {"selected_marketplaces": ["poshmark"]})
    result = await fx_products.reprocess(fx_user, product_id)
    assert result.view.product.status == S.PROCESSING
    assert result.run.marketplaces == ("poshmark",)
    assert result.run.status == RunStatus.QUEUED
    # Failed originals go back to uploaded; ready ones stay ready.
    assert image_statuses(fx_db, product_id) == ["uploaded", "ready"]
    assert len(fx_queue.jobs) == 2


async def test_reprocess_is_metered(
    fx_products: JsonProducts,
    fx_user: User,
    fx_storage: MemoryObjectStorage,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
) -> None:
    product_id, _ = await processing_product(fx_products, fx_storage, fx_user)
    await set_product(fx_db, product_id, status=S.READY)
    fx_clock.advance(days=8)
    await seed_usage(fx_db, fx_user, "background_removals", 15, fx_clock.now())
    with pytest.raises(LimitExceeded) as info:
        await fx_products.reprocess(fx_user, product_id)
    assert (info.value.operation, info.value.used, info.value.limit) == (
        "background_removals",
        15,
        15,
    )
    assert fx_db.snapshot().products[product_id].product.status == S.READY


# --- list ----------------------------------------------------------------------------------


async def test_list_filters_and_pagination(
    fx_products: JsonProducts,
    fx_user: User,
    fx_other_user: User,
    fx_clock: FixedClock,
    fx_db: MemoryDatabase,
) -> None:
    titles = ["Nike Air Max", "Adidas Samba", "Nike Dunk", "Levi's 501", "Air Jordan"]
    ids = []
    for title in titles:
        fx_clock.advance(minutes=1)
        ids.append(
            (await fx_products.create(fx_user, {"product": {"title": title}})).view.product.id
        )
    await fx_products.create(fx_other_user, {"product": {"title": "Nike Foreign"}})
    await set_product(fx_db, ids[1], status=S.READY)

    everything = await fx_products.list(fx_user, {})
    assert everything.page.total_count == 5
    assert [v.product.id for v in everything.page.products] == list(reversed(ids))

    nike = await fx_products.list(fx_user, {"query": "  NIKE  "})
    assert {v.product.title for v in nike.page.products} == {"Nike Air Max", "Nike Dunk"}
    assert nike.query.query == "NIKE"

    assert (await fx_products.list(fx_user, {"query": "nike -dunk"})).page.total_count == 1
    assert (await fx_products.list(fx_user, {"query": "samba or jordan"})).page.total_count == 2
    assert (await fx_products.list(fx_user, {"query": "nik"})).page.total_count == 0

    ready = await fx_products.list(fx_user, {"status": "ready"})
    assert [v.product.id for v in ready.page.products] == [ids[1]]
    bogus = await fx_products.list(fx_user, {"status": "bogus", "sort": "nope", "dir": "sideways"})
    assert bogus.page.total_count == 5
    assert (bogus.query.status, bogus.query.sort, bogus.query.dir) == ("all", "updated_at", "desc")

    by_title = await fx_products.list(fx_user, {"sort": "title", "dir": "asc", "page_size": "2"})
    assert [v.product.title for v in by_title.page.products] == ["Adidas Samba", "Air Jordan"]
    assert (by_title.page.page, by_title.page.page_size, by_title.page.total_pages) == (1, 2, 3)

    last = await fx_products.list(
        fx_user, {"sort": "title", "dir": "asc", "page_size": "2", "page": "99"}
    )
    assert last.page.page == 3
    assert [v.product.title for v in last.page.products] == ["Nike Dunk"]

    clamped = await fx_products.list(fx_user, {"page_size": "1000"})
    assert clamped.page.page_size == 100

    empty = await fx_products.list(fx_user, {"query": "zzz"})
    assert (empty.page.total_count, empty.page.total_pages, empty.page.products) == (0, 1, ())


async def test_list_date_filters(
    fx_products: JsonProducts, fx_user: User, fx_clock: FixedClock
) -> None:
    first = (await fx_products.create(fx_user, {})).view.product.id  # 2026-04-15
    fx_clock.advance(days=1)
    second = (await fx_products.create(fx_user, {})).view.product.id  # 2026-04-16
    fx_clock.advance(days=1)
    third = (await fx_products.create(fx_user, {})).view.product.id  # 2026-04-17

    def ids_of(result: Any) -> set[str]:
        return {view.product.id for view in result.page.products}

    assert ids_of(await fx_products.list(fx_user, {"updated_from": "2026-04-16"})) == {
        second,
        third,
    }
    assert ids_of(await fx_products.list(fx_user, {"updated_to": "2026-04-16"})) == {
        first,
        second,
    }
    assert ids_of(
        await fx_products.list(fx_user, {"updated_from": "2026-04-16", "updated_to": "2026-04-16"})
    ) == {second}
    assert len(ids_of(await fx_products.list(fx_user, {"updated_from": "16/04/2026"}))) == 3


# --- storage is asked outside the write transaction ------------------------------------------


async def test_a_finalize_waiting_on_storage_answers_from_the_rows_as_they_are_then(
    fx_deps: Deps, fx_user: User, fx_storage: MemoryObjectStorage, fx_db: MemoryDatabase
) -> None:
    """The write transaction re-reads and re-checks: a finalize of the same photos that
    completed while this one waited on storage started the run, so this one (a concurrent
    double tap) answers that run and starts none."""
    held = HeldStorage(fx_storage)
    products = JsonProducts(product_service(dataclasses.replace(fx_deps, storage=held)))
    created = await create_uploading(products, fx_user, 1)
    product_id = created.view.product.id
    upload_all(fx_storage, created.upload_instructions)
    body = finalize_body(*created.upload_instructions)
    held.hold()
    waiting = asyncio.create_task(products.finalize_uploads(fx_user, product_id, body))
    await held.held.wait()
    first = await products.finalize_uploads(fx_user, product_id, body)
    assert first.run is not None
    held.release()
    assert (await waiting).run == first.run
    assert list(fx_db.snapshot().runs) == [first.run.id]


async def test_a_product_archived_while_finalize_waits_on_storage_is_not_changed(
    fx_deps: Deps, fx_user: User, fx_storage: MemoryObjectStorage, fx_db: MemoryDatabase
) -> None:
    held = HeldStorage(fx_storage)
    products = JsonProducts(product_service(dataclasses.replace(fx_deps, storage=held)))
    created = await create_uploading(products, fx_user, 1)
    product_id = created.view.product.id
    upload_all(fx_storage, created.upload_instructions)
    held.hold()
    waiting = asyncio.create_task(
        products.finalize_uploads(fx_user, product_id, finalize_body(*created.upload_instructions))
    )
    await held.held.wait()
    await set_product(fx_db, product_id, status=S.ARCHIVED)
    held.release()
    with pytest.raises(InvalidProductState):
        await waiting
    assert image_statuses(fx_db, product_id) == ["pending_upload"]
    assert fx_db.snapshot().runs == {}


async def test_a_sku_taken_while_create_signs_its_uploads_is_refused_and_nothing_is_written(
    fx_deps: Deps, fx_user: User, fx_storage: MemoryObjectStorage, fx_db: MemoryDatabase
) -> None:
    """Upload URLs are signed between the checks and the write; the write checks again."""
    held = HeldStorage(fx_storage, operation="sign_upload")
    products = JsonProducts(product_service(dataclasses.replace(fx_deps, storage=held)))
    held.hold()
    signing = asyncio.create_task(
        products.create(fx_user, {"product": {"sku": "LAMP-1"}, "uploads": intents(1)})
    )
    await held.held.wait()
    other = await products.create(fx_user, {"product": {"sku": "LAMP-1"}})
    held.release()
    with pytest.raises(ValidationFailed) as info:
        await signing
    assert info.value.fields == {"sku": ["has already been taken"]}
    assert list(fx_db.snapshot().products) == [other.view.product.id]
    assert fx_db.snapshot().images == {}
