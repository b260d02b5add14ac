"""SQLite writers of one process take turns on an ``asyncio.Lock``, one transaction per turn
of the event loop; a cancel is never lost.

A worker told to stop (``InProcessTaskQueue.stop`` cancels it) may be waiting for the
writers' turn at the moment the turn is handed to it. Whatever the interleaving, the
cancellation must reach the task (or the task must already have finished), and the turn
must be free again afterwards; ``asyncio.wait_for`` on Python 3.11 lost the cancellation
in one of these interleavings and the stopped worker went on waiting for jobs.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
from reseller_core.testing.conformance.unit_of_work import build_user


@pytest.mark.parametrize("turns_before_cancel", range(6))
async def test_a_writer_cancelled_as_it_gets_the_turn_is_cancelled(
    fx_sqlite_database: SqlAlchemyDatabase, turns_before_cancel: int
) -> None:
    database = fx_sqlite_database
    writers = database.writers
    assert writers is not None
    holder = database.unit_of_work()
    await holder.__aenter__()
    await holder.execute(sa.text("SELECT 1"))  # takes the turn
    assert writers.locked()

    async def waiting_writer() -> str:
        async with database.unit_of_work() as uow:
            await uow.execute(sa.text("SELECT 1"))
            await uow.commit()
        return "finished"

    waiting = asyncio.create_task(waiting_writer())
    for _ in range(3):
        await asyncio.sleep(0)
    assert not waiting.done()  # queued behind the holder
    await holder.rollback()  # hands the turn on
    await holder.__aexit__(None, None, None)
    for _ in range(turns_before_cancel):
        await asyncio.sleep(0)
    finished_before_cancel = waiting.done()
    waiting.cancel()
    try:
        outcome = await waiting
    except asyncio.CancelledError:
        outcome = "cancelled"
    assert outcome == ("finished" if finished_before_cancel else "cancelled")
    assert not writers.locked()


async def test_writers_woken_together_commit_one_per_loop_turn(
    fx_sqlite_database: SqlAlchemyDatabase,
) -> None:
    """Statements run on the loop without yielding, so a writer that finds the turn free
    must still let the loop turn over before its transaction: ten writers started in one
    loop turn then commit in ten different turns, and anything else waiting on the loop
    (a request) is served between them."""
    loop = asyncio.get_running_loop()
    turn = 0
    running = True

    def count_turn() -> None:
        nonlocal turn
        turn += 1
        if running:
            loop.call_soon(count_turn)

    loop.call_soon(count_turn)
    committed_in: list[int] = []

    async def writer() -> None:
        async with fx_sqlite_database.unit_of_work() as uow:
            await uow.users.add(build_user())
            await uow.commit()
        committed_in.append(turn)

    try:
        await asyncio.gather(*(writer() for _ in range(10)))
    finally:
        running = False
    assert len(committed_in) == 10
    assert len(set(committed_in)) == 10, committed_in
