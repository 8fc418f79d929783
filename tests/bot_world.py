"""A running DigestBot wired to the fake Discord and fake arXiv servers, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.arxiv import load_feed_file, parse_id
from bot.core import DigestBot
from bot.digest import select_papers
from bot.models import Digest
from bot.scheduler import job_id, retry_job_id
from bot.settings import Settings
from bot.store import Store
from tests.arxiv_server import ArxivFake
from tests.discord_fake import FakeDiscord, InteractionRecord, running_bot
from tests.paths import ARXIV_FIXTURES

MANAGE_GUILD = 0x20

FEED = ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml"
SEARCH_PAGE = ARXIV_FIXTURES / "api-search-all-testing-start0-max10.atom"
KEYWORDS = "VLM, MLLM, Multimodal Language Model, Vision Language Model, Large Language Model"
CATEGORIES = ("cs.CV", "cs.CL")

# The /digest create options most tests use; each test changes what it needs.
CREATE_OPTIONS = {
    "name": "Vision-language",
    "categories": " ".join(CATEGORIES),
    "keywords": KEYWORDS,
    "post_time": "09:00",
    "timezone": "Europe/Berlin",
    "max_papers": 100,
}


class LoopbackDigestBot(DigestBot):
    """The real bot, minus discord.py's 5 s pause before identifying again after a reset."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify at once; the fake gateway has no identify rate limit."""


@dataclass
class BotWorld:
    """Two guilds, their channels and members, and the settings that point at the fakes."""

    discord: FakeDiscord
    arxiv: ArxivFake
    settings: Settings
    guild_id: int
    papers_channel: int
    locked_channel: int
    admin_id: int
    member_id: int
    other_guild_id: int
    other_channel: int

    async def invoke(self, name: str, options: dict[str, Any], *, user_id: int | None = None):
        """Run a slash command in the main guild's papers channel and wait for its reply."""
        record = await self.discord.invoke(
            self.guild_id, self.papers_channel, user_id or self.admin_id, name, options
        )
        await record.wait_for_reply(timeout=10)
        return record

    def posted(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Return the messages the bot posted to a channel (default: the papers channel)."""
        return self.discord.messages(channel_id or self.papers_channel)


def build_world(fake: FakeDiscord, arxiv: ArxivFake, database: Path) -> BotWorld:
    """Create the guilds, channels and members the end-to-end tests use."""
    guild = fake.add_guild("Reading group")
    papers = guild.add_text_channel("papers")
    locked = guild.add_text_channel("announcements", bot_can_post=False)
    admin = guild.add_member(name="admin", permissions=MANAGE_GUILD)
    member = guild.add_member(name="reader", permissions=0)
    other = fake.add_guild("Another server")
    other_channel = other.add_text_channel("general")

    settings = Settings(
        discord_token=fake.token,
        database_url=f"sqlite+aiosqlite:///{database}",
        arxiv_rss_url=arxiv.rss_base_url,
        arxiv_api_url=arxiv.api_base_url,
        arxiv_contact="tests@example.invalid",
        arxiv_request_interval=0.0,
    )
    return BotWorld(
        fake, arxiv, settings, guild.id, papers, locked, admin, member, other.id, other_channel
    )


@contextlib.asynccontextmanager
async def start_bot(world: BotWorld) -> AsyncIterator[DigestBot]:
    """Start the real bot against the fakes and close it on exit."""
    bot = LoopbackDigestBot(world.settings, sync_global=True, guild_ready_timeout=0)
    async with running_bot(bot, world.discord, timeout=10) as running:
        yield running


async def trigger_job(
    bot: DigestBot, digest_id: int, timeout: float = 10.0, *, retry: bool = False
) -> None:
    """Run the digest's scheduled job (or its pending retry) now and wait until it finished."""
    scheduler = bot.scheduler.scheduler
    identifier = retry_job_id(digest_id) if retry else job_id(digest_id)
    finished = asyncio.Event()
    errors: list[BaseException] = []

    def on_event(event: JobExecutionEvent) -> None:
        if event.job_id == identifier:
            if event.exception is not None:
                errors.append(event.exception)
            finished.set()

    scheduler.add_listener(on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        job = scheduler.get_job(identifier)
        assert job is not None, f"digest {digest_id} has no job {identifier}"
        job.modify(next_run_time=dt.datetime.now(dt.UTC))
        scheduler.wakeup()
        await asyncio.wait_for(finished.wait(), timeout)
    finally:
        scheduler.remove_listener(on_event)
    if errors:
        raise errors[0]


def posted_paper_ids(messages: list[dict[str, Any]]) -> list[str]:
    """Return the canonical arXiv ids of every embed in `messages`, in posting order."""
    ids = []
    for message in messages:
        for embed in message.get("embeds", []):
            canonical, _version = parse_id(embed["url"])
            ids.append(canonical)
    return ids


def expected_ids() -> list[str]:
    """Return the ids the default digest must post, selected directly from the saved feed."""
    digest = Digest(
        guild_id=0,
        channel_id=0,
        name="expected",
        categories=CATEGORIES,
        keywords=tuple(part.strip() for part in KEYWORDS.split(",")),
        max_papers=100,
    )
    announcement = load_feed_file(FEED)
    return [item.paper.id for item in select_papers(digest, announcement.papers)]


async def create_digest(world: BotWorld, **changes: object) -> str:
    """Run /digest create with the default options changed by `changes` and return the reply."""
    options = {**CREATE_OPTIONS, "channel": world.papers_channel, **changes}
    record = await world.invoke("digest create", options)
    assert record.reply is not None
    assert record.reply.ephemeral
    return record.reply.content


async def store_dump(world: BotWorld) -> dict[str, list[dict[str, Any]]]:
    """Return every row of the bot's database."""
    store = await Store.open(world.settings.database_url)
    try:
        return await store.dump()
    finally:
        await store.close()


def with_request_interval(world: BotWorld, seconds: float) -> BotWorld:
    """Space the bot's arXiv requests `seconds` apart, the 3-second rule scaled down."""
    world.settings = dataclasses.replace(world.settings, arxiv_request_interval=seconds)
    return world


async def digest_id_named(bot: DigestBot, guild_id: int, name: str) -> int:
    """Return the id of the guild's digest called `name`."""
    digest = await bot.store.get_digest(guild_id, name)
    assert digest is not None, f"guild {guild_id} has no digest {name!r}"
    assert digest.id is not None
    return digest.id


def add_admin(world: BotWorld, guild_id: int, name: str = "admin") -> int:
    """Add a member with Manage Server to a guild and return the member's user id."""
    return world.discord.guild(guild_id).add_member(name=name, permissions=MANAGE_GUILD)


async def invoke_in(
    world: BotWorld,
    guild_id: int,
    channel_id: int,
    user_id: int,
    name: str,
    options: dict[str, Any],
) -> InteractionRecord:
    """Run a slash command in any guild's channel and wait for its reply."""
    record = await world.discord.invoke(guild_id, channel_id, user_id, name, options)
    await record.wait_for_reply(timeout=10)
    return record


@contextlib.asynccontextmanager
async def opened_store(world: BotWorld) -> AsyncIterator[Store]:
    """Open the bot's database while the bot is stopped, and close it on exit."""
    store = await Store.open(world.settings.database_url)
    try:
        yield store
    finally:
        await store.close()


def stored_digest(world: BotWorld, **changes: Any) -> Digest:
    """Build the default digest in the main guild's papers channel, changed by `changes`."""
    digest = Digest(
        guild_id=world.guild_id,
        channel_id=world.papers_channel,
        name=str(CREATE_OPTIONS["name"]),
        categories=CATEGORIES,
        keywords=tuple(part.strip() for part in KEYWORDS.split(",")),
        timezone="Europe/Berlin",
        max_papers=100,
        created_by=world.admin_id,
    )
    return dataclasses.replace(digest, **changes)


def expected_ids_for(categories: tuple[str, ...]) -> list[str]:
    """Return the ids a digest of `categories` with the default keywords must post."""
    digest = Digest(
        guild_id=0,
        channel_id=0,
        name="expected",
        categories=categories,
        keywords=tuple(part.strip() for part in KEYWORDS.split(",")),
        max_papers=100,
    )
    announcement = load_feed_file(FEED)
    return [item.paper.id for item in select_papers(digest, announcement.papers)]
