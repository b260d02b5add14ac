"""SQLAlchemy 2 async persistence: one code path for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Typical use (the composition root does this)::

    database = SqlAlchemyDatabase("sqlite+aiosqlite:///var/reseller.db")
    await database.migrate()
    deps = Deps(uow=database.unit_of_work, ...)
    ...
    await database.dispose()
"""

from reseller_adapters.persistence.sqlalchemy.engine import async_url, create_engine_for
from reseller_adapters.persistence.sqlalchemy.migrations import migrate, upgrade
from reseller_adapters.persistence.sqlalchemy.unit_of_work import (
    SqlAlchemyDatabase,
    SqlAlchemyUnitOfWork,
)

__all__ = [
    "SqlAlchemyDatabase",
    "SqlAlchemyUnitOfWork",
    "async_url",
    "create_engine_for",
    "migrate",
    "upgrade",
]
