"""End to end: a server's commands see and change only that server's digests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.core import DigestBot
from tests.bot_world import (
    CREATE_OPTIONS,
    BotWorld,
    add_admin,
    create_digest,
    invoke_in,
    start_bot,
)
from tests.discord_fake import InteractionRecord
from tests.log_checks import token_never_logged  # noqa: F401

NAME_COMMANDS = ("digest remove", "digest preview", "digest post", "digest pause", "digest resume")


@dataclass
class TwoServers:
    """The running bot, with "Ours" and "Shared" in the main guild, "Theirs" and "Shared"
    in the other guild."""

    world: BotWorld
    bot: DigestBot
    other_admin: int


@pytest.fixture
async def two_servers(world: BotWorld) -> AsyncIterator[TwoServers]:
    """Start the bot and create the digests of both guilds through slash commands."""
    async with start_bot(world) as bot:
        other_admin = add_admin(world, world.other_guild_id)
        # One category each, so that a post parses one copy of the saved feed.
        for name in ("Ours", "Shared"):
            await create_digest(world, name=name, categories="cs.CV")
        for name in ("Theirs", "Shared"):
            options = {
                **CREATE_OPTIONS,
                "name": name,
                "categories": "cs.CV",
                "channel": world.other_channel,
            }
            record = await invoke_in(
                world,
                world.other_guild_id,
                world.other_channel,
                other_admin,
                "digest create",
                options,
            )
            assert record.reply is not None
            assert "Created digest" in record.reply.content
        yield TwoServers(world, bot, other_admin)


async def digest_names(bot: DigestBot, guild_id: int) -> list[str]:
    """Return the sorted names of a guild's stored digests."""
    return sorted(digest.name for digest in await bot.store.list_digests(guild_id))


async def test_other_server_name_not_found(two_servers: TwoServers) -> None:
    world, bot = two_servers.world, two_servers.bot
    for command in NAME_COMMANDS:
        before = await bot.store.dump()
        record = await world.invoke(command, {"name": "Theirs"})
        after = await bot.store.dump()

        assert record.reply is not None
        assert record.reply.ephemeral
        assert "No digest named 'Theirs'" in record.reply.content
        assert after == before
    assert world.posted(world.other_channel) == []


async def test_pause_touches_own_server_only(two_servers: TwoServers) -> None:
    world, bot = two_servers.world, two_servers.bot
    record = await world.invoke("digest pause", {"name": "Shared"})
    ours = await bot.store.get_digest(world.guild_id, "Shared")
    theirs = await bot.store.get_digest(world.other_guild_id, "Shared")

    assert record.reply is not None
    assert "Paused" in record.reply.content
    assert ours is not None
    assert ours.paused
    assert theirs is not None
    assert not theirs.paused
    assert theirs.id is not None
    assert bot.scheduler.next_run_time(theirs.id) is not None


async def test_remove_touches_own_server_only(two_servers: TwoServers) -> None:
    world, bot = two_servers.world, two_servers.bot
    await world.invoke("digest remove", {"name": "Shared"})

    assert await digest_names(bot, world.guild_id) == ["Ours"]
    assert await digest_names(bot, world.other_guild_id) == ["Shared", "Theirs"]


async def test_post_touches_own_server_only(two_servers: TwoServers) -> None:
    world = two_servers.world
    record = await world.invoke("digest post", {"name": "Shared"})

    assert record.reply is not None
    assert "Posted" in record.reply.content
    assert world.posted()
    assert world.posted(world.other_channel) == []


async def test_overview_shows_own_server_only(two_servers: TwoServers) -> None:
    world = two_servers.world
    for command in ("digest list", "digest status"):
        ours = await world.invoke(command, {})
        theirs = await invoke_in(
            world, world.other_guild_id, world.other_channel, two_servers.other_admin, command, {}
        )

        assert embed_titles(ours) == ["Ours", "Shared"]
        assert embed_titles(theirs) == ["Shared", "Theirs"]


def embed_titles(record: InteractionRecord) -> list[str]:
    """Return the sorted embed titles of every message of an interaction."""
    return sorted(embed["title"] for message in record.messages for embed in message.embeds)


async def test_autocomplete_suggests_own_server_only(two_servers: TwoServers) -> None:
    world = two_servers.world
    for command in NAME_COMMANDS:
        suggestions = {}
        for typed in ("", "s", "Theirs"):
            choices = await world.discord.autocomplete(
                world.guild_id,
                world.papers_channel,
                world.admin_id,
                command,
                {"name": typed},
                "name",
            )
            suggestions[typed] = sorted(choice["value"] for choice in choices)

        assert suggestions[""] == ["Ours", "Shared"]
        assert suggestions["s"] == ["Ours", "Shared"]
        assert suggestions["Theirs"] == []
