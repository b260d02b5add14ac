"""Imports over HTTP (spec 50 §9-§12) with in-memory fakes: request checks, job, round trip."""

from __future__ import annotations

import base64
import io
import json
import zipfile

from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.domain.images import ImageKind
from reseller_core.services.transfers.jobs import transfer_job_handlers
from reseller_entrypoints.bootstrap import Container
from tests.integration.conftest import Account, Fakes
from tests.transfers.seeding import SeedImage, image_bytes, seed_product

Client = AsyncTestClient[Litestar]


def _wire_jobs(container: Container, fakes: Fakes) -> None:
    handlers = transfer_job_handlers(
        exports=container.services.exports, imports=container.services.imports
    )
    for name, handler in handlers.items():
        fakes.queue.register(name, handler)


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _body(data: bytes, filename: str = "catalog.zip") -> dict[str, object]:
    return {"import": {"filename": filename, "archive_base64": base64.b64encode(data).decode()}}


async def _import(client: Client, account: Account, fakes: Fakes, data: bytes) -> dict:  # type: ignore[type-arg]
    response = await client.post("/api/v1/imports", json=_body(data), headers=account.headers)
    assert response.status_code == 202, response.text
    import_id = response.json()["data"]["import"]["id"]
    assert response.json()["data"]["import"]["status"] == "queued"
    await fakes.queue.run_all(raise_errors=True)
    answer = await client.get(f"/api/v1/imports/{import_id}", headers=account.headers)
    assert answer.status_code == 200
    return answer.json()["data"]["import"]  # type: ignore[no-any-return]


async def test_export_then_import_into_another_account(
    fx_client: Client,
    fx_container: Container,
    fx_fakes: Fakes,
    fx_account: Account,
    fx_other_account: Account,
) -> None:
    _wire_jobs(fx_container, fx_fakes)
    source = await seed_product(
        fx_container.deps.uow,
        fx_fakes.storage,
        fx_fakes.ids,
        fx_fakes.clock.now(),
        fx_account.user_id,
        sku="SKU-1",
        images=(SeedImage(), SeedImage(kind=ImageKind.BACKGROUND_REMOVED, fmt="PNG")),
        with_artifacts=True,
    )
    created = await fx_client.post("/api/v1/exports", json={}, headers=fx_account.headers)
    await fx_fakes.queue.run_all(raise_errors=True)
    export_id = created.json()["data"]["export"]["id"]
    export = (
        await fx_client.get(f"/api/v1/exports/{export_id}", headers=fx_account.headers)
    ).json()
    archive = await fx_fakes.storage.get(export["data"]["export"]["storage_key"])

    record = await _import(fx_client, fx_other_account, fx_fakes, archive)
    assert record["status"] == "completed", record
    assert (record["total_products"], record["imported_products"], record["failed_products"]) == (
        1,
        1,
        0,
    )
    assert record["failure_details"] == {"items": []}
    (new_id,) = record["payload"]["created_product_ids"]
    assert new_id != source.id
    product = (
        await fx_client.get(f"/api/v1/products/{new_id}", headers=fx_other_account.headers)
    ).json()
    body = product["data"]["product"]
    assert body["source"] == "import"
    assert body["title"] == "Nike Air Max" and body["sku"] == "SKU-1" and body["price"] == "89.00"
    assert sorted(image["kind"] for image in body["images"]) == ["background_removed", "original"]

    # The same archive into the owner's own account: the SKU is taken, the product fails.
    again = await _import(fx_client, fx_account, fx_fakes, archive)
    assert again["status"] == "completed"
    assert again["failure_details"] == {
        "items": [
            {
                "index": 1,
                "title": "Nike Air Max",
                "sku": "SKU-1",
                "reason": "sku: has already been taken",
            }
        ]
    }
    assert again["payload"] == {"created_product_ids": []}


async def test_request_validation_follows_the_spec(
    fx_client: Client, fx_account: Account, fx_unconfirmed: Account
) -> None:
    gated = await fx_client.post("/api/v1/imports", json={}, headers=fx_unconfirmed.headers)
    assert gated.status_code == 403
    missing = await fx_client.post("/api/v1/imports", json={}, headers=fx_account.headers)
    assert missing.status_code == 422
    assert missing.json()["error"] == {
        "code": "import_failed",
        "detail": "Import payload is required",
        "status": 422,
    }
    not_object = await fx_client.post(
        "/api/v1/imports", json={"import": "x"}, headers=fx_account.headers
    )
    assert not_object.json()["error"]["code"] == "import_failed"
    bad = await fx_client.post(
        "/api/v1/imports",
        json={"import": {"filename": "catalog.tar", "archive_base64": "%%%not-base64%%%"}},
        headers=fx_account.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {
        "filename": ["must be a .zip archive"],
        "archive_base64": ["must be valid base64"],
    }
    for text in ("UEsF BgA=", "UEsFBgA", "UEsF-_A="):  # whitespace, no padding, URL-safe
        answer = await fx_client.post(
            "/api/v1/imports",
            json={"import": {"filename": "a.zip", "archive_base64": text}},
            headers=fx_account.headers,
        )
        assert answer.json()["error"]["fields"] == {"archive_base64": ["must be valid base64"]}
    not_zip = await fx_client.post(
        "/api/v1/imports", json=_body(b"plain text, not a zip"), headers=fx_account.headers
    )
    assert not_zip.status_code == 422
    assert not_zip.json()["error"]["detail"] == (
        "Could not start import: archive is not a valid ZIP archive"
    )
    assert not_zip.json()["error"]["error_code"] == "invalid_zip_archive"
    slip = await fx_client.post(
        "/api/v1/imports",
        json=_body(_zip({"../images/evil.jpg": b"x", "manifest.json": b"{}"})),
        headers=fx_account.headers,
    )
    assert slip.json()["error"]["detail"] == (
        "Could not start import: archive contains an invalid file path"
    )


async def test_per_item_failures_are_isolated_and_reported(
    fx_client: Client, fx_container: Container, fx_fakes: Fakes, fx_account: Account
) -> None:
    _wire_jobs(fx_container, fx_fakes)
    manifest = {
        "products": [
            {"title": "Good", "status": "processing", "images": [{"path": "a.jpg"}]},
            "not an object",
            {
                "title": "Broken Product",
                "sku": "BAD-1",
                "images": [{"path": "images/missing/1-original.jpg"}],
            },
            {"title": "Fake image", "images": [{"path": "fake.jpg"}]},
            {"title": "Nested", "images": [{"path": "inner.zip"}]},
            {"title": "No path", "images": [{}]},
            {"title": "x" * 161, "price": "-1"},
        ]
    }
    archive = _zip(
        {
            "manifest.json": json.dumps(manifest).encode(),
            "a.jpg": image_bytes("JPEG"),
            "fake.jpg": b"<html>not an image</html>",
            "inner.zip": _zip({"x.jpg": image_bytes("JPEG")}),
        }
    )
    record = await _import(fx_client, fx_account, fx_fakes, archive)
    assert record["status"] == "completed"
    assert (record["total_products"], record["imported_products"], record["failed_products"]) == (
        7,
        1,
        6,
    )
    reasons = {item["index"]: item["reason"] for item in record["failure_details"]["items"]}
    assert reasons == {
        2: "Product entry must be an object",
        3: "Missing image entry: images/missing/1-original.jpg",
        4: "Image is not a JPEG, PNG or WebP image: fake.jpg",
        5: "Image is not a JPEG, PNG or WebP image: inner.zip",
        6: "Image path is missing from the archive payload",
        7: "title: should be at most 160 character(s); price: must be greater than or equal to 0",
    }
    (good,) = record["payload"]["created_product_ids"]
    product = (await fx_client.get(f"/api/v1/products/{good}", headers=fx_account.headers)).json()
    assert product["data"]["product"]["status"] == "review"
    # Only the imported product's image is in storage under the user's products.
    stored = fx_fakes.storage.keys()
    keys = [k for k in stored if f"users/{fx_account.user_id}/products/" in k]
    assert len(keys) == 1 and keys[0].startswith(
        f"users/{fx_account.user_id}/products/{good}/imports/1-original-"
    )


async def test_manifest_problems_fail_the_whole_import(
    fx_client: Client, fx_container: Container, fx_fakes: Fakes, fx_account: Account
) -> None:
    _wire_jobs(fx_container, fx_fakes)
    cases = {
        "missing_manifest_json": _zip({"readme.txt": b"hi"}),
        "invalid_manifest_json": _zip({"manifest.json": b"{not json"}),
        "invalid_products_payload": _zip({"manifest.json": b'{"products": {}}'}),
        "invalid_index_json": _zip({"index.json": b"[1, 2]"}),
    }
    for code, archive in cases.items():
        record = await _import(fx_client, fx_account, fx_fakes, archive)
        assert record["status"] == "failed"
        assert record["error_code"] == code
        assert record["error_message"].startswith(f"Import failed: {code}")
        assert record["payload"] == {}


async def test_an_import_nobody_runs_reads_failed_after_the_stale_window(
    fx_client: Client, fx_fakes: Fakes, fx_account: Account
) -> None:
    from datetime import timedelta

    archive = _zip({"manifest.json": b'{"products": []}'})
    response = await fx_client.post(
        "/api/v1/imports", json=_body(archive), headers=fx_account.headers
    )
    import_id = response.json()["data"]["import"]["id"]
    fx_fakes.clock.advance(timedelta(minutes=9))
    still = await fx_client.get(f"/api/v1/imports/{import_id}", headers=fx_account.headers)
    assert still.json()["data"]["import"]["status"] == "queued"
    fx_fakes.clock.advance(timedelta(minutes=2))
    record = (
        await fx_client.get(f"/api/v1/imports/{import_id}", headers=fx_account.headers)
    ).json()
    body = record["data"]["import"]
    assert (body["status"], body["error_code"]) == ("failed", "stalled")
    assert body["error_message"] == (
        "Import has been queued for more than 10 minutes without starting. It was marked as failed."
    )
