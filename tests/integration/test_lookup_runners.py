"""Lookup runners: the same rows as the async engine, with less machinery per statement.

SQLite file databases run a lookup in one worker-thread call; PostgreSQL runs it on
asyncpg connections of the runner's own. Both must answer exactly what the engine answers
(typed values included) and turn outages into ``DependencyUnavailable``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ulid import ULID

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
from reseller_adapters.persistence.sqlalchemy.engine import create_engine_for
from reseller_adapters.persistence.sqlalchemy.lookup_runners import (
    PostgresLookupRunner,
    SqliteLookupRunner,
)
from reseller_adapters.persistence.sqlalchemy.tables import users
from reseller_core.errors import DependencyUnavailable

_NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _user_row(user_id: str, confirmed: datetime | None) -> dict[str, object]:
    return {
        "id": user_id,
        "email": f"{user_id.lower()}@lookups.example.test",
        "password_hash": "x",
        "confirmed_at": confirmed,
        "selected_marketplaces": ["ebay", "depop"],
        "plan": "free",
        "plan_status": "active",
        "addon_credits": {"lifestyle": 2},
        "created_at": _NOW,
        "updated_at": _NOW,
    }


@pytest.fixture
def database_url(fx_engine_url: Callable[[str], str], tmp_path: Path) -> Callable[[], str]:
    """Each engine's URL (SQLite: a file in ``tmp_path``, migrated by ``_opened``)."""
    return lambda: fx_engine_url(str(tmp_path))


async def _opened(url: str) -> SqlAlchemyDatabase:
    database = SqlAlchemyDatabase(url)
    if url.startswith("sqlite"):
        await database.migrate()
    return database


def test_each_engine_gets_its_runner_and_a_callers_engine_keeps_lookups(tmp_path: Path) -> None:
    async def scenario() -> None:
        built = [
            SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path}/a.db"),
            SqlAlchemyDatabase("sqlite+aiosqlite://"),
            SqlAlchemyDatabase("postgresql+asyncpg://nobody@127.0.0.1:9/none", pool_size=8),
            SqlAlchemyDatabase(create_engine_for(f"sqlite+aiosqlite:///{tmp_path}/b.db")),
        ]
        try:
            on_file, in_memory, postgres, callers = (database.lookups for database in built)
            assert isinstance(on_file, SqliteLookupRunner)
            assert in_memory is None
            assert isinstance(postgres, PostgresLookupRunner)
            assert postgres._size == 4  # half the engine's pool
            assert callers is None
        finally:
            for database in built:
                await database.dispose()

    asyncio.run(scenario())


def test_a_lookup_reads_what_the_engine_reads(database_url: Callable[[], str]) -> None:
    async def scenario() -> None:
        database = await _opened(database_url())
        try:
            ids = sorted([str(ULID()), str(ULID())])
            async with database.unit_of_work() as uow:
                await uow.execute(
                    sa.insert(users), [_user_row(ids[0], _NOW), _user_row(ids[1], None)]
                )
                await uow.commit()
            statement = (
                sa.select(users, sa.literal("fixed").label("fixed"))
                .where(sa.or_(users.c.id == ids[0], users.c.id == ids[1]), users.c.plan == "free")
                .where(users.c.created_at <= sa.bindparam("until", type_=users.c.created_at.type))
                .order_by(users.c.id)
            )
            params = {"until": datetime(2026, 3, 4, 6, 6, 7, tzinfo=UTC)}
            async with database.engine.connect() as connection:
                expected = [tuple(row) for row in await connection.execute(statement, params)]
            async with database.lookup_unit_of_work() as lookup:
                result = await lookup.execute(statement, params)
                got = [tuple(row) for row in result]
            assert len(got) == 2
            assert got == expected
            confirmed = list(users.c.keys()).index("confirmed_at")
            assert got[0][confirmed] == _NOW and got[0][confirmed].tzinfo is UTC
            assert got[1][confirmed] is None
            assert ["ebay", "depop"] in got[0] and {"lifestyle": 2} in got[0]
            assert got[0][-1] == "fixed"
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_a_sqlite_lookup_is_one_call_on_a_lookup_thread(tmp_path: Path) -> None:
    async def scenario() -> None:
        database = await _opened(f"sqlite+aiosqlite:///{tmp_path}/reseller.db")
        runner = database.lookups
        assert isinstance(runner, SqliteLookupRunner)
        threads: list[str] = []
        original = runner._run

        def watched(*args: Any) -> Any:
            threads.append(threading.current_thread().name)
            return original(*args)

        runner._run = watched  # type: ignore[method-assign]
        try:
            async with database.lookup_unit_of_work() as lookup:
                assert (await lookup.execute(sa.select(sa.literal(7)))).scalar_one() == 7
            assert len(threads) == 1 and threads[0].startswith("reseller-sqlite-lookup")
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_a_lookup_outside_its_block_is_refused_and_dispose_leaves_it_usable(
    database_url: Callable[[], str],
) -> None:
    async def scenario() -> None:
        database = await _opened(database_url())
        try:
            lookup = database.lookup_unit_of_work()
            with pytest.raises(RuntimeError, match="inside 'async with'"):
                await lookup.execute(sa.select(sa.literal(1)))
            async with database.lookup_unit_of_work() as first:
                assert (await first.execute(sa.select(sa.literal(1)))).scalar_one() == 1
            await database.dispose()
            async with database.lookup_unit_of_work() as again:
                assert (await again.execute(sa.select(sa.literal(2)))).scalar_one() == 2
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_a_lookup_on_an_unmigrated_sqlite_file_is_the_database_unavailable(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        database = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
        try:
            async with database.lookup_unit_of_work() as lookup:
                with pytest.raises(DependencyUnavailable):
                    await lookup.execute(sa.select(users.c.id))
        finally:
            await database.dispose()

    asyncio.run(scenario())


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["closed port", "missing database"])
def test_a_postgres_lookup_that_cannot_connect_is_the_database_unavailable(
    fx_postgres_url: str, where: str
) -> None:
    url = sa.make_url(fx_postgres_url)
    url = url.set(port=9) if where == "closed port" else url.set(database="reseller_no_such_db")

    async def scenario() -> None:
        database = SqlAlchemyDatabase(url)
        try:
            async with database.lookup_unit_of_work() as lookup:
                with pytest.raises(DependencyUnavailable):
                    await lookup.execute(sa.select(sa.literal(1)))
        finally:
            await database.dispose()

    asyncio.run(scenario())


@pytest.mark.postgres
def test_postgres_lookups_share_a_bounded_set_of_connections_and_drop_interrupted_ones(
    fx_postgres_url: str,
) -> None:
    async def scenario() -> None:
        database = SqlAlchemyDatabase(fx_postgres_url, pool_size=4)
        runner = database.lookups
        assert isinstance(runner, PostgresLookupRunner)

        async def one(n: int, pause: float = 0.02) -> int:
            statement = sa.select(sa.bindparam("n", type_=sa.Integer()), sa.func.pg_sleep(pause))
            async with database.lookup_unit_of_work() as lookup:
                return int((await lookup.execute(statement, {"n": n})).one()[0])

        try:
            assert await asyncio.gather(*(one(n) for n in range(12))) == list(range(12))
            assert runner._opened == 2
            slow = asyncio.create_task(one(99, pause=5))
            await asyncio.sleep(0.2)
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            assert runner._opened == 1  # the interrupted connection was closed, not reused
            assert await one(5) == 5
            with pytest.raises(TypeError, match="expanding"):
                async with database.lookup_unit_of_work() as lookup:
                    await lookup.execute(sa.select(users.c.id).where(users.c.id.in_(["a", "b"])))
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_statements_read_together_answer_in_order_on_every_path(
    database_url: Callable[[], str], tmp_path: Path
) -> None:
    async def scenario() -> None:
        databases = [await _opened(database_url())]
        if database_url().startswith("sqlite"):
            # No runner: the statements run in a reading unit of work of their own.
            fallback = SqlAlchemyDatabase(create_engine_for(f"sqlite+aiosqlite:///{tmp_path}/c.db"))
            await fallback.migrate()
            assert fallback.lookups is None
            databases.append(fallback)
        try:
            for database in databases:
                async with database.lookup_unit_of_work() as lookup:
                    first, second = await lookup.execute_together(
                        [
                            (sa.select(sa.bindparam("a", type_=sa.Integer())), {"a": 1}),
                            (sa.select(sa.literal("two"), sa.literal(3)), None),
                        ]
                    )
                assert first.scalar_one() == 1
                assert tuple(second.one()) == ("two", 3)
        finally:
            for database in databases:
                await database.dispose()

    asyncio.run(scenario())


def test_a_failing_statement_read_together_leaves_the_runner_usable(
    database_url: Callable[[], str],
) -> None:
    async def scenario() -> None:
        database = await _opened(database_url())
        try:
            async with database.lookup_unit_of_work() as lookup:
                # A mistake in SQL is a bug, not an outage: it propagates as it is.
                with pytest.raises(Exception, match="no_such_function_here") as raised:
                    await lookup.execute_together(
                        [
                            (sa.select(sa.literal(1)), None),
                            (sa.select(sa.func.no_such_function_here()), None),
                        ]
                    )
                assert not isinstance(raised.value, DependencyUnavailable)
            for _ in range(3):
                async with database.lookup_unit_of_work() as lookup:
                    first, second = await lookup.execute_together(
                        [(sa.select(sa.literal(4)), None), (sa.select(sa.literal(5)), None)]
                    )
                    assert (first.scalar_one(), second.scalar_one()) == (4, 5)
        finally:
            await database.dispose()

    asyncio.run(scenario())
