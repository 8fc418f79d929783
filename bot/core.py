"""The Discord bot: owns the HTTP session, the store, the arXiv client and the scheduler."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot.announcements import AnnouncementSource
from bot.arxiv import ArxivClient, ArxivError
from bot.delivery import Deliverer, DeliveryResult
from bot.models import Digest
from bot.scheduler import DigestScheduler
from bot.settings import DEFAULT_REQUEST_INTERVAL, Settings
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
        self.scheduler = DigestScheduler(self.run_scheduled)
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
        if self.settings.arxiv_request_interval < DEFAULT_REQUEST_INTERVAL:
            log.warning(
                "ARXIV_REQUEST_INTERVAL is %s s; arXiv asks for at least %s s between requests",
                self.settings.arxiv_request_interval,
                DEFAULT_REQUEST_INTERVAL,
            )
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

    async def run_scheduled(self, digest_id: int, *, attempt: int = 0) -> DeliveryResult | None:
        """Deliver a digest from its scheduled job, retrying later when arXiv lets it down.

        A retry is scheduled when arXiv cannot be reached or the feed has no announcement
        although one is due. Errors are logged with the digest's ids and not raised, so
        a failing digest never stops the scheduler or other servers' digests.
        """
        digest = await self.store.get_digest_by_id(digest_id)
        if digest is None:
            log.warning("Digest id %s no longer exists; removing its job", digest_id)
            self.scheduler.unschedule(digest_id)
            return None

        try:
            result = await self.deliverer.deliver(digest)
        except ArxivError as error:
            self._retry_later(digest, attempt, f"arXiv failed: {error}")
            return None
        except Exception:
            log.exception(
                "Delivery of digest %s (id %s, guild %s) failed",
                digest.name,
                digest.id,
                digest.guild_id,
            )
            return None

        if result.announcement_missing:
            self._retry_later(digest, attempt, result.skipped_reason or "no announcement")
        return result

    def _retry_later(self, digest: Digest, attempt: int, reason: str) -> None:
        assert digest.id is not None
        retry_at = self.scheduler.schedule_retry(digest.id, attempt + 1)
        if retry_at is None:
            log.warning(
                "Digest %s (id %s, guild %s) gives up for today after %d retries: %s",
                digest.name,
                digest.id,
                digest.guild_id,
                attempt,
                reason,
            )
            return
        log.warning(
            "Digest %s (id %s, guild %s) will retry at %s: %s",
            digest.name,
            digest.id,
            digest.guild_id,
            retry_at,
            reason,
        )

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
