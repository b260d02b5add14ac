"""The SQLite engine runs statements on the event loop and waits for locks without blocking it.

``inline_sqlite`` replaces aiosqlite's driver thread. What the thread gave for free must
still hold: a writer waiting for another connection's lock lets the loop serve everything
else, proceeds once the lock is free, and gives up after the busy timeout with the
contract's error, never a hang.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
from reseller_adapters.persistence.sqlalchemy.engine import SQLITE_BUSY_TIMEOUT_MS
from reseller_adapters.persistence.sqlalchemy.inline_sqlite import (
    InlineConnection,
    InlineSqliteDbapi,
)
from reseller_adapters.persistence.sqlalchemy.tables import users
from reseller_core.errors import DependencyUnavailable
from reseller_core.testing.conformance.unit_of_work import build_user


def _driver_threads() -> int:
    return sum(t.name.endswith("(_connection_worker_thread)") for t in threading.enumerate())


class _Ticker:
    """Counts event-loop turns while it runs: a loop blocked by a statement stops counting."""

    def __init__(self) -> None:
        self.ticks = 0
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            self.ticks += 1
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        self._stop.set()
        await self._task


@pytest.fixture
def db_path(fx_sqlite_database: SqlAlchemyDatabase) -> Path:
    database = fx_sqlite_database.engine.url.database
    assert database is not None
    return Path(database)


def _holding_write_lock(path: Path) -> sqlite3.Connection:
    """Another connection (as another process would be) holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


async def _add_user(database: SqlAlchemyDatabase) -> None:
    async with database.unit_of_work() as uow:
        await uow.users.add(build_user())
        await uow.commit()


async def _user_count(database: SqlAlchemyDatabase) -> int:
    async with database.read_unit_of_work() as uow:
        return int((await uow.execute(sa.select(sa.func.count()).select_from(users))).scalar_one())


async def test_unit_of_work_uses_no_driver_thread(fx_sqlite_database: SqlAlchemyDatabase) -> None:
    before = _driver_threads()
    await _add_user(fx_sqlite_database)
    assert _driver_threads() == before
    assert await _user_count(fx_sqlite_database) == 1


async def test_engine_connections_leave_lock_waits_to_the_driver(
    fx_sqlite_database: SqlAlchemyDatabase,
) -> None:
    """SQLite's own busy handler would sleep on the loop: it is off for the engine's
    connections, and the driver waits ``SQLITE_BUSY_TIMEOUT_MS`` itself."""
    async with fx_sqlite_database.engine.connect() as connection:
        timeout = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert timeout == 0
    dbapi = fx_sqlite_database.engine.dialect.dbapi
    assert isinstance(dbapi, InlineSqliteDbapi)
    assert dbapi.busy_timeout_s == SQLITE_BUSY_TIMEOUT_MS / 1000


async def test_writer_waits_for_another_connection_without_blocking_the_loop(
    fx_sqlite_database: SqlAlchemyDatabase, db_path: Path
) -> None:
    other = _holding_write_lock(db_path)
    ticker = _Ticker()
    try:
        writing = asyncio.create_task(_add_user(fx_sqlite_database))
        await asyncio.sleep(0.3)
        assert not writing.done()  # still waiting for the lock...
        assert ticker.ticks >= 20  # ...while the loop went on serving
        other.execute("COMMIT")
        await asyncio.wait_for(writing, 5)
    finally:
        await ticker.stop()
        other.close()
    assert await _user_count(fx_sqlite_database) == 1


async def test_a_lock_held_past_the_timeout_is_unavailable_and_writes_nothing(
    fx_sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "locked.db"
    path.write_bytes(fx_sqlite_template.read_bytes())
    database = SqlAlchemyDatabase(
        f"sqlite+aiosqlite:///{path}", module=InlineSqliteDbapi(busy_timeout_s=0.25)
    )
    other = _holding_write_lock(path)
    ticker = _Ticker()
    try:
        with pytest.raises(DependencyUnavailable):
            await _add_user(database)
        assert ticker.ticks >= 10
    finally:
        await ticker.stop()
        other.execute("ROLLBACK")
        other.close()
    try:
        assert await _user_count(database) == 0
    finally:
        await database.dispose()


async def test_reader_is_not_held_up_by_a_writer_of_another_connection(
    fx_sqlite_database: SqlAlchemyDatabase, db_path: Path
) -> None:
    """WAL: a read transaction reads its snapshot while another connection writes."""
    await _add_user(fx_sqlite_database)
    other = _holding_write_lock(db_path)
    try:
        other.execute("DELETE FROM users")
        assert await asyncio.wait_for(_user_count(fx_sqlite_database), 1) == 1
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_errors_other_than_busy_are_raised_at_once(
    fx_sqlite_database: SqlAlchemyDatabase,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(sa.exc.OperationalError, match="no such table"):
        async with fx_sqlite_database.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT * FROM no_such_table")
    assert loop.time() - started < 1


def _refusal(code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("refused")
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    ("code", "retried"),
    [
        (sqlite3.SQLITE_BUSY, True),
        (sqlite3.SQLITE_BUSY_RECOVERY, True),
        (sqlite3.SQLITE_BUSY_SNAPSHOT, False),
        (sqlite3.SQLITE_IOERR, False),
    ],
)
async def test_which_refusals_are_waited_out(code: int, retried: bool) -> None:
    """Another connection's lock and another process's WAL recovery pass, as SQLite's busy
    handler treats them; a stale snapshot or an I/O error does not."""
    connection = InlineConnection(sqlite3.connect(":memory:"), busy_timeout_s=5)
    tries = 0

    def attempt() -> str:
        nonlocal tries
        tries += 1
        if tries < 3:
            raise _refusal(code)
        return "done"

    try:
        if retried:
            assert await connection.retry_busy(attempt) == "done"
            assert tries == 3
        else:
            with pytest.raises(sqlite3.OperationalError):
                await connection.retry_busy(attempt)
            assert tries == 1
    finally:
        connection.stop()
