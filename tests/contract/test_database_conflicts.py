"""A PostgreSQL transaction rolled back in favour of a concurrent one is a ``Conflict``.

Two units of work lock two users in opposite orders: PostgreSQL detects the deadlock and
rolls one back. The loser must see ``Conflict`` (HTTP 409, retried by the product use
cases), not a driver error (a 500), and the winner must commit.
"""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
from reseller_core.domain.users import User
from reseller_core.errors import Conflict
from reseller_core.testing.conformance.uow_builders import build_user
from tests.services import postgres_database

pytestmark = pytest.mark.postgres


def test_the_loser_of_a_deadlock_gets_a_conflict_and_the_winner_commits() -> None:
    with postgres_database() as url:
        asyncio.run(deadlock(url))


async def deadlock(url: str) -> None:
    database = SqlAlchemyDatabase(url)
    try:
        first, second = build_user(), build_user()
        async with database.unit_of_work() as uow:
            await uow.users.add(first)
            await uow.users.add(second)
            await uow.commit()
        holding = [asyncio.Event(), asyncio.Event()]

        async def lock_both(index: int, mine: User, theirs: User) -> str:
            async with database.unit_of_work() as uow:
                await uow.users.lock(mine.id)
                holding[index].set()
                await holding[1 - index].wait()
                await uow.users.lock(theirs.id)
                await uow.users.update(msgspec.structs.replace(theirs, plan="pro"))
                await uow.commit()
            return theirs.id

        outcomes = await asyncio.wait_for(
            asyncio.gather(
                lock_both(0, first, second), lock_both(1, second, first), return_exceptions=True
            ),
            timeout=30,
        )
        conflicts = [o for o in outcomes if isinstance(o, Conflict)]
        committed = [o for o in outcomes if isinstance(o, str)]
        assert len(conflicts) == 1 and len(committed) == 1, outcomes
        cause = conflicts[0].__cause__
        assert cause is not None and "deadlock detected" in str(cause)
        async with database.unit_of_work() as uow:
            stored = [await uow.users.get(user.id) for user in (first, second)]
        plans = {user.id: user.plan for user in stored if user is not None}
        assert plans[committed[0]] == "pro", "the winner's write is there"
        loser = second.id if committed[0] == first.id else first.id
        assert plans[loser] != "pro", "the loser's write is not"
    finally:
        await database.dispose()
