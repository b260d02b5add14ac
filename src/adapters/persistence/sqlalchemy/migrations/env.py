"""Alembic environment: runs on the connection ``migrate()`` hands over, or on a URL.

``migrate()`` passes its (async engine's) connection in ``config.attributes["connection"]``,
so migrations run inside the caller's transaction with the application's SQLite set-up.
Without one (``revision()`` autogenerate, or the alembic CLI), an engine is built from the
``sqlalchemy.url`` option.

Autogenerate compares with ``include_in_schema_comparison``: the search objects of the other
engine (and SQLite's FTS5 tables, which ``tables.py`` cannot describe) are left out, so a
new revision never tries to create or drop them.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from reseller_adapters.persistence.sqlalchemy.engine import create_engine_for
from reseller_adapters.persistence.sqlalchemy.search import include_in_schema_comparison
from reseller_adapters.persistence.sqlalchemy.tables import metadata

config = context.config
target_metadata = metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_schema_comparison(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_url(url: str) -> None:
    engine = create_engine_for(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("No connection and no sqlalchemy.url to migrate")
    asyncio.run(_run_on_url(url))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
