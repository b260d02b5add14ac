"""The local storage routes: signed PUT uploads in, public files out (embedded setup)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_adapters.storage.local import LocalObjectStorage
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http import create_app
from tests.images import product_photo
from tests.integration.conftest import register

Client = AsyncTestClient[Litestar]
BASE_URL = "http://testserver.local"
PHOTO = product_photo("JPEG")


@pytest.fixture
async def fx_local_client(fx_container: Container, tmp_path: Path) -> AsyncIterator[Client]:
    storage = LocalObjectStorage(tmp_path / "objects", BASE_URL, b"local-test-secret-0123456789")
    deps = fx_container.deps
    container = await build_container(
        fx_container.settings,
        database=fx_container.database,
        uow=deps.uow,
        storage=storage,
        queue=deps.queue,
        ai=deps.ai,
        image_editor=deps.image_editor,
        rate_limiter=deps.rate_limiter,
        mailer=deps.mailer,
        hasher=deps.hasher,
        clock=deps.clock,
        ids=deps.ids,
        marketplaces=deps.marketplaces,
    )
    assert container.local_storage is storage
    async with AsyncTestClient(app=create_app(container=container), base_url=BASE_URL) as client:
        yield client


async def signed_upload(client: Client) -> tuple[dict[str, str], dict[str, str]]:
    account = await register(client, "local@example.com")
    await client.app.state["container"].services.accounts.confirm_email(account.email)
    response = await client.post(
        "/api/v1/products",
        json={
            "uploads": [
                {"filename": "photo.jpg", "content_type": "image/jpeg", "byte_size": len(PHOTO)}
            ]
        },
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    (instruction,) = response.json()["data"]["upload_instructions"]
    return instruction, account.headers


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


async def test_signed_upload_then_public_download(fx_local_client: Client) -> None:
    instruction, _ = await signed_upload(fx_local_client)
    assert instruction["upload_url"].startswith(f"{BASE_URL}/uploads/")
    put = await fx_local_client.put(
        local_path(instruction["upload_url"]), content=PHOTO, headers=instruction["headers"]
    )
    assert put.status_code == 200, put.text
    assert put.content == b""

    got = await fx_local_client.get(f"/files/{instruction['storage_key']}")
    assert got.status_code == 200
    assert got.content == PHOTO
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["cache-control"].startswith("public, max-age=")
    assert got.headers["x-content-type-options"] == "nosniff"


async def test_upload_with_another_content_type_is_refused(fx_local_client: Client) -> None:
    instruction, _ = await signed_upload(fx_local_client)
    put = await fx_local_client.put(
        local_path(instruction["upload_url"]),
        content=PHOTO,
        headers={"content-type": "text/html"},
    )
    assert put.status_code == 415
    assert put.json()["error"] == {
        "code": "content_type_mismatch",
        "detail": "Content-Type must be image/jpeg, as signed",
        "status": 415,
    }


async def test_upload_with_a_forged_signature_is_refused(fx_local_client: Client) -> None:
    instruction, _ = await signed_upload(fx_local_client)
    forged = local_path(instruction["upload_url"]).replace("sig=", "sig=0")
    put = await fx_local_client.put(forged, content=PHOTO, headers=instruction["headers"])
    assert put.status_code == 403
    assert put.json()["error"]["code"] == "invalid_signature"


async def test_missing_file_is_a_404_envelope(fx_local_client: Client) -> None:
    response = await fx_local_client.get("/files/users/nobody/nothing.jpg")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_path_traversal_is_refused(fx_local_client: Client) -> None:
    response = await fx_local_client.get("/files/..%2F..%2Fetc%2Fpasswd")
    assert response.status_code in (400, 404)
    assert "root:" not in response.text


async def test_storage_routes_are_not_api_endpoints(fx_local_client: Client) -> None:
    endpoints = (await fx_local_client.get("/api/v1")).json()["data"]["endpoints"]
    assert not [e for e in endpoints if e["path"].startswith(("/uploads", "/files"))]
    document = (await fx_local_client.get("/api/v1/openapi.json")).json()
    assert not [path for path in document["paths"] if not path.startswith("/api/v1")]


async def test_without_local_storage_there_are_no_storage_routes(fx_client: Client) -> None:
    response = await fx_client.get("/files/users/x.jpg")
    assert response.status_code == 404
    put = await fx_client.put("/uploads/users/x.jpg", content=b"x")
    assert put.status_code == 404
