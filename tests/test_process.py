"""The real `arxiv-digest run` process against the fake Discord and arXiv servers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.arxiv_server import ArxivFake
from tests.bot_world import MANAGE_GUILD
from tests.discord_fake import FakeDiscord
from tests.paths import ARXIV_FIXTURES, REPO

FEED = ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml"


def process_environment(
    fake: FakeDiscord, arxiv: ArxivFake, folder: Path, guild_id: int, log_level: str
) -> dict[str, str]:
    """Return the environment of an `arxiv-digest run` process that uses both fakes."""
    return {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'bot.db'}",
        "ARXIV_RSS_URL": arxiv.rss_base_url,
        "ARXIV_API_URL": arxiv.api_base_url,
        "ARXIV_REQUEST_INTERVAL": "0",
        "DEV_GUILD_ID": str(guild_id),
        "LOG_LEVEL": log_level,
        "LOOPBACK_DISCORD_API": fake.base_url,
        "LOOPBACK_DISCORD_GATEWAY": fake.gateway_url,
        "PYTHONPATH": str(REPO),
    }


async def wait_for_commands(fake: FakeDiscord, timeout: float = 20.0) -> None:
    """Wait until the bot process has synced its slash commands."""
    async with asyncio.timeout(timeout):
        while not fake.registered_commands:
            await asyncio.sleep(0.05)


async def test_run_process_creates_and_posts(
    fake_discord: FakeDiscord, arxiv_fake: ArxivFake, tmp_path: Path
) -> None:
    arxiv_fake.set_feed("cs.RO", FEED)
    guild = fake_discord.add_guild("Robotics lab")
    channel = guild.add_text_channel("papers")
    admin = guild.add_member(name="admin", permissions=MANAGE_GUILD)
    environment = process_environment(fake_discord, arxiv_fake, tmp_path, guild.id, "INFO")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.loopback_launcher",
        "run",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await wait_for_commands(fake_discord)
        await fake_discord.wait_until_identified(timeout=20)
        await fake_discord.settle()
        options = {
            "name": "Robots",
            "channel": channel,
            "categories": "cs.RO",
            "keywords": "robot",
        }
        created = await fake_discord.invoke(guild.id, channel, admin, "digest create", options)
        await created.wait_for_reply(timeout=10)
        posted = await fake_discord.invoke(
            guild.id, channel, admin, "digest post", {"name": "Robots"}
        )
        await posted.wait_for_reply(timeout=20)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    log = output.decode()

    assert process.returncode == 0
    assert created.reply is not None
    assert "Created digest" in created.reply.content
    assert fake_discord.messages(channel)
    assert "Loaded extension cogs.digest" in log
    assert "posted" in log
    assert fake_discord.token not in log
