"""Storefronts, branding assets, seller pages and buyer inquiries (spec 40 §2).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

The DDL is written out (not imported from ``tables.py``) so this step never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ulid() -> sa.String:
    return sa.String(26)


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _child(table: str) -> list[Any]:
    return [
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("storefront_id", _ulid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=f"fk_{table}_storefront_id_storefronts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "storefronts",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("tagline", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("theme_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("inserted_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_storefronts_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_storefronts"),
        sa.UniqueConstraint("user_id", name="uq_storefronts_user_id"),
        sa.UniqueConstraint("slug", name="uq_storefronts_slug"),
    )
    op.create_table(
        "storefront_assets",
        *_child("storefront_assets"),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("original_filename", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.Text(), nullable=True),
        sa.Column("inserted_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.UniqueConstraint(
            "storefront_id", "kind", name="uq_storefront_assets_storefront_id_kind"
        ),
    )
    op.create_table(
        "storefront_pages",
        *_child("storefront_pages"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("menu_label", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("inserted_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.UniqueConstraint("storefront_id", "slug", name="uq_storefront_pages_storefront_id_slug"),
    )
    op.create_index(
        "ix_storefront_pages_storefront_id_position",
        "storefront_pages",
        ["storefront_id", "position"],
    )
    op.create_table(
        "storefront_inquiries",
        *_child("storefront_inquiries"),
        sa.Column("product_id", _ulid(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("requester_ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("inserted_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name="fk_storefront_inquiries_product_id_products",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_storefront_inquiries_storefront_id_inserted_at",
        "storefront_inquiries",
        ["storefront_id", "inserted_at"],
    )
    op.create_index(
        "ix_storefront_inquiries_product_id_inserted_at",
        "storefront_inquiries",
        ["product_id", "inserted_at"],
    )


def downgrade() -> None:
    op.drop_table("storefront_inquiries")
    op.drop_table("storefront_pages")
    op.drop_table("storefront_assets")
    op.drop_table("storefronts")
