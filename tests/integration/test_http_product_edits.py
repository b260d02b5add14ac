"""PATCH/DELETE /products/:id and the lifecycle actions over HTTP (spec 20 §2.3, §3.4-3.6).

Runs on the in-memory unit of work and on SQLite's migrated schema; every answer is
checked against the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.services.storage_cleanup import storage_cleanup_job_handlers
from reseller_entrypoints.bootstrap import Container
from tests.images import product_photo
from tests.integration import test_http_product_tabs
from tests.integration.conftest import Account, Fakes
from tests.integration.openapi_check import assert_documented
from tests.integration.test_http_products import fetch_document, run_pipeline_jobs

Client = AsyncTestClient[Litestar]
fx_container = test_http_product_tabs.fx_container
"""Every test here runs on the in-memory unit of work and on SQLite's migrated schema."""
PRODUCTS = "/api/v1/products"
UNKNOWN = "01J9ZQ4V7X2M8K3N5P6R7S8T9W"
PHOTO = product_photo("JPEG")


@pytest.fixture(autouse=True)
def fx_jobs(fx_fakes: Fakes, fx_container: Container) -> None:
    """The worker's handlers on the recording queue: processing and storage cleanup."""
    run_pipeline_jobs(fx_fakes, fx_container)
    for name, handler in storage_cleanup_job_handlers(fx_container.deps.storage).items():
        fx_fakes.queue.register(name, handler)


async def _draft(client: Client, account: Account, **fields: object) -> dict[str, Any]:
    response = await client.post(PRODUCTS, json={"product": fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]["product"]  # type: ignore[no-any-return]


async def _with_photo(client: Client, account: Account, fakes: Fakes) -> dict[str, Any]:
    """A product whose one original is finalized and processed (status ready/review)."""
    body = {"product": {"title": "Boot"}, "uploads": [
        {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": len(PHOTO)}
    ]}  # fmt: skip
    created = (await client.post(PRODUCTS, json=body, headers=account.headers)).json()["data"]
    (instruction,) = created["upload_instructions"]
    fakes.storage.put_object_directly(instruction["storage_key"], PHOTO, "image/jpeg")
    product_id = created["product"]["id"]
    finalized = await client.post(
        f"{PRODUCTS}/{product_id}/finalize_uploads",
        json={"uploads": [{"id": instruction["image_id"]}]},
        headers=account.headers,
    )
    assert finalized.status_code == 200, finalized.text
    await fakes.queue.run_all(raise_errors=True)
    return (await client.get(f"{PRODUCTS}/{product_id}", headers=account.headers)).json()["data"][
        "product"
    ]


async def _patch(client: Client, account: Account, product_id: str, body: object) -> Any:
    return await client.patch(f"{PRODUCTS}/{product_id}", json=body, headers=account.headers)


async def test_patch_fields_is_partial_and_ignores_system_keys(
    fx_client: Client, fx_account: Account
) -> None:
    product = await _draft(fx_client, fx_account, title="Boot", brand="Acme", tags=["a"])
    response = await _patch(fx_client, fx_account, product["id"], {"product": {
        "title": "  Winter boot ", "brand": None, "price": "19.5", "tags": "x, y\nx",
        "source": "import", "ai_summary": "nope", "sold_at": "2020-01-01T00:00:00Z",
    }})  # fmt: skip
    assert response.status_code == 200, response.text
    assert_documented(await fetch_document(fx_client), "PATCH", "/api/v1/products/{id}", response)
    patched = response.json()["data"]["product"]
    assert patched["title"] == "Winter boot" and patched["brand"] is None
    assert patched["price"] == "19.50" and patched["tags"] == ["x", "y"]
    assert patched["source"] == "manual" and patched["ai_summary"] is None
    assert patched["sold_at"] is None and patched["status"] == "draft"
    again = await fx_client.get(f"{PRODUCTS}/{product['id']}", headers=fx_account.headers)
    assert again.json()["data"]["product"] == patched


@pytest.mark.parametrize(
    ("target", "sold", "archived"),
    [("draft", False, False), ("review", False, False), ("ready", False, False),
     ("sold", True, False), ("archived", False, True)],
)  # fmt: skip
async def test_patch_status_manual_targets(
    fx_client: Client, fx_account: Account, target: str, sold: bool, archived: bool
) -> None:
    product = await _draft(fx_client, fx_account, title="Boot")
    await fx_client.post(f"{PRODUCTS}/{product['id']}/mark_sold", headers=fx_account.headers)
    response = await _patch(fx_client, fx_account, product["id"], {"product": {"status": target}})
    assert response.status_code == 200, response.text
    patched = response.json()["data"]["product"]
    assert patched["status"] == target
    assert (patched["sold_at"] is not None) is (sold or archived)  # archive keeps sold_at
    assert (patched["archived_at"] is not None) is archived


@pytest.mark.parametrize("status", ["uploading", "processing", "deleted", "", 3, None])
async def test_patch_status_other_values_are_invalid(
    fx_client: Client, fx_account: Account, status: object
) -> None:
    product = await _draft(fx_client, fx_account, title="Boot")
    response = await _patch(
        fx_client, fx_account, product["id"], {"product": {"status": status, "title": "New"}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"status": ["is invalid"]}
    fetched = await fx_client.get(f"{PRODUCTS}/{product['id']}", headers=fx_account.headers)
    assert fetched.json()["data"]["product"]["title"] == "Boot"  # nothing saved


async def test_publication_rules(fx_client: Client, fx_account: Account, fx_fakes: Fakes) -> None:
    draft = await _draft(fx_client, fx_account)
    response = await _patch(
        fx_client, fx_account, draft["id"], {"product": {"storefront_enabled": "on"}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"storefront_enabled": [
        "requires a product title before it can be published",
        "requires at least one finalized original image",
    ]}  # fmt: skip
    product = await _with_photo(fx_client, fx_account, fx_fakes)
    response = await _patch(
        fx_client, fx_account, product["id"], {"product": {"storefront_enabled": 1}}
    )
    assert response.status_code == 200, response.text
    published = response.json()["data"]["product"]
    assert published["storefront_enabled"] is True and published["storefront_published_at"]
    # Any later PATCH of the published product is checked against the result.
    response = await _patch(fx_client, fx_account, product["id"], {"product": {"title": " "}})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "storefront_enabled": ["requires a product title before it can be published"]
    }
    response = await _patch(
        fx_client, fx_account, product["id"], {"product": {"storefront_enabled": "maybe"}}
    )
    assert (
        response.json()["data"]["product"]["storefront_published_at"]
        == published["storefront_published_at"]
    )
    response = await _patch(
        fx_client, fx_account, product["id"], {"product": {"storefront_enabled": "false"}}
    )
    unpublished = response.json()["data"]["product"]
    assert (
        unpublished["storefront_enabled"] is False
        and unpublished["storefront_published_at"] is None
    )


async def test_marketplace_external_urls(fx_client: Client, fx_account: Account) -> None:
    product = await _draft(fx_client, fx_account, title="Boot")
    pid = product["id"]
    response = await _patch(fx_client, fx_account, pid, {
        "marketplace_external_urls": {"ebay": " https://www.ebay.com/itm/1 "},
        "product": {"marketplace_external_urls": {"ebay": "https://ignored.example"}},
    })  # fmt: skip
    assert response.status_code == 200, response.text
    (listing,) = response.json()["data"]["product"]["marketplace_listings"]
    assert listing["marketplace"] == "ebay" and listing["status"] == "manual"
    assert listing["external_url"] == "https://www.ebay.com/itm/1"
    added = listing["external_url_added_at"]
    response = await _patch(
        fx_client, fx_account, pid, {"marketplace_external_urls": {"ebay": "http://e.example/2"}}
    )
    (listing,) = response.json()["data"]["product"]["marketplace_listings"]
    assert (
        listing["external_url"] == "http://e.example/2"
        and listing["external_url_added_at"] == added
    )
    bad = await _patch(fx_client, fx_account, pid, {
        "product": {"title": "Changed"},
        "marketplace_external_urls": {"ebay": "ftp://x", "nowhere": "https://x.example"},
    })  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"marketplace_external_urls": {
        "ebay": ["must be a valid http or https URL"], "nowhere": ["is invalid"],
    }}  # fmt: skip
    response = await _patch(fx_client, fx_account, pid, {"marketplace_external_urls": {"ebay": ""}})
    (listing,) = response.json()["data"]["product"]["marketplace_listings"]
    assert listing["external_url"] is None and listing["external_url_added_at"] is None
    assert response.json()["data"]["product"]["title"] == "Boot"  # the 422 saved nothing


async def test_sku_and_tab_references(
    fx_client: Client, fx_account: Account, fx_other_account: Account
) -> None:
    await _draft(fx_client, fx_account, sku="SKU-1")
    product = await _draft(fx_client, fx_account, sku="SKU-2")
    response = await _patch(fx_client, fx_account, product["id"], {"product": {"sku": "SKU-1"}})
    assert response.json()["error"]["fields"] == {"sku": ["has already been taken"]}
    same = await _patch(fx_client, fx_account, product["id"], {"product": {"sku": "SKU-2"}})
    assert same.status_code == 200
    theirs = await fx_client.post(
        "/api/v1/product_tabs",
        json={"product_tab": {"name": "T"}},
        headers=fx_other_account.headers,
    )
    tab_id = theirs.json()["data"]["product_tab"]["id"]
    for value in (tab_id, "garbage"):
        response = await _patch(
            fx_client, fx_account, product["id"], {"product": {"product_tab_id": value}}
        )
        assert response.json()["error"]["fields"] == {"product_tab_id": ["is invalid"]}


async def test_lifecycle_actions(fx_client: Client, fx_account: Account, fx_fakes: Fakes) -> None:
    product = await _with_photo(fx_client, fx_account, fx_fakes)
    before = product["status"]
    assert before in ("ready", "review")
    path = f"{PRODUCTS}/{product['id']}"
    document = await fetch_document(fx_client)
    archived = await fx_client.post(
        f"{path}/archive", json={"product": {"x": 1}}, headers=fx_account.headers
    )
    assert archived.status_code == 200
    assert_documented(document, "POST", "/api/v1/products/{id}/archive", archived)
    first = archived.json()["data"]["product"]
    assert first["status"] == "archived" and first["archived_at"]
    fx_fakes.clock.advance(60)
    again = (await fx_client.post(f"{path}/archive", headers=fx_account.headers)).json()["data"][
        "product"
    ]
    assert again["archived_at"] == first["archived_at"]
    restored = (await fx_client.post(f"{path}/unarchive", headers=fx_account.headers)).json()[
        "data"
    ]["product"]
    assert restored["status"] == before and restored["archived_at"] is None
    same = (await fx_client.post(f"{path}/unarchive", headers=fx_account.headers)).json()["data"][
        "product"
    ]
    assert same["status"] == before and same["updated_at"] == restored["updated_at"]
    sold = (await fx_client.post(f"{path}/mark_sold", headers=fx_account.headers)).json()["data"][
        "product"
    ]
    assert sold["status"] == "sold" and sold["sold_at"]
    fx_fakes.clock.advance(60)
    archived = (await fx_client.post(f"{path}/archive", headers=fx_account.headers)).json()["data"][
        "product"
    ]
    assert archived["sold_at"] == sold["sold_at"]
    restored = (await fx_client.post(f"{path}/unarchive", headers=fx_account.headers)).json()[
        "data"
    ]["product"]
    assert restored["status"] == "sold" and restored["sold_at"] == sold["sold_at"]
    resold = (await fx_client.post(f"{path}/mark_sold", headers=fx_account.headers)).json()["data"][
        "product"
    ]
    assert resold["sold_at"] == sold["sold_at"]


async def test_delete_removes_everything_and_cleans_storage(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    product = await _with_photo(fx_client, fx_account, fx_fakes)
    keys = [image["storage_key"] for image in product["images"]]
    assert keys and all(key in fx_fakes.storage.objects for key in keys)
    response = await fx_client.delete(f"{PRODUCTS}/{product['id']}", headers=fx_account.headers)
    assert response.status_code == 200 and response.json() == {"data": {"deleted": True}}
    assert_documented(await fetch_document(fx_client), "DELETE", "/api/v1/products/{id}", response)
    fetched = await fx_client.get(f"{PRODUCTS}/{product['id']}", headers=fx_account.headers)
    assert fetched.status_code == 404
    listed = await fx_client.get(PRODUCTS, headers=fx_account.headers)
    assert listed.json()["data"]["products"] == []
    assert any(key in fx_fakes.storage.objects for key in keys)  # not inside the request
    await fx_fakes.queue.run_all(raise_errors=True)
    assert not any(key in fx_fakes.storage.objects for key in keys)


@pytest.mark.parametrize("product_id", ["foreign", UNKNOWN, "not-a-ulid"])
async def test_unknown_foreign_or_malformed_ids_are_404(
    fx_client: Client, fx_account: Account, fx_other_account: Account, product_id: str
) -> None:
    if product_id == "foreign":
        product_id = (await _draft(fx_client, fx_other_account, title="Theirs"))["id"]
    path = f"{PRODUCTS}/{product_id}"
    calls = [
        fx_client.patch(path, json={"product": {"title": "x"}}, headers=fx_account.headers),
        fx_client.delete(path, headers=fx_account.headers),
        *(fx_client.post(f"{path}/{a}", headers=fx_account.headers)
          for a in ("mark_sold", "archive", "unarchive")),
    ]  # fmt: skip
    for call in calls:
        response = await call
        assert response.status_code == 404, response.text
        assert response.json()["error"]["detail"] == "Product not found"


@pytest.mark.parametrize("body", [[], "x", {"product": "x"}, {"product": []}])
async def test_patch_body_not_an_object_is_400(
    fx_client: Client, fx_account: Account, body: object
) -> None:
    product = await _draft(fx_client, fx_account, title="Boot")
    response = await _patch(fx_client, fx_account, product["id"], body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
