"""The Discord bot: owns the HTTP session, the store, the arXiv client and the scheduler."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot.announcements import AnnouncementSource
from bot.arxiv import ArxivClient
from bot.delivery import Deliverer, DeliveryResult
from bot.scheduler import DigestScheduler
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.errors", "cogs.digest", "cogs.search")


class DigestBot(commands.Bot):
    """A discord.py bot that posts arXiv digests and answers arXiv searches.

    Everything that needs the event loop is created in `setup_hook`, which discord.py runs
    once per login, and closed in `close`.
    """

    def __init__(self, settings: Settings, *, sync_global: bool = False, **options: Any) -> None:
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            **options,
        )
        self.settings = settings
        self.sync_global = sync_global
        self.scheduler = DigestScheduler(self.run_digest)
        self._http_session: aiohttp.ClientSession | None = None
        self._store: Store | None = None
        self._arxiv: ArxivClient | None = None
        self._deliverer: Deliverer | None = None
        self._announcements: AnnouncementSource | None = None

    @property
    def store(self) -> Store:
        """The database store, available once `setup_hook` has run."""
        assert self._store is not None, "the store is opened in setup_hook"
        return self._store

    @property
    def arxiv(self) -> ArxivClient:
        """The process-wide arXiv client."""
        assert self._arxiv is not None, "the arXiv client is created in setup_hook"
        return self._arxiv

    @property
    def announcements(self) -> AnnouncementSource:
        """The shared source of category announcements."""
        assert self._announcements is not None
        return self._announcements

    @property
    def deliverer(self) -> Deliverer:
        """The component that posts digests."""
        assert self._deliverer is not None
        return self._deliverer

    async def setup_hook(self) -> None:
        """Open the store, create the arXiv client, load the cogs and start the scheduler."""
        self._store = await Store.open(self.settings.database_url)
        self._http_session = aiohttp.ClientSession()
        self._arxiv = ArxivClient(
            self._http_session,
            rss_base_url=self.settings.arxiv_rss_url,
            api_base_url=self.settings.arxiv_api_url,
            user_agent=self.settings.user_agent,
            min_interval=self.settings.arxiv_request_interval,
        )
        self._announcements = AnnouncementSource(self._arxiv, self._store)
        self._deliverer = Deliverer(self, self._store, self._announcements)

        for extension in EXTENSIONS:
            await self.load_extension(extension)
            log.info("Loaded extension %s", extension)

        if self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to guild %s", len(synced), guild.id)

        if self.sync_global:
            await self.sync_global_commands()

        digests = await self._store.list_digests()
        count = self.scheduler.rebuild(digests)
        self.scheduler.start()
        log.info("Scheduled %d of %d digests", count, len(digests))

    async def run_digest(self, digest_id: int, *, force: bool = False) -> DeliveryResult | None:
        """Deliver one digest now; used by its scheduled job and by `/digest post`.

        Errors are logged with the digest's ids and not raised, because a failing digest
        must not stop the scheduler or the other servers' digests.
        """
        digest = await self.store.get_digest_by_id(digest_id)
        if digest is None:
            log.warning("Digest id %s no longer exists; removing its job", digest_id)
            self.scheduler.unschedule(digest_id)
            return None

        try:
            return await self.deliverer.deliver(digest, force=force)
        except Exception:
            log.exception(
                "Delivery of digest %s (id %s, guild %s) failed",
                digest.name,
                digest.id,
                digest.guild_id,
            )
            return None

    async def sync_global_commands(self) -> int:
        """Publish the slash commands to every server; return how many were synced."""
        synced = await self.tree.sync()
        log.info("Synced %d global commands", len(synced))
        return len(synced)

    async def close(self) -> None:
        """Stop the scheduler, disconnect from Discord and close the session and store."""
        self.scheduler.shutdown()
        await super().close()
        if self._http_session is not None:
            await self._http_session.close()
        if self._store is not None:
            await self._store.close()
