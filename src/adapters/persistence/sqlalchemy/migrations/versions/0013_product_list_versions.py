"""A version per seller that moves with every committed change to the seller's product list.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

``product_list_versions`` holds one number per seller. Triggers on ``products`` and
``product_documents`` give it a new random value whenever a row of either changes, so a
page of ``GET /products`` read together with the number can be kept and served again while
the number stays the same (``read_model.py``). The triggers are in the database so a write
that bypasses the application (a manual fix) moves the number too. The values are random
rather than counted so that a database restored to an earlier state and written again
never repeats a number it had in the history it lost (a counter would count to the same
numbers with other contents).

There is no foreign key to ``users``: on PostgreSQL the key check would take a share lock
on the user row at commit, which a writer holding that row ``FOR UPDATE`` (the limit check)
could be waiting behind in the other direction. The triggers write a row only while its
user exists, and deleting a user deletes its row.

PostgreSQL: the triggers are deferred constraint triggers, so the version row is locked
only at commit, after every other lock the transaction takes; two writers of one seller
then queue on it at commit and cannot deadlock over it. The number changes once per
transaction (``txid``), however many rows it changed. SQLite runs one writer at a time,
so its triggers are plain ``AFTER`` triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "product_list_versions"

_SQLITE_BUMP = """
    INSERT INTO product_list_versions (user_id, version)
    SELECT {owner}, random() WHERE EXISTS (SELECT 1 FROM users WHERE users.id = {owner})
    ON CONFLICT (user_id) DO UPDATE SET version = excluded.version;
"""
_SQLITE_OWNER_OF_DOCUMENT = (
    "(SELECT products.user_id FROM products WHERE products.id = {row}.product_id)"
)


_SQLITE_TRIGGERS = (
    ("products", "INSERT", "new.user_id"),
    ("products", "UPDATE", "new.user_id"),
    ("products", "DELETE", "old.user_id"),
    ("product_documents", "INSERT", _SQLITE_OWNER_OF_DOCUMENT.format(row="new")),
    ("product_documents", "UPDATE", _SQLITE_OWNER_OF_DOCUMENT.format(row="new")),
    ("product_documents", "DELETE", _SQLITE_OWNER_OF_DOCUMENT.format(row="old")),
)
"""(table, event, the changed row's seller) of each SQLite trigger that sets the version."""
_SQLITE_FORGET = "users_list_version_after_delete"


def _sqlite_name(table: str, event: str) -> str:
    return f"{table}_list_version_after_{event.lower()}"


_SQLITE_UPGRADE = (
    *(
        f"CREATE TRIGGER {_sqlite_name(table, event)} AFTER {event} ON {table}"
        f" BEGIN {_SQLITE_BUMP.format(owner=owner)} END"
        for table, event, owner in _SQLITE_TRIGGERS
    ),
    f"CREATE TRIGGER {_SQLITE_FORGET} AFTER DELETE ON users"
    " BEGIN DELETE FROM product_list_versions WHERE user_id = old.id; END",
)
_SQLITE_DOWNGRADE = tuple(
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        *(_sqlite_name(table, event) for table, event, _ in _SQLITE_TRIGGERS),
        _SQLITE_FORGET,
    )
)

_POSTGRES_UPGRADE = (
    """
    CREATE FUNCTION product_list_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        owner varchar(26);
        changed varchar(26);
    BEGIN
        IF TG_TABLE_NAME = 'products' THEN
            IF TG_OP = 'DELETE' THEN owner := OLD.user_id; ELSE owner := NEW.user_id; END IF;
        ELSE
            IF TG_OP = 'DELETE' THEN changed := OLD.product_id;
            ELSE changed := NEW.product_id; END IF;
            SELECT p.user_id INTO owner FROM products AS p WHERE p.id = changed;
        END IF;
        IF owner IS NOT NULL THEN
            INSERT INTO product_list_versions AS v (user_id, version, txid)
            SELECT owner, (random() * 9.2e18)::bigint, txid_current()
            WHERE EXISTS (SELECT 1 FROM users WHERE id = owner)
            ON CONFLICT (user_id) DO UPDATE SET version = EXCLUDED.version, txid = EXCLUDED.txid
            WHERE v.txid IS DISTINCT FROM EXCLUDED.txid;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER products_list_version
    AFTER INSERT OR UPDATE OR DELETE ON products
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION product_list_version_bump()
    """,
    """
    CREATE CONSTRAINT TRIGGER product_documents_list_version
    AFTER INSERT OR UPDATE OR DELETE ON product_documents
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION product_list_version_bump()
    """,
    """
    CREATE FUNCTION product_list_version_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM product_list_versions WHERE user_id = OLD.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER users_list_version AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION product_list_version_forget()
    """,
)
_POSTGRES_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS users_list_version ON users",
    "DROP TRIGGER IF EXISTS product_documents_list_version ON product_documents",
    "DROP TRIGGER IF EXISTS products_list_version ON products",
    "DROP FUNCTION IF EXISTS product_list_version_forget()",
    "DROP FUNCTION IF EXISTS product_list_version_bump()",
)


def _dialect() -> str:
    return op.get_context().dialect.name


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("user_id", sa.String(26), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("txid", sa.BigInteger()),
        sa.PrimaryKeyConstraint("user_id", name=f"pk_{TABLE}"),
    )
    for statement in _POSTGRES_UPGRADE if _dialect() == "postgresql" else _SQLITE_UPGRADE:
        op.execute(sa.text(statement))


def downgrade() -> None:
    for statement in _POSTGRES_DOWNGRADE if _dialect() == "postgresql" else _SQLITE_DOWNGRADE:
        op.execute(sa.text(statement))
    op.drop_table(TABLE)
