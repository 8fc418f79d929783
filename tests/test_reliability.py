"""End to end: crash-safe delivery, pause notices, last errors and role pings."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from bot.core import DigestBot
from bot.scheduler import retry_job_id
from tests.bot_world import (
    FEED,
    BotWorld,
    create_digest,
    expected_ids,
    posted_paper_ids,
    start_bot,
    store_dump,
    trigger_job,
)
from tests.discord_fake import payloads
from tests.discord_fake.permissions import MENTION_EVERYONE, READ_MESSAGE_HISTORY, ROLE_OVERWRITE
from tests.test_digest_lifecycle import only_digest_id

MISSING_PERMISSIONS = {"message": "Missing Permissions", "code": 50013}
UNKNOWN_CHANNEL = {"message": "Unknown Channel", "code": 10003}


class SimulatedCrashError(Exception):
    """Raised in place of recording posted papers, as if the bot died after a send."""


def fail_recording(bot: DigestBot, call_number: int) -> Callable[[], None]:
    """Make the `call_number`-th `record_posted` call fail; return a function that undoes it."""
    store = bot.store
    original = store.record_posted
    calls = 0

    async def failing(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == call_number:
            raise SimulatedCrashError("the bot died between sending and recording")
        return await original(*args, **kwargs)

    # mypy's method-assign rule flags this, but shadowing the method on one instance is
    # the point: deleting the attribute restores the class's method.
    store.record_posted = failing  # type: ignore[method-assign]
    return lambda: delattr(store, "record_posted")


def channel_posts(world: BotWorld) -> list[Any]:
    """Return the recorded POST requests to the papers channel."""
    return world.discord.requests_to("POST", rf"/channels/{world.papers_channel}/messages")


def deny_history(world: BotWorld) -> None:
    """Deny the bot Read Message History in the papers channel, before the bot starts."""
    guild = world.discord.guild(world.guild_id)
    overwrite = payloads.overwrite_payload(
        guild.bot_role_id, ROLE_OVERWRITE, 0, READ_MESSAGE_HISTORY
    )
    guild.channels[world.papers_channel].overwrites.append(overwrite)


def add_system_channel(world: BotWorld, *, bot_can_post: bool = True) -> int:
    """Give the main guild a system channel, before the bot starts, and return its id."""
    guild = world.discord.guild(world.guild_id)
    guild.system_channel_id = guild.add_text_channel("general", bot_can_post=bot_can_post)
    return guild.system_channel_id


def fail_posts(world: BotWorld, status: int, body: dict[str, Any], times: int = 1) -> None:
    """Make the fake reject the next posts to the papers channel with a Discord error."""
    path = rf"/channels/{world.papers_channel}/messages"
    world.discord.fail_next("POST", path, status, body, times=times)


async def test_crash_after_send_not_reposted(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    # Without the nonce window, only reading the channel history can prevent a repost.
    world.discord.nonce_window = 0
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        restore = fail_recording(bot, call_number=2)
        await trigger_job(bot, digest_id)
        restore()
        crashed = world.posted()
        caplog.set_level("WARNING", logger="bot.reconcile")
        await trigger_job(bot, digest_id)
        stored = await bot.store.get_digest_by_id(digest_id)

    unrecorded = posted_paper_ids(crashed[1:])
    reconciled_lines = [r for r in caplog.records if "not recorded as posted" in r.message]
    assert len(crashed) == 2
    assert posted_paper_ids(world.posted()) == expected_ids()
    assert len(reconciled_lines) == 1
    assert crashed[1]["id"] in reconciled_lines[0].message
    assert " ".join(unrecorded) in reconciled_lines[0].message
    assert stored is not None
    assert stored.last_announcement is not None


async def test_reconciled_papers_keep_message_id(world: BotWorld) -> None:
    world.discord.nonce_window = 0
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        restore = fail_recording(bot, call_number=2)
        await trigger_job(bot, digest_id)
        restore()
        second = world.posted()[1]
        await trigger_job(bot, digest_id)
        rows = (await store_dump(world))["posted_papers"]
        deliveries = (await store_dump(world))["deliveries"]

    by_paper = {row["paper_id"]: row for row in rows}
    for paper_id in posted_paper_ids([second]):
        assert by_paper[paper_id]["message_id"] == int(second["id"])
        assert by_paper[paper_id]["digest_id"] == digest_id
    assert len(rows) == len(expected_ids())
    assert [row["posted_count"] for row in deliveries] == [len(expected_ids())]


async def test_resend_reuses_nonce(world: BotWorld, caplog: pytest.LogCaptureFixture) -> None:
    # Without Read Message History the bot cannot reconcile, so the repeated batch must
    # carry the same nonce for Discord to return the earlier message.
    deny_history(world)
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        restore = fail_recording(bot, call_number=2)
        await trigger_job(bot, digest_id)
        restore()
        crashed_nonces = [request.json["nonce"] for request in channel_posts(world)]
        caplog.set_level("WARNING", logger="bot.reconcile")
        await trigger_job(bot, digest_id)

    resent_nonces = [request.json["nonce"] for request in channel_posts(world)]
    assert len(crashed_nonces) == 2
    assert resent_nonces[2] == crashed_nonces[1]
    assert posted_paper_ids(world.posted()) == expected_ids()
    assert "Read Message History" in caplog.text


async def test_reconcile_reads_only_when_posting(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        await trigger_job(bot, digest_id)
        reads_after_first = world.discord.requests_to(
            "GET", rf"/channels/{world.papers_channel}/messages"
        )
        await trigger_job(bot, digest_id)
        reads_after_second = world.discord.requests_to(
            "GET", rf"/channels/{world.papers_channel}/messages"
        )

    assert len(reads_after_first) == 1
    assert len(reads_after_second) == 1


async def test_pause_tells_system_channel_once(world: BotWorld) -> None:
    system = add_system_channel(world)
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        fail_posts(world, 403, MISSING_PERMISSIONS)
        await trigger_job(bot, digest_id)
        await trigger_job(bot, digest_id)
        await world.invoke("digest post", {"name": "Vision-language"})

    notices = world.discord.messages(system)
    assert len(notices) == 1
    assert "Vision-language" in notices[0]["content"]
    assert "Missing Permissions" in notices[0]["content"]
    assert "/digest resume" in notices[0]["content"]
    assert notices[0]["mention_everyone"] is False
    assert world.discord.direct_messages(world.admin_id) == []


async def test_pause_notice_again_after_resume(world: BotWorld) -> None:
    system = add_system_channel(world)
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        fail_posts(world, 403, MISSING_PERMISSIONS)
        await trigger_job(bot, digest_id)
        await world.invoke("digest resume", {"name": "Vision-language"})
        fail_posts(world, 404, UNKNOWN_CHANNEL)
        await trigger_job(bot, digest_id)

    notices = world.discord.messages(system)
    assert len(notices) == 2
    assert "Unknown Channel" in notices[1]["content"]


async def test_pause_without_system_channel_sends_dm(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        fail_posts(world, 404, UNKNOWN_CHANNEL)
        await trigger_job(bot, digest_id)
        await trigger_job(bot, digest_id)

    direct = world.discord.direct_messages(world.admin_id)
    assert len(direct) == 1
    assert "Unknown Channel" in direct[0]["content"]
    assert "Reading group" in direct[0]["content"]


async def test_pause_system_channel_locked_sends_dm(world: BotWorld) -> None:
    system = add_system_channel(world, bot_can_post=False)
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        fail_posts(world, 403, MISSING_PERMISSIONS)
        await trigger_job(bot, digest_id)

    assert world.discord.messages(system) == []
    assert len(world.discord.direct_messages(world.admin_id)) == 1


async def test_pause_nobody_reachable_only_logs(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world.discord.closed_dms.add(world.admin_id)
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        fail_posts(world, 403, MISSING_PERMISSIONS)
        caplog.set_level("WARNING", logger="bot.delivery")
        await trigger_job(bot, digest_id)
        stored = await bot.store.get_digest_by_id(digest_id)

    assert stored is not None
    assert stored.paused
    assert world.discord.direct_messages(world.admin_id) == []
    assert "pause notice was not sent" in caplog.text


async def test_concurrent_failures_tell_once(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        digest = await bot.store.get_digest_by_id(digest_id)
        assert digest is not None
        fail_posts(world, 403, MISSING_PERMISSIONS, times=2)
        copies = [dataclasses.replace(digest) for _ in range(2)]
        results = await asyncio.gather(*(bot.deliverer.deliver(copy) for copy in copies))

    assert [result.posted for result in results] == [0, 0]
    assert len(world.discord.direct_messages(world.admin_id)) == 1


async def test_status_shows_last_error(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        fail_posts(world, 403, MISSING_PERMISSIONS)
        await trigger_job(bot, digest_id)
        failed = await world.invoke("digest status", {})
        await world.invoke("digest resume", {"name": "Vision-language"})
        await trigger_job(bot, digest_id)
        recovered = await world.invoke("digest status", {})
        stored = await bot.store.get_digest_by_id(digest_id)

    assert failed.reply is not None
    fields = {field["name"]: field["value"] for field in failed.reply.embeds[0]["fields"]}
    assert "Missing Permissions" in fields["Last error"]
    assert "<t:" in fields["Last error"]
    assert recovered.reply is not None
    names = [field["name"] for field in recovered.reply.embeds[0]["fields"]]
    assert "Last error" not in names
    assert stored is not None
    assert stored.last_error is None
    assert stored.last_error_at is None


async def test_arxiv_failure_stored_as_error(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        for _ in range(5):
            world.arxiv.inject("503", path="/rss/")
        await trigger_job(bot, digest_id)
        stored = await bot.store.get_digest_by_id(digest_id)
        status = await world.invoke("digest status", {})

    assert stored is not None
    assert not stored.paused
    assert stored.last_error is not None
    assert "arXiv failed" in stored.last_error
    assert stored.last_error_at is not None
    assert status.reply is not None
    fields = {field["name"]: field["value"] for field in status.reply.embeds[0]["fields"]}
    assert "arXiv failed" in fields["Last error"]


async def test_discord_outage_retried_later(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        fail_posts(world, 503, {"message": "Service Unavailable", "code": 0})
        await trigger_job(bot, digest_id)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))
        stored = await bot.store.get_digest_by_id(digest_id)

    assert retry is not None
    assert stored is not None
    assert not stored.paused
    assert stored.last_error is not None
    assert "Discord failed" in stored.last_error


def feed_with_title_text(paper_id: str, text: str) -> bytes:
    """Return the saved feed with `text` (XML-escaped here) appended to one paper's title."""
    data = FEED.read_text(encoding="utf-8")
    link = data.index(f"arxiv.org/abs/{paper_id}")
    start = data.rindex("<title>", 0, link)
    end = data.index("</title>", start)
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (data[:end] + " " + escaped + data[end:]).encode()


async def test_role_ping_allows_only_role(world: BotWorld) -> None:
    guild = world.discord.guild(world.guild_id)
    role = guild.add_role("readers")
    other = guild.add_role("others")
    hostile = f"@everyone @here <@&{other}> <@{world.member_id}>"
    feed = feed_with_title_text(expected_ids()[0], hostile)
    for category in ("cs.CV", "cs.CL"):
        world.arxiv.set_feed(category, feed)
    async with start_bot(world) as bot:
        await create_digest(world, role=role, name=f"VLM @everyone <@&{other}>")
        digest_id = await only_digest_id(world, bot)
        await trigger_job(bot, digest_id)

    requests = channel_posts(world)
    messages = world.posted()
    assert len(requests) > 1
    for request in requests:
        mentions = request.json["allowed_mentions"]
        assert mentions["parse"] == []
        assert [int(role_id) for role_id in mentions["roles"]] == [role]
        assert "users" not in mentions
    assert messages[0]["content"].startswith(f"<@&{role}> ")
    assert messages[0]["mention_roles"] == [str(role)]
    assert any(str(other) in embed["title"] for embed in messages[0]["embeds"])
    for message in messages:
        assert message["mention_everyone"] is False
        assert message["mentions"] == []
    for message in messages[1:]:
        assert message["mention_roles"] == []


async def test_no_role_pings_nobody(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest_id = await only_digest_id(world, bot)
        await trigger_job(bot, digest_id)

    for request in channel_posts(world):
        assert request.json["allowed_mentions"]["parse"] == []
        assert "roles" not in request.json["allowed_mentions"]
    assert world.posted()[0]["content"].startswith("**")


async def test_role_stored_and_listed(world: BotWorld) -> None:
    role = world.discord.guild(world.guild_id).add_role("readers")
    async with start_bot(world) as bot:
        reply = await create_digest(world, role=role)
        digest_id = await only_digest_id(world, bot)
        stored = await bot.store.get_digest_by_id(digest_id)
        listed = await world.invoke("digest list", {})

    assert "Created digest" in reply
    assert stored is not None
    assert stored.role_id == role
    assert listed.reply is not None
    assert f"<@&{role}>" in listed.reply.embeds[0]["description"]


async def test_everyone_role_rejected(world: BotWorld) -> None:
    async with start_bot(world):
        before = await store_dump(world)
        reply = await create_digest(world, role=world.guild_id)
        after = await store_dump(world)

    assert "@everyone" in reply
    assert after == before


async def test_unmentionable_role_rejected(world: BotWorld) -> None:
    guild = world.discord.guild(world.guild_id)
    role = guild.add_role("quiet")
    guild.roles[guild.bot_role_id].permissions &= ~MENTION_EVERYONE
    async with start_bot(world):
        before = await store_dump(world)
        reply = await create_digest(world, role=role)
        after = await store_dump(world)

    assert "quiet" in reply
    assert "mentionable" in reply
    assert after == before
