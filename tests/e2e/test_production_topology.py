"""The production topology with real processes: PostgreSQL, S3 (moto), taskiq on Redis.

One deployment for the module: one PostgreSQL database, one Redis prefix, one bucket, one
data directory and one secret key, served by ``reseller serve --workers 2`` (two uvicorn
server processes on one port) and a second ``reseller serve`` on another port, behind a
"proxy" (loopback is a trusted proxy, so each test names its client with
``X-Forwarded-For`` and gets its own auth rate-limit bucket). Servers only enqueue; each
test starts the ``reseller worker`` processes it needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from reseller_core.domain.marketplaces import get_marketplace
from tests.e2e.conftest import outbox_token, poll_product
from tests.e2e.server import ServerProcess, WorkerProcess, production_env
from tests.images import product_photo
from tests.services import (
    MotoServer,
    ServiceUnavailable,
    postgres_database,
    unique_prefix,
)

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
MARKETPLACES = ["mercari", "ebay", "depop"]
HEARTBEAT_TIMEOUT_S = 3
"""Short, so a run whose worker was killed is taken over within seconds."""


@dataclass
class Deployment:
    """The processes and services of one deployment, and ways to look behind the API."""

    database_url: str
    moto: MotoServer
    bucket: str
    data_dir: Path
    env: dict[str, str]
    primary: ServerProcess
    """``reseller serve --workers 2``."""
    secondary: ServerProcess
    """A second ``reseller serve`` on its own port."""

    def worker(self, log_dir: Path, name: str = "worker", **settings: str) -> WorkerProcess:
        """A ``reseller worker`` on this deployment (``settings`` as in ``production_env``)."""
        env = {**self.env, **{f"RESELLER_{k.upper()}": v for k, v in settings.items()}}
        return WorkerProcess(self.data_dir, env, log_dir=log_dir, name=name)

    def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Rows read from PostgreSQL directly, beside the application."""

        async def run() -> list[asyncpg.Record]:
            dsn = self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
            connection = await asyncpg.connect(dsn, timeout=5)
            try:
                return list(await connection.fetch(sql, *args))
            finally:
                await connection.close()

        return asyncio.run(run())

    def stored_object(self, url: str) -> bytes:
        """The bytes behind an image URL, read from the bucket with credentials (the bucket
        is private; the public base URL stands for a CDN in front of it)."""
        import boto3  # type: ignore[import-untyped]

        base = f"{self.moto.endpoint_url}/{self.bucket}/"
        assert url.startswith(base), url
        s3 = boto3.client(
            "s3",
            endpoint_url=self.moto.endpoint_url,
            region_name=self.moto.region,
            aws_access_key_id=self.moto.access_key_id,
            aws_secret_access_key=self.moto.secret_access_key,
        )
        stored = s3.get_object(Bucket=self.bucket, Key=unquote(url[len(base) :]))
        body: bytes = stored["Body"].read()
        return body

    def logs(self, *extra: WorkerProcess) -> str:
        return "\n".join(p.tail() for p in (self.primary, self.secondary, *extra))


@pytest.fixture(scope="module")
def fx_deployment(
    tmp_path_factory: pytest.TempPathFactory, fx_moto: MotoServer, fx_redis_url: str
) -> Iterator[Deployment]:
    """The module's deployment, on a PostgreSQL database of its own (dropped after)."""
    with contextlib.ExitStack() as stack:
        try:
            database_url = stack.enter_context(postgres_database())
        except ServiceUnavailable as error:
            pytest.fail(str(error), pytrace=False)
        root = tmp_path_factory.mktemp("production")
        bucket = fx_moto.create_bucket()
        env = production_env(
            database_url=database_url,
            redis_url=fx_redis_url,
            redis_prefix=unique_prefix("e2e"),
            storage={
                **fx_moto.env(bucket),
                "RESELLER_S3_PUBLIC_BASE_URL": f"{fx_moto.endpoint_url}/{bucket}",
            },
            trusted_proxies="127.0.0.1",
            run_heartbeat_timeout_s=str(HEARTBEAT_TIMEOUT_S),
            sweep_interval_s="0.25",
        )
        data_dir = root / "var"
        primary = ServerProcess(data_dir, env, workers=2, log_dir=root)
        secondary = ServerProcess(data_dir, env, log_dir=root)
        stack.callback(primary.terminate)
        stack.callback(secondary.terminate)
        primary.spawn()
        secondary.spawn()
        primary.wait_ready()
        secondary.wait_ready()
        yield Deployment(database_url, fx_moto, bucket, data_dir, env, primary, secondary)


@pytest.fixture
def fx_worker(fx_deployment: Deployment, tmp_path: Path) -> Iterator[WorkerProcess]:
    worker = fx_deployment.worker(tmp_path)
    worker.start()
    try:
        yield worker
    finally:
        worker.terminate()


def client(server: ServerProcess, ip: str | None = None) -> httpx.Client:
    """An HTTP client of ``server``; ``ip`` is the client address the trusted proxy reports."""
    headers = {"X-Forwarded-For": ip} if ip else {}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=15)


def confirmed_seller(
    deployment: Deployment, http: httpx.Client, email: str, **fields: Any
) -> dict[str, str]:
    """Register ``email`` and confirm it from the outbox; the bearer header."""
    registered = http.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, **fields}
    )
    assert registered.status_code == 200, registered.text
    token = outbox_token(deployment.data_dir, email)
    assert http.post("/api/v1/auth/confirm", json={"token": token}).status_code == 200
    return {"Authorization": f"Bearer {registered.json()['data']['token']}"}


def uploaded_product(http: httpx.Client, auth: dict[str, str]) -> tuple[str, list[str]]:
    """Create a product with a JPEG and a PNG, ``PUT`` both to S3; (product id, image ids)."""
    photos = [
        ("front.jpg", "image/jpeg", product_photo("JPEG", item=(20, 40, 200))),
        ("side.png", "image/png", product_photo("PNG", size=(400, 500), item=(30, 160, 60))),
    ]
    created = http.post(
        "/api/v1/products",
        headers=auth,
        json={
            "product": {"title": "Blue ceramic vase", "category": "Home decor"},
            "uploads": [
                {"filename": name, "content_type": kind, "byte_size": len(body)}
                for name, kind, body in photos
            ],
        },
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["product"]["status"] == "uploading"
    instructions = data["upload_instructions"]
    for instruction, (_, kind, body) in zip(instructions, photos, strict=True):
        assert instruction["method"] == "PUT"
        assert instruction["headers"] == {"content-type": kind}
        put = httpx.put(
            instruction["upload_url"], content=body, headers=instruction["headers"], timeout=15
        )
        assert put.status_code in (200, 201, 204), put.text
    return data["product"]["id"], [i["image_id"] for i in instructions]


def finalize(
    http: httpx.Client, auth: dict[str, str], product_id: str, images: list[str]
) -> httpx.Response:
    return http.post(
        f"/api/v1/products/{product_id}/finalize_uploads",
        headers=auth,
        json={"uploads": [{"id": image_id} for image_id in images]},
    )


def settled(
    deployment: Deployment,
    http: httpx.Client,
    product_id: str,
    auth: dict[str, str],
    *workers: WorkerProcess,
) -> dict[str, Any]:
    """The product once it leaves ``processing``; the processes' logs when it never does."""
    try:
        product: dict[str, Any] = poll_product(http, product_id, auth, timeout=60)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{deployment.logs(*workers)}") from None
    return product


def run_rows(deployment: Deployment, product_id: str) -> list[asyncpg.Record]:
    return deployment.fetch(
        "SELECT id, status, step, attempts FROM processing_runs WHERE product_id = $1",
        product_id,
    )


def usage_by_bucket(deployment: Deployment, run_id: str) -> dict[str, int]:
    rows = deployment.fetch(
        "SELECT bucket, count(*) AS events, sum(quantity) AS quantity FROM usage_events "
        "WHERE run_id = $1 GROUP BY bucket",
        run_id,
    )
    assert all(row["events"] == row["quantity"] for row in rows)
    return {row["bucket"]: int(row["quantity"]) for row in rows}


def assert_fully_processed(product: dict[str, Any], marketplaces: list[str]) -> None:
    """A completed run's artifacts: draft, research, one listing each, one variant each."""
    assert product["status"] in ("ready", "review")
    run = product["latest_processing_run"]
    assert (run["status"], run["step"]) == ("completed", "variants_generated")
    assert product["description_draft"]["suggested_title"]
    assert product["price_research"]["currency"] == "USD"
    listings = product["marketplace_listings"]
    assert sorted(listing["marketplace"] for listing in listings) == sorted(marketplaces)
    for listing in listings:
        rules = get_marketplace(listing["marketplace"]).rules  # type: ignore[union-attr]
        assert listing["generated_title"]
        assert len(listing["generated_title"]) <= rules.title_max_chars
        assert len(listing["generated_tags"]) <= rules.tags_max
    images = product["images"]
    originals = [i for i in images if i["kind"] == "original"]
    variants = [i for i in images if i["kind"] == "background_removed"]
    assert len(originals) == 2
    assert sorted(v["position"] for v in variants) == sorted(o["position"] for o in originals)
    assert all(i["processing_status"] == "ready" for i in images)


def test_quick_start_over_postgres_s3_and_a_worker_fleet(
    fx_deployment: Deployment, fx_worker: WorkerProcess
) -> None:
    primary, secondary = fx_deployment.primary, fx_deployment.secondary
    email = "quickstart@example.com"
    with client(primary, "203.0.113.10") as http, client(secondary, "203.0.113.10") as other:
        # 1. Register (the token works on every server process).
        registered = http.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "selected_marketplaces": MARKETPLACES},
        )
        assert registered.status_code == 200, registered.text
        auth = {"Authorization": f"Bearer {registered.json()['data']['token']}"}

        # 2. Unconfirmed: product creation is gated until the e-mailed token is used.
        me = other.get("/api/v1/me", headers=auth)
        assert me.status_code == 200, me.text
        assert me.json()["data"]["user"]["confirmed_at"] is None
        gated = http.post("/api/v1/products", headers=auth, json={})
        assert gated.status_code == 403
        assert gated.json()["error"]["code"] == "email_not_confirmed"
        confirmed = other.post(
            "/api/v1/auth/confirm", json={"token": outbox_token(fx_deployment.data_dir, email)}
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["data"]["user"]["confirmed_at"] is not None

        # 3-4. Two uploads straight to S3, finalize on the other server, poll.
        product_id, images = uploaded_product(http, auth)
        finalized = finalize(other, auth, product_id, images)
        assert finalized.status_code == 200, finalized.text
        run = finalized.json()["data"]["processing_run"]
        assert run["status"] == "queued"
        done = settled(fx_deployment, http, product_id, auth, fx_worker)

    assert done["latest_processing_run"]["id"] == run["id"]
    assert_fully_processed(done, MARKETPLACES)
    for variant in (i for i in done["images"] if i["kind"] == "background_removed"):
        assert variant["content_type"] == "image/png"
        assert variant["background_style"] == "transparent"
        assert fx_deployment.stored_object(variant["url"]).startswith(b"\x89PNG")
    assert [row["status"] for row in run_rows(fx_deployment, product_id)] == ["completed"]


def test_a_killed_worker_s_run_is_completed_by_the_next_worker_exactly_once(
    fx_deployment: Deployment, tmp_path: Path
) -> None:
    # Each AI call takes a while, so the run is certainly mid-way when the worker dies.
    first = fx_deployment.worker(tmp_path, "worker-killed", ai_latency_s="0.5")
    first.start()
    try:
        with client(fx_deployment.primary, "203.0.113.20") as http:
            auth = confirmed_seller(
                fx_deployment, http, "crash@example.com", selected_marketplaces=MARKETPLACES
            )
            product_id, images = uploaded_product(http, auth)
            finalized = finalize(http, auth, product_id, images)
            assert finalized.status_code == 200, finalized.text
            run_id = finalized.json()["data"]["processing_run"]["id"]
            deadline = time.monotonic() + 30
            while True:
                [row] = run_rows(fx_deployment, product_id)
                if row["status"] == "running" and row["step"] != "queued":
                    break
                assert time.monotonic() < deadline, f"{dict(row)}\n{first.tail()}"
                time.sleep(0.05)
    finally:
        first.kill()
    [orphan] = run_rows(fx_deployment, product_id)
    assert (orphan["status"], orphan["attempts"]) == ("running", 1)

    second = fx_deployment.worker(tmp_path, "worker-successor")
    second.start()
    try:
        with client(fx_deployment.secondary, "203.0.113.20") as http:
            done = settled(fx_deployment, http, product_id, auth, first, second)
    finally:
        second.terminate()

    assert done["latest_processing_run"]["id"] == run_id
    assert_fully_processed(done, MARKETPLACES)
    # PostgreSQL itself: one run, claimed twice, completed once; usage counted once.
    [finished] = run_rows(fx_deployment, product_id)
    assert (finished["id"], finished["status"], finished["attempts"]) == (run_id, "completed", 2)
    assert usage_by_bucket(fx_deployment, run_id) == {
        "ai_drafts": 1,
        "price_research": 1,
        "background_removals": 2,
    }
    [stored] = fx_deployment.fetch(
        "SELECT marketplace_listings FROM products WHERE id = $1", product_id
    )
    listings = json.loads(stored["marketplace_listings"])
    assert sorted(listing["marketplace"] for listing in listings) == sorted(MARKETPLACES)
    variants = fx_deployment.fetch(
        "SELECT position FROM product_images WHERE product_id = $1 AND kind = $2",
        product_id,
        "background_removed",
    )
    assert sorted(row["position"] for row in variants) == [1, 2]
    assert fx_deployment.fetch("SELECT id FROM products WHERE status = 'processing'") == []


def test_concurrent_finalizes_on_two_servers_start_exactly_one_run(
    fx_deployment: Deployment, tmp_path: Path
) -> None:
    primary, secondary = fx_deployment.primary, fx_deployment.secondary
    with client(primary, "203.0.113.30") as http, client(secondary, "203.0.113.30") as other:
        auth = confirmed_seller(fx_deployment, http, "race@example.com")
        product_id, images = uploaded_product(http, auth)
        # No worker runs yet, so the winner's run stays queued and the loser must see it.
        barrier = threading.Barrier(2)
        answers: dict[str, httpx.Response] = {}

        def race(name: str, session: httpx.Client) -> None:
            barrier.wait()
            answers[name] = finalize(session, auth, product_id, images)

        threads = [
            threading.Thread(target=race, args=("primary", http)),
            threading.Thread(target=race, args=("secondary", other)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        statuses = sorted(response.status_code for response in answers.values())
        # The same finalize twice at once is a double tap: both answer the one run started.
        assert statuses == [200, 200], {k: v.text for k, v in answers.items()}
        [queued] = run_rows(fx_deployment, product_id)
        assert queued["status"] == "queued"
        assert [r.json()["data"]["processing_run"]["id"] for r in answers.values()] == [
            queued["id"],
            queued["id"],
        ]

        worker = fx_deployment.worker(tmp_path)
        worker.start()
        try:
            done = settled(fx_deployment, http, product_id, auth, worker)
        finally:
            worker.terminate()
    assert done["latest_processing_run"]["id"] == queued["id"]
    assert [row["status"] for row in run_rows(fx_deployment, product_id)] == ["completed"]


def test_the_auth_rate_limit_is_shared_by_every_server_process(
    fx_deployment: Deployment,
) -> None:
    """10 registrations per minute per IP, counted in Redis whichever process answers."""
    servers = [fx_deployment.primary, fx_deployment.secondary]
    clients = [client(server) for server in servers]
    try:
        answers = [
            clients[n % 2].post(
                "/api/v1/auth/register",
                json={"email": f"burst{n}@example.com", "password": PASSWORD},
            )
            for n in range(12)
        ]
        login = clients[0].post(
            "/api/v1/auth/login", json={"email": "burst0@example.com", "password": PASSWORD}
        )
    finally:
        for session in clients:
            session.close()
    # Each server saw 6 of the 12: a limit counted per process would have admitted them all.
    assert [r.status_code for r in answers[:10]] == [200] * 10, [r.text for r in answers]
    for refused in answers[10:]:
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.json()["error"]["status"] == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert {answers[10].url.port, answers[11].url.port} == {s.port for s in servers}
    assert fx_deployment.fetch("SELECT id FROM users WHERE email = $1", "burst10@example.com") == []
    # Login counts in its own bucket.
    assert login.status_code == 200, login.text


def _import_archive(count: int) -> bytes:
    """``count`` products with one JPEG each, in the export format's manifest."""
    import io
    import zipfile

    photo = product_photo("JPEG")
    products = [
        {"title": f"Imported {n}", "sku": f"IMP-{n}", "images": [{"path": f"images/{n}.jpg"}]}
        for n in range(count)
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"products": products}))
        for n in range(count):
            archive.writestr(f"images/{n}.jpg", photo)
    return out.getvalue()


def test_a_killed_worker_s_import_is_finished_by_the_next_worker_without_duplicates(
    fx_deployment: Deployment, tmp_path: Path
) -> None:
    import base64

    total = 120
    first = fx_deployment.worker(tmp_path, "import-killed", job_heartbeat_timeout_s="2")
    first.start()
    try:
        with client(fx_deployment.primary, "203.0.113.21") as http:
            auth = confirmed_seller(fx_deployment, http, "importer@example.com")
            archive = base64.b64encode(_import_archive(total)).decode()
            answer = http.post(
                "/api/v1/imports",
                json={"import": {"filename": "catalog.zip", "archive_base64": archive}},
                headers=auth,
                timeout=60,
            )
            assert answer.status_code == 202, answer.text
            import_id = answer.json()["data"]["import"]["id"]
            deadline = time.monotonic() + 60
            while True:
                [row] = fx_deployment.fetch(
                    "SELECT status, next_index FROM imports WHERE id = $1", import_id
                )
                if row["status"] == "running" and row["next_index"] >= 5:
                    break
                assert time.monotonic() < deadline, f"{dict(row)}\n{first.tail()}"
                time.sleep(0.02)
    finally:
        first.kill()
    [orphan] = fx_deployment.fetch(
        "SELECT status, next_index FROM imports WHERE id = $1", import_id
    )
    assert orphan["status"] == "running" and 5 <= orphan["next_index"] < total, dict(orphan)

    second = fx_deployment.worker(tmp_path, "import-successor", job_heartbeat_timeout_s="2")
    second.start()
    try:
        with client(fx_deployment.secondary, "203.0.113.21") as http:
            deadline = time.monotonic() + 120
            while True:
                record = http.get(f"/api/v1/imports/{import_id}", headers=auth).json()["data"]
                if record["import"]["status"] not in ("queued", "running"):
                    break
                assert time.monotonic() < deadline, fx_deployment.logs(first, second)
                time.sleep(0.2)
    finally:
        second.terminate()
    done = record["import"]
    assert done["status"] == "completed", done
    assert (done["imported_products"], done["failed_products"]) == (total, 0)
    rows = fx_deployment.fetch(
        "SELECT p.sku FROM products p JOIN users u ON u.id = p.user_id "
        "WHERE u.email = $1 AND p.source = 'import'",
        "importer@example.com",
    )
    skus = [row["sku"] for row in rows]
    assert len(skus) == total and len(set(skus)) == total  # every product exactly once
    assert len(done["payload"]["created_product_ids"]) == total
