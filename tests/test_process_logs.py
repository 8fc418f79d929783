"""The log of a real `arxiv-digest run` process at DEBUG level through faults of both fakes."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from tests.arxiv_server import ArxivFake
from tests.bot_world import MANAGE_GUILD
from tests.discord_fake import FakeDiscord
from tests.log_checks import token_never_logged  # noqa: F401
from tests.paths import ARXIV_FIXTURES
from tests.test_process import process_environment, wait_for_commands

FEED = ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml"


async def test_run_process_log_hides_token(
    fake_discord: FakeDiscord, arxiv_fake: ArxivFake, tmp_path: Path
) -> None:
    arxiv_fake.set_feed("cs.RO", FEED)
    guild = fake_discord.add_guild("Robotics lab")
    channel = guild.add_text_channel("papers")
    admin = guild.add_member(name="admin", permissions=MANAGE_GUILD)
    environment = process_environment(fake_discord, arxiv_fake, tmp_path, guild.id, "DEBUG")
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
    assert process.stdout is not None
    # The log is read while the bot runs, because a full pipe would block its logging.
    reader = asyncio.create_task(process.stdout.read())
    try:
        await wait_for_commands(fake_discord)
        await fake_discord.wait_until_identified(timeout=20)
        await fake_discord.settle()
        options = {"name": "Robots", "channel": channel, "categories": "cs.RO", "keywords": "robot"}
        created = await fake_discord.invoke(guild.id, channel, admin, "digest create", options)
        await created.wait_for_reply(timeout=10)

        # arXiv fails every attempt of a preview; Discord rate-limits the first post.
        for _ in range(5):
            arxiv_fake.inject("503", path="/rss/")
        preview = await fake_discord.invoke(
            guild.id, channel, admin, "digest preview", {"name": "Robots"}
        )
        await preview.wait_for_reply(timeout=20)
        fake_discord.rate_limit_next("POST", rf"/channels/{channel}/messages")
        posted = await fake_discord.invoke(
            guild.id, channel, admin, "digest post", {"name": "Robots"}
        )
        await posted.wait_for_reply(timeout=20)
        await fake_discord.send_reconnect()
        await fake_discord.wait_until_resumed(timeout=20)
        await fake_discord.settle(timeout=20)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=20)
        output = await reader
    log = output.decode()

    assert process.returncode == 0
    assert fake_discord.messages(channel)
    assert "DEBUG" in log
    assert f"Command /digest preview failed in guild {guild.id} for user {admin}" in log
    assert f"/channels/{channel}/messages responded with 429" in log
    assert "RESUMED session" in log
    assert fake_discord.token not in log
