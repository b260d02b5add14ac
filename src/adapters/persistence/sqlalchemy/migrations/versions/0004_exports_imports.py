"""Export and import job records (spec 50).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

The DDL is written out (not imported from ``tables.py``) so this step never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _common(table: str) -> list[Any]:
    return [
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("user_id", sa.String(26), nullable=False),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("filter_params", _json(), nullable=False),
        sa.Column("product_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(512)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("error_message", sa.Text()),
        sa.Column("error_code", sa.String(64)),
        *_common("exports"),
    )
    op.create_index("ix_exports_user_id_requested_at", "exports", ["user_id", "requested_at"])
    op.create_index("ix_exports_status", "exports", ["status"])
    op.create_table(
        "imports",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("user_id", sa.String(26), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("source_filename", sa.String(255), nullable=False),
        sa.Column("source_storage_key", sa.String(512), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("total_products", sa.Integer(), nullable=False),
        sa.Column("imported_products", sa.Integer(), nullable=False),
        sa.Column("failed_products", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text()),
        sa.Column("error_code", sa.String(64)),
        sa.Column("failures", _json(), nullable=False),
        sa.Column("created_product_ids", _json(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        *_common("imports"),
    )
    op.create_index("ix_imports_user_id_requested_at", "imports", ["user_id", "requested_at"])
    op.create_index("ix_imports_status", "imports", ["status"])


def downgrade() -> None:
    op.drop_table("imports")
    op.drop_table("exports")
