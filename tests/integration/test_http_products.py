"""Products over HTTP: the quick-start flow and the payload contract (spec 20 §2-3, 30 §3-5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.services.processing import PROCESS_RUN_JOB
from reseller_entrypoints.bootstrap import Container
from tests.images import product_photo
from tests.integration.conftest import Account, Fakes
from tests.integration.openapi_check import assert_documented

Client = AsyncTestClient[Litestar]

PRODUCT_KEYS = [
    "id",
    "status",
    "source",
    "title",
    "brand",
    "category",
    "condition",
    "color",
    "size",
    "material",
    "price",
    "cost",
    "product_tab_id",
    "product_tab",
    "sku",
    "tags",
    "notes",
    "ai_summary",
    "ai_confidence",
    "sold_at",
    "archived_at",
    "storefront_enabled",
    "storefront_published_at",
    "inserted_at",
    "updated_at",
    "latest_processing_run",
    "latest_lifestyle_generation_run",
    "description_draft",
    "price_research",
    "marketplace_listings",
    "image_urls",
    "images",
    "videos",
    "latest_video_generation_run",
]
IMAGE_KEYS = {
    "id",
    "kind",
    "position",
    "storage_key",
    "url",
    "content_type",
    "width",
    "height",
    "byte_size",
    "checksum",
    "background_style",
    "processing_status",
    "original_filename",
    "lifestyle_generation_run_id",
    "scene_key",
    "variant_index",
    "source_image_ids",
    "seller_approved",
    "approved_at",
    "storefront_visible",
    "storefront_position",
    "inserted_at",
    "updated_at",
}
RUN_KEYS = {
    "id",
    "status",
    "step",
    "started_at",
    "finished_at",
    "error_code",
    "error_message",
    "inserted_at",
    "updated_at",
    "payload",
}
PHOTO = product_photo("JPEG")


def intent(name: str = "shoe.jpg") -> dict[str, object]:
    return {"filename": name, "content_type": "image/jpeg", "byte_size": len(PHOTO)}


async def fetch_document(client: Client) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/api/v1/openapi.json")).json()
    return document


def run_pipeline_jobs(fakes: Fakes, container: Container) -> None:
    async def process(args: Mapping[str, str]) -> None:
        await container.services.pipeline.process(args["run_id"])

    fakes.queue.register(PROCESS_RUN_JOB, process)


async def test_create_product_without_uploads(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.post(
        "/api/v1/products",
        json={
            "product": {
                "title": "  Nike Air Max 90 ",
                "price": 119,
                "cost": "40.5",
                "tags": "nike, air-max,nike",
                "status": "ready",
                "id": "01KDVDNA00000000000000ZZZZ",
            }
        },
        headers=fx_account.headers,
    )
    assert response.status_code == 201
    data = response.json()["data"]
    product = data["product"]
    assert list(product) == PRODUCT_KEYS
    assert product["status"] == "draft"
    assert product["title"] == "Nike Air Max 90"
    assert product["price"] == "119.00"
    assert product["cost"] == "40.50"
    assert product["tags"] == ["nike", "air-max"]
    assert product["id"] != "01KDVDNA00000000000000ZZZZ"
    assert product["inserted_at"] == "2026-01-01T00:00:00Z"
    assert product["latest_processing_run"] is None
    assert product["latest_lifestyle_generation_run"] is None
    assert product["marketplace_listings"] == []
    assert product["images"] == []
    assert product["image_urls"] == []
    assert data["upload_instructions"] == []
    assert_documented(await fetch_document(fx_client), "POST", "/api/v1/products", response)


async def test_create_with_an_empty_body_makes_a_draft(
    fx_client: Client, fx_account: Account
) -> None:
    response = await fx_client.post("/api/v1/products", headers=fx_account.headers)
    assert response.status_code == 201
    assert response.json()["data"]["product"]["status"] == "draft"


async def test_quick_start_flow(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    """Create with uploads → upload → finalize → worker → GET → reprocess (seed quick start)."""
    document = await fetch_document(fx_client)
    run_pipeline_jobs(fx_fakes, fx_container)
    await fx_client.patch(
        "/api/v1/me",
        json={"selected_marketplaces": ["poshmark", "ebay", "depop"]},
        headers=fx_account.headers,
    )

    created = await fx_client.post(
        "/api/v1/products",
        json={"product": {"title": "Red ball", "brand": "Acme"}, "uploads": [intent()]},
        headers=fx_account.headers,
    )
    assert created.status_code == 201
    assert_documented(document, "POST", "/api/v1/products", created)
    product = created.json()["data"]["product"]
    (instruction,) = created.json()["data"]["upload_instructions"]
    assert product["status"] == "uploading"
    assert product["images"][0]["processing_status"] == "pending_upload"
    assert set(product["images"][0]) == IMAGE_KEYS
    assert product["image_urls"] == []
    assert instruction["method"] == "PUT"
    assert instruction["headers"] == {"content-type": "image/jpeg"}
    assert instruction["expires_at"] == "2026-01-01T00:15:00Z"
    assert instruction["image_id"] == product["images"][0]["id"]

    fx_fakes.storage.put_object_directly(instruction["storage_key"], PHOTO, "image/jpeg")
    finalized = await fx_client.post(
        f"/api/v1/products/{product['id']}/finalize_uploads",
        json={"uploads": [{"id": instruction["image_id"], "width": 640, "height": 480}]},
        headers=fx_account.headers,
    )
    assert finalized.status_code == 200, finalized.text
    assert_documented(document, "POST", "/api/v1/products/{id}/finalize_uploads", finalized)
    data = finalized.json()["data"]
    assert data["product"]["status"] == "processing"
    assert data["finalized_images"][0]["processing_status"] == "uploaded"
    assert set(data["processing_run"]) == RUN_KEYS
    assert data["processing_run"]["status"] == "queued"
    assert data["processing_run"]["payload"] == {}

    await fx_fakes.queue.run_all(raise_errors=True)
    fetched = await fx_client.get(f"/api/v1/products/{product['id']}", headers=fx_account.headers)
    assert fetched.status_code == 200
    assert_documented(document, "GET", "/api/v1/products/{id}", fetched)
    settled = fetched.json()["data"]["product"]
    assert settled["status"] in ("ready", "review")
    assert settled["latest_processing_run"]["status"] == "completed"
    assert settled["description_draft"] is not None
    research = settled["price_research"]
    assert research is not None
    for key in ("suggested_min_price", "suggested_target_price", "suggested_max_price"):
        assert research[key] is None or research[key].count(".") == 1
        assert research[key] is None or len(research[key].split(".")[1]) == 2
    markets = [listing["marketplace"] for listing in settled["marketplace_listings"]]
    assert markets == sorted(markets) == ["depop", "ebay", "poshmark"]
    ready_urls = [
        image["url"]
        for image in settled["images"]
        if image["processing_status"] not in ("pending_upload", "failed")
    ]
    assert settled["image_urls"] == ready_urls
    assert all(url.startswith("https://files.example.test/") for url in ready_urls)

    listed = await fx_client.get("/api/v1/products", headers=fx_account.headers)
    assert_documented(document, "GET", "/api/v1/products", listed)
    assert listed.json()["data"]["products"][0]["id"] == product["id"]

    reprocessed = await fx_client.post(
        f"/api/v1/products/{product['id']}/reprocess", headers=fx_account.headers
    )
    assert reprocessed.status_code == 202, reprocessed.text
    assert_documented(document, "POST", "/api/v1/products/{id}/reprocess", reprocessed)
    again = reprocessed.json()["data"]
    assert again["product"]["status"] == "processing"
    assert again["processing_run"]["status"] == "queued"
    assert again["processing_run"]["id"] != settled["latest_processing_run"]["id"]

    busy = await fx_client.post(
        f"/api/v1/products/{product['id']}/reprocess", headers=fx_account.headers
    )
    assert busy.status_code == 422
    assert busy.json()["error"]["code"] == "invalid_product_state"
    assert_documented(document, "POST", "/api/v1/products/{id}/reprocess", busy)


async def test_prepare_uploads_adds_placeholders(fx_client: Client, fx_account: Account) -> None:
    document = await fetch_document(fx_client)
    created = await fx_client.post("/api/v1/products", json={}, headers=fx_account.headers)
    product_id = created.json()["data"]["product"]["id"]
    response = await fx_client.post(
        f"/api/v1/products/{product_id}/prepare_uploads",
        json={"uploads": [intent("a.jpg"), intent("b.png")]},
        headers=fx_account.headers,
    )
    assert response.status_code == 200, response.text
    assert_documented(document, "POST", "/api/v1/products/{id}/prepare_uploads", response)
    data = response.json()["data"]
    assert data["product"]["status"] == "draft"
    assert [image["position"] for image in data["product"]["images"]] == [1, 2]
    assert len(data["upload_instructions"]) == 2

    blank = await fx_client.post(
        f"/api/v1/products/{product_id}/prepare_uploads", json={}, headers=fx_account.headers
    )
    assert blank.status_code == 422
    assert blank.json()["error"]["fields"] == {"uploads": ["can't be blank"]}
    assert_documented(document, "POST", "/api/v1/products/{id}/prepare_uploads", blank)


async def test_finalize_leaving_a_pending_upload_starts_no_run(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    created = await fx_client.post(
        "/api/v1/products",
        json={"uploads": [intent("a.jpg"), intent("b.jpg")]},
        headers=fx_account.headers,
    )
    first = created.json()["data"]["upload_instructions"][0]
    fx_fakes.storage.put_object_directly(first["storage_key"], PHOTO, "image/jpeg")
    product_id = created.json()["data"]["product"]["id"]
    response = await fx_client.post(
        f"/api/v1/products/{product_id}/finalize_uploads",
        json={"uploads": [{"id": first["image_id"]}]},
        headers=fx_account.headers,
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["processing_run"] is None
    assert data["product"]["status"] == "uploading"
    assert data["product"]["image_urls"] == [data["product"]["images"][0]["url"]]
    assert_documented(
        await fetch_document(fx_client), "POST", "/api/v1/products/{id}/finalize_uploads", response
    )


async def test_list_filters_are_echoed_and_bad_values_fall_back(
    fx_client: Client, fx_account: Account
) -> None:
    for title in ("Blue jacket", "Red shoes", "Green hat"):
        await fx_client.post(
            "/api/v1/products", json={"product": {"title": title}}, headers=fx_account.headers
        )
    response = await fx_client.get(
        "/api/v1/products",
        params={
            "page": "abc",
            "page_size": "500",
            "status": "bogus",
            "query": "  shoes ",
            "product_tab_id": "not-a-ulid",
            "updated_from": "2026-13-45",
            "updated_to": "2026-01-31",
            "sort": "title",
            "dir": "UP",
        },
        headers=fx_account.headers,
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["filters"] == {
        "status": "all",
        "query": "shoes",
        "product_tab_id": None,
        "updated_from": None,
        "updated_to": "2026-01-31",
        "sort": "title",
        "dir": "desc",
    }
    assert data["pagination"] == {"page": 1, "page_size": 100, "total_count": 1, "total_pages": 1}
    assert [product["title"] for product in data["products"]] == ["Red shoes"]
    assert_documented(await fetch_document(fx_client), "GET", "/api/v1/products", response)


async def test_empty_list_has_one_page(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.get("/api/v1/products", headers=fx_account.headers)
    data = response.json()["data"]
    assert data["products"] == []
    assert data["pagination"] == {"page": 1, "page_size": 15, "total_count": 0, "total_pages": 1}
    assert data["filters"]["sort"] == "updated_at"


async def test_users_only_see_their_own_products(
    fx_client: Client, fx_account: Account, fx_other_account: Account
) -> None:
    await fx_client.post(
        "/api/v1/products", json={"product": {"title": "Mine"}}, headers=fx_account.headers
    )
    theirs = await fx_client.get("/api/v1/products", headers=fx_other_account.headers)
    assert theirs.json()["data"]["products"] == []
