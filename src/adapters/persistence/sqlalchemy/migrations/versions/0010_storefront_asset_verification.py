"""Branding assets are verified before the public storefront shows them (decision 40-4).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

``verified_at`` is set once a ``HEAD`` found the uploaded object acceptable. Assets that
exist already were shown before this revision; they count as verified when last changed,
so no storefront loses its logo on upgrade. The DDL is written out (not imported from
``tables.py``) so this step never changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("storefront_assets") as batch:
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE storefront_assets SET verified_at = updated_at"))


def downgrade() -> None:
    with op.batch_alter_table("storefront_assets") as batch:
        batch.drop_column("verified_at")
