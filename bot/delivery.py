"""Posting a digest's papers of an announcement to its Discord channel, each paper once."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.announcements import AnnouncementSource, expected_announcement_date
from bot.digest import select_papers
from bot.models import Announcement, Digest, SelectedPaper
from bot.reconcile import reconcile
from bot.render import digest_header, format_date, pack_embeds, paper_embed, safe_markdown
from bot.shared_matches import SharedMatches
from bot.store import Store

log = logging.getLogger(__name__)

UNLIMITED_PAPERS = 1_000_000

REQUIRED_PERMISSIONS = ("view_channel", "send_messages", "embed_links")
PERMISSION_LABELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}
# A plain notice (a pause or a catch-up skipping announcements) needs no Embed Links.
NOTICE_PERMISSIONS = ("view_channel", "send_messages")
# A catch-up notice lists at most this many skipped dates, else the first and the last.
MAX_LISTED_DATES = 5


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery: the papers it posted, or why it posted nothing."""

    digest_name: str
    announcement_date: dt.date | None
    posted: int
    skipped_reason: str | None = None
    # True when the feed had no announcement although one was due by arXiv's calendar.
    announcement_missing: bool = False


def missing_permissions(
    channel: discord.abc.GuildChannel, names: Sequence[str] = REQUIRED_PERMISSIONS
) -> list[str]:
    """Return the labels of the permissions in `names` the bot lacks in `channel`."""
    permissions = channel.permissions_for(channel.guild.me)
    return [PERMISSION_LABELS[name] for name in names if not getattr(permissions, name)]


def message_nonce(digest_id: int, date: dt.date | None, paper_ids: Sequence[str]) -> str:
    """Build the nonce of one digest message, the same for the same papers every time.

    Discord returns the earlier message instead of posting again when a message with the
    same nonce arrives within a few minutes, so a retried send cannot double-post.
    """
    text = f"{digest_id}:{date}:{','.join(paper_ids)}"
    return hashlib.sha256(text.encode()).hexdigest()[:25]


def allowed_mentions(role_id: int | None) -> discord.AllowedMentions:
    """Return the mentions a digest post may ping: the digest's role and nothing else."""
    if role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(id=role_id)], replied_user=False
    )


def header_line(digest: Digest, date: dt.date, count: int, matched: int) -> str:
    """Build the first line of a digest post, starting with the role mention if one is set."""
    header = digest_header(digest.name, date, count, matched=matched)
    return header if digest.role_id is None else f"<@&{digest.role_id}> {header}"


class Deliverer:
    """Select, render and post digests, recording every posted paper."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        source: AnnouncementSource,
        matches: SharedMatches | None = None,
    ) -> None:
        self._client = client
        self._store = store
        self._source = source
        # The papers each digest's lines select, matched once per announcement for every
        # digest; without it each delivery matches the announcement against its own lines.
        self._matches = matches
        # One delivery at a time per channel, so a scheduled run, a catch-up and a manual
        # post cannot select the same papers before either has recorded them.
        self._channel_locks: dict[int, asyncio.Lock] = {}

    async def deliver(self, digest: Digest, *, force: bool = False) -> DeliveryResult:
        """Post `digest`'s matching papers of the latest announcement not posted yet."""
        announcement = await self._source.latest(digest.categories)
        return await self.deliver_announcement(digest, announcement, force=force)

    async def deliver_announcement(
        self, digest: Digest, announcement: Announcement, *, force: bool = False
    ) -> DeliveryResult:
        """Post `digest`'s matching papers of `announcement` not posted yet.

        The digest posts at most `max_papers` papers per announcement, counting earlier
        runs on the same announcement (a feed that was cut off, for instance, or a run
        that crashed). With `force` (a manual post) the cap starts afresh. Papers already
        posted to the channel never go out again. A 403 or 404 from Discord pauses the
        digest and sends the server one notice about it.
        """
        skipped = self._skip_reason(digest, announcement)
        if skipped:
            log.info("Digest %s (guild %s): %s", digest.name, digest.guild_id, skipped)
            expected = expected_announcement_date(dt.datetime.now(dt.UTC))
            stale = announcement.date is None or announcement.date < expected
            missing = stale and not digest.paused
            return DeliveryResult(
                digest.name, announcement.date, 0, skipped, announcement_missing=missing
            )
        lock = self._channel_locks.setdefault(digest.channel_id, asyncio.Lock())
        async with lock:
            return await self._deliver_locked(digest, announcement, force=force)

    async def _deliver_locked(
        self, digest: Digest, announcement: Announcement, *, force: bool
    ) -> DeliveryResult:
        assert digest.id is not None and announcement.date is not None
        date = announcement.date
        delivered_before = digest.last_announcement

        channel = await self._resolve_channel(digest)
        if isinstance(channel, str):
            return await self._pause(digest, date, channel)
        missing_labels = missing_permissions(channel)
        if missing_labels:
            reason = f"the bot lacks {', '.join(missing_labels)} in #{channel.name}"
            return await self._pause(digest, date, reason)

        selected, matched = await self._select(channel, digest, announcement, force=force)
        if selected:
            try:
                await self._send(channel, digest, date, selected, matched)
            except (discord.Forbidden, discord.NotFound) as error:
                return await self._pause(digest, date, f"Discord refused: {error.text}")

        await self._finish(digest, date)
        if not selected:
            reason = f"no new matching papers in the announcement of {date}"
            log.info("Digest %s (guild %s): %s", digest.name, digest.guild_id, reason)
            # A feed that still shows the delivered announcement although a newer one is
            # due has not been rebuilt yet, so the scheduled run tries again later.
            expected = expected_announcement_date(dt.datetime.now(dt.UTC))
            not_advanced = date == delivered_before and date < expected
            return DeliveryResult(digest.name, date, 0, reason, announcement_missing=not_advanced)

        log.info(
            "Digest %s (guild %s) posted %d of %d matching papers of %s to channel %s",
            digest.name,
            digest.guild_id,
            len(selected),
            matched,
            date,
            channel.id,
        )
        return DeliveryResult(digest.name, date, len(selected))

    async def post_notice(self, digest: Digest, text: str, key: str) -> bool:
        """Post a plain message without pings to the digest's channel; return whether it went.

        `key` makes the message's nonce, so the same notice sent again after a crash
        within Discord's nonce window is not posted twice.
        """
        channel = await self._resolve_channel(digest)
        if isinstance(channel, str) or missing_permissions(channel, NOTICE_PERMISSIONS):
            log.warning("Digest %s (guild %s): cannot post a notice", digest.name, digest.guild_id)
            return False
        nonce = hashlib.sha256(f"{digest.id}:{key}".encode()).hexdigest()[:25]
        try:
            await channel.send(text, nonce=nonce, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as error:
            log.warning(
                "Digest %s (guild %s): notice to channel %s failed: %s",
                digest.name,
                digest.guild_id,
                channel.id,
                error,
            )
            return False
        return True

    def _skip_reason(self, digest: Digest, announcement: Announcement) -> str | None:
        if digest.paused:
            return f"paused ({digest.pause_reason or 'by an admin'})"
        if not announcement.papers or announcement.date is None:
            feeds = announcement.source or "the feed"
            return f"{feeds} lists no papers (no announcement on weekends and holidays)"
        last = digest.last_announcement
        if last is not None and announcement.date < last:
            return (
                f"the feed still lists the announcement of {announcement.date}, older than {last}"
            )
        return None

    async def _resolve_channel(self, digest: Digest) -> discord.TextChannel | str:
        channel = self._client.get_channel(digest.channel_id)
        if channel is None:
            try:
                channel = await self._client.fetch_channel(digest.channel_id)
            except discord.NotFound:
                return f"channel {digest.channel_id} no longer exists"
            except discord.Forbidden:
                return f"the bot cannot see channel {digest.channel_id}"
        if not isinstance(channel, discord.TextChannel) or channel.guild.id != digest.guild_id:
            return f"channel {digest.channel_id} is not a text channel of this server"
        return channel

    async def _select(
        self,
        channel: discord.TextChannel,
        digest: Digest,
        announcement: Announcement,
        *,
        force: bool,
    ) -> tuple[list[SelectedPaper], int]:
        """Return the papers to post, in order, and how many match and were never posted.

        The result depends only on the announcement, the recorded papers and the cap, so
        a run repeated after a crash sends the same batches with the same nonces.
        """
        assert digest.id is not None and announcement.date is not None
        matching = await self._unposted_matches(channel.id, digest, announcement)
        if matching:
            assert self._client.user is not None
            reconciled = await reconcile(
                self._store, channel, self._client.user.id, digest, announcement
            )
            matching = [item for item in matching if item.paper.id not in reconciled]

        cap = digest.max_papers
        if not force:
            cap -= await self._store.posted_count(digest.id, announcement.date)
        return matching[: max(cap, 0)], len(matching)

    async def _unposted_matches(
        self, channel_id: int, digest: Digest, announcement: Announcement
    ) -> list[SelectedPaper]:
        ids = [paper.id for paper in announcement.papers]
        posted_ids = await self._store.posted_paper_ids(channel_id, ids)
        uncapped = dataclasses.replace(digest, max_papers=UNLIMITED_PAPERS)
        shared = None
        if self._matches is not None:
            shared = await self._matches.candidates(digest, announcement.papers)
        if shared is None:
            return select_papers(uncapped, announcement.papers, posted_ids=posted_ids)
        # `select_papers` applies the category, announce-type and posted filters and
        # matches the few candidates again for their lines and terms.
        candidates, texts = shared
        return select_papers(uncapped, candidates, posted_ids=posted_ids, texts=texts)

    async def _send(
        self,
        channel: discord.TextChannel,
        digest: Digest,
        date: dt.date,
        selected: Sequence[SelectedPaper],
        matched: int,
    ) -> None:
        assert digest.id is not None
        embeds = [
            paper_embed(
                item.paper,
                abstract_length=digest.abstract_length,
                highlight_terms=item.matched_terms,
            )
            for item in selected
        ]
        header = header_line(digest, date, len(selected), matched)
        mentions = allowed_mentions(digest.role_id)

        offset = 0
        for index, batch in enumerate(pack_embeds(embeds)):
            paper_ids = [item.paper.id for item in selected[offset : offset + len(batch)]]
            offset += len(batch)
            message = await channel.send(
                content=header if index == 0 else None,
                embeds=batch,
                nonce=message_nonce(digest.id, date, paper_ids),
                allowed_mentions=mentions,
            )
            await self._store.record_posted(
                channel.id,
                paper_ids,
                digest_id=digest.id,
                message_id=message.id,
                announcement_date=date,
            )

    async def _finish(self, digest: Digest, date: dt.date) -> None:
        """Record the delivery with every paper of `date` posted since the last record.

        Counting recorded papers, not this run's sends, includes papers of a run that
        crashed before it finished.
        """
        assert digest.id is not None
        posted = await self._store.posted_count(digest.id, date)
        counted = await self._store.delivered_count(digest.id, date)
        await self._store.finish_delivery(digest.id, date, max(posted - counted, 0))
        if digest.last_announcement is None or digest.last_announcement < date:
            digest.last_announcement = date
        digest.last_error = digest.last_error_at = None

    async def _pause(self, digest: Digest, date: dt.date | None, reason: str) -> DeliveryResult:
        assert digest.id is not None
        log.warning(
            "Pausing digest %s (guild %s, channel %s): %s",
            digest.name,
            digest.guild_id,
            digest.channel_id,
            reason,
        )
        paused_now = await self._store.pause_after_error(digest.id, reason)
        digest.paused = True
        digest.pause_reason = digest.last_error = reason
        digest.last_error_at = dt.datetime.now(dt.UTC)
        if paused_now:
            await self._tell_server(digest, reason)
        return DeliveryResult(digest.name, date, 0, f"paused: {reason}")

    async def _tell_server(self, digest: Digest, reason: str) -> None:
        """Send the pause notice to the guild's system channel, else to the digest's creator."""
        guild = self._client.get_guild(digest.guild_id)
        text = pause_notice(digest, reason, guild.name if guild else None)
        mentions = discord.AllowedMentions.none()

        system = guild.system_channel if guild is not None else None
        if system is not None and not missing_permissions(system, NOTICE_PERMISSIONS):
            try:
                await system.send(text, allowed_mentions=mentions)
                log.info("Sent the pause notice of digest %s to channel %s", digest.id, system.id)
                return
            except discord.HTTPException as error:
                log.warning("Pause notice to channel %s failed: %s", system.id, error)

        if digest.created_by is not None:
            try:
                dm = await self._client.create_dm(discord.Object(id=digest.created_by))
                await dm.send(text, allowed_mentions=mentions)
                log.info(
                    "Sent the pause notice of digest %s to user %s", digest.id, digest.created_by
                )
                return
            except discord.HTTPException as error:
                log.warning("Pause notice to user %s failed: %s", digest.created_by, error)

        log.warning(
            "Digest %s (guild %s) is paused, but its pause notice was not sent: the bot "
            "cannot post in a system channel, and a direct message to its creator failed",
            digest.name,
            digest.guild_id,
        )


def pause_notice(digest: Digest, reason: str, guild_name: str | None) -> str:
    """Build the pause notice: why the digest paused and how to resume it."""
    where = f" in **{safe_markdown(guild_name)}**" if guild_name else ""
    return (
        f"The arXiv digest **{safe_markdown(digest.name)}**{where} is paused: "
        f"{safe_markdown(reason)}. Check that the channel <#{digest.channel_id}> exists and "
        "that the bot can view it, send messages and embed links there, then resume the "
        "digest with /digest resume."
    )


def skipped_notice(digest: Digest, skipped: Sequence[dt.date], posting: int) -> str:
    """Build the notice of how many missed announcements a catch-up skips, and which."""
    if len(skipped) <= MAX_LISTED_DATES:
        dates = ", ".join(format_date(date) for date in skipped)
    else:
        dates = f"{format_date(skipped[0])} to {format_date(skipped[-1])}"
    noun = "announcement" if len(skipped) == 1 else "announcements"
    posted = f"posting the {posting} newest now" if posting else "posting none of them"
    return (
        f"**{safe_markdown(digest.name)}**: the bot was offline and skipped {len(skipped)} "
        f"older arXiv {noun} ({dates}); {posted}."
    )
