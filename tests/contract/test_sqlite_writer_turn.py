"""SQLite writers of one process take turns on an ``asyncio.Lock``; a cancel is never lost.

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
