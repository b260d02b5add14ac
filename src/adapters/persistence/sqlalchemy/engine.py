"""The engine set-up per dialect: driver names, and SQLite configured for a server.

SQLite (the embedded default) is set up for a server with concurrent requests and workers:
WAL (readers never block the writer), a 10 s wait for another process's write lock (by the
driver, ``inline_sqlite``, or by SQLite's busy handler on the lookup runner's threads),
foreign keys on, and every transaction opened with ``BEGIN IMMEDIATE``: it takes the write
lock up front, so two read-modify-write transactions queue behind each other instead of one
failing with SQLITE_BUSY when it upgrades its read lock (the SQLAlchemy-documented recipe:
the driver's own BEGIN is disabled with ``isolation_level = None`` and the ``begin`` event
emits ours).

The unit of work and the migrations both build on this module; it imports neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reseller_adapters.persistence.sqlalchemy.inline_sqlite import (
    InlineSqliteDbapi,
    statements_run_inline,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS: tuple[str, ...] = (
    "journal_mode=WAL",
    "foreign_keys=ON",
    # WAL + NORMAL: durable across application crashes; only an OS crash or power loss
    # can drop the last commits. The usual trade-off for a WAL server database.
    "synchronous=NORMAL",
    # LIKE compares exactly, as on PostgreSQL (product search itself uses FTS5 here).
    "case_sensitive_like=ON",
)
SQLITE_BEGIN_OPTION = "sqlite_begin"
"""Execution option naming the BEGIN mode of a connection's transactions (default IMMEDIATE)."""
SQLITE_NO_BEGIN = "NONE"
"""The BEGIN mode of single-statement lookups: no BEGIN, the statement is its own transaction."""

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(url: str | URL) -> URL:
    """``url`` with the async driver this adapter uses (``sqlite://`` → aiosqlite, ...)."""
    parsed = make_url(url)
    return parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))


def json_dumps(value: Any) -> str:
    """JSON columns are written by msgspec (the engines' ``json_serializer``)."""
    return msgspec.json.encode(value).decode()


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory or ``file:`` URI database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Every new SQLite connection: no driver-side BEGIN, ``SQLITE_PRAGMAS`` and the busy
    timeout (0 for a connection used on the event loop, which waits for locks itself)."""
    dbapi_connection.isolation_level = None
    busy_ms = 0 if statements_run_inline(dbapi_connection) else SQLITE_BUSY_TIMEOUT_MS
    cursor = dbapi_connection.cursor()
    try:
        for pragma in (*SQLITE_PRAGMAS, f"busy_timeout={busy_ms}"):
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
    if mode != SQLITE_NO_BEGIN:
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_engine_for(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` (SQLite or PostgreSQL), configured as described above.

    ``options`` are passed to ``create_async_engine`` (``echo``, ``pool_size``, ...). For a
    SQLite file, its parent directory is created when missing.
    """
    parsed = async_url(url)
    settings: dict[str, Any] = {
        "json_serializer": json_dumps,
        "json_deserializer": msgspec.json.decode,
        **options,
    }
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, **settings)
    path = sqlite_file(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # Statements on the event loop, lock waits off it (``inline_sqlite``); an embedder may
    # pass its own ``module``.
    settings.setdefault("module", InlineSqliteDbapi(busy_timeout_s=SQLITE_BUSY_TIMEOUT_MS / 1000))
    engine = create_async_engine(parsed, **settings)
    event.listen(engine.sync_engine, "connect", on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine
