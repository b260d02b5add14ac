"""Session fixtures for the real services (see ``tests/services.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import (
    MotoServer,
    ServiceUnavailable,
    postgres_database,
    require_redis,
)


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
