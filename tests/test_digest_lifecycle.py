"""End to end: retries, caps, cut-off feeds, pausing and status of digests."""

from __future__ import annotations

import re

from bot.arxiv import load_feed_file
from bot.scheduler import retry_job_id
from tests.bot_world import (
    CATEGORIES,
    FEED,
    BotWorld,
    create_digest,
    expected_ids,
    posted_paper_ids,
    start_bot,
    trigger_job,
)

WEEKEND = "rss-cs.AI-2024-03-30-empty-weekend-constructed.xml"


def cut_feed(fraction: float) -> bytes:
    """Return the saved feed cut off after `fraction` of its bytes, like a broken download."""
    data = FEED.read_bytes()
    return data[: int(len(data) * fraction)]


async def only_digest_id(world: BotWorld, bot) -> int:  # noqa: ANN001 (DigestBot)
    """Return the id of the one digest of the main guild."""
    digests = await bot.store.list_digests(world.guild_id)
    assert len(digests) == 1
    assert digests[0].id is not None
    return digests[0].id


async def test_cut_feed_completed_later(world: BotWorld) -> None:
    for category in CATEGORIES:
        world.arxiv.set_feed(category, cut_feed(0.4))
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        await trigger_job(bot, digest_id)
        first = posted_paper_ids(world.posted())

        for category in CATEGORIES:
            world.arxiv.set_feed(category, FEED)
        bot.announcements.forget()
        await trigger_job(bot, digest_id)

    expected = expected_ids()
    assert 0 < len(first) < len(expected)
    assert posted_paper_ids(world.posted()) == first + [i for i in expected if i not in first]


async def test_cap_limits_and_names_total(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world, max_papers=3)
        digest_id = await only_digest_id(world, bot)
        await trigger_job(bot, digest_id)
        bot.announcements.forget()
        await trigger_job(bot, digest_id)

    messages = world.posted()
    total = len(expected_ids())
    assert len(messages) == 1
    assert posted_paper_ids(messages) == expected_ids()[:3]
    assert f"3 of {total} matching papers" in messages[0]["content"]


async def test_arxiv_outage_retried_later(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        for _ in range(5):
            world.arxiv.inject("503", path="/rss/")
        await trigger_job(bot, digest_id)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))
        nothing_yet = world.posted() == []

        await trigger_job(bot, digest_id, retry=True)

    assert nothing_yet
    assert retry is not None
    assert posted_paper_ids(world.posted()) == expected_ids()


async def test_empty_weekday_feed_retried(world: BotWorld) -> None:
    from tests.paths import ARXIV_FIXTURES

    for category in CATEGORIES:
        world.arxiv.set_feed(category, ARXIV_FIXTURES / WEEKEND)
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        await trigger_job(bot, digest_id)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))

    assert world.posted() == []
    assert retry is not None


async def test_pause_then_resume(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        paused = await world.invoke("digest pause", {"name": "Vision-language"})
        job_while_paused = bot.scheduler.scheduler.get_job(f"digest-{digest_id}")
        post_while_paused = await world.invoke("digest post", {"name": "Vision-language"})
        resumed = await world.invoke("digest resume", {"name": "Vision-language"})
        await trigger_job(bot, digest_id)

    assert paused.reply is not None
    assert "Paused" in paused.reply.content
    assert job_while_paused is None
    assert post_while_paused.reply is not None
    assert "paused" in post_while_paused.reply.content
    assert resumed.reply is not None
    assert "Resumed" in resumed.reply.content
    assert posted_paper_ids(world.posted()) == expected_ids()


async def test_lost_permission_pauses_until_fixed(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        world.discord.fail_next(
            "POST",
            rf"/channels/{world.papers_channel}/messages",
            403,
            {"message": "Missing Permissions", "code": 50013},
        )
        await trigger_job(bot, digest_id)
        stored = await bot.store.get_digest_by_id(digest_id)
        status = await world.invoke("digest status", {})
        resumed = await world.invoke("digest resume", {"name": "Vision-language"})
        await trigger_job(bot, digest_id)

    assert stored is not None
    assert stored.paused
    assert "Missing Permissions" in (stored.pause_reason or "")
    assert status.reply is not None
    assert "Paused" in status.reply.embeds[0]["fields"][0]["value"]
    assert resumed.reply is not None
    assert "Resumed" in resumed.reply.content
    assert posted_paper_ids(world.posted()) == expected_ids()


async def test_resume_rejected_without_permission(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        await bot.store.set_paused(digest_id, True, "test")
        bot.scheduler.unschedule(digest_id)
        world.discord.guild(world.guild_id).deny_bot(world.papers_channel, send_messages=True)
        await world.discord.settle()
        resumed = await world.invoke("digest resume", {"name": "Vision-language"})
        stored = await bot.store.get_digest_by_id(digest_id)

    assert resumed.reply is not None
    assert "Send Messages" in resumed.reply.content
    assert stored is not None
    assert stored.paused


async def test_status_shows_last_delivery(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        await trigger_job(bot, digest_id)
        record = await world.invoke("digest status", {})

    assert record.reply is not None
    fields = {field["name"]: field["value"] for field in record.reply.embeds[0]["fields"]}
    date = load_feed_file(FEED).date
    assert fields["State"] == "Active"
    assert f"{date:%d %b %Y}" in fields["Last delivery"]
    assert f"{len(expected_ids())} papers" in fields["Last delivery"]
    assert re.search(r"Europe/Berlin", fields["Next post"])


async def test_list_many_long_digests(world: BotWorld) -> None:
    long_keywords = ", ".join(f"keyword number {index} about vision" for index in range(8))
    async with start_bot(world):
        for index in range(14):
            await create_digest(world, name=f"Digest {index}", keywords=long_keywords)
        record = await world.invoke("digest list", {})

    names = [embed["title"] for message in record.messages for embed in message.embeds]
    assert names == sorted(f"Digest {index}" for index in range(14))
    for message in record.messages:
        assert message.ephemeral
        assert len(message.embeds) <= 10


async def test_search_error_is_private(world: BotWorld) -> None:
    async with start_bot(world):
        for _ in range(5):
            world.arxiv.inject("503", path="/api/")
        record = await world.invoke("arxiv search", {"query": "testing"})

    assert record.reply is not None
    assert record.reply.ephemeral
    assert "503" in record.reply.content


async def test_keywords_with_quoted_comma(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world, keywords='"vision, language", VLM')
        digests = await bot.store.list_digests(world.guild_id)

    assert digests[0].keywords == ('"vision, language"', "VLM")
