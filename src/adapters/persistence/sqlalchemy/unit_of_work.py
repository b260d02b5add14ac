"""The SQLAlchemy unit of work and its database object.

One ``SqlAlchemyDatabase`` per process holds the engine (the connection pool, set up per
dialect in ``engine``) and the session factory; each use-case operation opens one
``SqlAlchemyUnitOfWork`` (one session, one transaction). Statements are Core, executed on
the session's connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import URL, Result
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.sql.expression import Executable

from reseller_adapters.persistence.sqlalchemy.account_repositories import (
    SqlTokenRepository,
    SqlUserRepository,
)
from reseller_adapters.persistence.sqlalchemy.engine import (
    SQLITE_BEGIN_OPTION,
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_NO_BEGIN,
    create_engine_for,
)
from reseller_adapters.persistence.sqlalchemy.error_mapping import translated_errors
from reseller_adapters.persistence.sqlalchemy.idempotency_repository import SqlIdempotencyRepository
from reseller_adapters.persistence.sqlalchemy.lookup_runners import LookupRunner, lookup_runner_for
from reseller_adapters.persistence.sqlalchemy.migrations import migrate
from reseller_adapters.persistence.sqlalchemy.read_model import (
    SqlProductReadModel,
    TrackedImageRepository,
    TrackedLifestyleRunRepository,
    TrackedProductRepository,
    TrackedRunRepository,
    TrackedTabRepository,
    TrackedVideoRunRepository,
)
from reseller_adapters.persistence.sqlalchemy.storefront_repositories import (
    SqlStorefrontRepository,
)
from reseller_adapters.persistence.sqlalchemy.transfer_repositories import (
    SqlExportRepository,
    SqlImportRepository,
)
from reseller_adapters.persistence.sqlalchemy.usage_repository import SqlUsageRepository
from reseller_core.ports.idempotency import IdempotencyRepository
from reseller_core.ports.media_runs import LifestyleRunRepository, VideoRunRepository
from reseller_core.ports.storefronts import StorefrontRepository
from reseller_core.ports.transfers import ExportRepository, ImportRepository
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


class SqlAlchemyDatabase:
    """The engine and session factory of one database; a ``UnitOfWorkFactory`` source.

    Build it from a URL (``SqlAlchemyDatabase("sqlite+aiosqlite:///var/reseller.db")``) or
    from an engine you configured yourself. ``unit_of_work`` is the factory the services
    take; ``migrate``, ``check`` and ``dispose`` serve the composition root.
    """

    def __init__(
        self,
        url_or_engine: str | URL | AsyncEngine,
        *,
        read_model: SqlProductReadModel | None = None,
        **engine_options: Any,
    ) -> None:
        self.read_model = read_model
        """Product documents, rebuilt at each commit for the products it changed (None: no
        read model is kept, as for a database used without the HTTP read path)."""
        if isinstance(url_or_engine, AsyncEngine):
            self.engine = url_or_engine
        else:
            self.engine = create_engine_for(url_or_engine, **engine_options)
        self.dialect: str = self.engine.dialect.name
        self.session_factory = async_sessionmaker(self.engine, expire_on_commit=False)
        self.lookups: LookupRunner | None = (
            None if isinstance(url_or_engine, AsyncEngine) else lookup_runner_for(self.engine)
        )
        """Runs single-statement lookups with less machinery than the engine
        (``lookup_runners``); None: lookups run on the engine's pool (an engine the caller
        configured, an in-memory SQLite)."""
        self.writers = asyncio.Lock() if self.dialect == "sqlite" else None
        """SQLite's writers of this process queue here, before ``BEGIN IMMEDIATE``: a waiting
        writer costs an ``await`` instead of sleeping in SQLite's busy handler (1, 2, 5, 10...
        ms a try). Other processes on the same file still meet the busy handler."""

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

    def lookup_unit_of_work(self) -> SqlAlchemyUnitOfWork:
        """A unit of work for one reading statement: no transaction is begun around it.

        A single statement is atomic on its own (it reads one snapshot), so the ``BEGIN``
        round trip of ``read_unit_of_work`` buys nothing for it. The product read
        (``ProductReadService.product``) authenticates and reads in one statement and uses
        this; anything that reads twice and needs one snapshot uses ``read_unit_of_work``.
        """
        return SqlAlchemyLookup(self)

    async def migrate(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to ``revision`` on this database."""
        await migrate(self.engine, revision)

    async def check(self) -> None:
        """Readiness probe: one ``SELECT 1``; raises ``DependencyUnavailable`` when down."""
        with translated_errors(self.dialect):
            async with self.engine.connect() as connection:
                await connection.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
                await connection.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection (at shutdown)."""
        if self.lookups is not None:
            await self.lookups.dispose()
        await self.engine.dispose()


class SqlAlchemyUnitOfWork:
    """One session and one transaction; leaving without ``commit()`` rolls back."""

    def __init__(self, database: SqlAlchemyDatabase, *, begin: str = "IMMEDIATE") -> None:
        self._writers = database.writers if begin == "IMMEDIATE" else None
        self._writing = False
        self._database = database
        self.dialect = database.dialect
        self._connection_options = {SQLITE_BEGIN_OPTION: begin} if begin != "IMMEDIATE" else {}
        self._session: AsyncSession | None = None
        self._kept_connection: AsyncConnection | None = None
        """The transaction's connection once procured: asking the session for it again
        costs a greenlet switch and its bookkeeping on every statement."""
        self._kept_transaction: object = None
        """The session transaction ``_kept_connection`` belongs to."""
        self._changed: set[str] = set()
        self.users_locked: set[str] = set()
        """Users whose row this transaction has locked (``repositories.lock_user``)."""
        self.rows_held: set[str] = set()
        """Products whose rows this transaction has inserted or updated (and so holds)."""
        self.users: UserRepository = SqlUserRepository(self)
        self.tokens: TokenRepository = SqlTokenRepository(self)
        self.tabs: TabRepository = TrackedTabRepository(self)
        self.products: ProductRepository = TrackedProductRepository(self)
        self.images: ImageRepository = TrackedImageRepository(self)
        self.runs: RunRepository = TrackedRunRepository(self)
        self.usage: UsageRepository = SqlUsageRepository(self)
        self.exports: ExportRepository = SqlExportRepository(self)
        self.imports: ImportRepository = SqlImportRepository(self)
        self.storefronts: StorefrontRepository = SqlStorefrontRepository(self)
        self.lifestyle_runs: LifestyleRunRepository = TrackedLifestyleRunRepository(self)
        self.video_runs: VideoRunRepository = TrackedVideoRunRepository(self)
        self.idempotency: IdempotencyRepository = SqlIdempotencyRepository(self)

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
        self._kept_connection = self._kept_transaction = None
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
        finally:
            self._end_write()

    async def _begin_write(self) -> None:
        """Take this process's SQLite write turn before the transaction begins.

        A writer that waited longer than SQLite's own busy timeout goes on without the turn
        (so a unit of work nested inside another writer is no worse off than before: it
        meets the busy handler).
        """
        if self._writers is None or self._writing:
            return
        # ``asyncio.timeout``, not ``wait_for``: on Python 3.11 ``wait_for`` returns the
        # lock when the turn and a cancellation arrive together, and the cancellation of
        # the waiting task is lost (a worker told to stop would go on running).
        try:
            async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
                await self._writers.acquire()
        except TimeoutError:
            return
        self._writing = True
        # The transaction starts in a later turn of the event loop. Its statements run on
        # the loop without yielding (``inline_sqlite``), so writers that all found the turn
        # free in one loop turn (runs woken together) would otherwise each run a whole
        # transaction in that turn, back to back, and hold every request waiting behind
        # them; now the others find the turn taken and wait for it, one transaction a turn.
        await asyncio.sleep(0)

    def _end_write(self) -> None:
        if self._writing and self._writers is not None:
            self._writing = False
            self._writers.release()

    async def execute(
        self, statement: Executable, params: Any = None, *, conflict: str | None = None
    ) -> Result[*tuple[Any, ...]]:
        """Run a Core statement in this unit of work's transaction.

        A batch of one row runs as that row: the driver's batch path (``executemany``)
        costs more for one row than a plain execution.
        """
        if isinstance(params, list) and len(params) == 1:
            params = params[0]
        with translated_errors(self.dialect, conflict):
            session = self.session
            connection = self._kept_connection
            if (
                connection is None
                or session.sync_session.get_transaction() is not self._kept_transaction
            ):
                connection = await self._procure(session)
            return await connection.execute(statement, params)

    async def _procure(self, session: AsyncSession) -> AsyncConnection:
        """The transaction's connection, beginning the transaction if none is open."""
        # Options apply when the transaction's connection is procured, so pass them only
        # then (SQLAlchemy warns when they arrive for an established connection).
        options = None
        if not session.in_transaction():
            await self._begin_write()
            options = self._connection_options or None
        connection = await session.connection(execution_options=options)
        self._kept_connection, self._kept_transaction = (
            connection,
            session.sync_session.get_transaction(),
        )
        return connection

    async def execute_together(
        self, statements: Sequence[tuple[Executable, Any]]
    ) -> list[Result[Any]]:
        """Run reading statements one after another in this transaction; buffered results."""
        results: list[Result[Any]] = []
        for statement, params in statements:
            results.append((await self.execute(statement, params)).freeze()())
        return results

    def note_changed(self, product_ids: Iterable[str]) -> None:
        """Products whose documents ``commit`` must rebuild (the repositories call this)."""
        self._changed.update(product_ids)

    def note_rows_held(self, product_ids: Iterable[str]) -> None:
        """Product rows this transaction has written: their locks last until it ends."""
        self.rows_held.update(product_ids)

    def _forget_transaction(self) -> None:
        """Drop what this unit of work noted about the transaction that is ending."""
        self._changed.clear()
        self.rows_held.clear()
        self.users_locked.clear()
        self._kept_connection = self._kept_transaction = None

    async def commit(self) -> None:
        """Rebuild the documents of the products this transaction changed, then commit."""
        read_model = self._database.read_model
        if self._changed and read_model is not None:
            changed, self._changed = self._changed, set()
            await read_model.refresh(self, sorted(changed))
        self._forget_transaction()
        try:
            with translated_errors(self.dialect):
                await self.session.commit()
        finally:
            self._end_write()

    async def rollback(self) -> None:
        self._forget_transaction()
        try:
            with translated_errors(self.dialect):
                await self.session.rollback()
        finally:
            self._end_write()


class SqlAlchemyLookup(SqlAlchemyUnitOfWork):
    """A unit of work for one reading statement, on a pooled connection without a session.

    No transaction is begun around the statement (SQLite gets no ``BEGIN``, PostgreSQL runs
    it in autocommit): one statement reads one snapshot on its own. Without a session there
    is no ORM state to set up or tear down either; the product read runs here. Where the
    database has a lookup runner (a SQLite file, PostgreSQL on asyncpg: ``lookup_runners``)
    the statement runs there, with less machinery than the engine; otherwise on a
    connection of the engine's pool held for the block.
    """

    def __init__(self, database: SqlAlchemyDatabase) -> None:
        super().__init__(database, begin=SQLITE_NO_BEGIN)
        self._connection: AsyncConnection | None = None
        self._open = False

    async def __aenter__(self) -> Self:
        if self._database.lookups is not None:
            self._open = True
            return self
        with translated_errors(self.dialect):
            connection = await self._database.engine.connect()
        options = (
            {SQLITE_BEGIN_OPTION: SQLITE_NO_BEGIN}
            if self.dialect == "sqlite"
            else {"isolation_level": "AUTOCOMMIT"}
        )
        try:
            self._connection = await connection.execution_options(**options)
        except BaseException:
            await connection.close()
            raise
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def execute(
        self, statement: Executable, params: Any = None, *, conflict: str | None = None
    ) -> Result[*tuple[Any, ...]]:
        if not self._open:
            raise RuntimeError("Use the lookup inside 'async with'")
        lookups = self._database.lookups
        with translated_errors(self.dialect, conflict):
            if lookups is not None:
                return await lookups.execute(statement, params)
            assert self._connection is not None
            return await self._connection.execute(statement, params)

    async def execute_together(
        self, statements: Sequence[tuple[Executable, Any]]
    ) -> list[Result[Any]]:
        """Run reading statements in one read transaction (one snapshot), buffered.

        With a lookup runner that is one call; otherwise a reading unit of work of its own.
        """
        if not self._open:
            raise RuntimeError("Use the lookup inside 'async with'")
        lookups = self._database.lookups
        if lookups is not None:
            with translated_errors(self.dialect):
                return await lookups.execute_together(statements)
        async with self._database.read_unit_of_work() as uow:
            return await uow.execute_together(statements)

    async def commit(self) -> None:
        raise RuntimeError("a lookup unit of work only reads; use unit_of_work to write")

    async def rollback(self) -> None:
        """Nothing to undo: a lookup never writes."""
