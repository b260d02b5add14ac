"""``Idempotency-Key`` on the metered POSTs, over HTTP on both engines.

A keyed retry answers the first answer byte for byte (with ``Idempotent-Replayed: true``)
without running the operation again; the same key with another body, a malformed key and
a key still in use are refused with the documented codes; keys belong to one user and one
operation; error answers are not kept; answers past 24 hours are swept.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.services.idempotency import IdempotencyService
from reseller_core.testing.fakes import FixedClock
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import load_settings
from tests.e2e.server import SECRET_KEY
from tests.e2e.test_hostile_input import error_of, seller
from tests.images import product_photo
from tests.services import ServiceUnavailable, postgres_database

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def fx_module_postgres_url() -> Iterator[str]:
    """A database of this module's own: its queued runs never reach the worker tests'."""
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fx_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    url: str = request.getfixturevalue("fx_module_postgres_url")
    return url


@pytest.fixture
async def fx_served(
    tmp_path: Path, fx_database_url: str
) -> AsyncIterator[tuple[Client, Container]]:
    settings = load_settings(
        {},
        data_dir=str(tmp_path / "var"),
        secret_key=SECRET_KEY,
        database_url=fx_database_url,
        auth_rate_limit=1000,
    )
    container = await build_container(settings)
    async with AsyncTestClient(app=create_app(container=container)) as client:
        yield client, container


async def uploaded_product(client: Client, auth: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """A product with one uploaded photo: its finalize path and finalize body."""
    photo = product_photo("JPEG")
    created = await client.post(
        "/api/v1/products",
        json={
            "uploads": [
                {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": len(photo)}
            ]
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    instruction = data["upload_instructions"][0]
    url = urlsplit(instruction["upload_url"])
    put = await client.put(f"{url.path}?{url.query}", content=photo, headers=instruction["headers"])
    assert put.status_code in (200, 201, 204), put.text
    return data["product"]["id"], {"uploads": [{"id": instruction["image_id"]}]}


async def settled(client: Client, auth: dict[str, str], product_id: str) -> dict[str, Any]:
    """The product once the app's own worker has finished its run."""
    for _ in range(300):
        response = await client.get(f"/api/v1/products/{product_id}", headers=auth)
        product: dict[str, Any] = response.json()["data"]["product"]
        if product["status"] not in ("uploading", "processing"):
            return product
        await asyncio.sleep(0.1)
    raise AssertionError(f"the run did not finish: {product}")


@pytest.fixture
async def fx_other_server(fx_served: tuple[Client, Container]) -> AsyncIterator[Container]:
    """A second container on the same database, in the test's own event loop: it plays
    another server (the app's container runs its connection pool in the client's loop)."""
    other = await build_container(fx_served[1].settings)
    try:
        yield other
    finally:
        await other.close()


def keyed(auth: dict[str, str], key: str | bytes) -> dict[str, Any]:
    return {**auth, "Idempotency-Key": key}


async def test_a_keyed_reprocess_repeated_replays_its_answer_and_starts_one_run(
    fx_served: tuple[Client, Container],
) -> None:
    client, _ = fx_served
    auth = await seller(client, fx_served[1])
    product_id, body = await uploaded_product(client, auth)
    finalized = await client.post(
        f"/api/v1/products/{product_id}/finalize_uploads", json=body, headers=auth
    )
    assert finalized.status_code == 200, finalized.text
    await settled(client, auth, product_id)

    path = f"/api/v1/products/{product_id}/reprocess"
    first = await client.post(path, headers=keyed(auth, "reprocess-1"))
    assert first.status_code == 202, first.text
    assert "idempotent-replayed" not in first.headers
    again = await client.post(path, headers=keyed(auth, "reprocess-1"))
    assert again.status_code == 202, again.text
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    # Without the key the same request is decided afresh: the first run is still active
    # (or, if it finished, a new run starts); either way it is not the replayed answer.
    fresh = await client.post(path, headers=auth)
    assert fresh.content != first.content


async def test_a_keyed_finalize_replays_and_refuses_the_key_with_another_body(
    fx_served: tuple[Client, Container],
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    product_id, body = await uploaded_product(client, auth)
    path = f"/api/v1/products/{product_id}/finalize_uploads"
    first = await client.post(path, json=body, headers=keyed(auth, "tap-1"))
    assert first.status_code == 200, first.text
    again = await client.post(path, json=body, headers=keyed(auth, "tap-1"))
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["idempotent-replayed"] == "true"

    other = {"uploads": [{"id": body["uploads"][0]["id"], "byte_size": 7}]}
    reused = await client.post(path, json=other, headers=keyed(auth, "tap-1"))
    assert error_of(reused, 422)["code"] == "idempotency_key_reused"
    await settled(client, auth, product_id)


async def test_keys_belong_to_one_user_and_one_operation(
    fx_served: tuple[Client, Container],
) -> None:
    client, container = fx_served
    owner = await seller(client, container)
    stranger = await seller(client, container)
    product_id, body = await uploaded_product(client, owner)
    path = f"/api/v1/products/{product_id}/finalize_uploads"
    first = await client.post(path, json=body, headers=keyed(owner, "shared-key"))
    assert first.status_code == 200, first.text
    # Another user's identical request is theirs: a foreign product is 404, not a replay.
    foreign = await client.post(path, json=body, headers=keyed(stranger, "shared-key"))
    assert error_of(foreign, 404)["code"] == "not_found"
    assert "idempotent-replayed" not in foreign.headers
    # The same key on another operation of the same user is a separate request.
    await settled(client, owner, product_id)
    reprocess = await client.post(
        f"/api/v1/products/{product_id}/reprocess", headers=keyed(owner, "shared-key")
    )
    assert reprocess.status_code == 202, reprocess.text
    assert "idempotent-replayed" not in reprocess.headers


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (b"", "can't be blank"),
        (b"k" * 256, "is too long (maximum is 255 characters)"),
        (b"caf\xc3\xa9", "is invalid"),
        (b"two words", "is invalid"),
        (b"tab\there", "is invalid"),
    ],
)
async def test_malformed_keys_are_validation_errors_naming_the_header(
    fx_served: tuple[Client, Container], key: bytes, message: str
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    product_id, body = await uploaded_product(client, auth)
    path = f"/api/v1/products/{product_id}/finalize_uploads"
    response = await client.post(path, json=body, headers=keyed(auth, key))
    error = error_of(response, 422)
    assert error["code"] == "validation_failed"
    assert error["fields"] == {"Idempotency-Key": [message]}
    # Nothing ran: the product still waits for its finalize.
    product = (await client.get(f"/api/v1/products/{product_id}", headers=auth)).json()
    assert product["data"]["product"]["status"] == "uploading"


async def test_the_longest_key_is_accepted(fx_served: tuple[Client, Container]) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    product_id, body = await uploaded_product(client, auth)
    path = f"/api/v1/products/{product_id}/finalize_uploads"
    key = "!~" * 127 + "Z"
    first = await client.post(path, json=body, headers=keyed(auth, key))
    assert first.status_code == 200, first.text
    again = await client.post(path, json=body, headers=keyed(auth, key))
    assert again.headers["idempotent-replayed"] == "true"
    await settled(client, auth, product_id)


async def test_a_key_without_a_live_token_is_the_usual_401(
    fx_served: tuple[Client, Container],
) -> None:
    client, _ = fx_served
    response = await client.post(
        "/api/v1/products/01JQ9A2B3C4D5E6F7G8H9J0KP1/reprocess",
        headers={"Idempotency-Key": "k1", "Authorization": "Bearer nope"},
    )
    assert error_of(response, 401)["code"] == "unauthorized"


async def test_a_key_still_in_use_is_409_and_free_again_once_released(
    fx_served: tuple[Client, Container], fx_other_server: Container
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    product_id, body = await uploaded_product(client, auth)
    path = f"/api/v1/products/{product_id}/finalize_uploads"
    me = (await client.get("/api/v1/me", headers=auth)).json()["data"]["user"]
    service = fx_other_server.services.idempotency
    # Another request holding the key (claimed, not yet answered), as a second server would.
    claim, stored = await service.begin(
        me["id"], "busy", f"POST {path}", httpx.Request("POST", "/", json=body).content
    )
    assert stored is None
    busy = await client.post(path, json=body, headers=keyed(auth, "busy"))
    assert error_of(busy, 409)["code"] == "idempotency_key_in_use"
    await service.abandon(claim)
    done = await client.post(path, json=body, headers=keyed(auth, "busy"))
    assert done.status_code == 200, done.text
    await settled(client, auth, product_id)


async def test_an_error_answer_is_not_kept(fx_served: tuple[Client, Container]) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    product_id, body = await uploaded_product(client, auth)
    path = f"/api/v1/products/{product_id}/finalize_uploads"
    refused = await client.post(path, json={"uploads": []}, headers=keyed(auth, "retry-me"))
    assert refused.status_code in (400, 422), refused.text
    # The key was released with the error: the corrected request runs under it.
    corrected = await client.post(path, json=body, headers=keyed(auth, "retry-me"))
    assert corrected.status_code == 200, corrected.text
    assert "idempotent-replayed" not in corrected.headers
    await settled(client, auth, product_id)


async def test_answers_past_24_hours_are_swept_and_the_key_runs_again(
    fx_served: tuple[Client, Container], fx_other_server: Container
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    me = (await client.get("/api/v1/me", headers=auth)).json()["data"]["user"]
    yesterday = IdempotencyService(
        uow=fx_other_server.deps.uow,
        clock=FixedClock(datetime.now(UTC) - timedelta(hours=24, minutes=1)),
    )
    claim, _ = await yesterday.begin(me["id"], "old", "POST /api/v1/x", b"{}")
    await yesterday.finish(claim, 200, "application/json", b'{"old": true}')
    _, replayed = await yesterday.begin(me["id"], "old", "POST /api/v1/x", b"{}")
    assert replayed is not None and replayed.body == b'{"old": true}'  # within its day

    today = fx_other_server.services.idempotency
    assert await today.purge_expired() >= 1
    fresh, stored = await today.begin(me["id"], "old", "POST /api/v1/x", b"{}")
    assert stored is None
    assert fresh.expires_at > datetime.now(UTC) + timedelta(hours=23)
