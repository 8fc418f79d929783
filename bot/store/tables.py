"""ORM models of the store's tables.

The schema itself is created by the Alembic migrations in `bot/store/migrations`. A change
here needs a new migration, and a test compares these models with the migrated database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Explicit constraint names keep the migrations and these models in agreement on every
# backend, and let later migrations drop or alter a constraint by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an `INTEGER PRIMARY KEY`, so big surrogate keys use INTEGER
# there, which SQLite stores as a 64-bit integer anyway.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned as an aware datetime in UTC.

    PostgreSQL stores it as `timestamp with time zone`. SQLite has no time zone type and
    stores the UTC wall time. Naive datetimes are rejected with ValueError.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Convert an aware datetime to UTC, dropping the offset for SQLite."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given, expected an aware one")

        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Attach UTC to the stored value."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class ClockTime(TypeDecorator[dt.time]):
    """A time of day with minute precision, stored as text `HH:MM`.

    Times with seconds, microseconds or a time zone are rejected with ValueError because
    the text form cannot keep them.
    """

    impl = String(5)
    cache_ok = True

    def process_bind_param(self, value: dt.time | None, dialect: Dialect) -> str | None:
        """Format the time as `HH:MM`."""
        if value is None:
            return None
        if value.second or value.microsecond or value.tzinfo is not None:
            raise ValueError(f"time {value.isoformat()} given, expected whole minutes, no zone")
        return value.strftime("%H:%M")

    def process_result_value(self, value: str | None, dialect: Dialect) -> dt.time | None:
        """Parse the stored `HH:MM` text."""
        return None if value is None else dt.time.fromisoformat(value)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DigestRow(Base):
    """A configured digest of one guild.

    `name_key` is `name.casefold()` and is unique per guild, so names differing only in
    case collide. The store computes it in Python so that both backends fold case alike.
    """

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("guild_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String)
    name_key: Mapped[str] = mapped_column(String)
    categories: Mapped[list[str]] = mapped_column(JSON)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    exclusions: Mapped[list[str]] = mapped_column(JSON)
    post_time: Mapped[dt.time] = mapped_column(ClockTime)
    timezone: Mapped[str] = mapped_column(String)
    include_cross_lists: Mapped[bool]
    include_replacements: Mapped[bool]
    max_papers: Mapped[int] = mapped_column(Integer)
    abstract_length: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    paused: Mapped[bool]
    pause_reason: Mapped[str | None] = mapped_column(Text)
    last_announcement: Mapped[dt.date | None] = mapped_column(Date)
    role_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AnnouncementRow(Base):
    """One stored announcement of a feed.

    `feed_key` names the feed by its categories, sorted and joined by `+`. `source` is
    where the announcement was read from, such as the feed URL.
    """

    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("feed_key", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_key: Mapped[str] = mapped_column(String)
    date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PaperRow(Base):
    """The newest metadata seen for one paper, keyed by its canonical id."""

    __tablename__ = "papers"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(Text)
    published: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AnnouncementPaperRow(Base):
    """A paper listed in an announcement, at its position in the feed."""

    __tablename__ = "announcement_papers"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    announce_type: Mapped[str | None] = mapped_column(String)


class PostedPaperRow(Base):
    """A paper posted to a channel.

    The unique constraint on (channel_id, paper_id) is what guarantees that no paper is
    posted to a channel twice. `paper_id` has no foreign key because a paper posted from
    a search result need not be stored in `papers`.
    """

    __tablename__ = "posted_papers"
    __table_args__ = (
        UniqueConstraint("channel_id", "paper_id"),
        Index(None, "digest_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    paper_id: Mapped[str] = mapped_column(String)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    announcement_date: Mapped[dt.date | None] = mapped_column(Date)
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    """A finished delivery of one digest for one announcement."""

    __tablename__ = "deliveries"

    digest_id: Mapped[int] = mapped_column(
        ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True
    )
    announcement_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    posted_count: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
