"""Build the Discord embed for one paper and the header line of a digest message.

Every part of an embed is cut to its own cap, and the caps are chosen so that the parts
other than the abstract never use more than 3,631 of an embed's 6,000 characters. The
abstract gets what is left, so an embed fits Discord's limits whatever arXiv or a user sends.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from urllib.parse import quote

import discord

from bot.models import Paper
from bot.render.escape import (
    ELLIPSIS,
    RenderError,
    collapse_whitespace,
    fit_text,
    highlight_pattern,
    join_fitting,
    neutralize_mentions,
    render_discord,
)
from bot.render.formats import MAX_AUTHORS, announce_label, format_date

log = logging.getLogger(__name__)

# Discord's limits. Discord's API counts them in code points, as `len()` does.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
MESSAGE_CONTENT_LIMIT = 2000

# Caps below Discord's own limits, so that the other parts of an embed always leave room
# for the abstract. Title 256, authors 1,024, categories 256, links 512, comments 1,024,
# journal reference 256 and footer 256 make 3,584, and the field names add 47.
CATEGORIES_CAP = 256
LINKS_CAP = 512
COMMENT_CAP = 1024
JOURNAL_REF_CAP = 256
FOOTER_CAP = 256
HEADER_NAME_CAP = 200

ARXIV_RED = 0xB31B1B
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9:/?#=&%~\-._+]")


def paper_embed(
    paper: Paper,
    *,
    abstract_length: int = 600,
    highlight_terms: Sequence[str] = (),
) -> discord.Embed:
    """Build the embed for `paper` within every Discord limit.

    The title links to the abstract page. The description is the abstract cut at a word
    boundary to `abstract_length` characters (the ellipsis included, markup not counted),
    with `highlight_terms` in bold. Fields list authors, categories, links, comments and
    the journal reference, and the footer shows the versioned id and the announce type.
    """
    if abstract_length < 0:
        raise RenderError(f"abstract_length must be 0 or more, got {abstract_length}")

    embed = discord.Embed(
        title=_title(paper),
        url=_safe_url(paper.abs_url),
        colour=ARXIV_RED,
    )
    for name, value in _fields(paper):
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=_footer(paper))

    description = _description(
        paper.abstract,
        abstract_length=abstract_length,
        highlight_terms=highlight_terms,
        room=EMBED_TOTAL_LIMIT - len(embed),
    )
    if description:
        embed.description = description
    return embed


def digest_header(
    name: str, date: dt.date | None, count: int, *, matched: int | None = None
) -> str:
    """Build the one-line header of a digest post, such as `**Vision**: 7 papers from …`.

    `matched` is the number of matching papers before the digest's cap; when it exceeds
    `count`, the header says how many were left out. The digest name is escaped,
    mention-safe and cut to 200 characters, so the line stays far below Discord's
    2,000-character message limit.
    """
    if count < 0:
        raise RenderError(f"paper count must be 0 or more, got {count} for digest {name!r}")

    label = collapse_whitespace(name) or "arXiv digest"
    shown_name = fit_text(label, render_discord, HEADER_NAME_CAP)

    if count == 0:
        amount = "no papers"
    elif count == 1:
        amount = "1 paper"
    else:
        amount = f"{count} papers"
    if matched is not None and matched > count:
        amount = f"{count} of {matched} matching papers"

    if date is None:
        source = "arXiv's latest announcement"
    else:
        source = f"arXiv's announcement of {format_date(date)}"

    return f"**{shown_name}**: {amount} from {source}"


def _title(paper: Paper) -> str:
    title = collapse_whitespace(paper.title) or f"arXiv:{paper.versioned_id}"
    return fit_text(title, render_discord, TITLE_LIMIT)


def _description(
    abstract: str,
    *,
    abstract_length: int,
    highlight_terms: Sequence[str],
    room: int,
) -> str:
    abstract = abstract.strip()
    if not abstract or abstract_length == 0:
        return ""

    pattern = highlight_pattern(highlight_terms)
    limit = min(DESCRIPTION_LIMIT, room)
    return fit_text(
        abstract,
        lambda text: render_discord(text, pattern),
        limit,
        visible_limit=abstract_length,
    )


def _fields(paper: Paper) -> list[tuple[str, str]]:
    candidates = [
        ("Authors", _authors(paper.authors)),
        ("Categories", _categories(paper.categories)),
        ("Links", _links(paper)),
        ("Comments", _optional(paper.comment, COMMENT_CAP)),
        ("Journal reference", _optional(paper.journal_ref, JOURNAL_REF_CAP)),
    ]
    # Discord rejects a field whose value is empty.
    return [(name, value) for name, value in candidates if value]


def _authors(authors: Sequence[str]) -> str:
    names = [name for name in (collapse_whitespace(author) for author in authors) if name]
    if not names:
        return ""

    shown = [render_discord(name) for name in names[:MAX_AUTHORS]]
    truncated = len(names) > MAX_AUTHORS
    value = join_fitting(shown, ", ", FIELD_VALUE_LIMIT, "et al.", truncated=truncated)
    if value:
        return value

    # Not even the first name fits with "et al.": cut that name instead.
    first = fit_text(names[0], render_discord, FIELD_VALUE_LIMIT - len(", et al."))
    return f"{first}, et al."


def _categories(categories: Sequence[str]) -> str:
    names = [name for name in (collapse_whitespace(c) for c in categories) if name]
    rendered = [render_discord(name) for name in names]
    value = join_fitting(rendered, " · ", CATEGORIES_CAP, ELLIPSIS)
    if value or not names:
        return value
    return fit_text(names[0], render_discord, CATEGORIES_CAP)


def _links(paper: Paper) -> str:
    links = [f"[Abstract]({_safe_url(paper.abs_url)})", f"[PDF]({_safe_url(paper.pdf_url)})"]
    if paper.doi and paper.doi.strip():
        links.append(f"[DOI]({_safe_url('https://doi.org/' + paper.doi.strip())})")

    value = " · ".join(links)
    if len(value) <= LINKS_CAP:
        return value

    # Only a malformed id or DOI makes the links this long. A cut URL would point somewhere
    # wrong, so the value falls back to the PDF link alone, or to no links.
    log.warning(
        "Kept only the PDF link of paper %r because its links take %d characters",
        paper.id[:100],
        len(value),
    )
    value = links[1]
    return value if len(value) <= LINKS_CAP else ""


def _optional(text: str | None, cap: int) -> str:
    text = collapse_whitespace(text or "")
    if not text:
        return ""
    return fit_text(text, render_discord, cap)


def _footer(paper: Paper) -> str:
    # Discord shows footers without markdown, so only mentions are neutralized here.
    parts = [f"arXiv:{collapse_whitespace(paper.versioned_id)}"]
    if paper.announce_type:
        parts.append(announce_label(paper.announce_type))

    return fit_text(" · ".join(parts), neutralize_mentions, FOOTER_CAP)


def _safe_url(url: str) -> str:
    # Percent-encode anything that could end a markdown link early or make Discord reject
    # the URL: spaces, brackets, parentheses and quotes from a malformed id or DOI.
    return _URL_UNSAFE.sub(lambda match: quote(match.group(), safe=""), url)
