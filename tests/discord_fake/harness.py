"""Running a real discord.py client in-process against the fake Discord server."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord

from tests.discord_fake.recording import FakeDiscordError
from tests.discord_fake.server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)

# Interval of the readiness check at start-up, so a ready bot is seen within this delay.
_POLL_SECONDS = 0.005


@contextlib.asynccontextmanager
async def running_bot(
    bot: ClientT, fake: FakeDiscord, *, token: str | None = None, timeout: float = 5.0
) -> AsyncIterator[ClientT]:
    """Start ``bot`` against ``fake``, wait until it is ready, and close it on exit.

    discord.py must already point at the fake (``fake.redirect_discordpy()`` or the
    ``fake_discord`` fixture). Build the bot with a low ``guild_ready_timeout``, because
    discord.py waits that long (2 s by default) after the last guild before it is ready.
    If ``bot.start()`` fails first (a bad token, a payload it cannot parse), its exception
    is raised here.
    """
    task = asyncio.create_task(bot.start(token or fake.token), name="fake-discord-bot")
    try:
        await _wait_ready(bot, task, timeout)
        yield bot
    finally:
        await bot.close()
        if task.done():
            # Mark a failure as retrieved: it was raised already, or the body raised first.
            _ = task.cancelled() or task.exception()
        else:
            await asyncio.wait_for(task, timeout)


async def _wait_ready(bot: discord.Client, task: "asyncio.Task[None]", timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not bot.is_ready():
                if task.done():
                    task.result()
                    raise FakeDiscordError("bot.start() returned before the bot was ready")
                await asyncio.sleep(_POLL_SECONDS)
    except TimeoutError:
        raise FakeDiscordError(f"the bot was not ready after {timeout} s") from None
