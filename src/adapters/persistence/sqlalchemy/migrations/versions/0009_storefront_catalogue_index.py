"""An index for the public catalogue: a seller's published, ready products.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

The catalogue query (spec 40 §6.3) filters on the owner, ``storefront_enabled`` and
``status``; with only ``(user_id, status)`` it visited every ready product of a seller (all
10,000 in the benchmark) to find the few that are published.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_products_user_id_storefront_enabled_status"


def upgrade() -> None:
    op.create_index(INDEX, "products", ["user_id", "storefront_enabled", "status"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="products")
