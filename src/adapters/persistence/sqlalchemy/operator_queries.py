"""Read-only queries for the operator commands (``reseller users``, ``reseller migrate``).

They are not use cases (no user asks for them over the API), so they live beside the
repositories instead of in the ports: listing every user, counting a user's products and
reading the schema's migration revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from reseller_adapters.persistence.sqlalchemy import mappers as m
from reseller_adapters.persistence.sqlalchemy.engine import SQLITE_BEGIN_OPTION
from reseller_adapters.persistence.sqlalchemy.error_mapping import translated_errors
from reseller_adapters.persistence.sqlalchemy.migrations import alembic_config
from reseller_adapters.persistence.sqlalchemy.repositories import USER_COLUMNS
from reseller_adapters.persistence.sqlalchemy.tables import products, users
from reseller_adapters.persistence.sqlalchemy.unit_of_work import SqlAlchemyDatabase
from reseller_core.domain.users import User


def head_revision() -> str:
    """The newest migration this code ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations package has no revision"
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def schema_revision(database: SqlAlchemyDatabase) -> str | None:
    """The revision the database is at; None for a database without our schema."""
    with translated_errors(database.dialect):
        async with database.engine.connect() as connection:
            await connection.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            return await connection.run_sync(_current)


async def list_users(database: SqlAlchemyDatabase, *, limit: int = 100) -> list[User]:
    """Users, newest first."""
    statement = sa.select(*USER_COLUMNS).order_by(users.c.created_at.desc()).limit(limit)
    with translated_errors(database.dialect):
        async with database.engine.connect() as connection:
            await connection.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            rows = (await connection.execute(statement)).all()
    return [m.from_values(User, m.USER_FIELDS, row) for row in rows]


async def count_products(database: SqlAlchemyDatabase, user_id: str) -> int:
    statement = (
        sa.select(sa.func.count()).select_from(products).where(products.c.user_id == user_id)
    )
    with translated_errors(database.dialect):
        async with database.engine.connect() as connection:
            await connection.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            return int((await connection.execute(statement)).scalar_one())
