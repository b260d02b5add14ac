"""A PostgreSQL database that disappears under a running process is an outage (503), not a bug."""

from __future__ import annotations

import asyncio

import pytest

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
from reseller_core.errors import DependencyUnavailable
from tests.services import postgres_admin, postgres_database

pytestmark = pytest.mark.postgres


def test_a_dropped_database_is_unavailable() -> None:
    with postgres_database() as url:
        name = url.rsplit("/", 1)[1]

        async def scenario() -> None:
            database = SqlAlchemyDatabase(url)
            try:
                await database.check()
                await database.engine.dispose()
                await postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)')
                with pytest.raises(DependencyUnavailable):
                    await database.check()
                with pytest.raises(DependencyUnavailable):
                    async with database.unit_of_work() as uow:
                        await uow.users.get("01JQ9A3RUN00000000000000AB")
            finally:
                await database.dispose()

        asyncio.run(scenario())
