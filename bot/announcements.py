"""The latest announcement for a set of categories, fetched once per category and stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.arxiv import ArxivClient
from bot.models import Announcement, Paper
from bot.store import Store

log = logging.getLogger(__name__)

ARXIV_TIMEZONE = ZoneInfo("America/New_York")
# arXiv mails its announcement at 20:00 New York time from Sunday to Thursday, and the
# RSS feed dates it the next day (Monday to Friday).
ANNOUNCEMENT_TIME = dt.time(20, 0)

# Digests due at the same minute share one fetch per category. A fetch is reused for a
# minute only, so a fetch made just before arXiv rebuilds its feed is not reused after.
REUSE_SECONDS = 60.0


@dataclass
class _CachedFeed:
    announcement: Announcement
    fetched_at: float


class AnnouncementSource:
    """Fetch and store category announcements, sharing fetches between digests."""

    def __init__(
        self, arxiv: ArxivClient, store: Store, *, reuse_seconds: float = REUSE_SECONDS
    ) -> None:
        self._arxiv = arxiv
        self._store = store
        self._reuse_seconds = reuse_seconds
        self._cache: dict[str, _CachedFeed] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def latest(self, categories: Sequence[str]) -> Announcement:
        """Return the newest announcement across `categories`, merged and deduplicated.

        The date is the newest date among the category feeds that list papers. Feeds that
        are empty (weekends, holidays) contribute nothing.
        """
        announcements = [await self._fetch_category(category) for category in categories]
        return merge_announcements(announcements)

    async def stored_dates(
        self, categories: Sequence[str], after: dt.date | None, until: dt.date
    ) -> dict[dt.date, list[str]]:
        """Return the dates in (`after`, `until`] of stored announcements of `categories`.

        Each date maps to the categories stored for it, and the dates come oldest first.
        """
        found: dict[dt.date, list[str]] = {}
        for category in categories:
            for date in await self._store.announcement_dates(category, after, until):
                found.setdefault(date, []).append(category)
        return {date: found[date] for date in sorted(found)}

    async def stored(self, categories: Sequence[str], date: dt.date) -> Announcement:
        """Return the stored announcement of `date` across `categories`, merged.

        Categories without a stored announcement of that date contribute nothing.
        """
        announcements = []
        for category in categories:
            announcement = await self._store.load_announcement(category, date)
            if announcement is not None:
                announcements.append(announcement)
        return merge_announcements(announcements)

    def forget(self) -> None:
        """Drop every cached fetch, so the next call fetches from arXiv again."""
        self._cache.clear()

    async def _fetch_category(self, category: str) -> Announcement:
        lock = self._locks.setdefault(category, asyncio.Lock())
        async with lock:
            cached = self._cache.get(category)
            if cached and time.monotonic() - cached.fetched_at < self._reuse_seconds:
                return cached.announcement

            announcement = await self._arxiv.fetch_announcement([category])
            self._cache[category] = _CachedFeed(announcement, time.monotonic())
            log.info(
                "Fetched %s: announcement %s with %d papers",
                category,
                announcement.date,
                len(announcement.papers),
            )
            if announcement.date is not None and announcement.papers:
                await self._store.save_announcement(category, announcement)
            return announcement


def merge_announcements(announcements: Sequence[Announcement]) -> Announcement:
    """Merge category announcements into one, keeping each paper once in feed order.

    Only feeds of the newest date count, so a category whose feed has not been rebuilt
    yet cannot bring yesterday's papers into today's digest.
    """
    dates = [item.date for item in announcements if item.date is not None and item.papers]
    sources = " ".join(item.source for item in announcements if item.source)
    if not dates:
        latest_date = max((item.date for item in announcements if item.date), default=None)
        return Announcement(date=latest_date, papers=(), source=sources)

    newest: dt.date = max(dates)
    seen: set[str] = set()
    papers: list[Paper] = []
    for announcement in announcements:
        if announcement.date != newest:
            continue
        for paper in announcement.papers:
            if paper.id not in seen:
                seen.add(paper.id)
                papers.append(paper)

    sources = "+".join(item.source for item in announcements if item.source)
    return Announcement(date=newest, papers=tuple(papers), source=sources)


def expected_announcement_date(now: dt.datetime) -> dt.date:
    """Return the date of the latest announcement that arXiv's calendar had due by `now`.

    Holidays are not known here, so on a holiday this date has no announcement.
    """
    local = now.astimezone(ARXIV_TIMEZONE)
    date = local.date()
    if local.time() >= ANNOUNCEMENT_TIME:
        date += dt.timedelta(days=1)
    while date.weekday() >= 5:
        date -= dt.timedelta(days=1)
    return date
