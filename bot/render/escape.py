"""Escape text for Discord and GitHub markdown, bold matched terms and cut text to a limit.

Text from arXiv and from users is never trusted: every character that Discord reads as
markup is escaped with a backslash, and every mention is broken with a zero-width space.
URLs are left as they are, because a backslash inside an autolinked URL becomes part of it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

ELLIPSIS = "…"
ZERO_WIDTH_SPACE = "\u200b"

# A URL ends before trailing punctuation, which belongs to the sentence around it. Markup
# characters end it too, so an unescaped URL can never open or close a span of markup.
_URL = re.compile(r"https?://[^\s<>*~|`\[\]\"]*[^\s<>*~|`\[\]\"'.,:;!?)]")

_DISCORD_CHARS = re.compile(r"([\\*_~`|>\[\]])")
# Headings, subtext, bullet and numbered lists only count at the start of a line.
_DISCORD_LINE_START = re.compile(r"^([ \t]*)(#{1,3}[ \t]|-#[ \t]|[-+][ \t]|\d+(?=[.)][ \t]))", re.M)

_GITHUB_CHARS = re.compile(r"([\\*_~`|<>\[\]$])")
_GITHUB_ENTITY = re.compile(r"&(?=#?\w+;)")
_GITHUB_LINE_START = re.compile(
    r"^([ \t]*)(#{1,6}(?:[ \t]|$)|[-+=][ \t]|[-=]{2,}|\d+(?=[.)][ \t]))", re.M
)

# `@everyone`, `@here`, `<@id>`, `<@!id>` and `<@&id>`: a zero-width space after the `@`
# leaves the text readable and stops Discord from parsing a mention.
_MENTION = re.compile(r"@(?=everyone|here|[!&]?\d)", re.I)

# Spaces, hyphens and slashes between the words of a phrase are interchangeable, as in the
# rule language (`vision-language` matches the term `vision language`).
_PHRASE_GAP = r"[\s\-/]+"
_TERM_SPLIT = re.compile(r"[\s\-/]+")


class RenderError(ValueError):
    """Base of the errors raised for arguments that cannot be rendered."""


def neutralize_mentions(text: str) -> str:
    """Insert a zero-width space after every `@` that would start a Discord mention."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, text)


def escape_text(text: str) -> str:
    """Escape Discord markdown in `text`, leaving URLs unchanged."""
    return _map_outside_urls(_normalize_newlines(text), _escape_discord_plain)


def safe_markdown(text: str) -> str:
    """Escape Discord markdown and neutralize mentions, for text shown in Discord."""
    return neutralize_mentions(escape_text(text))


def escape_github(text: str) -> str:
    """Escape GitHub-flavoured markdown and inline HTML in `text`, leaving URLs unchanged."""
    return _map_outside_urls(_normalize_newlines(text), _escape_github_plain)


def collapse_whitespace(text: str) -> str:
    """Replace every run of whitespace with one space and strip both ends."""
    return " ".join(text.split())


def highlight_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Compile a case-insensitive pattern for whole occurrences of `terms`, or None.

    A term may be quoted, end in `*` for a prefix, or be a phrase whose words are
    separated by spaces, hyphens or slashes. A plural `s` or `es` after a term matches too.
    """
    alternatives: dict[str, None] = {}
    for term in terms:
        alternative = _term_regex(term)
        if alternative:
            alternatives[alternative.casefold()] = None

    if not alternatives:
        return None

    # Longer alternatives first, so a phrase wins over a single word it starts with.
    ordered = sorted(alternatives, key=len, reverse=True)
    return _compile_alternatives(tuple(ordered))


@functools.lru_cache(maxsize=4096)
def _compile_alternatives(ordered: tuple[str, ...]) -> re.Pattern[str]:
    # Papers of one digest share most matched terms, so the same pattern recurs often.
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)", re.I)


def render_discord(text: str, highlight: re.Pattern[str] | None = None) -> str:
    """Render `text` for Discord: escaped, mention-safe and with `highlight` matches in bold."""
    text = _normalize_newlines(text)
    if highlight is None:
        rendered = _map_outside_urls(text, _escape_discord_plain)
    else:
        rendered = _map_outside_urls(text, lambda plain: _bold_matches(plain, highlight))

    # Mentions are broken last, so that a term such as `pass@1` can still be matched.
    return neutralize_mentions(rendered)


def fit_text(
    text: str,
    render: Callable[[str], str],
    limit: int,
    *,
    visible_limit: int | None = None,
) -> str:
    """Render `text`, or its longest prefix that fits with `…`, in at most `limit` characters.

    `render` must never make text shorter. `visible_limit` caps the unrendered prefix plus
    the ellipsis, so escapes and bold markers do not count against it. The cut falls at a
    word boundary unless that would drop more than half of the text that fits. It never
    splits an escape, because the prefix is rendered as a whole, and never separates a
    character from the combining marks or joiners that follow it. Returns an empty string
    when `limit` is below 1.
    """
    if visible_limit is None:
        visible_limit = len(text)

    if len(text) <= visible_limit:
        rendered = render(text)
        if len(rendered) <= limit:
            return rendered
    if limit < 1 or visible_limit < 1:
        return ""

    def fits(cut: int) -> bool:
        return len(render(text[:cut]) + ELLIPSIS) <= limit

    # Rendering never shortens text, so no prefix longer than `limit - 1` can fit. Usually
    # the visible limit binds first, and one render confirms it without a search.
    upper = min(len(text), limit - 1, visible_limit - 1)
    cut = upper if fits(upper) else _longest_fitting_prefix(fits, upper)
    cut = _word_boundary(text, cut)
    prefix = _trim_end(text[:cut])
    while prefix and not fits(len(prefix)):
        cut = len(prefix) - 1
        while cut > 0 and _continues_cluster(text, cut):
            cut -= 1
        prefix = _trim_end(text[:cut])

    return render(prefix) + ELLIPSIS


def join_fitting(
    items: Sequence[str],
    separator: str,
    limit: int,
    overflow: str,
    *,
    truncated: bool = False,
) -> str:
    """Join the leading `items` that fit in `limit` characters, then `overflow` if any are left.

    The items must already be rendered. When `truncated` is true, items were left out before
    this call, so `overflow` is added even when every item fits. Returns an empty string
    when not even the first item fits with `overflow`.
    """
    joined = separator.join(items)
    if not truncated and len(joined) <= limit:
        return joined

    tail = separator + overflow
    kept: list[str] = []
    used = len(tail)
    for item in items:
        extra = len(item) + (len(separator) if kept else 0)
        if used + extra > limit:
            break
        kept.append(item)
        used += extra

    if not kept:
        return ""
    return separator.join(kept) + tail


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _map_outside_urls(text: str, transform: Callable[[str], str]) -> str:
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        parts.append(transform(text[position : match.start()]))
        parts.append(match.group())
        position = match.end()

    parts.append(transform(text[position:]))
    return "".join(parts)


def _escape_discord_plain(text: str) -> str:
    text = _DISCORD_CHARS.sub(r"\\\1", text)
    return _DISCORD_LINE_START.sub(_escape_line_start, text)


def _escape_github_plain(text: str) -> str:
    text = _GITHUB_CHARS.sub(r"\\\1", text)
    text = _GITHUB_ENTITY.sub(r"\\&", text)
    return _GITHUB_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker = match.groups()
    # Markdown escapes only punctuation, so a numbered list is escaped at its `.` or `)`.
    if marker[0].isdigit():
        return indent + marker + "\\"
    return indent + "\\" + marker


def _bold_matches(text: str, highlight: re.Pattern[str]) -> str:
    # Touching matches share one bold span, because `****` between them is ambiguous.
    spans: list[list[int]] = []
    for match in highlight.finditer(text):
        if spans and spans[-1][1] == match.start():
            spans[-1][1] = match.end()
        else:
            spans.append([match.start(), match.end()])

    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(_escape_discord_plain(text[position:start]))
        parts.append("**" + _escape_discord_plain(text[start:end]) + "**")
        position = end

    parts.append(_escape_discord_plain(text[position:]))
    return "".join(parts)


def _term_regex(term: str) -> str:
    term = term.strip().strip('"').strip()
    prefix = term.endswith("*")
    words = [word for word in _TERM_SPLIT.split(term.rstrip("*")) if word]
    if not words:
        return ""

    body = _PHRASE_GAP.join(re.escape(word) for word in words)
    return body + (r"\w*" if prefix else "(?:e?s)?")


def _trim_end(text: str) -> str:
    # Punctuation right before the ellipsis reads as a typo.
    return text.rstrip().rstrip(",.;:").rstrip()


def _longest_fitting_prefix(fits: Callable[[int], bool], upper: int) -> int:
    low, high = 0, upper
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _word_boundary(text: str, cut: int) -> int:
    if cut >= len(text) or text[cut].isspace():
        return cut

    for index in range(cut - 1, cut // 2, -1):
        if text[index].isspace():
            return index

    # A long unbroken word: cut inside it, but keep each character with its marks.
    while cut > 0 and _continues_cluster(text, cut):
        cut -= 1
    return cut


def _continues_cluster(text: str, index: int) -> bool:
    char = text[index]
    previous = text[index - 1]
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    if char in "\u200c\u200d" or previous == "\u200d":
        return True
    code = ord(char)
    # Variation selectors, emoji skin tone modifiers and emoji tag characters.
    if 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return True
    return _splits_flag(text, index)


def _splits_flag(text: str, index: int) -> bool:
    # A flag is a pair of regional indicators: count the run before `index` to find pairs.
    def is_indicator(char: str) -> bool:
        return 0x1F1E6 <= ord(char) <= 0x1F1FF

    if not is_indicator(text[index]):
        return False

    run = 0
    while index - run - 1 >= 0 and is_indicator(text[index - run - 1]):
        run += 1
    return run % 2 == 1
