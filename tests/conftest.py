"""Fixtures shared by the test modules: the fake Discord server and the fake arXiv server."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivFake
from tests.bot_world import CATEGORIES, FEED, SEARCH_PAGE, BotWorld, build_world
from tests.discord_fake import FakeDiscord
from tests.discord_fake.plugin import fake_discord  # noqa: F401 (re-exported fixture)


@pytest.fixture
async def arxiv_fake() -> AsyncIterator[ArxivFake]:
    """Yield a started fake arXiv server on 127.0.0.1."""
    async with ArxivFake() as fake:
        yield fake


@pytest.fixture
def world(
    fake_discord: FakeDiscord,  # noqa: F811 (pytest passes the fixture imported above)
    arxiv_fake: ArxivFake,
    tmp_path: Path,
) -> BotWorld:
    """Both fakes, with the 2025-11-09 cs announcement served for every category."""
    for category in CATEGORIES:
        arxiv_fake.set_feed(category, FEED)
    arxiv_fake.set_api_response(SEARCH_PAGE)
    return build_world(fake_discord, arxiv_fake, tmp_path / "bot.db")
