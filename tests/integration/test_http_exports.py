"""Exports over HTTP (spec 50 §2-§7) with in-memory fakes: request, job, archive, reads."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import openpyxl
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.domain.archive_manifest import EXPORT_COLUMNS, PRODUCT_COLUMNS
from reseller_core.domain.images import ImageKind
from reseller_core.services.transfers.jobs import transfer_job_handlers
from reseller_entrypoints.bootstrap import Container
from tests.integration.conftest import Account, Fakes
from tests.transfers.seeding import SeedImage, seed_product

Client = AsyncTestClient[Litestar]


def _wire_jobs(container: Container, fakes: Fakes) -> None:
    for name, handler in transfer_job_handlers(exports=container.services.exports).items():
        fakes.queue.register(name, handler)


async def _seed(container: Container, fakes: Fakes, account: Account, **kwargs: object) -> str:
    product = await seed_product(
        container.deps.uow,
        fakes.storage,
        fakes.ids,
        fakes.clock.now(),
        account.user_id,
        **kwargs,  # type: ignore[arg-type]
    )
    return product.id


async def test_export_builds_the_archive_and_mails_the_link(
    fx_client: Client, fx_container: Container, fx_fakes: Fakes, fx_account: Account
) -> None:
    _wire_jobs(fx_container, fx_fakes)
    first = await _seed(
        fx_container,
        fx_fakes,
        fx_account,
        title='=HYPERLINK("http://evil.example","click")',
        images=(
            SeedImage(),
            SeedImage(kind=ImageKind.BACKGROUND_REMOVED, fmt="PNG", filename=None),
        ),
        with_artifacts=True,
    )
    fx_fakes.clock.advance(seconds=5)
    second = await _seed(fx_container, fx_fakes, fx_account, title="Plain", sku="SKU-1", images=())

    response = await fx_client.post(
        "/api/v1/exports", json={"export": {"name": "Fila export"}}, headers=fx_account.headers
    )
    assert response.status_code == 202, response.text
    export = response.json()["data"]["export"]
    assert export["status"] == "queued"
    assert export["download_url"] is None
    assert export["product_count"] == 2
    assert export["file_name"].startswith("fila-export-") and export["file_name"].endswith(".zip")

    await fx_fakes.queue.run_all(raise_errors=True)
    response = await fx_client.get(f"/api/v1/exports/{export['id']}", headers=fx_account.headers)
    body = response.json()["data"]["export"]
    assert body["status"] == "completed", body
    assert body["download_url"]
    assert body["storage_key"] == (
        f"users/{fx_account.user_id}/exports/{export['id']}/{export['file_name']}"
    )

    archive = zipfile.ZipFile(io.BytesIO(await fx_fakes.storage.get(body["storage_key"])))
    names = archive.namelist()
    assert names[:2] == ["Products.xlsx", "manifest.json"]
    assert names[2:] == [
        f"images/{first}/1-original-shoe-1.jpg",
        f"images/{first}/1-background_removed.png",
    ]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["export"]["product_count"] == 2
    assert [p["id"] for p in manifest["products"]] == [second, first]  # updated_at desc
    assert manifest["products"][1]["description_draft"]["suggested_title"] == "Nike Air Max 90"
    assert manifest["products"][1]["marketplace_listings"][0]["marketplace"] == "ebay"

    book = openpyxl.load_workbook(io.BytesIO(archive.read("Products.xlsx")), read_only=True)
    assert book.sheetnames == ["Export", "Products"]
    rows = list(book["Products"].iter_rows(values_only=True))
    assert rows[0] == PRODUCT_COLUMNS
    hostile = rows[2]
    assert hostile[1] == '=HYPERLINK("http://evil.example","click")'  # text, not a formula
    assert hostile[29] == 1  # marketplace count, a number
    styled = openpyxl.load_workbook(io.BytesIO(archive.read("Products.xlsx")))["Products"]
    assert styled["B3"].data_type == "s" and styled["B3"].quotePrefix is True  # neutralised
    assert styled["B2"].quotePrefix is False
    export_rows = list(book["Export"].iter_rows(values_only=True))
    assert export_rows[0] == EXPORT_COLUMNS
    assert export_rows[1][0] == export["id"] and export_rows[1][4] == 2

    mails = fx_fakes.mailer.to(fx_account.email)
    ready = [m for m in mails if m.subject == "Your ResellerIO export is ready"]
    assert len(ready) == 1
    assert f"Your export #{export['id']} is ready." in ready[0].text


async def test_export_with_nothing_matching_is_422_and_creates_nothing(
    fx_client: Client, fx_container: Container, fx_fakes: Fakes, fx_account: Account
) -> None:
    await _seed(fx_container, fx_fakes, fx_account)
    response = await fx_client.post(
        "/api/v1/exports",
        json={"export": {"filters": {"status": "sold"}}},
        headers=fx_account.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "export_failed"
    assert response.json()["error"]["detail"] == "Could not start export: no products matched"
    listed = await fx_client.get("/api/v1/exports", headers=fx_account.headers)
    assert listed.json()["data"]["exports"] == []


async def test_filters_are_normalised_and_defaults_omitted(
    fx_client: Client, fx_container: Container, fx_fakes: Fakes, fx_account: Account
) -> None:
    await _seed(fx_container, fx_fakes, fx_account)
    response = await fx_client.post(
        "/api/v1/exports",
        json={
            "export": {
                "filters": {
                    "status": "bogus",
                    "query": "  nike ",
                    "sort": "price",
                    "dir": "sideways",
                    "updated_from": "2020-13-40",
                    "product_tab_id": "nope",
                }
            }
        },
        headers=fx_account.headers,
    )
    assert response.status_code == 202, response.text
    assert response.json()["data"]["export"]["filter_params"] == {"query": "nike", "sort": "price"}


async def test_third_active_export_is_refused(
    fx_client: Client, fx_container: Container, fx_fakes: Fakes, fx_account: Account
) -> None:
    await _seed(fx_container, fx_fakes, fx_account)
    for _ in range(2):
        ok = await fx_client.post("/api/v1/exports", json={}, headers=fx_account.headers)
        assert ok.status_code == 202
    third = await fx_client.post("/api/v1/exports", json={}, headers=fx_account.headers)
    assert third.status_code == 422
    assert third.json()["error"]["code"] == "too_many_active_jobs"


async def test_foreign_and_malformed_ids_are_404_and_stale_exports_stall(
    fx_client: Client,
    fx_container: Container,
    fx_fakes: Fakes,
    fx_account: Account,
    fx_other_account: Account,
) -> None:
    await _seed(fx_container, fx_fakes, fx_account)
    created = await fx_client.post("/api/v1/exports", json={}, headers=fx_account.headers)
    export_id = created.json()["data"]["export"]["id"]
    for headers, path in (
        (fx_other_account.headers, export_id),
        (fx_account.headers, "abc"),
        (fx_account.headers, "01J9ZT2A3B4C5D6E7F8G9H0J1K"),
    ):
        response = await fx_client.get(f"/api/v1/exports/{path}", headers=headers)
        assert response.status_code == 404
        assert response.json()["error"]["detail"] == "Export not found"
    fx_fakes.clock.advance(timedelta(minutes=11))
    response = await fx_client.get(f"/api/v1/exports/{export_id}", headers=fx_account.headers)
    body = response.json()["data"]["export"]
    assert body["status"] == "stalled"
    assert body["error_message"] == (
        "Export has been queued for more than 10 minutes without starting. "
        "It was marked as stalled."
    )


async def test_missing_image_fails_the_export_with_the_spec_message(
    fx_client: Client, fx_container: Container, fx_fakes: Fakes, fx_account: Account
) -> None:
    _wire_jobs(fx_container, fx_fakes)
    product_id = await _seed(fx_container, fx_fakes, fx_account)
    async with fx_container.deps.uow() as uow:
        (image,) = await uow.images.for_product(product_id)
    await fx_fakes.storage.delete(image.storage_key)
    created = await fx_client.post("/api/v1/exports", json={}, headers=fx_account.headers)
    await fx_fakes.queue.run_all(raise_errors=True)
    export_id = created.json()["data"]["export"]["id"]
    body = (await fx_client.get(f"/api/v1/exports/{export_id}", headers=fx_account.headers)).json()
    export = body["data"]["export"]
    assert export["status"] == "failed"
    assert export["error_message"] == (
        f"Export failed because product image #{image.id} is missing from storage (HTTP 404). "
        "Re-upload the image and retry."
    )
    assert export["download_url"] is None
