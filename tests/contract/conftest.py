"""Databases for the persistence suites: a migrated SQLite template, PostgreSQL per session."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase, upgrade


@pytest.fixture(scope="session")
def fx_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "reseller.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def fx_sqlite_database(
    fx_sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[SqlAlchemyDatabase]:
    """A migrated SQLite database of this test alone."""
    path = tmp_path / "reseller.db"
    shutil.copyfile(fx_sqlite_template, path)
    database = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


@pytest.fixture
async def fx_postgres_database(fx_postgres_url: str) -> AsyncIterator[SqlAlchemyDatabase]:
    """The session's migrated PostgreSQL database (tests keep to their own users)."""
    database = SqlAlchemyDatabase(fx_postgres_url)
    yield database
    await database.dispose()
