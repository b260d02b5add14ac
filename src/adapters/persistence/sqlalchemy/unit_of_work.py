"""The SQLAlchemy unit of work, its database object and the engine set-up per dialect.

One ``SqlAlchemyDatabase`` per process holds the engine (the connection pool) and the session
factory; each use-case operation opens one ``SqlAlchemyUnitOfWork`` (one session, one
transaction). Statements are Core, executed on the session's connection.

SQLite (the embedded default) is set up for a server with concurrent requests and workers:
WAL (readers never block the writer), a 10 s ``busy_timeout``, foreign keys on, and every
transaction opened with ``BEGIN IMMEDIATE``: it takes the write lock up front, so two
read-modify-write transactions queue behind each other instead of one failing with
SQLITE_BUSY when it upgrades its read lock (the SQLAlchemy-documented recipe: the driver's
own BEGIN is disabled with ``isolation_level = None`` and the ``begin`` event emits ours).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import msgspec
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Result, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.expression import Executable

from reseller_adapters.persistence.sqlalchemy.error_mapping import translated_errors
from reseller_adapters.persistence.sqlalchemy.repositories import (
    SqlImageRepository,
    SqlProductRepository,
    SqlRunRepository,
    SqlTabRepository,
    SqlTokenRepository,
    SqlUsageRepository,
    SqlUserRepository,
)
from reseller_core.ports.unit_of_work import (
    ImageRepository,
    ProductRepository,
    RunRepository,
    TabRepository,
    TokenRepository,
    UsageRepository,
    UserRepository,
)

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS: tuple[str, ...] = (
    "journal_mode=WAL",
    f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "foreign_keys=ON",
    # WAL + NORMAL: durable across application crashes; only an OS crash or power loss
    # can drop the last commits. The usual trade-off for a WAL server database.
    "synchronous=NORMAL",
    # LIKE compares exactly, as on PostgreSQL (product search itself uses FTS5 here).
    "case_sensitive_like=ON",
)
SQLITE_BEGIN_OPTION = "sqlite_begin"
"""Execution option naming the BEGIN mode of a connection's transactions (default IMMEDIATE)."""

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(url: str | URL) -> URL:
    """``url`` with the async driver this adapter uses (``sqlite://`` → aiosqlite, ...)."""
    parsed = make_url(url)
    return parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))


def _json_dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")


def create_engine_for(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` (SQLite or PostgreSQL), configured as described above.

    ``options`` are passed to ``create_async_engine`` (``echo``, ``pool_size``, ...). For a
    SQLite file, its parent directory is created when missing.
    """
    parsed = async_url(url)
    settings: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": msgspec.json.decode,
        **options,
    }
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, **settings)
    path = _sqlite_file(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(parsed, **settings)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


class SqlAlchemyDatabase:
    """The engine and session factory of one database; a ``UnitOfWorkFactory`` source.

    Build it from a URL (``SqlAlchemyDatabase("sqlite+aiosqlite:///var/reseller.db")``) or
    from an engine you configured yourself. ``unit_of_work`` is the factory the services
    take; ``migrate``, ``check`` and ``dispose`` serve the composition root.
    """

    def __init__(self, url_or_engine: str | URL | AsyncEngine, **engine_options: Any) -> None:
        if isinstance(url_or_engine, AsyncEngine):
            self.engine = url_or_engine
        else:
            self.engine = create_engine_for(url_or_engine, **engine_options)
        self.dialect: str = self.engine.dialect.name
        self.session_factory = async_sessionmaker(self.engine, expire_on_commit=False)

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        """A new unit of work; the bound method itself is a ``UnitOfWorkFactory``."""
        return SqlAlchemyUnitOfWork(self)

    def read_unit_of_work(self) -> SqlAlchemyUnitOfWork:
        """A unit of work for reads only: on SQLite it begins ``DEFERRED``.

        It takes no write lock, so concurrent reads run side by side instead of queueing
        behind each other and behind writers (WAL gives each a consistent snapshot). A
        write attempted through it may fail with ``database is locked``: use
        ``unit_of_work`` for anything that writes.
        """
        return SqlAlchemyUnitOfWork(self, begin="DEFERRED")

    async def migrate(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to ``revision`` on this database."""
        from reseller_adapters.persistence.sqlalchemy.migrations import migrate

        await migrate(self.engine, revision)

    async def check(self) -> None:
        """Readiness probe: one ``SELECT 1``; raises ``DependencyUnavailable`` when down."""
        with translated_errors(self.dialect):
            async with self.engine.connect() as connection:
                await connection.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
                await connection.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection (at shutdown)."""
        await self.engine.dispose()


class SqlAlchemyUnitOfWork:
    """One session and one transaction; leaving without ``commit()`` rolls back."""

    def __init__(self, database: SqlAlchemyDatabase, *, begin: str = "IMMEDIATE") -> None:
        self._database = database
        self.dialect = database.dialect
        self._connection_options = {SQLITE_BEGIN_OPTION: begin} if begin != "IMMEDIATE" else {}
        self._session: AsyncSession | None = None
        self.users: UserRepository = SqlUserRepository(self)
        self.tokens: TokenRepository = SqlTokenRepository(self)
        self.tabs: TabRepository = SqlTabRepository(self)
        self.products: ProductRepository = SqlProductRepository(self)
        self.images: ImageRepository = SqlImageRepository(self)
        self.runs: RunRepository = SqlRunRepository(self)
        self.usage: UsageRepository = SqlUsageRepository(self)

    @property
    def session(self) -> AsyncSession:
        """The session (for adapter code that needs the ORM); only inside ``async with``."""
        if self._session is None:
            raise RuntimeError("Use the unit of work inside 'async with'")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._database.session_factory()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            with translated_errors(self.dialect):
                await session.close()
        except Exception:
            if exc is None:
                raise
            # The body already failed; its exception is the one worth propagating.
            log.warning("closing a failed unit of work also failed", exc_info=True)

    async def execute(
        self, statement: Executable, params: Any = None, *, conflict: str | None = None
    ) -> Result[*tuple[Any, ...]]:
        """Run a Core statement in this unit of work's transaction."""
        with translated_errors(self.dialect, conflict):
            session = self.session
            # Options apply when the transaction's connection is procured, so pass them
            # only then (SQLAlchemy warns when they arrive for an established connection).
            options = None if session.in_transaction() else self._connection_options or None
            connection = await session.connection(execution_options=options)
            return await connection.execute(statement, params)

    async def commit(self) -> None:
        with translated_errors(self.dialect):
            await self.session.commit()

    async def rollback(self) -> None:
        with translated_errors(self.dialect):
            await self.session.rollback()
