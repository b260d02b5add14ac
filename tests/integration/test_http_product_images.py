"""Image management over HTTP (spec 30 §4.1-4.3): delete with its cascade, storefront flags
and order. On the in-memory unit of work and on SQLite's migrated schema; every answer is
checked against the OpenAPI document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.services.processing import PROCESS_RUN_JOB
from reseller_core.services.processing.lifestyle_requests import LIFESTYLE_RUN_JOB
from reseller_core.services.storage_cleanup import storage_cleanup_job_handlers
from reseller_entrypoints.bootstrap import Container
from tests.images import product_photo
from tests.integration import test_http_product_tabs
from tests.integration.conftest import Account, Fakes
from tests.integration.openapi_check import assert_documented
from tests.integration.test_http_products import fetch_document

Client = AsyncTestClient[Litestar]
fx_container = test_http_product_tabs.fx_container
PRODUCTS = "/api/v1/products"
UNKNOWN = "01J9ZQ4V7X2M8K3N5P6R7S8T9W"
PHOTO = product_photo("JPEG")


@pytest.fixture(autouse=True)
def fx_jobs(fx_fakes: Fakes, fx_container: Container) -> None:
    """The worker's handlers on the recording queue: runs, lifestyle scenes, cleanup."""

    async def process(args: Mapping[str, str]) -> None:
        await fx_container.services.pipeline.process(args["run_id"])

    async def lifestyle(args: Mapping[str, str]) -> None:
        await fx_container.services.lifestyle_runner.process(args["run_id"])

    fx_fakes.queue.register(PROCESS_RUN_JOB, process)
    fx_fakes.queue.register(LIFESTYLE_RUN_JOB, lifestyle)
    for name, handler in storage_cleanup_job_handlers(fx_container.deps.storage).items():
        fx_fakes.queue.register(name, handler)


async def _product(client: Client, account: Account, fakes: Fakes, photos: int = 2) -> str:
    """A processed product: ``photos`` originals, their background-removed variants."""
    uploads = [
        {"filename": f"{n}.jpg", "content_type": "image/jpeg", "byte_size": len(PHOTO)}
        for n in range(photos)
    ]
    body = {"product": {"title": "Leather satchel"}, "uploads": uploads}
    created = (await client.post(PRODUCTS, json=body, headers=account.headers)).json()["data"]
    for instruction in created["upload_instructions"]:
        fakes.storage.put_object_directly(instruction["storage_key"], PHOTO, "image/jpeg")
    product_id: str = created["product"]["id"]
    ids = [{"id": i["image_id"]} for i in created["upload_instructions"]]
    finalized = await client.post(
        f"{PRODUCTS}/{product_id}/finalize_uploads", json={"uploads": ids}, headers=account.headers
    )
    assert finalized.status_code == 200, finalized.text
    await fakes.queue.run_all(raise_errors=True)
    return product_id


async def _get(client: Client, account: Account, product_id: str) -> dict[str, Any]:
    response = await client.get(f"{PRODUCTS}/{product_id}", headers=account.headers)
    return response.json()["data"]["product"]  # type: ignore[no-any-return]


def _of(product: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [image for image in product["images"] if image["kind"] == kind]


async def test_deleting_an_original_takes_its_variants_and_generated_images(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    product_id = await _product(fx_client, fx_account, fx_fakes)
    generated = await fx_client.post(
        f"{PRODUCTS}/{product_id}/generate_lifestyle_images", headers=fx_account.headers
    )
    assert generated.status_code == 202, generated.text
    await fx_fakes.queue.run_all(raise_errors=True)
    product = await _get(fx_client, fx_account, product_id)
    first, second = sorted(_of(product, "original"), key=lambda i: i["position"])
    assert len(_of(product, "background_removed")) == 2
    lifestyle = _of(product, "lifestyle_generated")
    assert lifestyle and all(first["id"] in i["source_image_ids"] for i in lifestyle)
    doomed_keys = [first["storage_key"]] + [
        i["storage_key"]
        for i in product["images"]
        if (i["kind"] == "background_removed" and i["position"] == first["position"])
        or first["id"] in i["source_image_ids"]
    ]
    before = fx_fakes.storage.keys()
    assert all(key in before for key in doomed_keys)

    path = f"{PRODUCTS}/{product_id}/images/{first['id']}"
    response = await fx_client.delete(path, headers=fx_account.headers)
    assert response.status_code == 200, response.text
    assert_documented(
        await fetch_document(fx_client),
        "DELETE",
        "/api/v1/products/{id}/images/{image_id}",
        response,
    )
    data = response.json()["data"]
    assert data["deleted"] is True
    left = {image["id"] for image in data["product"]["images"]}
    assert first["id"] not in left and second["id"] in left
    assert [i["position"] for i in _of(data["product"], "background_removed")] == [
        second["position"]
    ]
    assert _of(data["product"], "lifestyle_generated") == []
    assert data["product"]["status"] == product["status"]  # an original remains
    assert await _get(fx_client, fx_account, product_id) == data["product"]
    await fx_fakes.queue.run_all(raise_errors=True)
    stored = fx_fakes.storage.keys()
    assert not [key for key in doomed_keys if key in stored]
    assert second["storage_key"] in stored

    again = await fx_client.delete(path, headers=fx_account.headers)
    assert again.status_code == 404
    assert again.json()["error"]["detail"] == "Product image not found"


async def test_deleting_the_last_original_makes_the_product_a_draft_and_variants_go_alone(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    product_id = await _product(fx_client, fx_account, fx_fakes, photos=1)
    product = await _get(fx_client, fx_account, product_id)
    assert product["status"] in ("ready", "review")
    (variant,) = _of(product, "background_removed")
    alone = await fx_client.delete(
        f"{PRODUCTS}/{product_id}/images/{variant['id']}", headers=fx_account.headers
    )
    assert alone.status_code == 200
    assert len(alone.json()["data"]["product"]["images"]) == 1
    assert alone.json()["data"]["product"]["status"] == product["status"]
    (original,) = _of(product, "original")
    last = await fx_client.delete(
        f"{PRODUCTS}/{product_id}/images/{original['id']}", headers=fx_account.headers
    )
    assert last.status_code == 200
    assert last.json()["data"]["product"]["status"] == "draft"
    assert last.json()["data"]["product"]["images"] == []


@pytest.mark.parametrize("action", ["mark_sold", "archive"])
async def test_image_deletion_is_refused_outside_draft_review_ready(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, action: str
) -> None:
    product_id = await _product(fx_client, fx_account, fx_fakes, photos=1)
    image_id = _of(await _get(fx_client, fx_account, product_id), "original")[0]["id"]
    await fx_client.post(f"{PRODUCTS}/{product_id}/{action}", headers=fx_account.headers)
    refused = await fx_client.delete(
        f"{PRODUCTS}/{product_id}/images/{image_id}", headers=fx_account.headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_product_state"
    assert len((await _get(fx_client, fx_account, product_id))["images"]) == 2


async def test_image_deletion_is_refused_while_uploading_or_processing(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    body = {"product": {"title": "Lamp"}, "uploads": [
        {"filename": f"{n}.jpg", "content_type": "image/jpeg", "byte_size": len(PHOTO)}
        for n in range(2)
    ]}  # fmt: skip
    created = (await fx_client.post(PRODUCTS, json=body, headers=fx_account.headers)).json()
    product_id = created["data"]["product"]["id"]
    first, _ = created["data"]["upload_instructions"]
    path = f"{PRODUCTS}/{product_id}/images/{first['image_id']}"
    uploading = await fx_client.delete(path, headers=fx_account.headers)
    assert uploading.json()["error"]["code"] == "invalid_product_state"
    fx_fakes.storage.put_object_directly(first["storage_key"], PHOTO, "image/jpeg")
    await fx_client.post(
        f"{PRODUCTS}/{product_id}/finalize_uploads",
        json={"uploads": [{"id": first["image_id"]}]},
        headers=fx_account.headers,
    )
    assert (await _get(fx_client, fx_account, product_id))["status"] == "uploading"
    second = created["data"]["upload_instructions"][1]
    fx_fakes.storage.put_object_directly(second["storage_key"], PHOTO, "image/jpeg")
    await fx_client.post(
        f"{PRODUCTS}/{product_id}/finalize_uploads",
        json={"uploads": [{"id": second["image_id"]}]},
        headers=fx_account.headers,
    )
    assert (await _get(fx_client, fx_account, product_id))["status"] == "processing"
    processing = await fx_client.delete(path, headers=fx_account.headers)
    assert processing.status_code == 422
    assert processing.json()["error"]["code"] == "invalid_product_state"


async def test_image_ids_of_others_unknown_or_malformed_are_404(
    fx_client: Client, fx_account: Account, fx_other_account: Account, fx_fakes: Fakes
) -> None:
    product_id = await _product(fx_client, fx_account, fx_fakes, photos=1)
    image_id = _of(await _get(fx_client, fx_account, product_id), "original")[0]["id"]
    other_id = await _product(fx_client, fx_other_account, fx_fakes, photos=1)
    other_image = _of(await _get(fx_client, fx_other_account, other_id), "original")[0]["id"]
    for product, image in (
        (product_id, UNKNOWN),
        (product_id, "garbage"),
        (product_id, other_image),
        (other_id, other_image),
        ("garbage", image_id),
        (UNKNOWN, image_id),
    ):
        base = f"{PRODUCTS}/{product}/images/{image}"
        deleted = await fx_client.delete(base, headers=fx_account.headers)
        assert deleted.status_code == 404, (product, image)
        flagged = await fx_client.patch(
            f"{base}/storefront", json={"storefront_visible": True}, headers=fx_account.headers
        )
        assert flagged.status_code == 404
        assert flagged.json()["error"]["detail"] == "Product or image not found"
    ordered = await fx_client.put(
        f"{PRODUCTS}/{product_id}/images/storefront_order",
        json={"image_ids": [image_id, other_image]},
        headers=fx_account.headers,
    )
    assert ordered.status_code == 404
    assert len((await _get(fx_client, fx_other_account, other_id))["images"]) == 2


async def test_storefront_flags_and_order(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    product_id = await _product(fx_client, fx_account, fx_fakes)
    product = await _get(fx_client, fx_account, product_id)
    first, second = sorted(_of(product, "original"), key=lambda i: i["position"])
    base = f"{PRODUCTS}/{product_id}/images"
    document = await fetch_document(fx_client)

    shown = await fx_client.patch(
        f"{base}/{first['id']}/storefront",
        json={"storefront_visible": "true", "storefront_position": 3},
        headers=fx_account.headers,
    )
    assert shown.status_code == 200, shown.text
    assert_documented(
        document, "PATCH", "/api/v1/products/{id}/images/{image_id}/storefront", shown
    )
    image = next(i for i in shown.json()["data"]["product"]["images"] if i["id"] == first["id"])
    assert (image["storefront_visible"], image["storefront_position"]) == (True, 3)
    unchanged = await fx_client.patch(
        f"{base}/{first['id']}/storefront", json={}, headers=fx_account.headers
    )
    assert unchanged.status_code == 200
    assert unchanged.json()["data"]["product"] == shown.json()["data"]["product"]
    cleared = await fx_client.patch(
        f"{base}/{first['id']}/storefront",
        json={"storefront_position": None, "storefront_visible": False},
        headers=fx_account.headers,
    )
    image = next(i for i in cleared.json()["data"]["product"]["images"] if i["id"] == first["id"])
    assert (image["storefront_visible"], image["storefront_position"]) == (False, None)
    for body, field, message in (
        ({"storefront_position": 0}, "storefront_position", "must be greater than 0"),
        ({"storefront_position": "2"}, "storefront_position", "is invalid"),
        ({"storefront_position": 2**64}, "storefront_position", "is invalid"),
        ({"storefront_visible": "yes"}, "storefront_visible", "is invalid"),
        ({"storefront_visible": None}, "storefront_visible", "is invalid"),
    ):
        refused = await fx_client.patch(
            f"{base}/{first['id']}/storefront", json=body, headers=fx_account.headers
        )
        assert refused.status_code == 422, body
        assert refused.json()["error"]["fields"] == {field: [message]}
    not_object = await fx_client.patch(
        f"{base}/{first['id']}/storefront", json=[1], headers=fx_account.headers
    )
    assert not_object.status_code == 400

    order = f"{base}/storefront_order"
    ordered = await fx_client.put(
        order, json={"image_ids": [second["id"], first["id"]]}, headers=fx_account.headers
    )
    assert ordered.status_code == 200, ordered.text
    assert_documented(document, "PUT", "/api/v1/products/{id}/images/storefront_order", ordered)
    positions = {
        i["id"]: (i["storefront_position"], i["storefront_visible"])
        for i in ordered.json()["data"]["product"]["images"]
    }
    assert positions[second["id"]] == (1, False) and positions[first["id"]] == (2, False)
    assert all(positions[i["id"]] == (None, False) for i in _of(product, "background_removed")), (
        "unlisted images keep their position"
    )
    noop = await fx_client.put(order, json={"image_ids": []}, headers=fx_account.headers)
    assert noop.json()["data"]["product"] == ordered.json()["data"]["product"]
    duplicate = await fx_client.put(
        order, json={"image_ids": [first["id"], first["id"]]}, headers=fx_account.headers
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["error"]["fields"] == {"image_ids": ["contains duplicate image ids"]}
    for body in ({}, {"image_ids": "x"}, {"image_ids": None}):
        bad = await fx_client.put(order, json=body, headers=fx_account.headers)
        assert bad.status_code == 400, body
        assert bad.json()["error"]["detail"] == "image_ids must be a list"
    odd = await fx_client.put(order, json={"image_ids": [7]}, headers=fx_account.headers)
    assert odd.status_code == 404
    assert await _get(fx_client, fx_account, product_id) == ordered.json()["data"]["product"]
