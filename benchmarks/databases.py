"""A fresh, migrated database per benchmark run: a SQLite file or a throwaway PostgreSQL one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

POSTGRES_SERVER = os.environ.get(
    "RESELLER_BENCH_POSTGRES",
    os.environ.get("RESELLER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
)
"""The PostgreSQL server (no database part); the admin statements run in its ``test`` db."""

POSTGRES_ADMIN_DATABASE = os.environ.get("RESELLER_BENCH_POSTGRES_ADMIN_DB", "test")


class DatabaseUnavailable(RuntimeError):
    """The database server a benchmark needs is not reachable; the message says where."""


async def _postgres_admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(f"{POSTGRES_SERVER}/{POSTGRES_ADMIN_DATABASE}", timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    """A migrated SQLite file in ``directory`` (left for the directory's owner to remove)."""
    from adapters.persistence.sqlalchemy import upgrade

    url = f"sqlite+aiosqlite:///{(directory / 'bench.db').as_posix()}"
    upgrade(url)
    yield url


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A migrated ``reseller_bench_<random>`` database as an asyncpg URL, dropped afterwards.

    Call it outside a running event loop: it runs its own for the admin statements.
    """
    from adapters.persistence.sqlalchemy import upgrade

    name = f"reseller_bench_{secrets.token_hex(6)}"
    try:
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        raise DatabaseUnavailable(
            f"PostgreSQL is unreachable at {POSTGRES_SERVER} ({type(error).__name__}: {error})"
        ) from error
    host = POSTGRES_SERVER.split("://", 1)[1]
    url = f"postgresql+asyncpg://{host}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def fresh_database(engine: str, directory: Path) -> Iterator[str]:
    """``engine`` is ``sqlite`` or ``postgres``; yields the database URL."""
    if engine == "sqlite":
        with sqlite_database(directory) as url:
            yield url
    elif engine == "postgres":
        with postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown engine {engine!r} (expected sqlite or postgres)")
