"""``reseller worker`` as a real child process on PostgreSQL and Redis (taskiq).

A separate Container (the embedding API, not consuming) plays the server: it writes the
run and enqueues it; only the worker can run it. The worker stops cleanly on SIGTERM, and a
job it had to interrupt is finished by the next worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis

from reseller_core.commands import SellerFields, UploadIntent
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_core.domain.users import User
from reseller_entrypoints.bootstrap import TEMP_UPLOAD_SWEEPER, build_container
from reseller_entrypoints.embedded import ResellerCore
from reseller_entrypoints.settings import load_settings
from tests.images import product_photo
from tests.services import ServiceUnavailable, free_port, postgres_database, unique_prefix

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60.0
"""Upper bound on any wait here; reaching it fails the test instead of hanging it."""
PASSWORD = "correct horse battery"


@pytest.fixture
def fx_own_postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own.

    The workers here sweep with a heartbeat timeout of a second or two, so on the session
    database they would take over every run other tests left queued or running (their
    photos long gone) and spend the test's time, and its SIGTERM grace, on those.
    """
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def fx_env(fx_own_postgres_url: str, fx_redis_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The deployment's ``RESELLER_*`` settings, shared by the worker and the producer."""
    prefix = unique_prefix("worker")
    env = {
        "RESELLER_DATA_DIR": str(tmp_path / "var"),
        "RESELLER_DATABASE_URL": fx_own_postgres_url,
        "RESELLER_QUEUE": "taskiq",
        "RESELLER_REDIS_URL": fx_redis_url,
        "RESELLER_REDIS_PREFIX": prefix,
        "RESELLER_SECRET_KEY": secrets.token_hex(16),
        "RESELLER_AUTO_MIGRATE": "false",
        "RESELLER_LOG_LEVEL": "INFO",
        "RESELLER_SWEEP_INTERVAL_S": "0.5",
        "RESELLER_JOB_REDELIVERY_AFTER_S": "1",
    }
    yield env
    client = redis.Redis.from_url(fx_redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class Worker:
    """``python -m reseller_entrypoints.cli worker`` with its output in a log file."""

    def __init__(self, env: Mapping[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reseller_entrypoints.cli", "worker"],
                cwd=REPO_ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_for_log(self, text: str) -> None:
        async def poll() -> None:
            while text not in self.log():
                if self.process.poll() is not None:
                    pytest.fail(f"the worker exited early:\n{self.log()}")
                await asyncio.sleep(0.05)

        try:
            await asyncio.wait_for(poll(), WAIT_S)
        except TimeoutError:
            pytest.fail(f"the worker never logged {text!r}:\n{self.log()}")

    async def terminate(self) -> int:
        """SIGTERM, then the exit code (SIGKILL and fail if it does not stop in time)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(self.process.wait, 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"the worker ignored SIGTERM:\n{self.log()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextlib.asynccontextmanager
async def running_worker(env: Mapping[str, str], log_path: Path) -> AsyncIterator[Worker]:
    worker = Worker(env, log_path)
    try:
        await worker.wait_for_log("worker started")
        yield worker
    finally:
        worker.kill()


@contextlib.asynccontextmanager
async def producer(env: Mapping[str, str]) -> AsyncIterator[ResellerCore]:
    """The server's half: writes runs and enqueues them, never consumes."""
    core = await ResellerCore.open(settings=load_settings(env), run_worker=False)
    try:
        assert not core.container.queue.running
        yield core
    finally:
        await core.close()


async def submit_product(core: ResellerCore) -> tuple[User, str, str]:
    """A confirmed seller's product with one uploaded photo, finalized: (user, product, run)."""
    email = f"seller-{secrets.token_hex(4)}@example.com"
    await core.register(email, PASSWORD)
    user = await core.confirm_email(email)
    photo = product_photo("JPEG")
    created = await core.create_product(
        user,
        SellerFields(title="Brass desk lamp", brand="Anglepoise"),
        [UploadIntent(filename="lamp.jpg", content_type="image/jpeg", byte_size=len(photo))],
    )
    (instruction,) = created.upload_instructions
    await core.upload(instruction, photo)
    finalized = await core.finalize_uploads(user, created.view.product.id, [instruction.image_id])
    assert finalized.run is not None
    return user, created.view.product.id, finalized.run.id


async def test_a_worker_process_runs_a_job_another_process_enqueued(
    fx_env: dict[str, str], tmp_path: Path
) -> None:
    async with running_worker(fx_env, tmp_path / "worker.log") as worker:
        async with producer(fx_env) as core:
            user, product_id, run_id = await submit_product(core)
            view = await core.wait_until_settled(user, product_id, timeout=WAIT_S)
        assert view.product.status in (ProductStatus.READY, ProductStatus.REVIEW)
        assert view.latest_run is not None
        assert (view.latest_run.id, view.latest_run.status) == (run_id, RunStatus.COMPLETED)
        assert view.description_draft is not None
        assert await worker.terminate() == 0
        log = worker.log()
    assert "worker stopped" in log
    assert "Traceback" not in log


async def test_sigterm_mid_run_exits_cleanly_and_the_next_worker_finishes_the_run(
    fx_env: dict[str, str], tmp_path: Path
) -> None:
    slow = {
        **fx_env,
        "RESELLER_AI_LATENCY_S": "3",
        "RESELLER_WORKER_SHUTDOWN_GRACE_S": "0.2",
        "RESELLER_RUN_HEARTBEAT_TIMEOUT_S": "2",
    }
    async with producer(slow) as core:
        async with running_worker(slow, tmp_path / "first.log") as first:
            user, product_id, run_id = await submit_product(core)
            await _wait_for_run(core, user, product_id, RunStatus.RUNNING)
            assert await first.terminate() == 0
            assert "interrupting them" in first.log()
        view = await core.product(user, product_id)
        assert view.latest_run is not None
        assert view.latest_run.status == RunStatus.RUNNING  # left for the next worker
        redis = Redis.from_url(fx_env["RESELLER_REDIS_URL"])
        try:
            # The interrupted job was never acknowledged: it is still in the stream.
            assert await redis.xlen(f"{fx_env['RESELLER_REDIS_PREFIX']}:jobs") == 1
        finally:
            await redis.aclose()

        fast = {**slow, "RESELLER_AI_LATENCY_S": "0"}
        async with running_worker(fast, tmp_path / "second.log") as second:
            view = await core.wait_until_settled(user, product_id, timeout=WAIT_S)
            assert await second.terminate() == 0
    assert view.latest_run is not None
    assert (view.latest_run.id, view.latest_run.status) == (run_id, RunStatus.COMPLETED)
    assert view.latest_run.attempts == 2


async def test_finalize_succeeds_while_redis_is_down_and_the_sweeper_enqueues_later(
    fx_env: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    redis_down = {
        **fx_env,
        "RESELLER_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "RESELLER_REDIS_TIMEOUT_S": "0.5",
    }
    async with producer(redis_down) as core:
        user, product_id, run_id = await submit_product(core)
        view = await core.product(user, product_id)
    assert view.product.status == ProductStatus.PROCESSING
    assert view.latest_run is not None
    assert (view.latest_run.id, view.latest_run.status) == (run_id, RunStatus.QUEUED)
    assert f"run {run_id} could not be enqueued now" in caplog.text

    # Once Redis is back, a worker's sweeper finds the run (queued past the timeout).
    sweeping = {**fx_env, "RESELLER_RUN_HEARTBEAT_TIMEOUT_S": "1"}
    async with running_worker(sweeping, tmp_path / "worker.log") as worker:
        async with producer(sweeping) as core:
            view = await core.wait_until_settled(user, product_id, timeout=WAIT_S)
        assert await worker.terminate() == 0
    assert view.latest_run is not None
    assert (view.latest_run.id, view.latest_run.status) == (run_id, RunStatus.COMPLETED)


async def test_a_server_container_only_produces_and_reports_the_queue_ready(
    fx_env: dict[str, str],
) -> None:
    """What ``reseller serve`` starts with a shared queue: no consumer, no sweeper."""
    container = await build_container(load_settings(fx_env))
    try:
        await container.start()
        assert not container.queue.running
        # Local storage's temporary-file sweeper is the only background task: no run sweeper.
        assert [task.get_name() for task in container._tasks] == [TEMP_UPLOAD_SWEEPER]
        assert (await container.readiness())["queue"] == "ok"
    finally:
        await container.close()


async def test_a_worker_refuses_the_in_process_queue(tmp_path: Path) -> None:
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reseller_entrypoints.cli", "worker"],
        cwd=REPO_ROOT,
        env={**os.environ, "RESELLER_DATA_DIR": str(tmp_path), "RESELLER_QUEUE": "inprocess"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "RESELLER_QUEUE=taskiq" in result.stderr


async def _wait_for_run(core: ResellerCore, user: User, product_id: str, status: RunStatus) -> None:
    async def poll() -> None:
        while True:
            view = await core.product(user, product_id)
            if view.latest_run is not None and view.latest_run.status == status:
                return
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), WAIT_S)
    except TimeoutError:
        pytest.fail(f"the run of {product_id} never became {status}")
