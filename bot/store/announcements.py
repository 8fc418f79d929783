"""The store's announcement methods: announcements of each feed and their papers."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Announcement, Paper
from bot.store.base import StoreBase, chunks
from bot.store.records import paper_from_row, paper_values
from bot.store.tables import AnnouncementPaperRow, AnnouncementRow, PaperRow

log = logging.getLogger(__name__)


class AnnouncementMethods(StoreBase):
    """Announcements keyed by feed and date, with their papers in feed order."""

    async def save_announcement(self, feed_key: str, announcement: Announcement) -> None:
        """Store an announcement of the feed `feed_key` with its papers, in feed order.

        Saving the same feed and date again replaces the stored paper list, so the
        announcement is kept once. Papers are shared between announcements and keep the
        metadata of their newest version. A paper listed twice keeps its first position.
        Raises ValueError when the announcement has no date.
        """
        if announcement.date is None:
            raise ValueError(f"announcement of {feed_key} has no date and cannot be stored")

        unique: dict[str, Paper] = {}
        for paper in announcement.papers:
            unique.setdefault(paper.id, paper)
        papers = list(unique.values())

        async with self._sessions.begin() as session:
            announcement_id = await self._upsert_announcement(session, feed_key, announcement)
            await self._upsert_papers(session, papers)
            await self._replace_listing(session, announcement_id, papers)

        log.info(
            "Saved announcement %s of %s with %d papers", announcement.date, feed_key, len(papers)
        )

    async def load_announcement(self, feed_key: str, date: dt.date) -> Announcement | None:
        """Return the stored announcement of `feed_key` on `date`, or None.

        Each paper carries the metadata of the newest version stored, which can be newer
        than the version listed that day.
        """
        query = select(AnnouncementRow).where(
            AnnouncementRow.feed_key == feed_key, AnnouncementRow.date == date
        )
        return next(iter(await self._load_announcements(query)), None)

    async def latest_announcement(self, feed_key: str) -> Announcement | None:
        """Return the newest stored announcement of `feed_key`, or None."""
        query = (
            select(AnnouncementRow)
            .where(AnnouncementRow.feed_key == feed_key)
            .order_by(AnnouncementRow.date.desc())
            .limit(1)
        )
        return next(iter(await self._load_announcements(query)), None)

    async def announcements_since(self, feed_key: str, after: dt.date | None) -> list[Announcement]:
        """Return the stored announcements of `feed_key` dated after `after`, oldest first.

        With `after` None, every stored announcement of the feed is returned.
        """
        query = select(AnnouncementRow).where(AnnouncementRow.feed_key == feed_key)
        if after is not None:
            query = query.where(AnnouncementRow.date > after)
        return await self._load_announcements(query.order_by(AnnouncementRow.date))

    async def announcement_dates(
        self, feed_key: str, after: dt.date | None, until: dt.date
    ) -> list[dt.date]:
        """Return the dates of the stored announcements of `feed_key` in (`after`, `until`].

        The dates come oldest first. With `after` None, there is no lower bound.
        """
        query = select(AnnouncementRow.date).where(
            AnnouncementRow.feed_key == feed_key, AnnouncementRow.date <= until
        )
        if after is not None:
            query = query.where(AnnouncementRow.date > after)
        async with self._sessions() as session:
            return list(await session.scalars(query.order_by(AnnouncementRow.date)))

    async def _upsert_announcement(
        self, session: AsyncSession, feed_key: str, announcement: Announcement
    ) -> int:
        statement = self._insert(AnnouncementRow).values(
            feed_key=feed_key,
            date=announcement.date,
            source=announcement.source,
            fetched_at=dt.datetime.now(dt.UTC),
        )
        upsert = statement.on_conflict_do_update(
            index_elements=["feed_key", "date"],
            set_={"source": statement.excluded.source, "fetched_at": statement.excluded.fetched_at},
        )
        return (await session.execute(upsert.returning(AnnouncementRow.id))).scalar_one()

    async def _upsert_papers(self, session: AsyncSession, papers: Sequence[Paper]) -> None:
        for chunk in chunks([paper_values(paper) for paper in papers]):
            statement = self._insert(PaperRow).values(chunk)
            incoming = statement.excluded
            # An older version read later, say when catching up on a missed announcement,
            # must not replace newer metadata.
            is_not_older = or_(
                incoming.version.is_(None),
                PaperRow.version.is_(None),
                incoming.version >= PaperRow.version,
            )
            columns = [key for key in chunk[0] if key != "id"]
            upsert = statement.on_conflict_do_update(
                index_elements=["id"],
                set_={key: incoming[key] for key in columns},
                where=is_not_older,
            )
            await session.execute(upsert)

    async def _replace_listing(
        self, session: AsyncSession, announcement_id: int, papers: Sequence[Paper]
    ) -> None:
        await session.execute(
            delete(AnnouncementPaperRow)
            .where(AnnouncementPaperRow.announcement_id == announcement_id)
            .execution_options(synchronize_session=False)
        )
        rows = [
            {
                "announcement_id": announcement_id,
                "paper_id": paper.id,
                "position": position,
                "announce_type": paper.announce_type,
            }
            for position, paper in enumerate(papers)
        ]
        for chunk in chunks(rows):
            await session.execute(insert(AnnouncementPaperRow).values(chunk))

    async def _load_announcements(self, query: Select[AnnouncementRow]) -> list[Announcement]:
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
            listing_query = (
                select(AnnouncementPaperRow.announcement_id, AnnouncementPaperRow.announce_type)
                .add_columns(PaperRow)
                .join(PaperRow, PaperRow.id == AnnouncementPaperRow.paper_id)
                .where(AnnouncementPaperRow.announcement_id.in_([row.id for row in rows]))
                .order_by(AnnouncementPaperRow.announcement_id, AnnouncementPaperRow.position)
            )
            listings = await session.execute(listing_query)

            papers: dict[int, list[Paper]] = {row.id: [] for row in rows}
            for announcement_id, announce_type, paper_row in listings:
                papers[announcement_id].append(paper_from_row(paper_row, announce_type))

        return [
            Announcement(date=row.date, papers=tuple(papers[row.id]), source=row.source)
            for row in rows
        ]
