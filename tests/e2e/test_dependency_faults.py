"""A backing service that is down or goes away answers a clear envelope, never a 500.

PostgreSQL, Redis (the rate limiter and the taskiq queue) and S3 each fail here in turn,
against the real adapters: a closed loopback port stands for an unreachable server, and
PostgreSQL terminating our connections stands for a restart. Every API request answers
the contract's envelope (503 ``service_unavailable``; 502 ``storage_unavailable`` for
storage that is not configured), ``/health/ready`` says which dependency is down, and
nothing is half-written: a failed request leaves no row behind, and work accepted while
the queue was down is picked up by the sweeper once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.ports.storage import ObjectInfo, StorageError
from reseller_core.testing import MemoryObjectStorage
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.builtin_adapters import register_builtins
from reseller_entrypoints.http import create_app
from reseller_entrypoints.plugins import AdapterRegistry
from reseller_entrypoints.settings import load_settings
from tests.e2e.conftest import outbox_token
from tests.e2e.server import SECRET_KEY, ServerProcess, WorkerProcess, production_env
from tests.images import product_photo
from tests.services import (
    POSTGRES_SERVER,
    MotoServer,
    ServiceUnavailable,
    free_port,
    postgres_database,
    unique_prefix,
)

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"
SERVICE_UNAVAILABLE = {
    "code": "service_unavailable",
    "detail": "A backing service is unavailable; try again shortly",
    "status": 503,
}


def closed_port_url(scheme: str, path: str = "", credentials: str = "") -> str:
    """A URL on a loopback port nothing listens on: connections are refused at once."""
    return f"{scheme}://{credentials}127.0.0.1:{free_port()}{path}"


@pytest.fixture(scope="module")
def fx_fault_database() -> Iterator[str]:
    """A migrated database of this module's own: killing its connections disturbs no other test."""
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


def s3_settings(moto: MotoServer, bucket: str) -> dict[str, Any]:
    """Settings overrides naming ``bucket`` on the moto server."""
    return {
        "storage": "s3",
        "s3_bucket": bucket,
        "s3_endpoint_url": moto.endpoint_url,
        "s3_region": moto.region,
        "s3_access_key_id": moto.access_key_id,
        "s3_secret_access_key": moto.secret_access_key,
    }


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Read the database directly, beside the application, to see what was persisted."""
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, **overrides: Any) -> AsyncIterator[tuple[Client, Container]]:
    """The HTTP app in-process over the real adapters that ``overrides`` choose."""
    settings = load_settings(
        {},
        data_dir=str(tmp_path / "var"),
        secret_key=SECRET_KEY,
        auto_migrate=False,
        **overrides,
    )
    container = await build_container(settings)
    async with AsyncTestClient(app=create_app(container=container)) as client:
        yield client, container


def assert_unavailable(response: httpx.Response) -> None:
    """The contract's 503 envelope, with nothing about the failure beyond it."""
    assert response.status_code == 503, response.text
    assert response.json() == {"error": SERVICE_UNAVAILABLE}


async def register(client: Client, email: str) -> httpx.Response:
    return await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.slow
def test_server_without_its_database_answers_503_and_is_not_ready(tmp_path: Path) -> None:
    secret = "pg-secret-password"
    server = ServerProcess(
        tmp_path / "var",
        env={
            "RESELLER_DATABASE_URL": closed_port_url(
                "postgresql+asyncpg", "/reseller", credentials=f"reseller:{secret}@"
            ),
            "RESELLER_AUTO_MIGRATE": "false",
            "RESELLER_SECRET_KEY": SECRET_KEY,
        },
    )
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            bearer = {"Authorization": "Bearer not-a-token-we-could-check"}
            answers = [
                client.post(
                    "/api/v1/auth/register", json={"email": "a@example.com", "password": PASSWORD}
                ),
                client.post(
                    "/api/v1/auth/login", json={"email": "a@example.com", "password": PASSWORD}
                ),
                client.get("/api/v1/me", headers=bearer),
                client.get("/api/v1/products", headers=bearer),
                client.post("/api/v1/products", headers=bearer, json={}),
            ]
            for response in answers:
                assert_unavailable(response)
            assert client.get("/api/v1/health").status_code == 200
            ready = client.get("/api/v1/health/ready")
            discovery = client.get("/api/v1")
    finally:
        server.stop()
    assert ready.status_code == 503
    error = ready.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["dependencies"] == {"database": "unavailable", "storage": "ok", "queue": "ok"}
    assert "database" in error["detail"]
    assert discovery.status_code == 200
    log = server.log()
    assert "Unhandled error" not in log
    assert secret not in log
    assert all(secret not in response.text for response in [*answers, ready])


async def test_connections_killed_by_postgres_answer_503_then_recover(
    tmp_path: Path, fx_fault_database: str
) -> None:
    async with serving(tmp_path, database_url=fx_fault_database) as (client, _):
        registered = await register(client, "blip@example.com")
        assert registered.status_code == 200, registered.text
        bearer = {"Authorization": f"Bearer {registered.json()['data']['token']}"}
        database = fx_fault_database.rsplit("/", 1)[1]
        # PostgreSQL ends every session of the database, as on a restart or failover.
        await _fetch(
            f"{POSTGRES_SERVER}/test",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        first = await client.get("/api/v1/me", headers=bearer)
        assert first.status_code in (200, 503), first.text
        if first.status_code == 503:
            assert_unavailable(first)
        again = await client.get("/api/v1/me", headers=bearer)
        assert again.status_code == 200, again.text
        assert again.json()["data"]["user"]["email"] == "blip@example.com"


# --- Redis: the rate limiter ------------------------------------------------------------------


async def test_register_without_the_rate_limiter_is_503_and_writes_nothing(
    tmp_path: Path, fx_fault_database: str
) -> None:
    email = "limiter-down@example.com"
    async with serving(
        tmp_path,
        database_url=fx_fault_database,
        rate_limiter="redis",
        redis_url=closed_port_url("redis", "/0"),
    ) as (client, _):
        assert_unavailable(await register(client, email))
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert_unavailable(login)
        ready = await client.get("/api/v1/health/ready")
    assert ready.status_code == 503
    assert ready.json()["error"]["dependencies"] == {
        "database": "ok",
        "storage": "ok",
        "queue": "ok",
        "rate_limiter": "unavailable",
    }
    assert await _fetch(fx_fault_database, "SELECT id FROM users WHERE email = $1", email) == []


# --- S3 ----------------------------------------------------------------------------------


async def confirmed_account(client: Client, container: Container, email: str) -> dict[str, str]:
    """Register ``email`` and confirm it with the e-mailed token; its bearer header.

    Over HTTP, not through ``container``: the app runs in the test client's own event loop,
    and pooled database connections belong to the loop that opened them.
    """
    registered = await register(client, email)
    assert registered.status_code == 200, registered.text
    token = outbox_token(container.settings.data_path, email)
    confirmed = await client.post("/api/v1/auth/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    return {"Authorization": f"Bearer {registered.json()['data']['token']}"}


def one_upload(size: int = 2048) -> dict[str, Any]:
    return {
        "product": {"title": "Storage fault"},
        "uploads": [{"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": size}],
    }


async def test_s3_without_a_bucket_is_502_storage_unavailable_and_persists_nothing(
    tmp_path: Path,
    fx_fault_database: str,
    fx_moto: MotoServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = {**s3_settings(fx_moto, "unused"), "s3_bucket": None}
    email = "no-bucket@example.com"
    async with serving(tmp_path, database_url=fx_fault_database, **storage) as (client, container):
        auth = await confirmed_account(client, container, email)
        refused = await client.post("/api/v1/products", headers=auth, json=one_upload())
        draft = await client.post("/api/v1/products", headers=auth, json={})
        ready = await client.get("/api/v1/health/ready")
    assert refused.status_code == 502, refused.text
    error = refused.json()["error"]
    assert error["code"] == "storage_unavailable"
    # Clients learn only that storage is not configured; the operator's log names the setting.
    assert error["detail"] == "Storage upload signing is not configured"
    assert "RESELLER_S3_BUCKET" in caplog.text
    assert fx_moto.secret_access_key not in refused.text
    assert fx_moto.secret_access_key not in caplog.text
    # A product without uploads needs no storage; the refused one left no row behind.
    assert draft.status_code == 201, draft.text
    rows = await _fetch(
        fx_fault_database,
        "SELECT p.id FROM products p JOIN users u ON u.id = p.user_id WHERE u.email = $1",
        email,
    )
    assert [row["id"] for row in rows] == [draft.json()["data"]["product"]["id"]]
    assert ready.status_code == 503
    assert ready.json()["error"]["dependencies"]["storage"] == "unavailable"


async def test_unreachable_s3_fails_finalize_with_503_and_the_product_stays_finalizable(
    tmp_path: Path, fx_fault_database: str, fx_moto: MotoServer
) -> None:
    storage = {**s3_settings(fx_moto, "unreachable"), "s3_endpoint_url": closed_port_url("http")}
    async with serving(tmp_path, database_url=fx_fault_database, **storage) as (client, container):
        auth = await confirmed_account(client, container, "s3-down@example.com")
        # Presigning is local computation: the upload URL is issued while S3 is down.
        created = await client.post("/api/v1/products", headers=auth, json=one_upload())
        assert created.status_code == 201, created.text
        product_id = created.json()["data"]["product"]["id"]
        image_id = created.json()["data"]["upload_instructions"][0]["image_id"]
        finalized = await client.post(
            f"/api/v1/products/{product_id}/finalize_uploads",
            headers=auth,
            json={"uploads": [{"id": image_id}]},
        )
        ready = await client.get("/api/v1/health/ready")
    assert finalized.status_code == 503, finalized.text
    error = finalized.json()["error"]
    assert (error["code"], error["status"]) == ("service_unavailable", 503)
    assert "storage" in error["detail"].lower()
    assert "127.0.0.1" not in finalized.text
    assert ready.status_code == 503
    assert ready.json()["error"]["dependencies"]["storage"] == "unavailable"
    assert ready.json()["error"]["dependencies"]["database"] == "ok"
    product = await _fetch(
        fx_fault_database, "SELECT status FROM products WHERE id = $1", product_id
    )
    assert [row["status"] for row in product] == ["uploading"]
    images = await _fetch(
        fx_fault_database,
        "SELECT processing_status FROM product_images WHERE product_id = $1",
        product_id,
    )
    assert [row["processing_status"] for row in images] == ["pending_upload"]
    runs = await _fetch(
        fx_fault_database, "SELECT id FROM processing_runs WHERE product_id = $1", product_id
    )
    assert runs == []


class FailingObjectStorage(MemoryObjectStorage):
    """A storage plugin whose backend fails every read with its own ``StorageError``."""

    async def head(self, key: str) -> ObjectInfo | None:
        raise StorageError("connection reset by the object store")


async def test_a_storage_plugins_own_error_is_503_not_500(
    tmp_path: Path, fx_fault_database: str
) -> None:
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.register("storage", "failing", lambda settings, context: FailingObjectStorage())
    settings = load_settings(
        {},
        data_dir=str(tmp_path / "var"),
        secret_key=SECRET_KEY,
        auto_migrate=False,
        database_url=fx_fault_database,
        storage="failing",
    )
    container = await build_container(settings, registry=registry)
    async with AsyncTestClient(app=create_app(container=container)) as client:
        auth = await confirmed_account(client, container, "plugin-storage@example.com")
        created = await client.post("/api/v1/products", headers=auth, json=one_upload())
        assert created.status_code == 201, created.text
        data = created.json()["data"]
        finalized = await client.post(
            f"/api/v1/products/{data['product']['id']}/finalize_uploads",
            headers=auth,
            json={"uploads": [{"id": data["upload_instructions"][0]["image_id"]}]},
        )
    assert_unavailable(finalized)
    assert "connection reset" not in finalized.text


# --- Redis: the queue --------------------------------------------------------------------


@pytest.mark.slow
async def test_finalize_while_the_queue_is_down_is_accepted_and_swept_up_later(
    tmp_path: Path, fx_fault_database: str, fx_moto: MotoServer, fx_redis_url: str
) -> None:
    bucket = fx_moto.create_bucket()
    storage = s3_settings(fx_moto, bucket)
    async with serving(
        tmp_path,
        database_url=fx_fault_database,
        queue="taskiq",
        redis_url=closed_port_url("redis", "/0"),
        **storage,
    ) as (client, container):
        auth = await confirmed_account(client, container, "queue-down@example.com")
        photo = product_photo()
        created = await client.post("/api/v1/products", headers=auth, json=one_upload(len(photo)))
        assert created.status_code == 201, created.text
        product_id = created.json()["data"]["product"]["id"]
        [instruction] = created.json()["data"]["upload_instructions"]
        async with httpx.AsyncClient(timeout=15) as s3:
            put = await s3.put(
                instruction["upload_url"], content=photo, headers=instruction["headers"]
            )
        assert put.status_code == 200, put.text
        finalized = await client.post(
            f"/api/v1/products/{product_id}/finalize_uploads",
            headers=auth,
            json={"uploads": [{"id": instruction["image_id"]}]},
        )
        ready = await client.get("/api/v1/health/ready")
    # The run is committed with the product's move to processing; only the hand-off failed.
    assert finalized.status_code == 200, finalized.text
    run = finalized.json()["data"]["processing_run"]
    assert run["status"] == "queued"
    assert ready.status_code == 503
    assert ready.json()["error"]["dependencies"] == {
        "database": "ok",
        "storage": "ok",
        "queue": "unavailable",
    }
    [row] = await _fetch(
        fx_fault_database,
        "SELECT id, status FROM processing_runs WHERE product_id = $1",
        product_id,
    )
    assert (row["id"], row["status"]) == (run["id"], "queued")

    # Redis is back (a worker that reaches it): the sweeper finds the run and it completes.
    worker = WorkerProcess(
        tmp_path / "var",
        production_env(
            database_url=fx_fault_database,
            redis_url=fx_redis_url,
            redis_prefix=unique_prefix("faults"),
            storage=fx_moto.env(bucket),
            run_heartbeat_timeout_s="1",
            sweep_interval_s="0.2",
        ),
        log_dir=tmp_path,
    )
    await asyncio.to_thread(worker.start)
    try:
        status = await _wait_for_run(fx_fault_database, run["id"], ("completed", "failed"))
    finally:
        await asyncio.to_thread(worker.terminate)
    assert status == "completed", worker.tail()
    [product] = await _fetch(
        fx_fault_database, "SELECT status FROM products WHERE id = $1", product_id
    )
    assert product["status"] in ("ready", "review")


async def _wait_for_run(database_url: str, run_id: str, final: tuple[str, ...]) -> str:
    """Poll the run's row until its status is one of ``final`` (60 s at most)."""
    for _ in range(600):
        [row] = await _fetch(
            database_url, "SELECT status FROM processing_runs WHERE id = $1", run_id
        )
        if row["status"] in final:
            return str(row["status"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} is still {row['status']}")
