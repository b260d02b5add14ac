"""Alembic migrations of the SQLAlchemy schema, applied programmatically (no alembic.ini).

``migrate(url)`` (async) and ``upgrade(url)`` (sync) bring a database to the newest
revision; the CLI (``reseller migrate``) and embedded start-up call them. The Alembic
``Config`` is built in code with ``script_location`` pointing at this package, which ships
in the wheel (``env.py``, ``script.py.mako`` and ``versions/``).

To write a new revision against a scratch database::

    python -c "from reseller_adapters.persistence.sqlalchemy.migrations import revision; \\
        revision('sqlite+aiosqlite:///scratch.db', 'add widgets')"
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from reseller_adapters.persistence.sqlalchemy.engine import async_url, create_engine_for
from reseller_adapters.persistence.sqlalchemy.error_mapping import translated_errors

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic ``Config`` for this package; ``connection`` is reused by ``env.py``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


MIGRATION_LOCK_KEY = 0x7265_7365_6C6C
"""PostgreSQL advisory lock key taken while migrating ("resell" in ASCII)."""


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Several server processes may start (and auto-migrate) at once: the first migrates,
        # the others wait for its commit and then find nothing left to do. On SQLite the
        # BEGIN IMMEDIATE of the migration transaction serialises them the same way.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    command.upgrade(alembic_config(connection), revision)


async def migrate(url: str | URL | AsyncEngine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (idempotent) in one transaction.

    ``url`` may be an engine already configured by ``create_engine_for``; otherwise one is
    created (with the same SQLite set-up as the application) and disposed of afterwards.
    """
    engine = url if isinstance(url, AsyncEngine) else create_engine_for(url)
    try:
        with translated_errors(engine.dialect.name):
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade, revision)
    finally:
        if engine is not url:
            await engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Synchronous ``migrate`` for scripts and test set-up (not inside a running loop)."""
    asyncio.run(migrate(url, revision))


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision from the difference between ``tables.py`` and ``url``."""
    command.revision(
        alembic_config(url=async_url(url).render_as_string(hide_password=False)),
        message=message,
        autogenerate=True,
    )
