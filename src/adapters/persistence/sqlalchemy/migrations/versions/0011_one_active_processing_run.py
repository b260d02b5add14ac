"""At most one queued or running processing run per product, enforced by the database.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A partial unique index on ``processing_runs(product_id)`` over the active statuses, as
lifestyle runs have (0006): two simultaneous finalize or reprocess requests cannot both
start a run. A database written before this revision may hold several active runs of one
product (only the latest can ever finish); the older ones are marked failed as ``stalled``
first, as ``reprocess`` does with a run it supersedes, so the index builds.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_processing_runs_active_product"
ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE processing_runs SET status = 'failed', error_code = 'stalled',"
            " error_message = 'The run stalled and was superseded.', finished_at = updated_at"
            f" WHERE {ACTIVE} AND EXISTS ("
            " SELECT 1 FROM processing_runs AS newer"
            " WHERE newer.product_id = processing_runs.product_id"
            " AND newer.status IN ('queued', 'running')"
            " AND (newer.created_at > processing_runs.created_at"
            " OR (newer.created_at = processing_runs.created_at"
            " AND newer.id > processing_runs.id)))"
        )
    )
    op.create_index(
        INDEX,
        "processing_runs",
        ["product_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="processing_runs")
