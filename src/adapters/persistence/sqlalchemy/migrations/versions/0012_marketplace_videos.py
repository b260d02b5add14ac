"""Marketplace videos (spec 30 §9): video generation runs and the product's videos.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

``video_generation_runs`` has the shape of lifestyle runs (0006), with one active run per
product enforced by a partial unique index. A product's current videos (one per
marketplace) are a JSON list on the product row, read with it as the AI artifacts are;
existing products get ``[]``. The DDL is written out so this step never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "video_generation_runs"
ACTIVE = "status IN ('queued', 'running')"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    op.add_column(
        "products", sa.Column("videos", _json(), nullable=False, server_default=sa.text("'[]'"))
    )
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("product_id", sa.String(26), nullable=False),
        sa.Column("user_id", sa.String(26), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("marketplace", sa.String(64), nullable=False),
        sa.Column("aspect_ratio", sa.String(64), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("source_image_ids", _json(), nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text()),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=f"fk_{TABLE}_product_id_products",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{TABLE}_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )
    op.create_index(f"ix_{TABLE}_product_id_created_at", TABLE, ["product_id", "created_at"])
    op.create_index(f"ix_{TABLE}_status", TABLE, ["status"])
    op.create_index(
        "uq_video_generation_runs_active_product",
        TABLE,
        ["product_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
    with op.batch_alter_table("products") as batch:
        batch.drop_column("videos")
