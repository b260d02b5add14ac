"""The ``UnitOfWork`` conformance suite on the in-memory fake, SQLite and PostgreSQL.

The SQL adapter also gets checks only SQL can have: statement counts of the hot read paths,
the migration (idempotent, identical to ``tables.py``), and outage → ``DependencyUnavailable``.

PostgreSQL runs on a database created for this session (``reseller_test_<random>``) and
dropped at the end. If the server is unreachable the PostgreSQL tests fail; they never skip.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase, migrate
from reseller_adapters.persistence.sqlalchemy.search import include_in_schema_comparison
from reseller_adapters.persistence.sqlalchemy.tables import metadata
from reseller_core.errors import DependencyUnavailable
from reseller_core.ports import UnitOfWorkFactory
from reseller_core.testing.conformance.unit_of_work import (
    UnitOfWorkConformance,
    build_image,
    build_product,
    build_run,
    build_user,
)
from reseller_core.testing.memory_uow import MemoryDatabase, memory_uow_factory

# --- the in-memory reference -------------------------------------------------------------------


class TestMemoryUnitOfWork(UnitOfWorkConformance):
    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        return memory_uow_factory(MemoryDatabase())

    async def test_nested_unit_of_work_fails_fast(self) -> None:
        db = MemoryDatabase()
        async with db.unit_of_work():
            with pytest.raises(RuntimeError, match="already open"):
                async with db.unit_of_work():
                    pass


# --- SQL-only checks, shared by both engines ------------------------------------------------------


class SqlChecks:
    """Checks of the SQLAlchemy adapter beyond the port contract."""

    @pytest.fixture
    def database(self) -> SqlAlchemyDatabase:
        raise NotImplementedError

    @pytest.fixture
    def uow_factory(self, database: SqlAlchemyDatabase) -> UnitOfWorkFactory:
        return database.unit_of_work

    @staticmethod
    def record_statements(database: SqlAlchemyDatabase) -> list[str]:
        """Every SQL statement the engine sends from now on (transaction control excluded)."""
        seen: list[str] = []

        def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if (
                not statement.lstrip()
                .upper()
                .startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))
            ):
                seen.append(statement)

        sa.event.listen(database.engine.sync_engine, "before_cursor_execute", on_execute)
        return seen

    async def _catalogue(self, database: SqlAlchemyDatabase, count: int) -> tuple[str, list[str]]:
        user = build_user()
        products = [build_product(user, title=f"Item {n}") for n in range(count)]
        async with database.unit_of_work() as uow:
            await uow.users.add(user)
            for product in products:
                await uow.products.add(product)
                await uow.images.add_many([build_image(product, 1), build_image(product, 2)])
                await uow.runs.add(build_run(product))
            await uow.commit()
        return user.id, [product.id for product in products]

    async def test_view_takes_two_statements(self, database: SqlAlchemyDatabase) -> None:
        user_id, product_ids = await self._catalogue(database, 1)
        statements = self.record_statements(database)
        async with database.unit_of_work() as uow:
            view = await uow.products.view(user_id, product_ids[0])
        assert view is not None
        assert view.latest_run is not None
        assert len(view.images) == 2
        assert len(statements) == 2, statements

    @pytest.mark.parametrize(("page", "expected_statements"), [("1", 2), ("2", 2), ("50", 3)])
    async def test_list_takes_at_most_three_statements(
        self, database: SqlAlchemyDatabase, page: str, expected_statements: int
    ) -> None:
        from reseller_core.domain.listing_query import parse_list_query

        user_id, _ = await self._catalogue(database, 30)
        query = parse_list_query({"page": page, "page_size": "20"})
        statements = self.record_statements(database)
        async with database.unit_of_work() as uow:
            result = await uow.products.list(user_id, query)
        assert result.total_count == 30
        assert len(result.products) == (20 if page == "1" else 10)
        assert all(len(view.images) == 2 and view.latest_run for view in result.products)
        assert len(statements) == expected_statements, statements

    async def test_schema_matches_tables(self, database: SqlAlchemyDatabase) -> None:
        def compare(connection: sa.Connection) -> list[Any]:
            # Search objects tables.py cannot describe are compared as env.py compares them.
            include = include_in_schema_comparison(connection.dialect.name)
            opts = {"compare_type": True, "include_object": include}
            context = MigrationContext.configure(connection, opts=opts)
            with warnings.catch_warnings():
                # SQLite has no such index; Alembic says so before include_object runs.
                warnings.filterwarnings("ignore", "autogenerate skipping .*ix_products_search")
                return list(compare_metadata(context, metadata))

        await database.migrate()  # already at head: a no-op
        async with database.engine.connect() as connection:
            assert await connection.run_sync(compare) == []

    async def test_check_passes(self, database: SqlAlchemyDatabase) -> None:
        await database.check()


# --- SQLite ---------------------------------------------------------------------------------------


async def _aiosqlite_workers_finished(timeout_s: float = 2.0) -> None:
    """Wait for aiosqlite's worker threads to stop.

    When a connect fails, aiosqlite stops its worker thread without awaiting it; if the test's
    event loop closed first, the thread's late reply would raise "Event loop is closed".
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    while any(t.name.endswith("(_connection_worker_thread)") for t in threading.enumerate()):
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.01)


class TestSqliteUnitOfWork(SqlChecks, UnitOfWorkConformance):
    @pytest.fixture
    def database(self, fx_sqlite_database: SqlAlchemyDatabase) -> SqlAlchemyDatabase:
        return fx_sqlite_database

    async def test_migrate_creates_the_directory_and_is_idempotent(self, tmp_path: Path) -> None:
        path = tmp_path / "nested" / "dir" / "reseller.db"
        await migrate(f"sqlite:///{path}")
        await migrate(f"sqlite:///{path}")
        database = SqlAlchemyDatabase(f"sqlite:///{path}")
        try:
            async with database.engine.connect() as connection:
                mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
                keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
                timeout = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
            # 0: the driver waits for locks itself, off the loop's clock (test_inline_sqlite)
            assert (mode, keys, timeout) == ("wal", 1, 0)
        finally:
            await database.dispose()

    async def test_unopenable_file_is_unavailable(self, tmp_path: Path) -> None:
        database = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path}")  # a directory
        try:
            with pytest.raises(DependencyUnavailable):
                await database.check()
            with pytest.raises(DependencyUnavailable):
                async with database.unit_of_work() as uow:
                    await uow.users.get("01JQ9A3RUN00000000000000AB")
        finally:
            await database.dispose()
            await _aiosqlite_workers_finished()

    async def test_unmigrated_database_is_unavailable(self, tmp_path: Path) -> None:
        database = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        try:
            with pytest.raises(DependencyUnavailable):
                async with database.unit_of_work() as uow:
                    await uow.users.get("01JQ9A3RUN00000000000000AB")
        finally:
            await database.dispose()


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgres
class TestPostgresUnitOfWork(SqlChecks, UnitOfWorkConformance):
    @pytest.fixture
    def database(self, fx_postgres_database: SqlAlchemyDatabase) -> SqlAlchemyDatabase:
        return fx_postgres_database

    async def test_unreachable_server_is_unavailable(self) -> None:
        database = SqlAlchemyDatabase("postgresql+asyncpg://postgres@127.0.0.1:1/none")
        try:
            with pytest.raises(DependencyUnavailable):
                await database.check()
            with pytest.raises(DependencyUnavailable):
                async with database.unit_of_work() as uow:
                    await uow.users.get("01JQ9A3RUN00000000000000AB")
        finally:
            await database.dispose()


async def test_sqlite_reads_do_not_wait_for_the_write_lock(
    fx_sqlite_database: SqlAlchemyDatabase,
) -> None:
    """A reading unit of work answers while a writer holds SQLite's write lock."""
    user = build_user()
    async with fx_sqlite_database.unit_of_work() as writer:
        await writer.users.add(user)  # BEGIN IMMEDIATE: the write lock is held from here
        async with fx_sqlite_database.read_unit_of_work() as reader:
            # A snapshot from before the writer's commit: the new row is not visible yet.
            assert await asyncio.wait_for(reader.users.get(user.id), timeout=5) is None
        await writer.commit()
    async with fx_sqlite_database.read_unit_of_work() as reader:
        assert await reader.users.get(user.id) == user
