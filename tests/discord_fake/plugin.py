"""pytest fixtures of the fake Discord server, imported by ``tests/conftest.py``."""

from collections.abc import AsyncIterator

import pytest

from tests.discord_fake.server import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """Yield a started fake Discord server with discord.py pointed at it for this test."""
    fake = FakeDiscord()
    await fake.start()
    try:
        with fake.redirect_discordpy():
            yield fake
    finally:
        await fake.close()
