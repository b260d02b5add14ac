"""Single-statement reads run with as little machinery as the driver allows.

A lookup (``SqlAlchemyLookup``: one reading statement, no transaction around it) is what
``GET /products/:id`` runs, the hottest request there is. Through SQLAlchemy's asyncio
layer it paid for machinery a single statement does not need:

- on SQLite, aiosqlite hands every driver call to the connection's thread: one statement
  was four hand-offs (open a cursor, execute, fetch, close) and returning the connection
  to the pool a fifth. Each one wakes the event loop from another thread and waits for
  the GIL, so under load the read spent more time passing the GIL around than reading.
  ``SqliteLookupRunner`` checks a connection out of a synchronous pool, runs the
  statement, buffers the rows and returns the connection in one call on a small thread
  pool. sqlite3 releases the GIL while SQLite works, so with cores to spare lookups read
  in parallel with the event loop.
- on PostgreSQL, the pool checkout, the isolation level set and reset, the greenlet
  switches and the execution context cost about four times asyncpg's own work for the
  statement. ``PostgresLookupRunner`` keeps a few asyncpg connections of its own and runs
  the statement SQLAlchemy compiled, with the columns' own bind and result processors,
  so values come back exactly as through the engine (aware UTC datetimes, decoded JSON).

Both return an ordinary buffered ``Result``. Each is built from the engine's URL and
settings; a database built from an engine the caller configured (a custom connection
creator, for instance) keeps lookups on that engine (``lookup_runner_for``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, Protocol

import msgspec
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Dialect, FrozenResult, IteratorResult, Result
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import Executable, Select

from reseller_adapters.persistence.sqlalchemy.engine import (
    json_dumps,
    on_sqlite_connect,
    sqlite_file,
)
from reseller_adapters.persistence.sqlalchemy.error_mapping import is_unavailable_cause
from reseller_core.errors import DependencyUnavailable

SQLITE_LOOKUP_THREADS: Final = 4
"""Threads (and pooled connections) for SQLite lookups: reads in WAL mode never wait for
each other, so a few threads let lookups overlap on a machine with several cores."""
POSTGRES_DEFAULT_CONNECTIONS: Final = 5
"""Connections of the PostgreSQL runner when the engine's pool does not say its size."""
POSTGRES_CHECKOUT_TIMEOUT_S: Final = 30.0
"""How long a lookup waits for a free connection (SQLAlchemy's pool waits as long)."""
_COMPILED_CACHE_SIZE: Final = 64
_SQLALCHEMY_ONLY_CONNECT_ARGS: Final = (
    "async_creator_fn",
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
)
"""Connect arguments the asyncpg dialect reads itself and never hands to asyncpg."""


class LookupRunner(Protocol):
    """Runs one reading statement per call and returns its whole result."""

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]: ...

    async def execute_together(
        self, statements: Sequence[tuple[Executable, Any]]
    ) -> list[Result[Any]]:
        """Each statement's whole result, all read in one read transaction (one snapshot)."""
        ...

    async def dispose(self) -> None:
        """Close the connections; a later lookup opens new ones."""
        ...


def lookup_runner_for(engine: AsyncEngine) -> LookupRunner | None:
    """The runner for this engine's database, or None to run lookups on the engine.

    The PostgreSQL runner opens up to half as many connections as the engine's pool keeps
    (``RESELLER_DATABASE_POOL_SIZE``): a lookup holds its connection for one round trip.
    """
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return SqliteLookupRunner(url) if sqlite_file(url) is not None else None
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        kept = getattr(engine.pool, "size", None)
        size = kept() if callable(kept) else POSTGRES_DEFAULT_CONNECTIONS * 2
        return PostgresLookupRunner(engine, size=max(2, size // 2))
    return None


class _Runner:
    """``execute`` as ``execute_together`` with one statement."""

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        """The statement's whole result."""
        (result,) = await self.execute_together([(statement, params)])
        return result

    async def execute_together(
        self, statements: Sequence[tuple[Executable, Any]]
    ) -> list[Result[Any]]:
        raise NotImplementedError


class SqliteLookupRunner(_Runner):
    """SQLite lookups in one worker-thread call each, on a synchronous pool of their own."""

    def __init__(self, url: URL, *, threads: int = SQLITE_LOOKUP_THREADS) -> None:
        # Connections move between the pool's threads but only one uses a connection at a
        # time, so sqlite3's same-thread check is turned off.
        self._engine = create_engine(
            url.set(drivername="sqlite+pysqlite"),
            json_serializer=json_dumps,
            json_deserializer=msgspec.json.decode,
            connect_args={"check_same_thread": False},
            pool_size=threads,
            max_overflow=0,
        )
        event.listen(self._engine, "connect", on_sqlite_connect)
        self._size = threads
        self._threads: ThreadPoolExecutor | None = None

    async def execute_together(
        self, statements: Sequence[tuple[Executable, Any]]
    ) -> list[Result[Any]]:
        """The statements' results, read in one call and (for several) one transaction."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(
                self._size, thread_name_prefix="reseller-sqlite-lookup"
            )
        loop = asyncio.get_running_loop()
        frozen = await loop.run_in_executor(self._threads, self._run, list(statements))
        return [each() for each in frozen]

    def _run(self, statements: list[tuple[Executable, Any]]) -> list[FrozenResult[Any]]:
        with self._engine.connect() as connection:
            if len(statements) == 1:
                ((statement, params),) = statements
                return [connection.execute(statement, params).freeze()]
            # The driver runs in autocommit (no implicit BEGIN): one snapshot for all of
            # them takes an explicit read transaction. Returning the connection to the pool
            # rolls back whatever a failure left open.
            connection.exec_driver_sql("BEGIN DEFERRED")
            results = [connection.execute(s, p).freeze() for s, p in statements]
            connection.exec_driver_sql("COMMIT")
            return results

    async def dispose(self) -> None:
        """Stop the threads (after the lookups in flight) and close the connections."""
        threads, self._threads = self._threads, None
        if threads is not None:
            await asyncio.to_thread(threads.shutdown, wait=True)
        self._engine.dispose()


class _Compiled(msgspec.Struct, frozen=True):
    """A statement as asyncpg runs it: SQL text, parameter order and value processors."""

    statement: Executable
    compiled: Any
    """SQLAlchemy's compiled form: it merges the statement's own literal values with the
    caller's parameters (``construct_params``)."""
    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    keys: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]


class PostgresLookupRunner(_Runner):
    """PostgreSQL lookups on a few asyncpg connections of its own, in autocommit.

    Connections are opened on demand up to ``size`` and set up as the engine sets up its
    own (JSON and JSONB decoded with the engine's deserializer). A connection that fails or
    is interrupted mid-statement is closed, never reused.
    """

    def __init__(self, engine: AsyncEngine, *, size: int) -> None:
        self._dialect: Dialect = engine.dialect
        _, connect_args = self._dialect.create_connect_args(engine.url)
        for name in _SQLALCHEMY_ONLY_CONNECT_ARGS:
            connect_args.pop(name, None)
        self._connect_args: dict[str, Any] = dict(connect_args)
        self._size = max(1, size)
        self._idle: asyncio.LifoQueue[Any] = asyncio.LifoQueue()
        self._opened = 0
        self._compiled: dict[int, _Compiled] = {}

    async def execute_together(
        self, statements: Sequence[tuple[Executable, Any]]
    ) -> list[Result[Any]]:
        """The statements' results on one connection; several run in one read-only
        REPEATABLE READ transaction, so they read one snapshot."""
        prepared = []
        for statement, params in statements:
            compiled = self._compile(statement)
            given = compiled.compiled.construct_params(params or {})
            values = [
                given[name] if process is None else process(given[name])
                for name, process in zip(compiled.names, compiled.binds, strict=True)
            ]
            prepared.append((compiled, values))
        connection = await self._checkout()
        try:
            if len(prepared) == 1:
                ((compiled, values),) = prepared
                fetched = [await connection.fetch(compiled.sql, *values)]
            else:
                async with connection.transaction(isolation="repeatable_read", readonly=True):
                    fetched = [await connection.fetch(c.sql, *values) for c, values in prepared]
        except BaseException as error:
            self._discard(connection)
            if is_unavailable_cause(error):
                raise DependencyUnavailable("database") from error
            raise
        self._idle.put_nowait(connection)
        return [
            IteratorResult(
                SimpleResultMetaData(compiled.keys),
                iter([_processed(record, compiled.results) for record in records]),
            )
            for (compiled, _), records in zip(prepared, fetched, strict=True)
        ]

    def _compile(self, statement: Executable) -> _Compiled:
        """Compiled once per statement object (lookups are module-level statements)."""
        cached = self._compiled.get(id(statement))
        if cached is not None and cached.statement is statement:
            return cached
        if not isinstance(statement, Select):
            raise TypeError("a PostgreSQL lookup runs SELECT statements only")
        compiled = statement.compile(dialect=self._dialect)
        names = tuple(compiled.positiontup or ())
        if any(compiled.binds[name].expanding for name in names):
            raise TypeError("a PostgreSQL lookup takes no expanding (IN list) parameters")
        columns = list(statement.selected_columns)
        entry = _Compiled(
            statement=statement,
            compiled=compiled,
            sql=str(compiled),
            names=names,
            binds=tuple(
                compiled.binds[name].type.dialect_impl(self._dialect).bind_processor(self._dialect)
                for name in names
            ),
            keys=tuple(column.key or f"column_{n}" for n, column in enumerate(columns)),
            results=tuple(
                column.type.dialect_impl(self._dialect).result_processor(self._dialect, None)
                for column in columns
            ),
        )
        if len(self._compiled) >= _COMPILED_CACHE_SIZE:
            self._compiled.clear()
        self._compiled[id(statement)] = entry
        return entry

    async def _checkout(self) -> Any:
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            try:
                return await self._connect()
            except BaseException as error:
                self._opened -= 1
                if is_unavailable_cause(error):
                    raise DependencyUnavailable("database") from error
                raise
        try:
            # Not ``wait_for``: on Python 3.11 it can return the connection and lose a
            # cancellation that arrives with it.
            async with asyncio.timeout(POSTGRES_CHECKOUT_TIMEOUT_S):
                return await self._idle.get()
        except TimeoutError as error:
            raise DependencyUnavailable("database") from error

    async def _connect(self) -> Any:
        import asyncpg  # type: ignore[import-untyped]

        connection = await asyncpg.connect(**self._connect_args)
        deserialize = getattr(self._dialect, "_json_deserializer", None) or msgspec.json.decode
        await connection.set_type_codec(
            "json",
            encoder=str.encode,
            decoder=lambda raw: deserialize(raw.decode()),
            schema="pg_catalog",
            format="binary",
        )
        await connection.set_type_codec(
            "jsonb",
            encoder=lambda text: b"\x01" + text.encode(),
            decoder=lambda raw: deserialize(raw[1:].decode()),
            schema="pg_catalog",
            format="binary",
        )
        return connection

    def _discard(self, connection: Any) -> None:
        self._opened -= 1
        connection.terminate()

    async def dispose(self) -> None:
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            self._opened -= 1
            with contextlib.suppress(Exception):
                await connection.close(timeout=5)


def _processed(
    record: Sequence[Any], processors: Sequence[Callable[[Any], Any] | None]
) -> tuple[Any, ...]:
    return tuple(
        value if process is None or value is None else process(value)
        for value, process in zip(record, processors, strict=True)
    )
