"""The HTTP app over the S3 adapter (moto over real HTTP), built by the composition root.

SQLite in a temporary directory, the in-process queue, ``storage = "s3"``: a client
uploads straight to the presigned URL, finalize HEAD-verifies the objects, and the worker
stores the background-removed variant in the bucket. Misconfigured and unreachable storage
answer clear envelopes and leave nothing half-written.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_adapters.storage.s3 import S3ObjectStorage
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import load_settings
from tests.images import product_photo
from tests.integration.conftest import Account, register
from tests.services import MotoServer, free_port

Client = AsyncTestClient[Litestar]
T = TypeVar("T")
MINUTE = timedelta(minutes=1)
BASE_URL = "http://testserver.local"
PHOTO = product_photo("JPEG", item=(20, 40, 200))
UPLOAD_LIMIT = 200_000
"""A small ``max_upload_bytes`` so an over-size upload is quick to send."""


@pytest.fixture(scope="module")
def fx_bucket(fx_moto: MotoServer) -> str:
    return fx_moto.create_bucket()


def public_base(moto: MotoServer, bucket: str) -> str:
    return f"{moto.endpoint_url}/{bucket}"


@contextlib.asynccontextmanager
async def s3_client(
    environ: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[Client, Container]]:
    settings = load_settings(
        environ={"RESELLER_STORAGE": "s3", **environ},
        data_dir=str(tmp_path / "data"),
        public_base_url=BASE_URL,
        max_upload_bytes=UPLOAD_LIMIT,
    )
    container = await build_container(settings)
    assert isinstance(container.deps.storage, S3ObjectStorage)
    assert container.local_storage is None
    async with AsyncTestClient(app=create_app(container=container), base_url=BASE_URL) as client:
        yield client, container


@pytest.fixture
async def fx_s3_app(
    fx_moto: MotoServer, fx_bucket: str, tmp_path: Path
) -> AsyncIterator[tuple[Client, Container]]:
    environ = {
        **fx_moto.env(fx_bucket),
        "RESELLER_S3_PUBLIC_BASE_URL": public_base(fx_moto, fx_bucket),
    }
    async with s3_client(environ, tmp_path) as pair:
        yield pair


def in_app(client: Client, function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run a container coroutine in the app's own event loop (the test client's portal).

    The app, its database engine and its storage client live in that loop; calling them
    from the test's loop would mix two loops.
    """
    return client.blocking_portal.call(function, *args)


async def confirmed_account(client: Client, container: Container, email: str) -> Account:
    account = await register(client, email)
    in_app(client, container.services.accounts.confirm_email, account.email)
    return account


async def create_with_upload(
    client: Client, account: Account, *, byte_size: int = len(PHOTO)
) -> httpx.Response:
    return await client.post(
        "/api/v1/products",
        json={
            "product": {"title": "Blue ceramic vase"},
            "uploads": [
                {
                    "filename": "front photo.jpg",
                    "content_type": "image/jpeg",
                    "byte_size": byte_size,
                }
            ],
        },
        headers=account.headers,
    )


async def put_to_storage(instruction: dict[str, Any], body: bytes) -> httpx.Response:
    """The client's direct upload: the presigned URL with exactly the returned headers."""
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.request(
            instruction["method"],
            instruction["upload_url"],
            content=body,
            headers=instruction["headers"],
        )


async def finalize(
    client: Client, account: Account, product_id: str, image_id: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/products/{product_id}/finalize_uploads",
        json={"uploads": [{"id": image_id}]},
        headers=account.headers,
    )


async def test_upload_finalize_and_process_with_s3(
    fx_s3_app: tuple[Client, Container], fx_moto: MotoServer, fx_bucket: str
) -> None:
    client, container = fx_s3_app
    account = await confirmed_account(client, container, "s3-seller@example.com")

    created = await create_with_upload(client, account)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["product"]["status"] == "uploading"
    (instruction,) = data["upload_instructions"]
    assert instruction["method"] == "PUT"
    assert instruction["headers"] == {"content-type": "image/jpeg"}
    assert instruction["upload_url"].startswith(f"{fx_moto.endpoint_url}/{fx_bucket}/users/")
    assert "X-Amz-SignedHeaders=content-type" in instruction["upload_url"]

    put = await put_to_storage(instruction, PHOTO)
    assert put.status_code == 200, put.text

    finalized = await finalize(client, account, data["product"]["id"], instruction["image_id"])
    assert finalized.status_code == 200, finalized.text
    body = finalized.json()["data"]
    assert body["processing_run"]["status"] == "queued"
    assert body["finalized_images"][0]["byte_size"] == len(PHOTO)

    in_app(client, container.drain)
    product = (
        await client.get(f"/api/v1/products/{data['product']['id']}", headers=account.headers)
    ).json()["data"]["product"]
    assert product["status"] in ("ready", "review")
    assert product["latest_processing_run"]["status"] == "completed"
    (original,) = [image for image in product["images"] if image["kind"] == "original"]
    (variant,) = [image for image in product["images"] if image["kind"] == "background_removed"]
    assert original["url"] == (
        f"{public_base(fx_moto, fx_bucket)}/{quote(original['storage_key'], safe='/')}"
    )
    assert variant["storage_key"].endswith(f"/variants/{original['id']}-background_removed.png")

    stored = in_app(client, container.deps.storage.head, variant["storage_key"])
    assert stored is not None
    assert stored.content_type == "image/png"
    assert stored.size == variant["byte_size"]
    assert variant["url"] == f"{public_base(fx_moto, fx_bucket)}/{variant['storage_key']}"
    # The bucket is private (a CDN would front the public base URL): read it presigned.
    download = in_app(
        client,
        partial(container.deps.storage.sign_download, expires_at=datetime.now(UTC) + MINUTE),
        variant["storage_key"],
    )
    async with httpx.AsyncClient(timeout=30) as http:
        fetched = await http.get(download)
    assert fetched.status_code == 200
    assert fetched.content.startswith(b"\x89PNG")

    ready = await client.get("/api/v1/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["data"]["dependencies"]["storage"] == "ok"


async def test_over_size_upload_is_refused_at_finalize(fx_s3_app: tuple[Client, Container]) -> None:
    client, container = fx_s3_app
    account = await confirmed_account(client, container, "s3-big@example.com")
    created = await create_with_upload(client, account, byte_size=1000)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    (instruction,) = data["upload_instructions"]

    # S3 accepts the body: a presigned PUT cannot cap its size.
    put = await put_to_storage(instruction, b"\xff\xd8" + b"x" * UPLOAD_LIMIT)
    assert put.status_code == 200, put.text

    finalized = await finalize(client, account, data["product"]["id"], instruction["image_id"])
    assert finalized.status_code == 422, finalized.text
    error = finalized.json()["error"]
    assert error["code"] == "invalid_uploads"
    assert instruction["image_id"] in error["detail"]
    product = (
        await client.get(f"/api/v1/products/{data['product']['id']}", headers=account.headers)
    ).json()["data"]["product"]
    assert product["status"] == "uploading"
    assert product["latest_processing_run"] is None
    assert [image["processing_status"] for image in product["images"]] == ["pending_upload"]


async def test_finalize_before_the_upload_is_invalid_uploads(
    fx_s3_app: tuple[Client, Container],
) -> None:
    client, container = fx_s3_app
    account = await confirmed_account(client, container, "s3-early@example.com")
    created = await create_with_upload(client, account)
    data = created.json()["data"]
    (instruction,) = data["upload_instructions"]
    finalized = await finalize(client, account, data["product"]["id"], instruction["image_id"])
    assert finalized.status_code == 422, finalized.text
    assert finalized.json()["error"]["code"] == "invalid_uploads"


async def test_unconfigured_storage_is_502_and_leaves_no_product(tmp_path: Path) -> None:
    async with s3_client({}, tmp_path) as (client, container):
        account = await confirmed_account(client, container, "s3-unset@example.com")
        response = await create_with_upload(client, account)
        assert response.status_code == 502, response.text
        assert response.json() == {
            "error": {
                "code": "storage_unavailable",
                "detail": "Storage upload signing is not configured",
                "status": 502,
            }
        }
        listed = await client.get("/api/v1/products", headers=account.headers)
        assert listed.json()["data"]["products"] == []

        draft = await client.post(
            "/api/v1/products", json={"product": {"title": "No photos"}}, headers=account.headers
        )
        assert draft.status_code == 201, draft.text

        ready = await client.get("/api/v1/health/ready")
        assert ready.status_code == 503
        error = ready.json()["error"]
        assert error["code"] == "service_unavailable"
        assert error["dependencies"]["storage"] == "unavailable"
        assert error["dependencies"]["database"] == "ok"


async def test_unreachable_endpoint_is_a_clear_envelope(tmp_path: Path) -> None:
    secret = "unreachable-secret-value"
    environ = {
        "RESELLER_S3_BUCKET": "reseller-nowhere",
        "RESELLER_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "RESELLER_S3_ACCESS_KEY_ID": "id",
        "RESELLER_S3_SECRET_ACCESS_KEY": secret,
    }
    async with s3_client(environ, tmp_path) as (client, container):
        account = await confirmed_account(client, container, "s3-down@example.com")
        # Presigning needs no round trip, so the product and its upload URL are created.
        created = await create_with_upload(client, account)
        assert created.status_code == 201, created.text
        data = created.json()["data"]
        (instruction,) = data["upload_instructions"]

        finalized = await finalize(client, account, data["product"]["id"], instruction["image_id"])
        assert finalized.status_code == 503, finalized.text
        assert finalized.json() == {
            "error": {
                "code": "service_unavailable",
                "detail": "Object storage is unavailable; try again shortly",
                "status": 503,
            }
        }
        assert secret not in finalized.text
        product = (
            await client.get(f"/api/v1/products/{data['product']['id']}", headers=account.headers)
        ).json()["data"]["product"]
        assert product["status"] == "uploading"
        assert product["latest_processing_run"] is None
        assert [image["processing_status"] for image in product["images"]] == ["pending_upload"]

        ready = await client.get("/api/v1/health/ready")
        assert ready.status_code == 503
        assert ready.json()["error"]["dependencies"]["storage"] == "unavailable"
