"""Add a digest's role to ping and its last delivery error.

Revision ID: 0002
Revises: 0001
Created: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_COLUMNS = ("role_id", "last_error", "last_error_at")


def upgrade() -> None:
    """Add the nullable columns `role_id`, `last_error` and `last_error_at` to digests."""
    # Batch mode rebuilds the table on SQLite, which cannot alter columns in place.
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("role_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the columns that `upgrade` added."""
    with op.batch_alter_table("digests") as batch:
        for name in reversed(NEW_COLUMNS):
            batch.drop_column(name)
