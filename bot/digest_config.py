"""Validation of the values a server admin enters for a digest.

Every parser raises DigestConfigError with a message that names the rejected value and
states what to enter instead, so slash commands and the command line can show it as is.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable
from functools import cache

from bot.arxiv.categories import UnknownCategoryError, normalize_category
from bot.rules import RuleError, compile_rule

MAX_NAME_LENGTH = 50
MAX_RULE_LINES = 50
MAX_PAPERS_LIMIT = 100
DEFAULT_ABSTRACT_LENGTH = 600
MIN_ABSTRACT_LENGTH = 100
MAX_ABSTRACT_LENGTH = 4000
# Keyword lines are short phrases. A longer line is rejected, which also keeps the error
# messages that quote a line short.
MAX_RULE_LINE_LENGTH = 500
# Values quoted in error messages are cut to this many characters, so that a message
# about a long value stays within Discord's 2,000 characters.
MAX_QUOTED_LENGTH = 60

_TIME_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})$")
# Keyword lines are entered on one line in a slash command, so commas, semicolons and
# line breaks all separate them.
_SEPARATORS = frozenset(",;\n")
_QUOTES = frozenset('"\u201c\u201d\u201e')


class DigestConfigError(ValueError):
    """A digest setting entered by a user is invalid. The message is written for that user."""


def quote_value(text: str, limit: int = MAX_QUOTED_LENGTH) -> str:
    """Quote a value a user entered for an error message, cut to `limit` characters.

    repr() shows control and invisible characters as escapes, so the user can see
    exactly what was rejected.
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}…"


def _check_printable(text: str, label: str) -> None:
    """Raise DigestConfigError when `text` contains a control character other than whitespace.

    Such characters cannot be seen or typed on purpose, and PostgreSQL rejects NUL in text.
    """
    for position, char in enumerate(text):
        if unicodedata.category(char) == "Cc" and not char.isspace():
            raise DigestConfigError(
                f"The {label} {quote_value(text)} contains the control character "
                f"U+{ord(char):04X} at position {position}. Remove it and try again."
            )


def parse_name(text: str) -> str:
    """Return the digest name with its whitespace collapsed, or raise DigestConfigError."""
    name = normalize_name(text)
    visible = "".join(char for char in name if unicodedata.category(char) not in ("Cf", "Zs"))
    if not visible:
        raise DigestConfigError("The digest name is empty. Give the digest a short name.")
    if len(name) > MAX_NAME_LENGTH:
        raise DigestConfigError(
            f"The digest name {quote_value(name)} is longer than {MAX_NAME_LENGTH} "
            "characters. Choose a shorter name."
        )
    _check_printable(name, "digest name")
    return name


def normalize_name(text: str) -> str:
    """Collapse runs of whitespace in a digest name, as names are stored and looked up."""
    return " ".join(text.split())


def parse_post_time(text: str) -> dt.time:
    """Parse a 24-hour `HH:MM` post time such as `09:00`."""
    match = _TIME_PATTERN.match(text.strip())
    hour, minute = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DigestConfigError(
            f"Invalid post time {quote_value(text)}. Use 24-hour HH:MM between 00:00 and 23:59, "
            "for example 09:00."
        )
    return dt.time(hour, minute)


@cache
def _timezones_by_lower_name() -> dict[str, str]:
    # "localtime" and "Factory" are tzdata entries, not places a user could mean.
    names = zoneinfo.available_timezones() - {"localtime", "Factory"}
    return {name.lower(): name for name in names}


def parse_timezone(text: str) -> str:
    """Return the canonical IANA time zone name for `text` (any case), e.g. `Europe/Berlin`."""
    name = _timezones_by_lower_name().get(text.strip().lower())
    if name is None:
        suggestions = search_timezones(text, limit=3)
        hint = f"Did you mean {', '.join(suggestions)}? " if suggestions else ""
        raise DigestConfigError(
            f"Unknown time zone {quote_value(text)}. {hint}Use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC (the option suggests names as you type)."
        )
    return name


def search_timezones(text: str, limit: int = 25) -> list[str]:
    """Return up to `limit` IANA time zone names containing `text`, for autocomplete."""
    needle = text.strip().lower().replace(" ", "_")
    names = sorted(_timezones_by_lower_name().values())
    starts = [name for name in names if name.lower().startswith(needle)]
    contains = [name for name in names if needle in name.lower() and name not in starts]
    return (starts + contains)[:limit]


def parse_categories(text: str) -> tuple[str, ...]:
    """Parse arXiv categories separated by spaces or commas, e.g. `cs.CV cs.CL`."""
    raw = [part for part in re.split(r"[\s,;]+", text) if part]
    if not raw:
        raise DigestConfigError(
            "No arXiv category given. Enter one or more categories, for example cs.CV cs.CL."
        )

    categories: list[str] = []
    for part in raw:
        try:
            # `cs.*` and `cs` both mean the whole archive.
            code = normalize_category(part.removesuffix(".*"))
        except UnknownCategoryError as error:
            raise DigestConfigError(str(error)) from None
        if code not in categories:
            categories.append(code)
    return tuple(categories)


def split_rule_lines(text: str | None) -> tuple[str, ...]:
    """Split keyword or exclusion text into rule lines at commas, semicolons or newlines.

    Separators inside double quotes (straight or typographic) belong to the quoted phrase.
    """
    if not text:
        return ()

    lines: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char in _QUOTES:
            quoted = not quoted
        if char in _SEPARATORS and not quoted:
            lines.append("".join(current))
            current = []
        else:
            current.append(char)
    lines.append("".join(current))
    return tuple(line.strip() for line in lines if line.strip())


def parse_rule_lines(
    keywords: Iterable[str], exclusions: Iterable[str] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check keyword and exclusion lines by compiling them, and return them as tuples."""
    keyword_lines = tuple(keywords)
    exclusion_lines = tuple(exclusions)
    if not keyword_lines:
        raise DigestConfigError(
            "No keywords given. Enter at least one keyword or phrase, for example "
            "vision language model, VLM."
        )
    if len(keyword_lines) + len(exclusion_lines) > MAX_RULE_LINES:
        raise DigestConfigError(
            f"Too many keyword and exclusion lines ({len(keyword_lines) + len(exclusion_lines)})."
            f" Use at most {MAX_RULE_LINES}."
        )

    for kind, lines in (("keyword", keyword_lines), ("exclusion", exclusion_lines)):
        for line in lines:
            _check_rule_line(line, kind)

    try:
        compile_rule(keyword_lines, exclusion_lines)
    except RuleError as error:
        raise DigestConfigError(str(error)) from None
    return keyword_lines, exclusion_lines


def _check_rule_line(line: str, kind: str) -> None:
    if len(line) > MAX_RULE_LINE_LENGTH:
        raise DigestConfigError(
            f"The {kind} {quote_value(line)} is {len(line)} characters long. "
            f"Use at most {MAX_RULE_LINE_LENGTH} characters per {kind}."
        )
    _check_printable(line, kind)


def parse_max_papers(value: int) -> int:
    """Return `value` if it is a valid maximum number of papers (1 to MAX_PAPERS_LIMIT).

    Raises DigestConfigError naming the value otherwise.
    """
    if not 1 <= value <= MAX_PAPERS_LIMIT:
        raise DigestConfigError(
            f"Invalid max_papers {value}. Use a number from 1 to {MAX_PAPERS_LIMIT}."
        )
    return value


def parse_abstract_length(value: int) -> int:
    """Return `value` if it is a valid abstract length (MIN_ to MAX_ABSTRACT_LENGTH).

    Raises DigestConfigError naming the value otherwise.
    """
    if not MIN_ABSTRACT_LENGTH <= value <= MAX_ABSTRACT_LENGTH:
        raise DigestConfigError(
            f"Invalid abstract_length {value}. Use a number from {MIN_ABSTRACT_LENGTH} "
            f"to {MAX_ABSTRACT_LENGTH}."
        )
    return value
