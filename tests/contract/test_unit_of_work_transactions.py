"""A SQLAlchemy unit of work keeps its transaction's connection, and only that transaction's.

The connection is procured at the first statement and reused until the transaction ends;
a unit of work that goes on after a commit or a rollback runs in a new transaction.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
from reseller_adapters.persistence.sqlalchemy.tables import users
from reseller_core.testing.conformance.unit_of_work import build_user


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> SqlAlchemyDatabase:
    name = "fx_sqlite_database" if request.param == "sqlite" else "fx_postgres_database"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


async def _emails(database: SqlAlchemyDatabase) -> set[str]:
    async with database.read_unit_of_work() as uow:
        return set((await uow.execute(sa.select(users.c.email))).scalars())


async def test_work_after_a_commit_or_a_rollback_runs_in_a_new_transaction(
    database: SqlAlchemyDatabase,
) -> None:
    first, second, third = (build_user(email=f"u{n}@example.com") for n in range(3))
    async with database.unit_of_work() as uow:
        await uow.users.add(first)
        await uow.commit()
        await uow.users.add(second)
        await uow.rollback()
        await uow.users.add(third)
        await uow.commit()
    assert await _emails(database) >= {first.email, third.email}
    assert second.email not in await _emails(database)


async def test_statements_of_one_transaction_share_its_connection(
    database: SqlAlchemyDatabase,
) -> None:
    """A row written by the first statement is seen by the next before the commit, and
    by no other unit of work until then."""
    user = build_user(email="shared@example.com")
    async with database.unit_of_work() as uow:
        await uow.users.add(user)
        assert await uow.users.get(user.id) == user
        assert user.email not in await _emails(database)
        await uow.commit()
    assert user.email in await _emails(database)
