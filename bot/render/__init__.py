"""Render papers for Discord (embeds packed into messages) and for the command line."""

from bot.render.embeds import digest_header, paper_embed
from bot.render.escape import (
    RenderError,
    escape_github,
    escape_text,
    neutralize_mentions,
    safe_markdown,
)
from bot.render.formats import format_date, render_json, render_markdown, render_text
from bot.render.pack import EmbedTooLargeError, pack_embeds

__all__ = [
    "EmbedTooLargeError",
    "RenderError",
    "digest_header",
    "escape_github",
    "escape_text",
    "format_date",
    "neutralize_mentions",
    "pack_embeds",
    "paper_embed",
    "render_json",
    "render_markdown",
    "render_text",
    "safe_markdown",
]
