"""Product tab names unique per seller ignoring case (decision Q-P9).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A ``name_key`` column (the name trimmed and case-folded; the application writes it with
every name) carries a unique index per seller. Existing duplicates (names equal ignoring
case) are renamed first by appending the tab's id, so the index builds on any database the
earlier revisions produced.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_product_tabs_user_id_name_key"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE product_tabs SET name = name || ' ' || id WHERE EXISTS ("
            " SELECT 1 FROM product_tabs AS older"
            " WHERE older.user_id = product_tabs.user_id"
            " AND lower(trim(older.name)) = lower(trim(product_tabs.name))"
            " AND older.id < product_tabs.id)"
        )
    )
    op.add_column("product_tabs", sa.Column("name_key", sa.Text(), nullable=True))
    op.execute(sa.text("UPDATE product_tabs SET name_key = lower(trim(name))"))
    op.create_index(INDEX, "product_tabs", ["user_id", "name_key"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="product_tabs")
    with op.batch_alter_table("product_tabs") as batch:
        batch.drop_column("name_key")
