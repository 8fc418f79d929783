"""Catching up at start on announcements that digests missed while the bot was down."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pytest

from bot.arxiv import load_feed_file
from bot.digest import select_papers
from bot.models import Announcement, Digest, Paper
from bot.render import format_date
from bot.scheduler import previous_run_time, retry_job_id
from bot.settings import SettingsError, load_settings
from tests.bot_world import (
    CATEGORIES,
    FEED,
    BotWorld,
    expected_ids,
    opened_store,
    posted_paper_ids,
    start_bot,
    stored_digest,
)
from tests.paths import ARXIV_FIXTURES

WEEKEND = ARXIV_FIXTURES / "rss-cs.AI-2024-03-30-empty-weekend-constructed.xml"
# A digest created long before the stored announcements, last delivered before them.
CREATED = dt.datetime(2025, 10, 1, 12, 0, tzinfo=dt.UTC)
LAST = dt.date(2025, 11, 2)
DATES = [dt.date(2025, 11, day) for day in (3, 4, 5, 6, 7)]


def serve_weekend_feed(world: BotWorld) -> None:
    """Serve empty feeds, so a fetch at start adds no announcement."""
    for category in CATEGORIES:
        world.arxiv.set_feed(category, WEEKEND)


def split_papers(count: int) -> list[tuple[Paper, ...]]:
    """Deal the saved feed's papers into `count` disjoint announcements' worth."""
    papers = load_feed_file(FEED).papers
    return [papers[index::count] for index in range(count)]


async def seed(
    world: BotWorld, dates: Sequence[dt.date], **changes: object
) -> tuple[Digest, list[list[str]]]:
    """Store a digest and one cs.CV announcement per date; return the ids each should post."""
    chunks = split_papers(len(dates))
    defaults: dict[str, object] = {"created_at": CREATED, "last_announcement": LAST}
    digest = stored_digest(world, **{**defaults, **changes})
    async with opened_store(world) as store:
        digest = await store.add_digest(digest)
        for date, papers in zip(dates, chunks, strict=True):
            await store.save_announcement("cs.CV", Announcement(date, papers))
    expected = [[item.paper.id for item in select_papers(digest, papers)] for papers in chunks]
    return digest, expected


async def test_missed_posted_oldest_first(world: BotWorld) -> None:
    serve_weekend_feed(world)
    digest, expected = await seed(world, DATES[:3])
    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task
        assert digest.id is not None
        stored = await bot.store.get_digest_by_id(digest.id)

    messages = world.posted()
    headers = [message["content"] for message in messages if message["content"]]
    assert all(len(ids) > 0 for ids in expected)
    assert posted_paper_ids(messages) == [i for ids in expected for i in ids]
    assert len(headers) == 3
    for header, date in zip(headers, DATES[:3], strict=True):
        assert format_date(date) in header
    assert stored is not None
    assert stored.last_announcement == DATES[2]


async def test_limit_skips_older(world: BotWorld) -> None:
    serve_weekend_feed(world)
    world.settings = dataclasses.replace(world.settings, catch_up_limit=2)
    digest, expected = await seed(world, DATES)
    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task
    first_start = world.posted()

    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task

    notices = [message for message in first_start if not message["embeds"]]
    assert len(notices) == 1
    assert "skipped 3 older" in notices[0]["content"]
    assert format_date(DATES[0]) in notices[0]["content"]
    assert first_start[0] is notices[0]
    assert posted_paper_ids(first_start) == expected[3] + expected[4]
    assert world.posted() == first_start


async def test_limit_zero_posts_nothing(world: BotWorld) -> None:
    serve_weekend_feed(world)
    world.settings = dataclasses.replace(world.settings, catch_up_limit=0)
    await seed(world, DATES[:2])
    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task

    messages = world.posted()
    assert len(messages) == 1
    assert "skipped 2 older" in messages[0]["content"]
    assert posted_paper_ids(messages) == []


async def test_new_digest_skips_old(world: BotWorld) -> None:
    serve_weekend_feed(world)
    await seed(world, DATES[:3], created_at=dt.datetime.now(dt.UTC), last_announcement=None)
    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task

    assert world.posted() == []
    assert world.arxiv.requests_to("/rss/") == []


async def test_paused_digest_not_caught_up(world: BotWorld) -> None:
    serve_weekend_feed(world)
    await seed(world, DATES[:2], paused=True, pause_reason="paused by admin")
    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task

    assert world.posted() == []


async def test_nothing_stored_fetches_latest(world: BotWorld) -> None:
    async with opened_store(world) as store:
        await store.add_digest(stored_digest(world, created_at=CREATED))
    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task

    assert posted_paper_ids(world.posted()) == expected_ids()
    assert len(world.arxiv.requests_to("/rss/cs.CV")) == 1


async def test_arxiv_outage_retried_later(world: BotWorld) -> None:
    async with opened_store(world) as store:
        digest = await store.add_digest(stored_digest(world, created_at=CREATED))
    for _ in range(10):
        world.arxiv.inject("503", path="/rss/")
    async with start_bot(world) as bot:
        assert bot.catch_up_task is not None
        await bot.catch_up_task
        assert digest.id is not None
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest.id))
        stored = await bot.store.get_digest_by_id(digest.id)

    assert world.posted() == []
    assert retry is not None
    assert stored is not None
    assert stored.last_error is not None
    assert "arXiv failed" in stored.last_error


async def test_login_not_blocked(world: BotWorld) -> None:
    async with opened_store(world) as store:
        await store.add_digest(stored_digest(world, created_at=CREATED))
    # The feed responds only when the fake closes, so the catch-up is still fetching.
    world.arxiv.inject("timeout", path="/rss/", delay=60)
    async with start_bot(world) as bot:
        ready = bot.is_ready()
        task = bot.catch_up_task
        assert task is not None
        running = not task.done()

    assert ready
    assert running
    assert task.cancelled()


def test_previous_run_time_today() -> None:
    digest = Digest(0, 0, "d", ("cs.AI",), ("x",), post_time=dt.time(9, 0), timezone="Asia/Tokyo")
    now = dt.datetime(2025, 11, 10, 3, 0, tzinfo=dt.UTC)

    previous = previous_run_time(digest, now)

    assert previous == dt.datetime(2025, 11, 10, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_previous_run_time_yesterday() -> None:
    digest = Digest(0, 0, "d", ("cs.AI",), ("x",), post_time=dt.time(9, 0), timezone="Asia/Tokyo")
    now = dt.datetime(2025, 11, 9, 23, 59, tzinfo=dt.UTC)

    previous = previous_run_time(digest, now)

    assert previous == dt.datetime(2025, 11, 9, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_catch_up_limit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATCH_UP_LIMIT", "5")
    assert load_settings(env_file=None).catch_up_limit == 5
    monkeypatch.delenv("CATCH_UP_LIMIT")
    assert load_settings(env_file=None).catch_up_limit == 3


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_catch_up_limit_invalid(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CATCH_UP_LIMIT", value)
    with pytest.raises(SettingsError, match="CATCH_UP_LIMIT"):
        load_settings(env_file=None)
