"""Native product search: a GIN tsvector index on PostgreSQL, an FTS5 table on SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Both index ``products.search_document`` and are filled from the rows already there.

PostgreSQL: a GIN index over ``to_tsvector('simple', search_document)``, built in the
migration's transaction (writes to ``products`` wait while it builds).

SQLite: ``products_search``, an external-content FTS5 table keyed by the products' rowid,
and three triggers that keep it in step with inserts, deletes and changes of
``search_document``. A later migration that rebuilds ``products`` (batch mode copies it
into a new table, with new rowids, and drops its triggers) must recreate the triggers and
``rebuild`` the FTS5 table, as ``upgrade`` does here.

The DDL is written out (not imported from ``search.py``) so this step never changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_products_search_vector"

_SQLITE_UPGRADE = (
    # Every Unicode category but Zs (spaces) makes tokens: a token is a whole word, as is.
    """
    CREATE VIRTUAL TABLE products_search USING fts5(
        search_document,
        content='products',
        content_rowid='rowid',
        tokenize="unicode61 remove_diacritics 0 categories 'L* N* M* S* P* C* Zl Zp'"
    )
    """,
    """
    CREATE TRIGGER products_search_after_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_search (rowid, search_document)
        VALUES (new.rowid, new.search_document);
    END
    """,
    """
    CREATE TRIGGER products_search_after_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_search (products_search, rowid, search_document)
        VALUES ('delete', old.rowid, old.search_document);
    END
    """,
    """
    CREATE TRIGGER products_search_after_update AFTER UPDATE OF search_document ON products
    WHEN old.search_document IS NOT new.search_document BEGIN
        INSERT INTO products_search (products_search, rowid, search_document)
        VALUES ('delete', old.rowid, old.search_document);
        INSERT INTO products_search (rowid, search_document)
        VALUES (new.rowid, new.search_document);
    END
    """,
    "INSERT INTO products_search (products_search) VALUES ('rebuild')",
)

_SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS products_search_after_update",
    "DROP TRIGGER IF EXISTS products_search_after_delete",
    "DROP TRIGGER IF EXISTS products_search_after_insert",
    "DROP TABLE IF EXISTS products_search",
)


def _dialect() -> str:
    return op.get_context().dialect.name


def upgrade() -> None:
    dialect = _dialect()
    if dialect == "postgresql":
        op.create_index(
            _INDEX,
            "products",
            [sa.text("to_tsvector('simple'::regconfig, search_document)")],
            postgresql_using="gin",
        )
    elif dialect == "sqlite":
        for statement in _SQLITE_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    dialect = _dialect()
    if dialect == "postgresql":
        op.drop_index(_INDEX, table_name="products")
    elif dialect == "sqlite":
        for statement in _SQLITE_DOWNGRADE:
            op.execute(statement)
