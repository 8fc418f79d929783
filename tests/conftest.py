"""Fixtures shared by the test modules: the fake Discord server and the fake arXiv server."""

from collections.abc import AsyncIterator

import pytest

from tests.arxiv_server import ArxivFake
from tests.discord_fake.plugin import fake_discord  # noqa: F401 (re-exported fixture)


@pytest.fixture
async def arxiv_fake() -> AsyncIterator[ArxivFake]:
    """Yield a started fake arXiv server on 127.0.0.1."""
    async with ArxivFake() as fake:
        yield fake
