"""Recording papers that a crashed delivery posted to Discord but never recorded.

A delivery sends a message, then records its papers. A crash between the two leaves
papers in the channel that the store does not know, so the next run would post them
again. Before posting, the deliverer reads the bot's recent messages in the channel and
records every paper id found in their embeds' links.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence

import discord

from bot.arxiv import InvalidArxivIdError, parse_id
from bot.models import Announcement, Digest
from bot.store import Store

log = logging.getLogger(__name__)

# Only the bot's messages of this period are read, so a resend more than a day after
# the crash is not covered.
RECONCILE_WINDOW = dt.timedelta(hours=26)
# A digest posts at most 100 papers per announcement, in at least 10 messages, so 200
# messages cover a full digest and a second one in the same channel.
RECONCILE_MESSAGE_LIMIT = 200

PostedMessage = tuple[discord.Message, list[str]]


def embed_paper_ids(message: discord.Message) -> list[str]:
    """Return the canonical arXiv ids that a message's embeds link to, in order."""
    ids = []
    for embed in message.embeds:
        if not embed.url:
            continue
        try:
            canonical, _version = parse_id(embed.url)
        except InvalidArxivIdError:
            continue
        ids.append(canonical)
    return ids


async def reconcile(
    store: Store,
    channel: discord.TextChannel,
    bot_id: int,
    digest: Digest,
    announcement: Announcement,
) -> set[str]:
    """Record the papers that the bot's recent posts in `channel` show but the store lacks.

    Papers of `announcement` are recorded for `digest` and that announcement, so they
    count against its cap. Others come from an older run and are recorded without a
    digest. Returns the ids recorded, and logs one line per message they came from.
    """
    messages = await recent_posts(channel, bot_id, digest)
    linked_ids = [paper_id for _message, ids in messages for paper_id in ids]
    recorded = await store.posted_paper_ids(channel.id, linked_ids)
    listed = {paper.id for paper in announcement.papers}

    reconciled: set[str] = set()
    for message, ids in messages:
        missing = [
            paper_id
            for paper_id in dict.fromkeys(ids)
            if paper_id not in recorded and paper_id not in reconciled
        ]
        if not missing:
            continue
        await _record(store, channel.id, message.id, digest, announcement, missing, listed)
        reconciled.update(missing)
        log.warning(
            "Digest %s (guild %s): message %s in channel %s shows papers that were not "
            "recorded as posted, now recorded: %s",
            digest.name,
            digest.guild_id,
            message.id,
            channel.id,
            " ".join(missing),
        )
    return reconciled


async def recent_posts(
    channel: discord.TextChannel, bot_id: int, digest: Digest
) -> list[PostedMessage]:
    """Return the bot's digest posts of the last day in `channel` with their ids, oldest first.

    Without Read Message History, or when reading fails, the result is empty and a
    warning is logged.
    """
    if not channel.permissions_for(channel.guild.me).read_message_history:
        log.warning(
            "Digest %s (guild %s): the bot lacks Read Message History in channel %s, so "
            "papers posted by a run that crashed may be posted again",
            digest.name,
            digest.guild_id,
            channel.id,
        )
        return []

    after = dt.datetime.now(dt.UTC) - RECONCILE_WINDOW
    history = channel.history(limit=RECONCILE_MESSAGE_LIMIT, after=after, oldest_first=False)
    found: list[PostedMessage] = []
    try:
        async for message in history:
            if _is_digest_post(message, bot_id):
                ids = embed_paper_ids(message)
                if ids:
                    found.append((message, ids))
    except discord.HTTPException as error:
        log.warning(
            "Digest %s (guild %s): reading the history of channel %s failed: %s",
            digest.name,
            digest.guild_id,
            channel.id,
            error,
        )
    found.reverse()
    return found


def _is_digest_post(message: discord.Message, bot_id: int) -> bool:
    # Interaction replies, such as /arxiv search results, come through the application's
    # webhook or as command replies, and list papers that were not posted as a digest.
    return (
        message.author.id == bot_id
        and message.webhook_id is None
        and message.type is discord.MessageType.default
    )


async def _record(
    store: Store,
    channel_id: int,
    message_id: int,
    digest: Digest,
    announcement: Announcement,
    paper_ids: Sequence[str],
    listed: Collection[str],
) -> None:
    own = [paper_id for paper_id in paper_ids if paper_id in listed]
    other = [paper_id for paper_id in paper_ids if paper_id not in listed]
    if own:
        await store.record_posted(
            channel_id,
            own,
            digest_id=digest.id,
            message_id=message_id,
            announcement_date=announcement.date,
        )
    if other:
        await store.record_posted(
            channel_id, other, digest_id=None, message_id=message_id, announcement_date=None
        )
