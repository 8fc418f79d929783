"""End to end: arXiv's failures during a scheduled digest, /digest preview and /arxiv search.

Each fault is injected into the fake arXiv once per request the bot should make. The bot's
request interval is scaled down from arXiv's 3 seconds so that the spacing of retries can
be checked on the fake's recorded request times.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest

from bot.announcements import expected_announcement_date
from bot.arxiv import load_feed_file
from bot.arxiv.client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from bot.core import DigestBot
from bot.scheduler import MAX_RETRIES, RETRY_DELAY_SECONDS, retry_job_id
from tests.arxiv_server import ArxivFake, RecordedRequest
from tests.bot_world import (
    CREATE_OPTIONS,
    FEED,
    BotWorld,
    create_digest,
    digest_id_named,
    expected_ids_for,
    posted_paper_ids,
    start_bot,
    trigger_job,
    with_request_interval,
)
from tests.log_checks import final_failures, is_plain, token_never_logged  # noqa: F401

INTERVAL = 0.02
TIMEOUT = 0.1
ATTEMPTS = DEFAULT_MAX_RETRIES + 1
NAME = CREATE_OPTIONS["name"]
FEED_DATE = load_feed_file(FEED).date
# One category, so each fetch parses one copy of the saved feed.
CATEGORY = "cs.CV"


@dataclass(frozen=True)
class Fault:
    """A fault kind, how many requests the bot makes while it lasts, and its Retry-After."""

    kind: str
    attempts: int
    retry_after: float | None = None
    total_results: int = 0


RETRIED = {
    "429": Fault("429", ATTEMPTS, retry_after=1.0),
    "503": Fault("503", ATTEMPTS),
    "reset": Fault("reset", ATTEMPTS),
    "timeout": Fault("timeout", ATTEMPTS),
    "rate-exceeded": Fault("rate-exceeded", ATTEMPTS),
}
NOT_RETRIED = {
    "malformed": Fault("malformed", 1),
    "error-entry": Fault("error-entry", 1),
}
FEED_FAULTS = {**RETRIED, **NOT_RETRIED}


@pytest.fixture
def slow_world(world: BotWorld) -> BotWorld:
    """The end-to-end world with arXiv requests spaced INTERVAL seconds apart."""
    return with_request_interval(world, INTERVAL)


def inject(fake: ArxivFake, fault: Fault, path: str) -> None:
    """Queue the fault for every request the bot makes, Retry-After on the first only."""
    for number in range(fault.attempts):
        retry_after = fault.retry_after if number == 0 else None
        fake.inject(
            fault.kind,
            path=path,
            retry_after=None if retry_after is None else f"{retry_after:g}",
            delay=2.0,
            total_results=fault.total_results,
        )


@contextlib.contextmanager
def short_timeout(bot: DigestBot) -> Iterator[None]:
    """Shorten the arXiv client's request timeout while faults are served, for speed."""
    bot.arxiv.timeout = TIMEOUT
    try:
        yield
    finally:
        bot.arxiv.timeout = DEFAULT_TIMEOUT


def assert_spaced(requests: Sequence[RecordedRequest], fault: Fault) -> None:
    """Check that the retries waited the doubling backoff and honoured Retry-After."""
    times = [request.time for request in requests]
    for number, (earlier, later) in enumerate(zip(times, times[1:], strict=False)):
        wait = INTERVAL * 2**number
        if number == 0 and fault.retry_after is not None:
            wait = max(wait, fault.retry_after)
        # asyncio may wake a sleeper up to its clock resolution early.
        assert later - earlier >= wait - 0.005


def feed_url(world: BotWorld, category: str = CATEGORY) -> str:
    """Return the URL of a category's feed on the fake arXiv."""
    return f"{world.arxiv.rss_base_url}/{category}"


@pytest.mark.parametrize("kind", list(FEED_FAULTS))
async def test_scheduled_fault_retried_later(
    slow_world: BotWorld, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    world, fault = slow_world, FEED_FAULTS[kind]
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        inject(world.arxiv, fault, "/rss/")
        started = dt.datetime.now(dt.UTC)
        caplog.clear()
        with short_timeout(bot):
            await trigger_job(bot, digest_id)
        finished = dt.datetime.now(dt.UTC)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))
        delivered = await bot.store.is_delivered(digest_id, FEED_DATE)

    requests = world.arxiv.requests_to("/rss/")
    failures = final_failures(caplog.records, feed_url(world))
    assert len(requests) == fault.attempts
    assert {request.path for request in requests} == {f"/rss/{CATEGORY}"}
    assert_spaced(requests, fault)
    assert len(failures) == 1
    assert f"id {digest_id}" in failures[-1]
    assert f"guild {world.guild_id}" in failures[-1]
    assert world.posted() == []
    assert not delivered
    assert retry is not None
    assert retry.kwargs == {"attempt": 1}
    delay = dt.timedelta(seconds=RETRY_DELAY_SECONDS)
    assert started + delay <= retry.next_run_time <= finished + delay


async def test_scheduled_retry_completes_delivery(slow_world: BotWorld) -> None:
    world = slow_world
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        inject(world.arxiv, RETRIED["503"], "/rss/")
        await trigger_job(bot, digest_id)
        posted_before_retry = world.posted()

        await trigger_job(bot, digest_id, retry=True)
        delivered = await bot.store.is_delivered(digest_id, FEED_DATE)
        retry_after_success = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))

    assert posted_before_retry == []
    assert delivered
    assert retry_after_success is None
    assert posted_paper_ids(world.posted()) == expected_ids_for((CATEGORY,))


async def test_scheduled_empty_feed_retried_later(slow_world: BotWorld) -> None:
    world = slow_world
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        # An empty feed on a weekday, as when arXiv's announcement is late.
        inject(world.arxiv, Fault("empty", 1), "/rss/")
        await trigger_job(bot, digest_id)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))
        assert retry is not None
        retry_kwargs = retry.kwargs
        today = expected_announcement_date(dt.datetime.now(dt.UTC))
        delivered_today = await bot.store.is_delivered(digest_id, today)
        posted_before_retry = world.posted()

        bot.announcements.forget()
        await trigger_job(bot, digest_id, retry=True)

    assert len(world.arxiv.requests_to("/rss/")) == 2
    assert posted_before_retry == []
    assert not delivered_today
    assert retry_kwargs == {"attempt": 1}
    assert posted_paper_ids(world.posted()) == expected_ids_for((CATEGORY,))


async def test_scheduled_empty_feed_logged_with_url(
    slow_world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = slow_world
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        inject(world.arxiv, Fault("empty", 1), "/rss/")
        caplog.clear()
        await trigger_job(bot, digest_id)

    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert feed_url(world) in warnings[0]


async def test_scheduled_same_date_feed_retried(slow_world: BotWorld) -> None:
    world = slow_world
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        await trigger_job(bot, digest_id)
        posted_first = len(world.posted())
        # The next day's run finds the feed still dated like the delivered announcement.
        bot.announcements.forget()
        await trigger_job(bot, digest_id)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))

    today = expected_announcement_date(dt.datetime.now(dt.UTC))
    assert FEED_DATE is not None
    assert today > FEED_DATE
    assert len(world.posted()) == posted_first
    assert retry is not None


async def test_malformed_feed_logged_once(
    slow_world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = slow_world
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        inject(world.arxiv, NOT_RETRIED["malformed"], "/rss/")
        caplog.clear()
        await trigger_job(bot, digest_id)

    assert len(final_failures(caplog.records, feed_url(world))) == 1


async def test_scheduled_older_feed_retried(slow_world: BotWorld) -> None:
    world = slow_world
    assert FEED_DATE is not None
    newer = FEED_DATE + dt.timedelta(days=1)
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        # The digest already delivered a newer announcement than the feed now lists.
        await bot.store.finish_delivery(digest_id, newer, 0)
        await trigger_job(bot, digest_id)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))
        delivered = await bot.store.is_delivered(digest_id, FEED_DATE)

    assert world.posted() == []
    assert not delivered
    assert retry is not None
    assert retry.kwargs == {"attempt": 1}


async def test_scheduled_retries_stop_at_cutoff(
    slow_world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = slow_world
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        inject(world.arxiv, RETRIED["503"], "/rss/")
        await bot.run_scheduled(digest_id, attempt=MAX_RETRIES - 1)
        last_retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))

        inject(world.arxiv, RETRIED["503"], "/rss/")
        caplog.clear()
        await trigger_job(bot, digest_id, retry=True)
        failures = final_failures(caplog.records, feed_url(world))
        retry_after_cutoff = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))
        delivered = await bot.store.is_delivered(digest_id, FEED_DATE)

    assert last_retry is not None
    assert last_retry.kwargs == {"attempt": MAX_RETRIES}
    assert retry_after_cutoff is None
    assert not delivered
    assert len(failures) == 1
    assert "gives up" in failures[0]


@pytest.mark.parametrize("kind", list(FEED_FAULTS))
async def test_preview_fault_answered_privately(
    slow_world: BotWorld, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    world, fault = slow_world, FEED_FAULTS[kind]
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        inject(world.arxiv, fault, "/rss/")
        caplog.clear()
        with short_timeout(bot):
            record = await world.invoke("digest preview", {"name": NAME})
        failures = final_failures(caplog.records, feed_url(world))

    requests = world.arxiv.requests_to("/rss/")
    assert record.reply is not None
    assert record.reply.ephemeral
    assert is_plain(record.reply.content)
    assert record.reply.embeds == []
    assert len(requests) == fault.attempts
    assert_spaced(requests, fault)
    assert len(failures) == 1
    assert f"guild {world.guild_id} for user {world.admin_id}" in failures[-1]
    assert "arXiv" in record.reply.content
    assert world.arxiv.base_url not in record.reply.content
    assert world.posted() == []


async def test_preview_empty_feed_posts_nothing(slow_world: BotWorld) -> None:
    world = slow_world
    async with start_bot(world):
        await create_digest(world, categories=CATEGORY)
        inject(world.arxiv, Fault("empty", 1), "/rss/")
        record = await world.invoke("digest preview", {"name": NAME})

    assert record.reply is not None
    assert record.reply.ephemeral
    assert "Nothing to post" in record.reply.content
    assert record.reply.embeds == []


async def test_preview_same_date_feed_posts_nothing(slow_world: BotWorld) -> None:
    world = slow_world
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        await trigger_job(bot, digest_id)
        posted_first = len(world.posted())
        bot.announcements.forget()
        record = await world.invoke("digest preview", {"name": NAME})

    assert record.reply is not None
    assert record.reply.ephemeral
    assert "Nothing to post" in record.reply.content
    assert len(world.posted()) == posted_first


SEARCH_FAULTS = {
    **FEED_FAULTS,
    # An empty page although the API's own total reports results is retried.
    "empty": Fault("empty", ATTEMPTS, total_results=214881),
}


@pytest.mark.parametrize("kind", list(SEARCH_FAULTS))
async def test_search_fault_answered_privately(
    slow_world: BotWorld, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    world, fault = slow_world, SEARCH_FAULTS[kind]
    async with start_bot(world) as bot:
        inject(world.arxiv, fault, "/api/")
        caplog.clear()
        with short_timeout(bot):
            record = await world.invoke("arxiv search", {"query": "testing"})
        failures = final_failures(caplog.records, world.arxiv.api_base_url)

    requests = world.arxiv.requests_to("/api/")
    assert record.reply is not None
    assert record.reply.ephemeral
    assert is_plain(record.reply.content)
    assert record.reply.embeds == []
    assert [message.ephemeral for message in record.messages] == [True]
    assert record.original_deleted
    assert [r.path for r in world.discord.requests if (r.status or 0) >= 500] == []
    assert len(requests) == fault.attempts
    assert_spaced(requests, fault)
    assert len(failures) == 1
    assert f"guild {world.guild_id} for user {world.admin_id}" in failures[0]
    assert "arXiv" in record.reply.content
    assert world.arxiv.base_url not in record.reply.content


async def test_search_empty_result_answered(slow_world: BotWorld) -> None:
    world = slow_world
    async with start_bot(world):
        world.arxiv.inject("empty", path="/api/", total_results=0)
        record = await world.invoke("arxiv search", {"query": "no such words"})

    assert record.reply is not None
    assert "No arXiv papers found for no such words" in record.reply.content
    assert len(world.arxiv.requests_to("/api/")) == 1
