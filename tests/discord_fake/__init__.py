"""A Discord server on loopback (REST API v10 and gateway) for end-to-end tests of the bot.

Typical use, with the ``fake_discord`` fixture (discord.py already points at the fake)::

    guild = fake_discord.add_guild("Physics")
    channel_id = guild.add_text_channel("papers")
    admin_id = guild.add_member(name="admin", permissions=0x20)  # Manage Server
    async with running_bot(make_bot(guild_ready_timeout=0), fake_discord):
        record = await fake_discord.invoke(guild.id, channel_id, admin_id, "digest list")
        reply = await record.wait_for_reply()
        assert reply.ephemeral

Set up guilds before the bot starts: READY carries them whole, so they are cached at
``on_ready``. Later changes reach the bot as gateway events; ``await fake.settle()`` returns
once it has parsed them.
"""

from tests.discord_fake.harness import running_bot
from tests.discord_fake.interactions import InteractionRecord, ReplyMessage
from tests.discord_fake.model import FakeChannel, FakeGuild
from tests.discord_fake.recording import FakeDiscordError, RecordedFile, RecordedRequest
from tests.discord_fake.server import FakeDiscord

__all__ = [
    "FakeChannel",
    "FakeDiscord",
    "FakeDiscordError",
    "FakeGuild",
    "InteractionRecord",
    "RecordedFile",
    "RecordedRequest",
    "ReplyMessage",
    "running_bot",
]
