"""The real services the adapter and end-to-end tests talk to: PostgreSQL, Redis, moto S3.

PostgreSQL and Redis are the machine's own servers on 127.0.0.1 (``.ci/run`` starts them
when they are down). Each test session gets its own PostgreSQL database and its own Redis
key prefix, so concurrent runs never see each other. moto's standalone S3 server is started
here, on a free loopback port, as a child process; it speaks S3 over real HTTP (including
presigned ``PUT``), but it enforces neither content type nor size, so our code must.

None of these skip: a service that is not reachable fails the test with a message that
says which one and where.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.throwaway_services import postgres_server, redis_server

# Where nothing answers, a throwaway server is started (tests/throwaway_services.py).
POSTGRES_SERVER = postgres_server(
    os.environ.get("RESELLER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
)
POSTGRES_ADMIN_DSN = f"{POSTGRES_SERVER}/test"
REDIS_URL = redis_server(os.environ.get("RESELLER_TEST_REDIS", "redis://127.0.0.1:6379/0"))
# Child processes the tests start inherit the addresses in use: one that imports this
# module would otherwise start throwaway servers of its own, and a child the test kills
# (a consumer killed mid-job) never stops them.
os.environ["RESELLER_TEST_POSTGRES"] = POSTGRES_SERVER
os.environ["RESELLER_TEST_REDIS"] = REDIS_URL


class ServiceUnavailable(RuntimeError):
    """A service the tests need is not reachable; the message says which and where."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- PostgreSQL ----------------------------------------------------------------------------


async def postgres_admin(sql: str, admin_dsn: str = POSTGRES_ADMIN_DSN) -> None:
    """Run one statement on the server's admin database (create or drop a database)."""
    import asyncpg

    connection = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def postgres_database(
    *,
    migrated: bool = True,
    server: str = POSTGRES_SERVER,
    admin_database: str = "test",
    label: str = "reseller_test",
) -> Iterator[str]:
    """A fresh database (``<label>_<random>``) as a SQLAlchemy asyncpg URL; dropped after.

    ``server`` has no database part; the create and drop statements run in
    ``admin_database``. Call it outside a running event loop (it runs its own for them).
    The benchmarks use it too, with their own server and label.
    """
    from reseller_adapters.persistence.sqlalchemy import upgrade

    admin_dsn = f"{server}/{admin_database}"
    name = f"{label}_{secrets.token_hex(6)}"
    try:
        asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"', admin_dsn))
    except Exception as error:
        raise ServiceUnavailable(
            f"PostgreSQL is unreachable at {admin_dsn} ({error!r}); start it (see docs/testing.md)"
        ) from error
    host = server.split("://", 1)[1]
    url = f"postgresql+asyncpg://{host}/{name}"
    try:
        if migrated:
            upgrade(url)
        yield url
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_dsn))


# --- Redis ---------------------------------------------------------------------------------


def require_redis(url: str = REDIS_URL) -> str:
    """``url`` once a PING answers; ServiceUnavailable otherwise."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except Exception as error:
        raise ServiceUnavailable(
            f"Redis is unreachable at {url} ({error!r}); start it (see docs/testing.md)"
        ) from error
    finally:
        client.close()
    return url


def unique_prefix(label: str = "test") -> str:
    """A Redis key / queue-name prefix no other test run uses."""
    return f"reseller-{label}-{secrets.token_hex(4)}"


async def delete_redis_prefix(client: Any, prefix: str) -> None:
    """Delete every key under ``prefix:`` (``client`` is a ``redis.asyncio.Redis``)."""
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)


# --- moto S3 -------------------------------------------------------------------------------


class MotoServer:
    """moto's standalone server (``moto_server``) as a child process on a free loopback port.

    ``endpoint_url`` is what an S3 client points at; credentials can be any strings.
    """

    access_key_id = "testing-access-key"
    secret_access_key = "testing-secret-key"
    region = "us-east-1"

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"moto-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> MotoServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceUnavailable(f"moto server exited early:\n{self.log()}")
            try:
                httpx.get(f"{self.endpoint_url}/moto-api/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise ServiceUnavailable(f"moto server did not answer on {self.endpoint_url}")

    def create_bucket(self, name: str | None = None) -> str:
        """A new bucket (random name by default), created with boto3 over HTTP."""
        import boto3

        bucket = name or f"reseller-test-{secrets.token_hex(4)}"
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )
        client.create_bucket(Bucket=bucket)
        return bucket

    def env(self, bucket: str) -> dict[str, str]:
        """The ``RESELLER_*`` settings that point a server or worker at this bucket."""
        return {
            "RESELLER_STORAGE": "s3",
            "RESELLER_S3_BUCKET": bucket,
            "RESELLER_S3_ENDPOINT_URL": self.endpoint_url,
            "RESELLER_S3_REGION": self.region,
            "RESELLER_S3_ACCESS_KEY_ID": self.access_key_id,
            "RESELLER_S3_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
