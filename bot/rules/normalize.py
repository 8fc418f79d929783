"""Text folding shared by keyword parsing and matching.

Keyword lines and paper text go through the same `fold`: accents removed, case folded,
every whitespace character turned into a space and every dash into "-". Folding keeps a
map back to the original characters, so a match can be reported in its original
spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.models import Paper

# A letter or digit in any script. The underscore is not a word character here, so
# "LLM_based" still contains the word "llm".
WORD_CHAR = r"[^\W_]"
WORD_CHAR_PATTERN = re.compile(WORD_CHAR)

# Characters that join the words of a phrase. They are interchangeable, so
# "vision-language", "vision/language" and "vision language" are the same phrase.
SEPARATOR_RUN = re.compile(r"[\s/\-]+")

# Letters that Unicode does not decompose into a base letter and an accent.
_LETTER_FOLDS = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ı": "i",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ð": "d",
}
_QUOTE_FOLDS = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"'}
_MINUS_SIGN = "\u2212"

_ASCII_FOLD: dict[int, int] = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
_ASCII_FOLD.update({code: ord(" ") for code in range(128) if chr(code).isspace()})
_ASCII_RUN_OR_CHAR = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")

# The title and the abstract, and the names of the authors, are joined by a newline in the
# folded text. No phrase separator matches it, so a phrase never runs from the end of the
# title into the abstract, or from one author's name into the next.
PART_JOIN = "\n"
# Folds ASCII text that is already joined, leaving the joins in place.
_ASCII_FOLD_KEEP_JOIN = {**_ASCII_FOLD, ord(PART_JOIN): ord(PART_JOIN)}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Fold one non-ASCII character; the result may be empty or longer than one character."""
    if char.isspace():
        return " "
    if unicodedata.category(char) == "Pd" or char == _MINUS_SIGN:
        return "-"
    if char in _QUOTE_FOLDS:
        return _QUOTE_FOLDS[char]
    if unicodedata.category(char) == "Cf":
        # Soft hyphens and zero-width spaces or joiners must not split a word.
        return ""

    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(part for part in decomposed if not unicodedata.combining(part))
    return "".join(_LETTER_FOLDS.get(part, part) for part in base.casefold())


def fold_with_origin(text: str) -> tuple[str, list[int] | None]:
    """Fold `text` and map each folded character back to its index in `text`.

    The map is None when folding kept every character in place, which is the case for
    all ASCII text.
    """
    if text.isascii():
        return text.translate(_ASCII_FOLD), None
    pieces: list[str] = []
    origin: list[int] = []
    _fold_into(text, 0, pieces, origin)
    return "".join(pieces), origin


def _fold_into(text: str, offset: int, pieces: list[str], origin: list[int]) -> None:
    # Appends the folded pieces of `text`, and the index of each folded character in
    # `text` plus `offset`, so that several texts can share one map.
    for run in _ASCII_RUN_OR_CHAR.finditer(text):
        chunk = run.group()
        if chunk.isascii():
            pieces.append(chunk.translate(_ASCII_FOLD))
            origin.extend(range(offset + run.start(), offset + run.end()))
        else:
            folded = _fold_char(chunk)
            pieces.append(folded)
            origin.extend([offset + run.start()] * len(folded))


def fold(text: str) -> str:
    """Return `text` with accents removed, case folded, whitespace as spaces, dashes as "-"."""
    return fold_with_origin(text)[0]


def split_words(folded: str) -> tuple[str, ...]:
    """Split folded text into words at runs of spaces, hyphens and slashes."""
    return tuple(word for word in SEPARATOR_RUN.split(folded) if word)


@dataclass(frozen=True, slots=True)
class FoldedParts:
    """Several strings, such as a paper's author names, folded one by one for matching.

    `folded` joins the folded parts with a newline, which no phrase separator matches, so a
    phrase never runs from one part into the next. `origin` maps each index of `folded` to
    an index of the parts joined by a newline, or is None when the two line up one to one.
    """

    parts: tuple[str, ...]
    folded: str
    origin: tuple[int, ...] | None

    def locate(self, start: int, end: int) -> tuple[int, int, int]:
        """Map the span `folded[start:end]` to a part: its index and the span inside it."""
        text_start, text_end = _original_span(self.origin, PART_JOIN.join(self.parts), start, end)
        offset = 0
        for index, part in enumerate(self.parts):
            if text_start < offset + len(part):
                return index, text_start - offset, min(text_end - offset, len(part))
            offset += len(part) + len(PART_JOIN)
        raise ValueError(f"span {start}:{end} is outside the folded parts")


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A paper's fields, folded once for matching against any number of rules.

    `text` is `title + " " + abstract` as given. `folded` is the folded title and abstract
    joined by a newline, and `title_end` the index of that newline. `squeezed` is `folded`
    without hyphens, which makes a quick substring test possible before a regular
    expression runs. `origin` maps each index of `folded` to an index of `text`, or is None
    when the two line up one to one. `authors` are the folded author names, and
    `category_text` the category codes in lower case, one per line.
    """

    text: str
    folded: str
    squeezed: str
    origin: tuple[int, ...] | None
    title: str
    abstract: str
    title_end: int
    authors: FoldedParts
    categories: tuple[str, ...]
    category_text: str

    @property
    def title_length(self) -> int:
        """The length of the title, which starts `text`."""
        return len(self.title)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the span `folded[start:end]` to the span of `text` it came from.

        The span grows over characters that folding dropped right after it, such as the
        combining accent of a decomposed "é".
        """
        return _original_span(self.origin, self.text, start, end)


def _original_span(
    origin: tuple[int, ...] | None, text: str, start: int, end: int
) -> tuple[int, int]:
    if origin is None:
        return start, end
    following = origin[end] if end < len(origin) else len(text)
    return origin[start], max(origin[end - 1] + 1, following)


def fold_parts(parts: Sequence[str], join: str) -> tuple[str, tuple[int, ...] | None]:
    """Fold each part, join the results with a newline and map them back to the original.

    The map points into `join.join(parts)`, and `join` must be one character. The map is
    None when every index maps to itself, which is the case for ASCII parts.
    """
    joined = PART_JOIN.join(parts)
    if joined.isascii() and joined.count(PART_JOIN) == len(parts) - 1:
        return joined.translate(_ASCII_FOLD_KEEP_JOIN), None

    pieces: list[str] = []
    origin: list[int] = []
    offset = 0
    for part in parts:
        if offset:
            pieces.append(PART_JOIN)
            origin.append(offset - len(join))
        _fold_into(part, offset, pieces, origin)
        offset += len(part) + len(join)
    return "".join(pieces), tuple(origin)


def prepare(
    title: str, abstract: str, authors: Sequence[str] = (), categories: Sequence[str] = ()
) -> PreparedText:
    """Fold a paper's title, abstract and author names for matching; do it once per paper."""
    folded, origin = fold_parts((title, abstract), " ")
    author_parts = tuple(authors)
    folded_authors, author_origin = fold_parts(author_parts, PART_JOIN)
    return PreparedText(
        text=f"{title} {abstract}",
        folded=folded,
        squeezed=folded.replace("-", ""),
        origin=origin,
        title=title,
        abstract=abstract,
        title_end=folded.index(PART_JOIN),
        authors=FoldedParts(author_parts, folded_authors, author_origin),
        categories=tuple(categories),
        category_text=PART_JOIN.join(categories).lower(),
    )


def prepare_paper(paper: Paper) -> PreparedText:
    """Fold a paper's title, abstract, authors and categories for matching."""
    return prepare(paper.title, paper.abstract, paper.authors, paper.categories)
