"""The Discord bot: owns the HTTP session, the store, the arXiv client and the scheduler."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot.announcements import AnnouncementSource, expected_announcement_date
from bot.arxiv import ArxivClient, ArxivError
from bot.delivery import Deliverer, DeliveryResult, skipped_notice
from bot.models import Digest
from bot.rules import RuleError, compiled
from bot.rules.index import RuleIndex
from bot.scheduler import DigestScheduler, previous_run_time
from bot.settings import DEFAULT_REQUEST_INTERVAL, Settings
from bot.shared_matches import SharedMatches
from bot.store import Store

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.errors", "cogs.digest", "cogs.search")
# Discord failures that a later attempt can get past. A 403 or 404 pauses the digest
# instead, inside the delivery.
DISCORD_OUTAGES = (discord.DiscordServerError, discord.RateLimited, aiohttp.ClientConnectionError)
# How long `close` waits for the cancelled start-up catch-up to finish.
CLOSE_TIMEOUT_SECONDS = 5.0


class DigestBot(commands.Bot):
    """A discord.py bot that posts arXiv digests and runs arXiv searches.

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
        self._rule_index: RuleIndex | None = None
        # The start-up catch-up (see `catch_up`), kept so that `close` can cancel it.
        self.catch_up_task: asyncio.Task[None] | None = None

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

    @property
    def rule_index(self) -> RuleIndex:
        """The rules of every stored digest by digest id, built in `setup_hook`."""
        assert self._rule_index is not None, "the rule index is built in setup_hook"
        return self._rule_index

    def rules_changed(self, digest: Digest) -> None:
        """Index a digest's current lines after it is created, edited or imported.

        A digest whose lines do not parse is removed from the index with a warning.
        """
        if self._rule_index is None or digest.id is None:
            return
        try:
            self._rule_index.add(digest.id, digest.keywords, digest.exclusions)
        except RuleError as error:
            self._rule_index.remove(digest.id)
            log.warning("Digest id %s left out of the rule index: %s", digest.id, error)

    def rules_removed(self, digest_id: int) -> None:
        """Remove a deleted digest's lines from the rule index."""
        if self._rule_index is not None:
            self._rule_index.remove(digest_id)

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
        matches = SharedMatches(lambda: self._rule_index)
        self._deliverer = Deliverer(self, self._store, self._announcements, matches)

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
        self._rule_index = RuleIndex.build(digests)
        if not compiled.is_built():
            log.warning(
                "The C extension bot.rules._speedups is not built, so rule matching runs "
                "in Python, about 3 times slower; reinstall with a C compiler to build it"
            )
        count = self.scheduler.rebuild(digests)
        self.scheduler.start()
        log.info("Scheduled %d of %d digests", count, len(digests))
        # Login goes on while missed announcements are posted; the task waits for READY.
        self.catch_up_task = asyncio.create_task(self.catch_up(), name="catch-up")

    async def run_scheduled(self, digest_id: int, *, attempt: int = 0) -> DeliveryResult | None:
        """Deliver a digest from its scheduled job, retrying later when arXiv or Discord fail.

        A retry is scheduled when arXiv cannot be reached or the feed has no announcement
        although one is due. Discord failing with a server error, or with a rate limit
        that discord.py gave up on, schedules one too, so the rest of the papers go out
        later. Errors are logged with the digest's ids, stored as its last error and not raised,
        so a failing digest never stops the scheduler or other servers' digests.
        """
        digest = await self.store.get_digest_by_id(digest_id)
        if digest is None:
            log.warning("Digest id %s no longer exists; removing its job", digest_id)
            self.scheduler.unschedule(digest_id)
            return None

        try:
            result = await self.deliverer.deliver(digest)
        except ArxivError as error:
            await self.store.record_error(digest_id, f"arXiv failed: {error}")
            self._retry_later(digest, attempt, f"arXiv failed: {error}")
            return None
        except DISCORD_OUTAGES as error:
            await self.store.record_error(digest_id, f"Discord failed: {error}")
            self._retry_later(digest, attempt, f"Discord failed: {error}")
            return None
        except Exception:
            log.exception(
                "Delivery of digest %s (id %s, guild %s) failed",
                digest.name,
                digest.id,
                digest.guild_id,
            )
            await self.store.record_error(digest_id, "the delivery failed; see the bot's log")
            return None

        if result.announcement_missing:
            self._retry_later(digest, attempt, result.skipped_reason or "no announcement")
        return result

    async def catch_up(self) -> None:
        """Post the announcements that active digests missed while the bot was down.

        A digest missed an announcement when its post time passed after the announcement
        came out and it has not delivered that announcement. The announcement current
        when the digest was created counts as delivered. Stored announcements are posted
        oldest first, at most `catch_up_limit` of them (the newest), and a notice in the
        channel gives the number of older ones left out. When the announcement due at the
        last post time is not stored, it is fetched first, as the missed job would have.
        """
        await self.wait_until_ready()
        now = dt.datetime.now(dt.UTC)
        for digest in await self.store.list_digests():
            if digest.paused or digest.id is None:
                continue
            try:
                await self._catch_up_digest(digest, now)
            except Exception:
                log.exception(
                    "Catching up digest %s (id %s, guild %s) failed",
                    digest.name,
                    digest.id,
                    digest.guild_id,
                )

    async def _missed_dates(self, digest: Digest, now: dt.datetime) -> list[dt.date]:
        """Return the dates of the stored announcements that the digest missed, oldest first."""
        assert digest.id is not None
        due = expected_announcement_date(previous_run_time(digest, now))
        floor = expected_announcement_date(digest.created_at)
        if digest.last_announcement is not None:
            floor = max(floor, digest.last_announcement)
        if due <= floor:
            return []

        dates = await self.announcements.stored_dates(digest.categories, floor, due)
        if len(dates.get(due, [])) < len(digest.categories):
            try:
                await self.announcements.latest(digest.categories)
            except ArxivError as error:
                await self.store.record_error(digest.id, f"arXiv failed: {error}")
                self._retry_later(digest, 0, f"arXiv failed while catching up: {error}")
            dates = await self.announcements.stored_dates(digest.categories, floor, due)
        return list(dates)

    async def _catch_up_digest(self, digest: Digest, now: dt.datetime) -> None:
        assert digest.id is not None
        ordered = await self._missed_dates(digest, now)
        if not ordered:
            log.debug("Digest %s (id %s) missed no announcement", digest.name, digest.id)
            return

        limit = self.settings.catch_up_limit
        to_post = ordered[len(ordered) - limit :] if limit else []
        skipped = ordered[: len(ordered) - len(to_post)]
        log.info(
            "Digest %s (id %s, guild %s) catches up on %s, skipping %d older announcements",
            digest.name,
            digest.id,
            digest.guild_id,
            ", ".join(str(date) for date in to_post) or "nothing",
            len(skipped),
        )
        if skipped:
            notice = skipped_notice(digest, skipped, len(to_post))
            await self.deliverer.post_notice(digest, notice, f"skipped:{skipped[-1]}")
            # The skipped announcements count as delivered, so no later start offers them.
            await self.store.finish_delivery(digest.id, skipped[-1], 0)
        # NOTE: a Discord outage here ends this digest's catch-up. The next job posts the
        # latest announcement, but the rest of an older one waits for the next start.
        for date in to_post:
            announcement = await self.announcements.stored(digest.categories, date)
            await self.deliverer.deliver_announcement(digest, announcement)
            if digest.paused:
                return

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
        """Stop the scheduler and the catch-up, disconnect, and close the session and store."""
        self.scheduler.shutdown()
        catch_up = self.catch_up_task
        if catch_up is not None:
            catch_up.cancel()
        await super().close()
        if self._http_session is not None:
            await self._http_session.close()
        if catch_up is not None:
            # Let the cancelled catch-up unwind before its store goes away.
            await asyncio.wait([catch_up], timeout=CLOSE_TIMEOUT_SECONDS)
        if self._store is not None:
            await self._store.close()
