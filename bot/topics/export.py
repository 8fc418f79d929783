"""Writing digests as a topic file in the `config.yml` format of the public daily digests."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import yaml

from bot.models import Digest

# Rule lines treat these as the start and the end of a quoted phrase.
_OPENING_QUOTES = frozenset('"\u201c\u201e')
_CLOSING_QUOTES = frozenset('"\u201d\u201c')
_WORD_END = frozenset("()") | _OPENING_QUOTES | _CLOSING_QUOTES
_OPERATOR_WORDS = frozenset(("AND", "OR", "NOT", "ANDNOT"))
# `*` makes a prefix search and `word:` may name a field, so words with them are not terms.
_RULE_CHARACTERS = frozenset("*:")

HEADER = (
    "# Digest topics exported by arxiv-digest, in the config.yml format of the public",
    "# daily arXiv digests. Channels, post times, time zones and the other digest settings",
    "# are not part of this format.",
)
RAW_RULE_NOTE = (
    "# The next line uses rule syntax that topic files do not have. The public digests,",
    "# and an import into arxiv-digest, read it as plain text.",
)


def split_simple_line(line: str) -> tuple[str, ...] | None:
    """Return the terms of a rule line that is one term or terms joined by AND, else None.

    A term is a run of bare words and quoted phrases. It is returned without quotes and
    with its whitespace collapsed. A line with any other rule syntax (OR, NOT, ANDNOT,
    parentheses, `*`, a word with a colon, an unclosed quote) gives None.
    """
    terms: list[str] = []
    words: list[str] = []
    for kind, text in _tokens(line):
        if kind == "word" and text == "AND":
            if not words:
                return None
            terms.append(" ".join(words))
            words = []
        elif kind == "phrase" or (kind == "word" and _is_plain_word(text)):
            words.extend(text.split())
        else:
            return None

    if not words:
        return None
    terms.append(" ".join(words))
    return tuple(terms)


def _is_plain_word(word: str) -> bool:
    return word not in _OPERATOR_WORDS and _RULE_CHARACTERS.isdisjoint(word)


def _tokens(line: str) -> Iterator[tuple[str, str]]:
    """Yield ("word", text), ("phrase", text) or ("syntax", text) for each token of a line."""
    index = 0
    while index < len(line):
        char = line[index]
        if char.isspace():
            index += 1
        elif char in _OPENING_QUOTES:
            end = index + 1
            while end < len(line) and line[end] not in _CLOSING_QUOTES:
                end += 1
            yield ("phrase", line[index + 1 : end]) if end < len(line) else ("syntax", char)
            index = end + 1
        elif char in _WORD_END:
            yield "syntax", char
            index += 1
        else:
            end = index
            while end < len(line) and not line[end].isspace() and line[end] not in _WORD_END:
                end += 1
            yield "word", line[index:end]
            index = end


def digests_to_yaml(digests: Sequence[Digest]) -> str:
    """Write digests as a topic file with one topic per digest, named after the digest.

    `category:` is the union of the digests' categories, with a comment when the digests
    differ in them. A keyword line that is one term or terms joined by AND becomes a
    string or a list, without quotes. Any other line is written as the rule itself, with a
    comment saying that the public digests read it as plain text.
    """
    categories = list(dict.fromkeys(code for digest in digests for code in digest.categories))
    lines = list(HEADER)
    lines.extend(_category_comment(digests))
    lines.append("category:" if categories else "category: []")
    lines.extend(f"  - {_scalar(code)}" for code in categories)

    lines.append("topic:" if digests else "topic: {}")
    for digest in digests:
        lines.append(f"  {_scalar(digest.name)}:")
        lines.extend(_keyword_entries(digest.keywords))
        lines.extend(_filter_entries(digest.exclusions))
    return "\n".join(lines) + "\n"


def _category_comment(digests: Sequence[Digest]) -> list[str]:
    if len({frozenset(digest.categories) for digest in digests}) <= 1:
        return []
    comment = [
        "# The digests follow different categories, listed here. Every digest imported from",
        "# this file follows all the categories under category:.",
    ]
    comment.extend(f"#   {digest.name}: {' '.join(digest.categories)}" for digest in digests)
    return comment


def _keyword_entries(rule_lines: Sequence[str]) -> list[str]:
    if not rule_lines:
        return ["    keywords: []"]
    entries = ["    keywords:"]
    for line in rule_lines:
        terms = split_simple_line(line)
        if terms is None:
            entries.extend(f"      {note}" for note in RAW_RULE_NOTE)
            entries.append(f"      - {_scalar(line)}")
        elif len(terms) == 1:
            entries.append(f"      - {_scalar(terms[0])}")
        else:
            entries.append(f"      - [{', '.join(_scalar(term) for term in terms)}]")
    return entries


def _filter_entries(rule_lines: Sequence[str]) -> list[str]:
    if not rule_lines:
        return ["    filters: []"]
    entries = ["    filters:"]
    for line in rule_lines:
        terms = split_simple_line(line)
        if terms is None or len(terms) > 1:
            # Filters are single strings in the topic format, so an AND is rule syntax here.
            entries.extend(f"      {note}" for note in RAW_RULE_NOTE)
            entries.append(f"      - {_scalar(line)}")
        else:
            entries.append(f"      - {_scalar(terms[0])}")
    return entries


def _scalar(text: str) -> str:
    """Return `text` as a one-line YAML scalar, quoted only where YAML needs it."""
    # A scalar written inside a flow sequence is valid in every place this module puts
    # one: as a list item, inside [a, b], and as a mapping key.
    dumped = yaml.safe_dump([text], default_flow_style=True, width=math.inf, allow_unicode=True)
    return str(dumped).strip()[1:-1]
