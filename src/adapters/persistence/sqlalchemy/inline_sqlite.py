"""SQLite for the async engine without a driver thread: statements run on the event loop.

aiosqlite hands every driver call (open a cursor, execute, fetch, close, commit) to the
connection's own thread and wakes the event loop when it is done. A statement is four such
hand-offs, and a write transaction of a processing stage is a few dozen of them. Each one
costs a wake-up through the loop's self-pipe, a future and a GIL hand-over, far more than
SQLite's own work on the small statements the unit of work runs (tens of microseconds on
a page already in memory). On one core the thread buys no parallelism either.

This module keeps SQLAlchemy's aiosqlite dialect (its SQL, types and result handling) and
replaces only the DBAPI object behind it (``create_async_engine(..., module=...)``): the
connection is an ordinary ``sqlite3`` connection and its "coroutines" finish at once.
What the driver thread did besides moving work off the loop is done here instead:

- **Waiting for a lock.** SQLite's busy handler sleeps in the calling thread; on the loop
  that would stop every other request, and a writer of this process waiting for a
  transaction of the same process (a nested unit of work) would wait for its whole timeout.
  The connections run with ``busy_timeout = 0``; a statement refused with ``SQLITE_BUSY``
  is tried again after an ``asyncio.sleep`` (SQLite's own back-off steps), for up to
  ``SQLITE_BUSY_TIMEOUT_MS`` in all, then the error is raised as SQLite would raise it.
  This process's writers already queue on an ``asyncio.Lock`` before ``BEGIN IMMEDIATE``
  (``SqlAlchemyDatabase.writers``), so this only meets other processes' writers.
- **Long statements** hold the loop for as long as SQLite works. The product read and the
  product list, the requests a seller's app repeats, stay on the lookup runner's threads
  (``lookup_runners``). What runs here are units of work: keyed reads and writes of one
  product or a small batch, an export's pages of 100 products, a storefront page once per
  cache period.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)

_T = TypeVar("_T")

BUSY_BACKOFF_S: Final = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05)
"""Pauses between tries of a statement refused with ``SQLITE_BUSY`` (SQLite's busy handler
steps, in seconds); after the last, 0.1 s each."""
_LAST_BACKOFF_S: Final = 0.1
_WAIT_AND_RETRY: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_BUSY_RECOVERY})
"""Refusals that pass (another connection's lock, another process recovering the WAL),
as SQLite's busy handler treats them. ``SQLITE_BUSY_SNAPSHOT`` is not one: a read
transaction that would write over a newer snapshot fails however long it waits."""


class InlineCursor:
    """An ``aiosqlite.Cursor`` look-alike over a ``sqlite3.Cursor``; every call is immediate."""

    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        run = self._cursor.execute
        await self._connection.retry_busy(
            lambda: run(sql, () if parameters is None else parameters)
        )
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        rows = list(parameters)
        await self._connection.retry_busy(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """An ``aiosqlite.Connection`` look-alike over a ``sqlite3.Connection`` used on the loop.

    Only the calls SQLAlchemy's aiosqlite adapter makes are here.
    """

    def __init__(self, connection: sqlite3.Connection, *, busy_timeout_s: float) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._busy_timeout_s = busy_timeout_s

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """The open ``sqlite3`` connection, None once closed (the adapter checks this)."""
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    async def retry_busy(self, attempt: Callable[[], _T]) -> _T:
        """``attempt()``; while SQLite answers ``SQLITE_BUSY``, pause (yielding) and retry."""
        deadline: float | None = None
        tries = 0
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", None) not in _WAIT_AND_RETRY:
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self._busy_timeout_s
                if now >= deadline:
                    raise
                pause = BUSY_BACKOFF_S[tries] if tries < len(BUSY_BACKOFF_S) else _LAST_BACKOFF_S
                tries += 1
                await asyncio.sleep(min(pause, deadline - now))

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def set_isolation_level(self, value: str | None) -> None:
        self._open().isolation_level = cast(Any, value)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._open().cursor())

    async def commit(self) -> None:
        connection = self._open()
        await self.retry_busy(connection.commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (the adapter's forced close, also used when a pool is discarded)."""
        connection, self._conn = self._conn, None
        if connection is not None:
            connection.close()


class InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite adapter over an ``InlineConnection``.

    The adapter sets ``isolation_level`` through aiosqlite's private thread queue; here the
    connection is set directly. ``waits_for_locks_itself`` tells the connect hook to turn
    SQLite's sleeping busy handler off (``InlineConnection.retry_busy`` waits instead).
    """

    __slots__ = ()

    waits_for_locks_itself: Final = True

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.set_isolation_level(value)


class InlineSqliteDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI object for ``create_async_engine(module=...)`` on SQLite (see the module)."""

    def __init__(self, *, busy_timeout_s: float) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.busy_timeout_s = busy_timeout_s

    def connect(self, *args: Any, **kwargs: Any) -> InlineAdaptedConnection:
        if kwargs.pop("async_creator_fn", None) is not None:
            raise ValueError("the inline SQLite driver opens its own connections")
        # The pool may close a connection from the thread that garbage-collects it.
        kwargs["check_same_thread"] = False
        connection = sqlite3.connect(*args, **kwargs)
        inline = InlineConnection(connection, busy_timeout_s=self.busy_timeout_s)
        # It answers the calls the adapter makes (the protocol names more than it uses).
        return InlineAdaptedConnection(self, cast(Any, inline))


def statements_run_inline(dbapi_connection: object) -> bool:
    """Whether this pooled DBAPI connection runs on the loop (and so waits for locks itself)."""
    return bool(getattr(dbapi_connection, "waits_for_locks_itself", False))
