"""The storage model as SQLAlchemy Core tables (the migrations create the same schema).

Decisions:

- The ULID is the primary key of every table (26-char string); there are no integer ids.
- Column names equal the domain struct field names, so the mappers zip them directly.
- ``products`` carries the AI artifacts as JSON (``description_draft``, ``price_research``,
  ``marketplace_listings``) and its marketplace videos (``videos``): they are read with the
  product and only ever replaced whole.
- ``products.latest_run_id`` points at the newest processing run. It has no foreign key on
  purpose: a use case writes the product (pointing at the new run) before the run row, and
  the pointer is only ever followed by a LEFT JOIN.
- ``products.search_document`` is the normalised word list product search runs on
  (see ``search.py``). PostgreSQL indexes it with the GIN index below; SQLite's FTS5 table
  and its triggers are made by migration 0002 alone, since SQLAlchemy cannot describe them.
- ``product_documents`` is the product read model: one row per product, its payload as
  stored JSON, written in the same transaction as the rows it is built from.
- Metering tables keep ``product_id``/``run_id`` as plain references: usage history must
  survive the deletion of what it measured.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from reseller_adapters.persistence.sqlalchemy.column_types import (
    MONEY,
    PROVIDER_COST,
    SHORT_TEXT,
    ULID,
    UtcDateTime,
    json_column_type,
)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so later migrations (and SQLite batch mode) can name them."""

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ]


def _fk(target: str, ondelete: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("email", sa.Text(), nullable=False),
    sa.Column("password_hash", sa.Text(), nullable=False),
    sa.Column("confirmed_at", UtcDateTime()),
    sa.Column("selected_marketplaces", json_column_type(), nullable=False),
    sa.Column("plan", SHORT_TEXT, nullable=False),
    sa.Column("plan_status", SHORT_TEXT, nullable=False),
    sa.Column("plan_period", SHORT_TEXT),
    sa.Column("plan_expires_at", UtcDateTime()),
    sa.Column("trial_ends_at", UtcDateTime()),
    sa.Column("addon_credits", json_column_type(), nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("email"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(128), nullable=False),
    sa.Column("context", SHORT_TEXT, nullable=False),
    sa.Column("device_name", sa.Text()),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime()),
    sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("token_hash"),
)

confirmation_tokens = sa.Table(
    "confirmation_tokens",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(128), nullable=False),
    sa.Column("sent_to", sa.Text(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("used_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("token_hash"),
    sa.Index(None, "user_id", "created_at"),
)

product_tabs = sa.Table(
    "product_tabs",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("name_key", sa.Text()),
    *_timestamps(),
    sa.Index(None, "user_id", "position"),
    sa.Index("uq_product_tabs_user_id_name_key", "user_id", "name_key", unique=True),
)
"""``name_key`` is the name trimmed and case-folded, written with every name: tab names are
unique per seller ignoring case (decision Q-P9). The service checks first; the constraint
settles a concurrent create."""

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("status", SHORT_TEXT, nullable=False),
    sa.Column("source", SHORT_TEXT, nullable=False),
    sa.Column("title", sa.Text()),
    sa.Column("brand", sa.Text()),
    sa.Column("category", sa.Text()),
    sa.Column("condition", sa.Text()),
    sa.Column("color", sa.Text()),
    sa.Column("size", sa.Text()),
    sa.Column("material", sa.Text()),
    sa.Column("price", MONEY),
    sa.Column("cost", MONEY),
    sa.Column("sku", sa.Text()),
    sa.Column("tags", json_column_type(), nullable=False),
    sa.Column("notes", sa.Text()),
    sa.Column(
        "product_tab_id", ULID, _fk("product_tabs.id", "SET NULL"), nullable=True, index=True
    ),
    sa.Column("storefront_enabled", sa.Boolean(), nullable=False),
    sa.Column("storefront_published_at", UtcDateTime()),
    sa.Column("ai_summary", sa.Text()),
    sa.Column("ai_confidence", sa.Float()),
    sa.Column("sold_at", UtcDateTime()),
    sa.Column("archived_at", UtcDateTime()),
    sa.Column("status_before_archive", SHORT_TEXT),
    sa.Column("latest_run_id", ULID),
    sa.Column("version", sa.Integer(), nullable=False),
    *_timestamps(),
    sa.Column("description_draft", json_column_type()),
    sa.Column("price_research", json_column_type()),
    sa.Column("marketplace_listings", json_column_type(), nullable=False),
    sa.Column("videos", json_column_type(), nullable=False, server_default=sa.text("'[]'")),
    sa.Column("search_document", sa.Text(), nullable=False),
    sa.UniqueConstraint("user_id", "sku"),
    sa.Index(None, "user_id", "updated_at"),
    sa.Index(None, "user_id", "status"),
    # The public catalogue (spec 40 §6.3): a seller's published, ready products.
    sa.Index(None, "user_id", "storefront_enabled", "status"),
)

PRODUCT_SEARCH_INDEX = "ix_products_search_vector"
PRODUCT_SEARCH_VECTOR: sa.Function[Any] = sa.func.to_tsvector(
    sa.text("'simple'::regconfig"), products.c.search_document
)
"""The PostgreSQL ``tsvector`` of a product; queries spell it as the index does, so the
configuration is SQL text, never a bound parameter."""

sa.Index(PRODUCT_SEARCH_INDEX, PRODUCT_SEARCH_VECTOR, postgresql_using="gin").ddl_if(
    dialect="postgresql"
)

product_images = sa.Table(
    "product_images",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("product_id", ULID, _fk("products.id", "CASCADE"), nullable=False),
    sa.Column("kind", SHORT_TEXT, nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("storage_key", sa.Text(), nullable=False),
    sa.Column("content_type", sa.Text(), nullable=False),
    sa.Column("width", sa.Integer()),
    sa.Column("height", sa.Integer()),
    sa.Column("byte_size", sa.BigInteger()),
    sa.Column("checksum", sa.Text()),
    sa.Column("background_style", sa.Text()),
    sa.Column("processing_status", SHORT_TEXT, nullable=False),
    sa.Column("original_filename", sa.Text()),
    sa.Column("lifestyle_generation_run_id", ULID),
    sa.Column("scene_key", sa.Text()),
    sa.Column("variant_index", sa.Integer()),
    sa.Column("source_image_ids", json_column_type(), nullable=False),
    sa.Column("seller_approved", sa.Boolean(), nullable=False),
    sa.Column("approved_at", UtcDateTime()),
    sa.Column("storefront_visible", sa.Boolean(), nullable=False),
    sa.Column("storefront_position", sa.Integer()),
    *_timestamps(),
    sa.Index(None, "product_id", "position"),
)

processing_runs = sa.Table(
    "processing_runs",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("product_id", ULID, _fk("products.id", "CASCADE"), nullable=False, index=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("status", SHORT_TEXT, nullable=False),
    sa.Column("step", SHORT_TEXT, nullable=False),
    sa.Column("marketplaces", json_column_type(), nullable=False),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("error_code", SHORT_TEXT),
    sa.Column("error_message", sa.Text()),
    sa.Column("payload", json_column_type(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("heartbeat_at", UtcDateTime()),
    *_timestamps(),
    sa.Index(None, "status"),
    sa.Index(
        "uq_processing_runs_active_product",
        "product_id",
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    ),
)
"""Processing runs (spec 30 §5). The partial unique index admits one queued or running run
per product, so simultaneous finalize or reprocess requests cannot both start one."""

usage_events = sa.Table(
    "usage_events",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("product_id", ULID),
    sa.Column("run_id", ULID),
    sa.Column("bucket", SHORT_TEXT, nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index(None, "user_id", "created_at"),
)

provider_calls = sa.Table(
    "provider_calls",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("product_id", ULID),
    sa.Column("provider", SHORT_TEXT, nullable=False),
    sa.Column("role", SHORT_TEXT, nullable=False),
    sa.Column("operation", SHORT_TEXT, nullable=False),
    sa.Column("status", SHORT_TEXT, nullable=False),
    sa.Column("cost_usd", PROVIDER_COST, nullable=False),
    sa.Column("duration_ms", sa.Integer(), nullable=False),
    sa.Column("error_code", SHORT_TEXT),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index(None, "user_id", "created_at"),
)

product_documents = sa.Table(
    "product_documents",
    metadata,
    sa.Column("product_id", ULID, _fk("products.id", "CASCADE"), primary_key=True),
    sa.Column("product_version", sa.Integer(), nullable=False),
    sa.Column("fingerprint", SHORT_TEXT, nullable=False),
    sa.Column("body", sa.LargeBinary(), nullable=False),
)
"""The read model: each product's public payload as JSON bytes (see ``read_model.py``).

A document is fresh while ``product_version`` equals its product's ``version`` and
``fingerprint`` equals the renderer's; ``body`` is bytes (BLOB, bytea) so it reaches the
response without being decoded."""

product_list_versions = sa.Table(
    "product_list_versions",
    metadata,
    sa.Column("user_id", ULID, primary_key=True),
    sa.Column("version", sa.BigInteger(), nullable=False),
    sa.Column("txid", sa.BigInteger()),
)
"""A number per seller that database triggers set to a new random value with every
committed change to the seller's ``products`` or ``product_documents`` rows (migration
0013): a page of the product list read with it stays valid while it does not change. No row
reads as version 0."""

exports = sa.Table(
    "exports",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("name", sa.String(160), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("filter_params", json_column_type(), nullable=False),
    sa.Column("product_count", sa.Integer(), nullable=False),
    sa.Column("status", SHORT_TEXT, nullable=False),
    sa.Column("storage_key", sa.String(512)),
    sa.Column("expires_at", UtcDateTime()),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("completed_at", UtcDateTime()),
    sa.Column("error_message", sa.Text()),
    sa.Column("error_code", SHORT_TEXT),
    sa.Column("heartbeat_at", UtcDateTime()),
    *_timestamps(),
    sa.Index(None, "user_id", "requested_at"),
    sa.Index(None, "status"),
)
"""Export jobs (spec 50 §2): the record clients poll and the archive's storage key."""

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("status", SHORT_TEXT, nullable=False),
    sa.Column("source_filename", sa.String(255), nullable=False),
    sa.Column("source_storage_key", sa.String(512), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("total_products", sa.Integer(), nullable=False),
    sa.Column("imported_products", sa.Integer(), nullable=False),
    sa.Column("failed_products", sa.Integer(), nullable=False),
    sa.Column("error_message", sa.Text()),
    sa.Column("error_code", SHORT_TEXT),
    sa.Column("failures", json_column_type(), nullable=False),
    sa.Column("created_product_ids", json_column_type(), nullable=False),
    sa.Column("next_index", sa.Integer(), nullable=False),
    sa.Column("heartbeat_at", UtcDateTime()),
    *_timestamps(),
    sa.Index(None, "user_id", "requested_at"),
    sa.Index(None, "status"),
)
"""Import jobs (spec 50 §8); ``next_index`` is the resume point of a redelivered job."""

storefronts = sa.Table(
    "storefronts",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False, unique=True),
    sa.Column("slug", sa.Text(), nullable=False, unique=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("tagline", sa.Text()),
    sa.Column("description", sa.Text()),
    sa.Column("theme_id", SHORT_TEXT, nullable=False),
    sa.Column("currency", SHORT_TEXT, nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("inserted_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

storefront_assets = sa.Table(
    "storefront_assets",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("storefront_id", ULID, _fk("storefronts.id", "CASCADE"), nullable=False),
    sa.Column("kind", SHORT_TEXT, nullable=False),
    sa.Column("storage_key", sa.Text(), nullable=False),
    sa.Column("content_type", sa.Text(), nullable=False),
    sa.Column("original_filename", sa.Text(), nullable=False),
    sa.Column("width", sa.Integer()),
    sa.Column("height", sa.Integer()),
    sa.Column("byte_size", sa.BigInteger()),
    sa.Column("checksum", sa.Text()),
    sa.Column("inserted_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("verified_at", UtcDateTime()),
    sa.UniqueConstraint("storefront_id", "kind"),
)

storefront_pages = sa.Table(
    "storefront_pages",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("storefront_id", ULID, _fk("storefronts.id", "CASCADE"), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("slug", sa.Text(), nullable=False),
    sa.Column("menu_label", sa.Text(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("published", sa.Boolean(), nullable=False),
    sa.Column("inserted_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("storefront_id", "slug"),
    sa.Index(None, "storefront_id", "position"),
)

storefront_inquiries = sa.Table(
    "storefront_inquiries",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("storefront_id", ULID, _fk("storefronts.id", "CASCADE"), nullable=False),
    sa.Column("product_id", ULID, _fk("products.id", "SET NULL"), nullable=True),
    sa.Column("full_name", sa.Text(), nullable=False),
    sa.Column("contact", sa.Text(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("source_path", sa.Text(), nullable=False),
    sa.Column("requester_ip", sa.Text()),
    sa.Column("user_agent", sa.Text()),
    sa.Column("inserted_at", UtcDateTime(), nullable=False),
    sa.Index(None, "storefront_id", "inserted_at"),
    sa.Index(None, "product_id", "inserted_at"),
)
lifestyle_generation_runs = sa.Table(
    "lifestyle_generation_runs",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("product_id", ULID, _fk("products.id", "CASCADE"), nullable=False),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("status", SHORT_TEXT, nullable=False),
    sa.Column("step", SHORT_TEXT, nullable=False),
    sa.Column("scene_family", sa.String(120), nullable=False),
    sa.Column("model", sa.String(120)),
    sa.Column("prompt_version", sa.String(80), nullable=False),
    sa.Column("requested_count", sa.Integer(), nullable=False),
    sa.Column("completed_count", sa.Integer(), nullable=False),
    sa.Column("error_code", SHORT_TEXT),
    sa.Column("error_message", sa.Text()),
    sa.Column("payload", json_column_type(), nullable=False),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("heartbeat_at", UtcDateTime()),
    *_timestamps(),
    sa.Index(None, "product_id", "created_at"),
    sa.Index(None, "status"),
    sa.Index(
        "uq_lifestyle_generation_runs_active_product",
        "product_id",
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    ),
)
"""Lifestyle generation runs (spec 30 §8.3). The partial unique index admits one active run
per product, so concurrent requests cannot both queue one (decision Q-M14)."""

video_generation_runs = sa.Table(
    "video_generation_runs",
    metadata,
    sa.Column("id", ULID, primary_key=True),
    sa.Column("product_id", ULID, _fk("products.id", "CASCADE"), nullable=False),
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), nullable=False),
    sa.Column("status", SHORT_TEXT, nullable=False),
    sa.Column("step", SHORT_TEXT, nullable=False),
    sa.Column("marketplace", SHORT_TEXT, nullable=False),
    sa.Column("aspect_ratio", SHORT_TEXT, nullable=False),
    sa.Column("duration_seconds", sa.Integer(), nullable=False),
    sa.Column("source_image_ids", json_column_type(), nullable=False),
    sa.Column("error_code", SHORT_TEXT),
    sa.Column("error_message", sa.Text()),
    sa.Column("payload", json_column_type(), nullable=False),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("heartbeat_at", UtcDateTime()),
    *_timestamps(),
    sa.Index(None, "product_id", "created_at"),
    sa.Index(None, "status"),
    sa.Index(
        "uq_video_generation_runs_active_product",
        "product_id",
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    ),
)
"""Marketplace video runs (spec 30 §9), one active per product as for lifestyle runs. The
videos themselves are the product's ``videos`` JSON column (one per marketplace, replaced
whole), read with the product."""

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("user_id", ULID, _fk("users.id", "CASCADE"), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("operation", sa.Text(), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer()),
    sa.Column("content_type", sa.Text()),
    sa.Column("body", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index(None, "expires_at"),
)
"""Answers to requests sent with an ``Idempotency-Key`` (replayed for 24 hours)."""
