"""Create the digests, announcements, papers and deliveries tables.

Revision ID: 0001
Revises:
Created: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite only auto-increments an `INTEGER PRIMARY KEY`.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the store."""
    _create_digests()
    _create_announcements()
    _create_deliveries()


def downgrade() -> None:
    """Drop every table of the store."""
    for table in (
        "deliveries",
        "posted_papers",
        "announcement_papers",
        "papers",
        "announcements",
        "digests",
    ):
        op.drop_table(table)


def _create_digests() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("exclusions", sa.JSON(), nullable=False),
        sa.Column("post_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("include_cross_lists", sa.Boolean(), nullable=False),
        sa.Column("include_replacements", sa.Boolean(), nullable=False),
        sa.Column("max_papers", sa.Integer(), nullable=False),
        sa.Column("abstract_length", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("last_announcement", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        sa.UniqueConstraint("guild_id", "name_key", name="uq_digests_guild_id_name_key"),
    )


def _create_announcements() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_key", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
        sa.UniqueConstraint("feed_key", "date", name="uq_announcements_feed_key_date"),
    )
    op.create_table(
        "papers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("doi", sa.Text(), nullable=True),
        sa.Column("published", TIMESTAMP, nullable=True),
        sa.Column("updated", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_papers"),
    )
    op.create_table(
        "announcement_papers",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("announce_type", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("announcement_id", "paper_id", name="pk_announcement_papers"),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name="fk_announcement_papers_announcement_id_announcements",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_announcement_papers_paper_id_papers"
        ),
    )


def _create_deliveries() -> None:
    op.create_table(
        "posted_papers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("paper_id", sa.String(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("announcement_date", sa.Date(), nullable=True),
        sa.Column("posted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_posted_papers"),
        sa.UniqueConstraint("channel_id", "paper_id", name="uq_posted_papers_channel_id_paper_id"),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["digests.id"],
            name="fk_posted_papers_digest_id_digests",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_posted_papers_digest_id", "posted_papers", ["digest_id"])
    op.create_table(
        "deliveries",
        sa.Column("digest_id", sa.Integer(), nullable=False),
        sa.Column("announcement_date", sa.Date(), nullable=False),
        sa.Column("posted_count", sa.Integer(), nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("digest_id", "announcement_date", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["digests.id"],
            name="fk_deliveries_digest_id_digests",
            ondelete="CASCADE",
        ),
    )
