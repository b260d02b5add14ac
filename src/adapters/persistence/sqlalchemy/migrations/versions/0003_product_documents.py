"""The product read model: one stored JSON document per product.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

``product_documents`` starts empty: a product without a document is answered from the
tables and its document is written then (or by ``reseller rebuild-read-models``).

The DDL is written out (not imported from ``tables.py``) so this step never changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_documents",
        sa.Column("product_id", sa.String(26), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name="fk_product_documents_product_id_products",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name="pk_product_documents"),
    )


def downgrade() -> None:
    op.drop_table("product_documents")
