"""End to end: Discord's rate limits, server errors and gateway resets during a delivery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from bot.core import DigestBot
from bot.scheduler import retry_job_id
from tests.bot_world import (
    CREATE_OPTIONS,
    BotWorld,
    add_admin,
    create_digest,
    digest_id_named,
    expected_ids_for,
    invoke_in,
    posted_paper_ids,
    start_bot,
    trigger_job,
)
from tests.discord_fake import RecordedRequest
from tests.log_checks import token_never_logged  # noqa: F401

NAME = str(CREATE_OPTIONS["name"])
# One category, so each delivery parses one copy of the saved feed.
CATEGORY = "cs.CV"
EXPECTED = expected_ids_for((CATEGORY,))


def message_route(channel_id: int) -> str:
    """Return the path of a channel's message route, relative to /api/v10."""
    return rf"/channels/{channel_id}/messages"


def posts(world: BotWorld, channel_id: int) -> list[RecordedRequest]:
    """Return the bot's message posts to a channel in order, whatever their status."""
    return world.discord.requests_to("POST", message_route(channel_id))


async def deliver_once(world: BotWorld, bot: DigestBot) -> int:
    """Create the default digest, run its job once, and return the digest's id."""
    await create_digest(world, categories=CATEGORY)
    digest_id = await digest_id_named(bot, world.guild_id, NAME)
    await trigger_job(bot, digest_id)
    return digest_id


async def test_channel_429_post_retried_once(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    async with start_bot(world) as bot:
        world.discord.rate_limit_next("POST", message_route(world.papers_channel))
        await deliver_once(world, bot)

    requests = posts(world, world.papers_channel)
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "discord.http" and record.levelno >= logging.WARNING
    ]
    delivered = [
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.delivery" and "posted" in record.getMessage()
    ]
    assert posted_paper_ids(world.posted()) == EXPECTED
    assert [request.status for request in requests[:2]] == [429, 200]
    assert len(requests) == len(world.posted()) + 1
    assert len(warnings) == 1
    assert f"/channels/{world.papers_channel}/messages" in warnings[0]
    assert "429" in warnings[0]
    assert len(delivered) == 1
    assert f"channel {world.papers_channel}" in delivered[0]


async def test_global_429_post_retried_once(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        world.discord.rate_limit_next("POST", message_route(world.papers_channel), is_global=True)
        await deliver_once(world, bot)

    requests = posts(world, world.papers_channel)
    assert posted_paper_ids(world.posted()) == EXPECTED
    assert [request.status for request in requests[:2]] == [429, 200]
    assert len(requests) == len(world.posted()) + 1


async def test_single_500_post_retried_once(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="discord.http")
    async with start_bot(world) as bot:
        world.discord.fail_next("POST", message_route(world.papers_channel), 500)
        await deliver_once(world, bot)

    requests = posts(world, world.papers_channel)
    route = f"/channels/{world.papers_channel}/messages"
    # discord.py retries a 500 by itself and reports it only at DEBUG level.
    reports = [r.getMessage() for r in caplog.records if route in r.getMessage()]
    assert posted_paper_ids(world.posted()) == EXPECTED
    assert [request.status for request in requests[:2]] == [500, 200]
    assert len(requests) == len(world.posted()) + 1
    assert any("has returned 500" in report for report in reports)


async def test_500_after_store_not_duplicated(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        # Discord stores the first message, but its response is lost as a 500.
        world.discord.fail_next(
            "POST", message_route(world.papers_channel), 500, after_handling=True
        )
        await deliver_once(world, bot)

    requests = posts(world, world.papers_channel)
    assert requests[0].json["nonce"] == requests[1].json["nonce"]
    assert requests[1].json["enforce_nonce"] is True
    assert posted_paper_ids(world.posted()) == EXPECTED
    assert len(requests) == len(world.posted()) + 1


async def test_503_post_retried_later(world: BotWorld) -> None:
    # discord.py does not retry a 503 on a message post, so the delivery schedules a retry.
    async with start_bot(world) as bot:
        world.discord.fail_next("POST", message_route(world.papers_channel), 503)
        digest_id = await deliver_once(world, bot)
        retry = bot.scheduler.scheduler.get_job(retry_job_id(digest_id))
        assert retry is not None
        retry_kwargs = retry.kwargs
        posted_before_retry = world.posted()
        await trigger_job(bot, digest_id, retry=True)

    assert posted_before_retry == []
    assert retry_kwargs == {"attempt": 1}
    assert posted_paper_ids(world.posted()) == EXPECTED


async def test_rate_limited_channel_not_delaying_others(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        other_admin = add_admin(world, world.other_guild_id)
        options = {**CREATE_OPTIONS, "categories": CATEGORY, "channel": world.other_channel}
        created = await invoke_in(
            world, world.other_guild_id, world.other_channel, other_admin, "digest create", options
        )
        await create_digest(world, categories=CATEGORY)
        ids = [
            await digest_id_named(bot, world.guild_id, NAME),
            await digest_id_named(bot, world.other_guild_id, NAME),
        ]
        world.discord.rate_limit_next("POST", message_route(world.papers_channel), retry_after=1.0)
        await asyncio.gather(*(trigger_job(bot, digest_id) for digest_id in ids))

    limited = posts(world, world.papers_channel)
    other = posts(world, world.other_channel)
    assert created.reply is not None
    assert "Created digest" in created.reply.content
    assert posted_paper_ids(world.posted()) == EXPECTED
    assert posted_paper_ids(world.posted(world.other_channel)) == EXPECTED
    assert limited[0].status == 429
    assert other[-1].time < limited[1].time


GatewayFault = Callable[[BotWorld], Awaitable[str]]


def session_id(world: BotWorld) -> str:
    """Return the id of the bot's current gateway session on the fake."""
    session = world.discord.gateway.session
    assert session is not None
    return session.session_id


async def reconnect(world: BotWorld) -> str:
    """Send RECONNECT and return the log line discord.py writes once it resumed."""
    await world.discord.send_reconnect()
    await world.discord.wait_until_resumed()
    return f"has successfully RESUMED session {session_id(world)}."


async def invalidate_resumable(world: BotWorld) -> str:
    """Send a resumable INVALID_SESSION and return the line logged once resumed."""
    await world.discord.send_invalid_session(resumable=True)
    await world.discord.wait_until_resumed()
    return f"has successfully RESUMED session {session_id(world)}."


async def invalidate_for_good(world: BotWorld) -> str:
    """Send a final INVALID_SESSION and return the line logged for the new session."""
    await world.discord.send_invalid_session(resumable=False)
    await world.discord.wait_until_identified(count=2)
    return f"has connected to Gateway (Session ID: {session_id(world)})."


@pytest.mark.parametrize(
    "gateway_fault",
    [reconnect, invalidate_resumable, invalidate_for_good],
    ids=["reconnect", "invalid-session-resumable", "invalid-session"],
)
async def test_gateway_reset_mid_delivery(
    world: BotWorld, gateway_fault: GatewayFault, caplog: pytest.LogCaptureFixture
) -> None:
    async with start_bot(world) as bot:
        await create_digest(world, categories=CATEGORY)
        digest_id = await digest_id_named(bot, world.guild_id, NAME)
        # The first post waits out a rate limit, so the gateway resets during the delivery.
        world.discord.rate_limit_next("POST", message_route(world.papers_channel), retry_after=0.3)
        job = asyncio.create_task(trigger_job(bot, digest_id))
        await world.discord.changed.wait_until(
            lambda: bool(posts(world, world.papers_channel)), 5, "the first post"
        )
        expected_line = await gateway_fault(world)
        await world.discord.settle()
        reset_during_delivery = not job.done()
        await job
        await trigger_job(bot, digest_id)
        status = await world.invoke("digest status", {})

    gateway_lines = [r.getMessage() for r in caplog.records if r.name == "discord.gateway"]
    assert reset_during_delivery
    assert posted_paper_ids(world.posted()) == EXPECTED
    assert status.reply is not None
    assert status.reply.ephemeral
    assert len([line for line in gateway_lines if expected_line in line]) == 1
