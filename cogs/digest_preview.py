"""The work behind /digest preview: what a digest would post, with why each paper matched."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.digest import select_papers
from bot.models import Digest
from bot.render import digest_header, pack_embeds, safe_markdown
from bot.render.formats import format_date
from bot.rules import compile_rule
from cogs.summary import preview_embed

if TYPE_CHECKING:
    from bot.core import DigestBot

# Ephemeral previews stop after this many messages so one command cannot flood the caller.
MAX_PREVIEW_MESSAGES = 3


async def send_preview(bot: DigestBot, interaction: discord.Interaction, digest: Digest) -> None:
    """Send the papers the digest would post now as follow-ups to a deferred interaction."""
    announcement = await bot.announcements.latest(digest.categories)
    ids = [paper.id for paper in announcement.papers]
    posted_ids = await bot.store.posted_paper_ids(digest.channel_id, ids)
    selected = select_papers(digest, announcement.papers, posted_ids=posted_ids)
    if not announcement.papers:
        await interaction.followup.send(
            "Nothing to post: the feed lists no papers (arXiv makes no announcement on "
            "Fridays, Saturdays and holidays).",
            ephemeral=True,
        )
        return
    if not selected:
        when = format_date(announcement.date) if announcement.date else "today"
        await interaction.followup.send(
            f"Nothing to post: none of the {len(announcement.papers)} papers of "
            f"arXiv's announcement of {when} matches "
            f"**{safe_markdown(digest.name)}**, or they were posted already.",
            ephemeral=True,
        )
        return

    rule = compile_rule(digest.keywords, digest.exclusions)
    embeds = [preview_embed(item, digest, rule) for item in selected]
    batches = pack_embeds(embeds)
    header = "Preview: " + digest_header(digest.name, announcement.date, len(selected))
    for index, batch in enumerate(batches[:MAX_PREVIEW_MESSAGES]):
        await interaction.followup.send(
            content=header if index == 0 else discord.utils.MISSING,
            embeds=batch,
            ephemeral=True,
        )
    if len(batches) > MAX_PREVIEW_MESSAGES:
        sent = sum(len(batch) for batch in batches[:MAX_PREVIEW_MESSAGES])
        await interaction.followup.send(
            f"… and {len(selected) - sent} more papers.", ephemeral=True
        )
