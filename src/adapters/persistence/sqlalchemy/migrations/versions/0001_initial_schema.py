"""Initial schema: users, tokens, tabs, products, images, processing runs, metering.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written out in full (not imported from ``tables.py``) so this step never changes when the
models move on; ``tests/contract`` checks that head matches ``tables.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ulid() -> sa.String:
    return sa.String(26)


def _short() -> sa.String:
    return sa.String(64)


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _money() -> sa.Numeric[Decimal]:
    return sa.Numeric(12, 2)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("confirmed_at", _ts(), nullable=True),
        sa.Column("selected_marketplaces", _json(), nullable=False),
        sa.Column("plan", _short(), nullable=False),
        sa.Column("plan_status", _short(), nullable=False),
        sa.Column("plan_period", _short(), nullable=True),
        sa.Column("plan_expires_at", _ts(), nullable=True),
        sa.Column("trial_ends_at", _ts(), nullable=True),
        sa.Column("addon_credits", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.Column("context", _short(), nullable=False),
        sa.Column("device_name", sa.Text(), nullable=True),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.Column("last_used_at", _ts(), nullable=True),
        sa.Column("revoked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "confirmation_tokens",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.Column("sent_to", sa.Text(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.Column("used_at", _ts(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_confirmation_tokens_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_confirmation_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_confirmation_tokens_token_hash"),
    )
    op.create_index(
        "ix_confirmation_tokens_user_id_created_at",
        "confirmation_tokens",
        ["user_id", "created_at"],
    )
    op.create_table(
        "product_tabs",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_product_tabs_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_product_tabs"),
    )
    op.create_index("ix_product_tabs_user_id_position", "product_tabs", ["user_id", "position"])
    op.create_table(
        "products",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("status", _short(), nullable=False),
        sa.Column("source", _short(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("brand", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("color", sa.Text(), nullable=True),
        sa.Column("size", sa.Text(), nullable=True),
        sa.Column("material", sa.Text(), nullable=True),
        sa.Column("price", _money(), nullable=True),
        sa.Column("cost", _money(), nullable=True),
        sa.Column("sku", sa.Text(), nullable=True),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("product_tab_id", _ulid(), nullable=True),
        sa.Column("storefront_enabled", sa.Boolean(), nullable=False),
        sa.Column("storefront_published_at", _ts(), nullable=True),
        sa.Column("ai_summary", sa.Text(), nullable=True),
        sa.Column("ai_confidence", sa.Float(), nullable=True),
        sa.Column("sold_at", _ts(), nullable=True),
        sa.Column("archived_at", _ts(), nullable=True),
        sa.Column("status_before_archive", _short(), nullable=True),
        sa.Column("latest_run_id", _ulid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("description_draft", _json(), nullable=True),
        sa.Column("price_research", _json(), nullable=True),
        sa.Column("marketplace_listings", _json(), nullable=False),
        sa.Column("search_document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_products_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_tab_id"],
            ["product_tabs.id"],
            name="fk_products_product_tab_id_product_tabs",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("user_id", "sku", name="uq_products_user_id_sku"),
    )
    op.create_index("ix_products_product_tab_id", "products", ["product_tab_id"])
    op.create_index("ix_products_user_id_updated_at", "products", ["user_id", "updated_at"])
    op.create_index("ix_products_user_id_status", "products", ["user_id", "status"])
    op.create_table(
        "product_images",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("product_id", _ulid(), nullable=False),
        sa.Column("kind", _short(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.Text(), nullable=True),
        sa.Column("background_style", sa.Text(), nullable=True),
        sa.Column("processing_status", _short(), nullable=False),
        sa.Column("original_filename", sa.Text(), nullable=True),
        sa.Column("lifestyle_generation_run_id", _ulid(), nullable=True),
        sa.Column("scene_key", sa.Text(), nullable=True),
        sa.Column("variant_index", sa.Integer(), nullable=True),
        sa.Column("source_image_ids", _json(), nullable=False),
        sa.Column("seller_approved", sa.Boolean(), nullable=False),
        sa.Column("approved_at", _ts(), nullable=True),
        sa.Column("storefront_visible", sa.Boolean(), nullable=False),
        sa.Column("storefront_position", sa.Integer(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name="fk_product_images_product_id_products",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_product_images"),
    )
    op.create_index(
        "ix_product_images_product_id_position", "product_images", ["product_id", "position"]
    )
    op.create_table(
        "processing_runs",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("product_id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("status", _short(), nullable=False),
        sa.Column("step", _short(), nullable=False),
        sa.Column("marketplaces", _json(), nullable=False),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("error_code", _short(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", _ts(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name="fk_processing_runs_product_id_products",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_processing_runs_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_processing_runs"),
    )
    op.create_index("ix_processing_runs_product_id", "processing_runs", ["product_id"])
    op.create_index("ix_processing_runs_status", "processing_runs", ["status"])
    op.create_table(
        "usage_events",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("product_id", _ulid(), nullable=True),
        sa.Column("run_id", _ulid(), nullable=True),
        sa.Column("bucket", _short(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_usage_events_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_usage_events"),
    )
    op.create_index("ix_usage_events_user_id_created_at", "usage_events", ["user_id", "created_at"])
    op.create_table(
        "provider_calls",
        sa.Column("id", _ulid(), nullable=False),
        sa.Column("user_id", _ulid(), nullable=False),
        sa.Column("product_id", _ulid(), nullable=True),
        sa.Column("provider", _short(), nullable=False),
        sa.Column("role", _short(), nullable=False),
        sa.Column("operation", _short(), nullable=False),
        sa.Column("status", _short(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(14, 8), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error_code", _short(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_provider_calls_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_provider_calls"),
    )
    op.create_index(
        "ix_provider_calls_user_id_created_at", "provider_calls", ["user_id", "created_at"]
    )


def downgrade() -> None:
    for table in (
        "provider_calls",
        "usage_events",
        "processing_runs",
        "product_images",
        "products",
        "product_tabs",
        "confirmation_tokens",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
