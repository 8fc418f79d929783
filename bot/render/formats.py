"""Render a digest's selected papers for the command line: plain text, markdown and JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Sequence
from typing import Any

from bot.models import Paper, SelectedPaper
from bot.render.escape import collapse_whitespace, escape_github

MAX_AUTHORS = 6
TEXT_WIDTH = 88
TEXT_INDENT = "    "

ANNOUNCE_LABELS = {
    "new": "new",
    "cross": "cross-list",
    "replace": "replacement",
    "replace-cross": "replacement cross-list",
}

# Day and month names are spelled out here because `strftime` follows the process locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Terminal control characters from a feed could move the cursor or recolour the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def format_date(date: dt.date) -> str:
    """Format `date` as `Mon 10 Nov 2025`, independent of the locale."""
    return f"{_WEEKDAYS[date.weekday()]} {date.day} {_MONTHS[date.month - 1]} {date.year}"


def announce_label(announce_type: str) -> str:
    """Return the label shown for an announce type (`replace-cross`: `replacement cross-list`)."""
    return ANNOUNCE_LABELS.get(announce_type, announce_type)


def author_list(authors: Sequence[str]) -> str:
    """Join the first six authors with commas, followed by `et al.` when there are more."""
    names = [name for name in (collapse_whitespace(author) for author in authors) if name]
    shown = ", ".join(names[:MAX_AUTHORS])
    if len(names) > MAX_AUTHORS:
        shown += ", et al."
    return shown


def render_text(selected: Sequence[SelectedPaper], *, date: dt.date | None) -> str:
    """Render papers as numbered plain text for a terminal, abstracts wrapped to 88 columns."""
    day = format_date(date) if date else "latest announcement"
    lines = [f"arXiv digest · {day} · {_count(len(selected))}"]

    for index, item in enumerate(selected, start=1):
        lines.append("")
        lines.extend(_text_entry(index, item))

    return _CONTROL.sub("", "\n".join(lines)) + "\n"


def render_markdown(selected: Sequence[SelectedPaper], *, title: str, date: dt.date | None) -> str:
    """Render papers as a GitHub markdown page: linked titles, ids, categories, abstracts.

    Each paper gets a heading with the title linked to its abstract page and a line with
    `arXiv:ID`, the categories, the announce type and a PDF link. The first six authors, the
    keyword lines that matched and the abstract in a collapsible block follow.
    """
    heading = escape_github(collapse_whitespace(title) or "arXiv digest")
    if date:
        heading += f" · {format_date(date)}"

    parts = [f"# {heading}", _count(len(selected)).capitalize() + "."]
    for index, item in enumerate(selected, start=1):
        parts.append(_markdown_entry(index, item))

    return "\n\n".join(parts) + "\n"


def render_json(selected: Sequence[SelectedPaper]) -> str:
    """Render papers as a JSON array with one object per paper, in the given order."""
    records = [_json_record(item) for item in selected]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def _count(count: int) -> str:
    if count == 0:
        return "no papers"
    return "1 paper" if count == 1 else f"{count} papers"


def _text_entry(index: int, item: SelectedPaper) -> list[str]:
    paper = item.paper
    marker = f"[{index}] "
    indent = " " * len(marker)

    title = collapse_whitespace(paper.title) or "(no title)"
    lines = textwrap.wrap(
        title, TEXT_WIDTH, initial_indent=marker, subsequent_indent=indent, break_on_hyphens=False
    )
    lines.append(indent + _id_line(paper, ", "))
    if paper.authors:
        lines.extend(_wrapped("Authors: " + author_list(paper.authors), indent))
    if item.matched_lines:
        lines.extend(_wrapped("Matched: " + "; ".join(item.matched_lines), indent))

    abstract = collapse_whitespace(paper.abstract)
    if abstract:
        lines.append("")
        lines.extend(_wrapped(abstract, indent))
    return lines


def _wrapped(text: str, indent: str) -> list[str]:
    # Hyphenated words stay whole, so that an id or a term can be copied from the terminal.
    return textwrap.wrap(
        text, TEXT_WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def _id_line(paper: Paper, category_separator: str) -> str:
    parts = [f"arXiv:{paper.versioned_id}"]
    if paper.categories:
        parts.append(category_separator.join(paper.categories))
    if paper.announce_type:
        parts.append(announce_label(paper.announce_type))
    return " · ".join(parts)


def _markdown_entry(index: int, item: SelectedPaper) -> str:
    paper = item.paper
    title = escape_github(collapse_whitespace(paper.title)) or f"arXiv:{paper.versioned_id}"
    lines = [f"### {index}. [{title}]({_markdown_url(paper.abs_url)})", ""]

    details = [_code(f"arXiv:{paper.versioned_id}")]
    if paper.categories:
        details.append(" ".join(_code(category) for category in paper.categories))
    if paper.announce_type:
        details.append(escape_github(announce_label(paper.announce_type)))
    details.append(f"[PDF]({_markdown_url(paper.pdf_url)})")
    lines.append(" · ".join(details))

    if paper.authors:
        lines += ["", f"*{escape_github(author_list(paper.authors))}*"]
    if item.matched_lines:
        matched = ", ".join(_code(line) for line in item.matched_lines)
        lines += ["", f"Matched: {matched}"]

    abstract = escape_github(collapse_whitespace(paper.abstract))
    if abstract:
        # GitHub renders markdown inside <details> only after a blank line.
        lines += ["", "<details><summary>Abstract</summary>", "", abstract, "", "</details>"]
    return "\n".join(lines)


def _code(text: str) -> str:
    # A backtick would end the code span early; ids, categories and rule lines never need one.
    text = collapse_whitespace(text.replace("`", "'"))
    return f"`{text}`" if text else "` `"


def _markdown_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _json_record(item: SelectedPaper) -> dict[str, Any]:
    paper = item.paper
    return {
        "id": paper.id,
        "version": paper.version,
        "title": paper.title,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "announce_type": paper.announce_type,
        "matched": list(item.matched_lines),
        "matched_terms": list(item.matched_terms),
        "abstract": paper.abstract,
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "published": paper.published.isoformat() if paper.published else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
    }
