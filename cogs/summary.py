"""Short descriptions of a digest's settings and schedule for command replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import discord

from bot.models import Digest, SelectedPaper
from bot.render import pack_embeds, paper_embed, safe_markdown
from bot.rules import CompiledRule, explain, prepare_paper
from bot.rules.explain import Explanation

MAX_RULE_TEXT = 300
# An embed field value has at most 1,024 characters, and the timestamps take the rest.
MAX_ERROR_TEXT = 950


def describe_digest(digest: Digest) -> str:
    """Describe a digest's channel, categories, keywords and options in a few lines."""
    keywords = discord.utils.escape_markdown(", ".join(digest.keywords))
    lines = [
        f"Channel: <#{digest.channel_id}>",
        f"Categories: {' '.join(digest.categories)}",
        f"Keywords: {_shorten(keywords)}",
    ]
    if digest.exclusions:
        exclusions = discord.utils.escape_markdown(", ".join(digest.exclusions))
        lines.append(f"Exclusions: {_shorten(exclusions)}")

    options = [
        f"at most {digest.max_papers} papers",
        f"abstracts cut at {digest.abstract_length} characters",
    ]
    if digest.include_cross_lists:
        options.append("cross-lists")
    if digest.include_replacements:
        options.append("replacements")
    lines.append(f"Options: {', '.join(options)}")
    if digest.role_id is not None:
        lines.append(f"Pings: <@&{digest.role_id}>")
    return "\n".join(lines)


def describe_schedule(digest: Digest, next_run: dt.datetime | None) -> str:
    """Describe when the digest posts and, for an active one, its next post time."""
    when = f"Posts at {digest.post_time:%H:%M} {digest.timezone} after each arXiv announcement"
    if digest.paused:
        return f"{when}, but it is paused: {digest.pause_reason or 'paused by an admin'}."
    if next_run is None:
        return f"{when}."
    # Discord renders <t:...:F> in each reader's own time zone.
    return f"{when}; next post <t:{int(next_run.timestamp())}:F>."


def _shorten(text: str) -> str:
    if len(text) <= MAX_RULE_TEXT:
        return text
    return text[: MAX_RULE_TEXT - 1].rstrip() + "…"


def digest_embed(digest: Digest, next_run: dt.datetime | None) -> discord.Embed:
    """Build the embed that shows one digest's settings and schedule in `/digest list`."""
    embed = discord.Embed(title=safe_markdown(digest.name)[:256])
    embed.description = f"{describe_digest(digest)}\n{describe_schedule(digest, next_run)}"[:4096]
    return embed


def status_embed(
    digest: Digest, next_run: dt.datetime | None, last_count: int | None
) -> discord.Embed:
    """Build the embed that shows one digest's state in `/digest status`."""
    embed = discord.Embed(title=safe_markdown(digest.name)[:256])
    if digest.paused:
        state = f"Paused: {safe_markdown(digest.pause_reason or 'paused by an admin')}"
    else:
        state = "Active"
    embed.add_field(name="State", value=state[:1024], inline=False)

    if next_run is not None and not digest.paused:
        local = next_run.astimezone(ZoneInfo(digest.timezone))
        when = f"{local:%a %d %b %H:%M} {digest.timezone} (<t:{int(next_run.timestamp())}:R>)"
    else:
        when = "none while paused" if digest.paused else "not scheduled"
    embed.add_field(name="Next post", value=when, inline=False)

    if digest.last_announcement is None:
        last = "nothing delivered yet"
    else:
        last = f"announcement of {digest.last_announcement:%a %d %b %Y}: {last_count or 0} papers"
    embed.add_field(name="Last delivery", value=last, inline=False)
    if digest.last_error is not None:
        embed.add_field(name="Last error", value=describe_error(digest), inline=False)
    embed.add_field(name="Channel", value=f"<#{digest.channel_id}>", inline=False)
    return embed


def describe_error(digest: Digest) -> str:
    """Describe the digest's last failed delivery and when it happened, in 1,024 characters."""
    error = safe_markdown(digest.last_error or "")[:MAX_ERROR_TEXT]
    if digest.last_error_at is None:
        return error
    # Discord renders <t:...:f> and <t:...:R> in each reader's own time zone.
    stamp = int(digest.last_error_at.timestamp())
    return f"{error} (<t:{stamp}:f>, <t:{stamp}:R>)"


async def send_embeds(
    interaction: discord.Interaction, embeds: Sequence[discord.Embed], header: str
) -> None:
    """Answer ephemerally with `embeds`, split over as many messages as Discord's limits need."""
    batches = pack_embeds(embeds)
    await interaction.response.send_message(header, embeds=batches[0], ephemeral=True)
    for batch in batches[1:]:
        await interaction.followup.send(embeds=batch, ephemeral=True)


# A preview shows shorter abstracts than the post, to leave room for the explanation.
PREVIEW_ABSTRACT_LENGTH = 400
MAX_EXPLANATION = 1024


def preview_embed(item: SelectedPaper, digest: Digest, rule: CompiledRule) -> discord.Embed:
    """Build a paper's preview embed with a field that explains why it matched."""
    length = min(digest.abstract_length, PREVIEW_ABSTRACT_LENGTH)
    embed = paper_embed(item.paper, abstract_length=length, highlight_terms=item.matched_terms)
    explanation = explain(rule, prepare_paper(item.paper))
    value = explanation_text(explanation)
    if value and len(embed.fields) < 25:
        embed.add_field(name="Why it matched", value=value, inline=False)
    return embed


def explanation_text(explanation: Explanation) -> str:
    """Describe the matched lines and where their terms were found, with the terms in bold."""
    lines = []
    for line in explanation.keywords:
        if not line.matched:
            continue
        places = dict.fromkeys(
            f"**{safe_markdown(hit.text)}** in {hit.field.label}"
            for hit in line.hits
            if not hit.negated
        )
        found = ", ".join(list(places)[:6]) or "no term needed"
        lines.append(f"`{line.line.replace('`', '')}`: {found}")
    text = "\n".join(lines)
    if len(text) > MAX_EXPLANATION:
        text = text[: MAX_EXPLANATION - 1].rsplit("\n", 1)[0] + "\n…"
    return text
