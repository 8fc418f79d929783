"""Posting one digest's papers of the latest announcement to its Discord channel."""

from __future__ import annotations

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
from bot.render import digest_header, pack_embeds, paper_embed
from bot.store import Store

log = logging.getLogger(__name__)

UNLIMITED_PAPERS = 1_000_000

REQUIRED_PERMISSIONS = ("view_channel", "send_messages", "embed_links")
PERMISSION_LABELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}


@dataclass(frozen=True)
class DeliveryResult:
    """What one delivery did: the papers it posted, or why it posted nothing."""

    digest_name: str
    announcement_date: dt.date | None
    posted: int
    skipped_reason: str | None = None
    # True when the feed had no announcement although one was due by arXiv's calendar.
    announcement_missing: bool = False


def missing_permissions(channel: discord.abc.GuildChannel) -> list[str]:
    """Return the labels of the permissions the bot lacks to post digests in `channel`."""
    permissions = channel.permissions_for(channel.guild.me)
    return [
        PERMISSION_LABELS[name] for name in REQUIRED_PERMISSIONS if not getattr(permissions, name)
    ]


def message_nonce(digest_id: int, date: dt.date | None, paper_ids: Sequence[str]) -> str:
    """Build the nonce of one digest message, the same for the same papers every time.

    Discord returns the earlier message instead of posting again when a message with the
    same nonce arrives within a few minutes, so a retried send cannot double-post.
    """
    text = f"{digest_id}:{date}:{','.join(paper_ids)}"
    return hashlib.sha256(text.encode()).hexdigest()[:25]


class Deliverer:
    """Select, render and post digests, recording every posted paper."""

    def __init__(self, client: discord.Client, store: Store, source: AnnouncementSource) -> None:
        self._client = client
        self._store = store
        self._source = source

    async def deliver(self, digest: Digest, *, force: bool = False) -> DeliveryResult:
        """Post `digest`'s matching papers of the latest announcement not posted yet.

        The digest posts at most `max_papers` papers per announcement, counting earlier
        runs on the same announcement (a feed that was cut off, for instance). With
        `force` (a manual post) the cap starts afresh. Papers already posted to the
        channel never go out again.
        """
        announcement = await self._source.latest(digest.categories)
        skipped = self._skip_reason(digest, announcement)
        if skipped:
            log.info("Digest %s (guild %s): %s", digest.name, digest.guild_id, skipped)
            expected = expected_announcement_date(dt.datetime.now(dt.UTC))
            stale = announcement.date is None or announcement.date < expected
            missing = stale and not digest.paused
            return DeliveryResult(
                digest.name, announcement.date, 0, skipped, announcement_missing=missing
            )
        assert digest.id is not None and announcement.date is not None

        channel = await self._resolve_channel(digest)
        if isinstance(channel, str):
            return await self._pause(digest, announcement.date, channel)
        missing_labels = missing_permissions(channel)
        if missing_labels:
            reason = f"the bot lacks {', '.join(missing_labels)} in #{channel.name}"
            return await self._pause(digest, announcement.date, reason)

        cap = digest.max_papers
        if not force and digest.last_announcement == announcement.date:
            cap -= await self._store.delivered_count(digest.id, announcement.date)
        ids = [paper.id for paper in announcement.papers]
        posted_ids = await self._store.posted_paper_ids(channel.id, ids)
        uncapped = dataclasses.replace(digest, max_papers=UNLIMITED_PAPERS)
        matching = select_papers(uncapped, announcement.papers, posted_ids=posted_ids)
        selected = matching[: max(cap, 0)]

        if not selected:
            await self._store.finish_delivery(digest.id, announcement.date, 0)
            reason = f"no new matching papers in the announcement of {announcement.date}"
            log.info("Digest %s (guild %s): %s", digest.name, digest.guild_id, reason)
            return DeliveryResult(digest.name, announcement.date, 0, reason)

        try:
            await self._send(channel, digest, announcement.date, selected, len(matching))
        except (discord.Forbidden, discord.NotFound) as error:
            return await self._pause(digest, announcement.date, f"Discord refused: {error.text}")

        await self._store.finish_delivery(digest.id, announcement.date, len(selected))
        digest.last_announcement = announcement.date
        log.info(
            "Digest %s (guild %s) posted %d of %d matching papers of %s to channel %s",
            digest.name,
            digest.guild_id,
            len(selected),
            len(matching),
            announcement.date,
            channel.id,
        )
        return DeliveryResult(digest.name, announcement.date, len(selected))

    def _skip_reason(self, digest: Digest, announcement: Announcement) -> str | None:
        if digest.paused:
            return f"paused ({digest.pause_reason or 'by an admin'})"
        if not announcement.papers or announcement.date is None:
            return "the feed lists no papers (no announcement on weekends and holidays)"
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
        header = digest_header(digest.name, date, len(selected), matched=matched)

        offset = 0
        for index, batch in enumerate(pack_embeds(embeds)):
            paper_ids = [item.paper.id for item in selected[offset : offset + len(batch)]]
            offset += len(batch)
            message = await channel.send(
                content=header if index == 0 else None,
                embeds=batch,
                nonce=message_nonce(digest.id, date, paper_ids),
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await self._store.record_posted(
                channel.id,
                paper_ids,
                digest_id=digest.id,
                message_id=message.id,
                announcement_date=date,
            )

    async def _pause(self, digest: Digest, date: dt.date | None, reason: str) -> DeliveryResult:
        assert digest.id is not None
        log.warning(
            "Pausing digest %s (guild %s, channel %s): %s",
            digest.name,
            digest.guild_id,
            digest.channel_id,
            reason,
        )
        await self._store.set_paused(digest.id, True, reason)
        digest.paused = True
        digest.pause_reason = reason
        return DeliveryResult(digest.name, date, 0, f"paused: {reason}")
