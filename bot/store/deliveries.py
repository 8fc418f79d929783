"""The store's delivery methods: posted papers per channel and finished deliveries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase, chunks
from bot.store.errors import DigestNotFoundError
from bot.store.tables import DeliveryRow, DigestRow, PostedPaperRow

log = logging.getLogger(__name__)


class DeliveryMethods(StoreBase):
    """Records of what was posted where, which keep a paper from being posted twice."""

    async def posted_paper_ids(self, channel_id: int, paper_ids: Iterable[str]) -> set[str]:
        """Return which of `paper_ids` were already posted to the channel."""
        posted: set[str] = set()
        async with self._sessions() as session:
            for chunk in chunks(list(dict.fromkeys(paper_ids))):
                query = select(PostedPaperRow.paper_id).where(
                    PostedPaperRow.channel_id == channel_id, PostedPaperRow.paper_id.in_(chunk)
                )
                posted.update(await session.scalars(query))
        return posted

    async def record_posted(
        self,
        channel_id: int,
        paper_ids: Sequence[str],
        *,
        digest_id: int | None,
        message_id: int | None,
        announcement_date: dt.date | None,
    ) -> int:
        """Record papers posted to a channel and return how many were new to it.

        Papers already recorded for the channel are skipped, also when another task
        records them at the same time, because the unique (channel_id, paper_id)
        constraint decides through `INSERT … ON CONFLICT DO NOTHING`.
        """
        posted_at = dt.datetime.now(dt.UTC)
        rows = [
            {
                "channel_id": channel_id,
                "paper_id": paper_id,
                "digest_id": digest_id,
                "message_id": message_id,
                "announcement_date": announcement_date,
                "posted_at": posted_at,
            }
            for paper_id in dict.fromkeys(paper_ids)
        ]
        inserted = 0
        async with self._sessions.begin() as session:
            for chunk in chunks(rows):
                statement = (
                    self._insert(PostedPaperRow)
                    .values(chunk)
                    .on_conflict_do_nothing(index_elements=["channel_id", "paper_id"])
                    .returning(PostedPaperRow.id)
                )
                inserted += len((await session.execute(statement)).all())

        log.debug("Recorded %d of %d papers posted to channel %s", inserted, len(rows), channel_id)
        return inserted

    async def finish_delivery(
        self, digest_id: int, announcement_date: dt.date, posted_count: int
    ) -> None:
        """Record that a digest delivered an announcement and advance its last announcement.

        A second call for the same digest and date adds `posted_count` to the stored
        count. The digest's `last_announcement` only moves forward, so catching up on an
        older announcement keeps a newer one. A finished delivery clears the digest's last
        error. Raises DigestNotFoundError when the digest no longer exists.
        """
        statement = self._insert(DeliveryRow).values(
            digest_id=digest_id,
            announcement_date=announcement_date,
            posted_count=posted_count,
            finished_at=dt.datetime.now(dt.UTC),
        )
        upsert = statement.on_conflict_do_update(
            index_elements=["digest_id", "announcement_date"],
            set_={
                "posted_count": DeliveryRow.posted_count + statement.excluded.posted_count,
                "finished_at": statement.excluded.finished_at,
            },
        )
        advance = (
            update(DigestRow)
            .where(
                DigestRow.id == digest_id,
                or_(
                    DigestRow.last_announcement.is_(None),
                    DigestRow.last_announcement < announcement_date,
                ),
            )
            .values(last_announcement=announcement_date)
            .execution_options(synchronize_session=False)
        )
        clear_error = (
            update(DigestRow)
            .where(DigestRow.id == digest_id)
            .values(last_error=None, last_error_at=None)
            .execution_options(synchronize_session=False)
        )
        try:
            async with self._sessions.begin() as session:
                await session.execute(upsert)
                await session.execute(advance)
                await session.execute(clear_error)
        except IntegrityError as error:
            # The digest foreign key is the only constraint that this upsert can break.
            raise DigestNotFoundError(digest_id) from error

        log.info(
            "Digest %s delivered announcement %s: %d papers",
            digest_id,
            announcement_date,
            posted_count,
        )

    async def is_delivered(self, digest_id: int, announcement_date: dt.date) -> bool:
        """Return whether the digest finished delivering the announcement of that date."""
        query = select(
            exists().where(
                DeliveryRow.digest_id == digest_id,
                DeliveryRow.announcement_date == announcement_date,
            )
        )
        async with self._sessions() as session:
            return bool(await session.scalar(query))

    async def delivered_count(self, digest_id: int, announcement_date: dt.date) -> int:
        """Return how many papers the digest posted from the announcement of that date."""
        query = select(DeliveryRow.posted_count).where(
            DeliveryRow.digest_id == digest_id,
            DeliveryRow.announcement_date == announcement_date,
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def posted_count(self, digest_id: int, announcement_date: dt.date) -> int:
        """Return how many papers of the announcement are recorded as posted by the digest.

        Unlike `delivered_count`, this counts papers of deliveries that never finished,
        such as one cut short by a crash.
        """
        query = select(func.count()).where(
            PostedPaperRow.digest_id == digest_id,
            PostedPaperRow.announcement_date == announcement_date,
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)
