"""Conversions between the store's rows and the records of `bot.models`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.models import Digest, Paper
from bot.store.tables import DigestRow, PaperRow


def feed_key(categories: Iterable[str]) -> str:
    """Return the key under which a feed's announcements are stored.

    The key is the distinct categories sorted and joined by `+` (`cs.AI+cs.LG`), so the
    same set of categories gives the same key in any order.
    """
    return "+".join(sorted(set(categories)))


def name_key(name: str) -> str:
    """Return the case-folded digest name that is unique within a guild."""
    return name.casefold()


def digest_config_values(digest: Digest) -> dict[str, Any]:
    """Return the column values of a digest that its admins can edit."""
    return {
        "channel_id": digest.channel_id,
        "name": digest.name,
        "name_key": name_key(digest.name),
        "categories": list(digest.categories),
        "keywords": list(digest.keywords),
        "exclusions": list(digest.exclusions),
        "post_time": digest.post_time,
        "timezone": digest.timezone,
        "include_cross_lists": digest.include_cross_lists,
        "include_replacements": digest.include_replacements,
        "max_papers": digest.max_papers,
        "abstract_length": digest.abstract_length,
        "role_id": digest.role_id,
    }


def digest_values(digest: Digest) -> dict[str, Any]:
    """Return the column values of a new digest row, without the id that the database assigns."""
    return {
        **digest_config_values(digest),
        "guild_id": digest.guild_id,
        "created_by": digest.created_by,
        "created_at": digest.created_at,
        "paused": digest.paused,
        "pause_reason": digest.pause_reason,
        "last_announcement": digest.last_announcement,
        "last_error": digest.last_error,
        "last_error_at": digest.last_error_at,
    }


def digest_from_row(row: DigestRow) -> Digest:
    """Build the Digest record of a stored row."""
    return Digest(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        name=row.name,
        categories=tuple(row.categories),
        keywords=tuple(row.keywords),
        exclusions=tuple(row.exclusions),
        post_time=row.post_time,
        timezone=row.timezone,
        include_cross_lists=row.include_cross_lists,
        include_replacements=row.include_replacements,
        max_papers=row.max_papers,
        abstract_length=row.abstract_length,
        created_by=row.created_by,
        created_at=row.created_at,
        paused=row.paused,
        pause_reason=row.pause_reason,
        last_announcement=row.last_announcement,
        role_id=row.role_id,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
    )


def paper_values(paper: Paper) -> dict[str, Any]:
    """Return the column values of a paper row.

    The announce type is not among them because it belongs to the paper's listing in one
    announcement.
    """
    return {
        "id": paper.id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "published": paper.published,
        "updated": paper.updated,
    }


def paper_from_row(row: PaperRow, announce_type: str | None) -> Paper:
    """Build the Paper record of a stored row as listed with `announce_type`."""
    return Paper(
        id=row.id,
        version=row.version,
        title=row.title,
        abstract=row.abstract,
        authors=tuple(row.authors),
        categories=tuple(row.categories),
        announce_type=announce_type,
        comment=row.comment,
        journal_ref=row.journal_ref,
        doi=row.doi,
        published=row.published,
        updated=row.updated,
    )
