"""A fresh, migrated database per benchmark run: a SQLite file or a throwaway PostgreSQL one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from tests.services import ServiceUnavailable, postgres_database

POSTGRES_SERVER = os.environ.get(
    "RESELLER_BENCH_POSTGRES",
    os.environ.get("RESELLER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
)
"""The PostgreSQL server (no database part); the admin statements run in its ``test`` db."""

POSTGRES_ADMIN_DATABASE = os.environ.get("RESELLER_BENCH_POSTGRES_ADMIN_DB", "test")


DatabaseUnavailable = ServiceUnavailable
"""The database server a benchmark needs is not reachable; the message says where."""


@contextlib.contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    """A migrated SQLite file in ``directory`` (left for the directory's owner to remove)."""
    from reseller_adapters.persistence.sqlalchemy import upgrade

    url = f"sqlite+aiosqlite:///{(directory / 'bench.db').as_posix()}"
    upgrade(url)
    yield url


@contextlib.contextmanager
def fresh_database(engine: str, directory: Path) -> Iterator[str]:
    """``engine`` is ``sqlite`` or ``postgres``; yields the database URL."""
    if engine == "sqlite":
        with sqlite_database(directory) as url:
            yield url
    elif engine == "postgres":
        with postgres_database(
            server=POSTGRES_SERVER, admin_database=POSTGRES_ADMIN_DATABASE, label="reseller_bench"
        ) as url:
            yield url
    else:
        raise ValueError(f"unknown engine {engine!r} (expected sqlite or postgres)")
