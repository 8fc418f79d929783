"""Text folding shared by keyword parsing and matching.

Keyword lines and paper text go through the same `fold`: accents removed, case folded,
every whitespace character turned into a space and every dash into "-". Folding keeps a
map back to the original characters, so a match can be reported in its original
spelling.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A letter or digit in any script. The underscore is not a word character here, so
# "LLM_based" still contains the word "llm".
WORD_CHAR = r"[^\W_]"

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

# The title and the abstract are joined by a newline in the folded text. No phrase
# separator matches it, so a phrase never runs from the end of the title into the abstract.
TITLE_ABSTRACT_JOIN = "\n"


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
    for run in _ASCII_RUN_OR_CHAR.finditer(text):
        chunk = run.group()
        if chunk.isascii():
            pieces.append(chunk.translate(_ASCII_FOLD))
            origin.extend(range(run.start(), run.end()))
        else:
            folded = _fold_char(chunk)
            pieces.append(folded)
            origin.extend([run.start()] * len(folded))
    return "".join(pieces), origin


def fold(text: str) -> str:
    """Return `text` with accents removed, case folded, whitespace as spaces, dashes as "-"."""
    return fold_with_origin(text)[0]


def split_words(folded: str) -> tuple[str, ...]:
    """Split folded text into words at runs of spaces, hyphens and slashes."""
    return tuple(word for word in SEPARATOR_RUN.split(folded) if word)


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A paper's title and abstract, folded once for matching against any number of rules.

    `text` is `title + " " + abstract` as given. `folded` is the folded title and abstract
    joined by a newline. `squeezed` is `folded` without hyphens, which makes a quick
    substring test possible before a regular expression runs. `origin` maps each index of
    `folded` to an index of `text`, or is None when the two line up one to one.
    """

    text: str
    folded: str
    squeezed: str
    origin: tuple[int, ...] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the span `folded[start:end]` to the span of `text` it came from.

        The span grows over characters that folding dropped right after it, such as the
        combining accent of a decomposed "é".
        """
        if self.origin is None:
            return start, end
        following = self.origin[end] if end < len(self.origin) else len(self.text)
        return self.origin[start], max(self.origin[end - 1] + 1, following)


def prepare(title: str, abstract: str) -> PreparedText:
    """Fold a paper's title and abstract for matching; do it once per paper."""
    folded_title, title_origin = fold_with_origin(title)
    folded_abstract, abstract_origin = fold_with_origin(abstract)
    folded = folded_title + TITLE_ABSTRACT_JOIN + folded_abstract

    origin: tuple[int, ...] | None = None
    if title_origin is not None or abstract_origin is not None:
        abstract_start = len(title) + 1
        title_part = title_origin if title_origin is not None else range(len(title))
        abstract_part = abstract_origin if abstract_origin is not None else range(len(abstract))
        origin = (
            *title_part,
            len(title),
            *(abstract_start + index for index in abstract_part),
        )

    return PreparedText(
        text=f"{title} {abstract}",
        folded=folded,
        squeezed=folded.replace("-", ""),
        origin=origin,
    )
