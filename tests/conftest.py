"""Session fixtures for the real services (see ``tests/services.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import (
    MotoServer,
    ServiceUnavailable,
    delete_redis_prefix,
    postgres_database,
    require_redis,
    unique_prefix,
)
from tests.throwaway_services import STARTED, stop_all


def pytest_unconfigure(config: Any) -> None:
    """Stop the throwaway servers when the session ends (atexit is only a second chance)."""
    stop_all()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which throwaway servers stood in for PostgreSQL and Redis, if any."""
    for line in STARTED:
        terminalreporter.write_line(f"tests: {line}")


@pytest.fixture(scope="session")
def fx_postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session, dropped at the end."""
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def fx_redis_url() -> str:
    """The Redis server's URL, once it answers (tests use their own key prefixes)."""
    try:
        return require_redis()
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
async def fx_redis(fx_redis_url: str) -> AsyncIterator[Any]:
    """An asyncio Redis client for the test, closed afterwards."""
    from redis.asyncio import Redis

    client = Redis.from_url(fx_redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def fx_redis_prefix(fx_redis: Any) -> AsyncIterator[str]:
    """A key prefix of this test alone; every key under it is deleted afterwards."""
    prefix = unique_prefix("test")
    yield prefix
    await delete_redis_prefix(fx_redis, prefix)


@pytest.fixture(scope="session")
def fx_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """moto's S3 server on a free loopback port, for the whole session."""
    log_dir: Path = tmp_path_factory.mktemp("moto")
    try:
        server = MotoServer(log_dir).start()
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
