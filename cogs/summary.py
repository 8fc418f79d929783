"""Short descriptions of a digest's settings and schedule for command replies."""

from __future__ import annotations

import datetime as dt

import discord

from bot.models import Digest

MAX_RULE_TEXT = 300


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
