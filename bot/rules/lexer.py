"""Splitting a rule line into tokens: words, quoted phrases, fields, operators, parentheses.

Operators are recognised in upper case only (`AND`, `OR`, `NOT`, `ANDNOT`), so the
words "and", "or" and "not" in a keyword stay words. Fields are recognised in lower case
only, as arXiv writes them (`ti:`, `abs:`, `au:`, `cat:`, `all:`). Any other word with a
colon is an ordinary word: `Ti:sapphire` is the laser crystal, and `foo:bar` the text
"foo:bar".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.rules.errors import RuleError

# Straight and typographic double quotes. Phone keyboards often replace " with “ and ”.
OPENING_QUOTES = frozenset('"\u201c\u201e')
CLOSING_QUOTES = frozenset('"\u201d\u201c')

FIELD_NAMES = ("ti", "abs", "au", "cat", "all")
_FIELD_PREFIX = re.compile(rf"(?:{'|'.join(FIELD_NAMES)}):")
_WORD_END = frozenset("()") | OPENING_QUOTES | CLOSING_QUOTES


class TokenKind(enum.Enum):
    """The kinds of token in a rule line."""

    WORD = "word"
    PHRASE = "phrase"
    FIELD = "field"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    ANDNOT = "ANDNOT"
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"


_OPERATORS = {kind.value: kind for kind in (TokenKind.AND, TokenKind.OR, TokenKind.NOT)}
_OPERATORS["ANDNOT"] = TokenKind.ANDNOT


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a rule line.

    `text` is the token as written, without the quotes of a phrase and with the colon of
    a field. `position` and `end` are the 0-based offsets of its first character and of
    the character after it, quotes included.
    """

    kind: TokenKind
    text: str
    position: int
    end: int


def tokenize(line: str) -> list[Token]:
    """Split a rule line into words, quoted phrases, fields, operators and parentheses.

    A field (`ti:`) is its own token, directly followed by the word or phrase it applies
    to. Raises RuleError for a quote that is not closed or not opened.
    """
    tokens: list[Token] = []
    index = 0
    while index < len(line):
        char = line[index]
        if char.isspace():
            index += 1
        elif char in OPENING_QUOTES:
            index = _read_phrase(line, index, tokens)
        elif char in "()":
            kind = TokenKind.LEFT_PAREN if char == "(" else TokenKind.RIGHT_PAREN
            tokens.append(Token(kind, char, index, index + 1))
            index += 1
        else:
            index = _read_word(line, index, tokens)
    return tokens


def _read_phrase(line: str, start: int, tokens: list[Token]) -> int:
    end = start + 1
    while end < len(line) and line[end] not in CLOSING_QUOTES:
        end += 1
    if end == len(line):
        raise RuleError(
            line, start, "unclosed quote", "Add the closing quote or remove the opening one."
        )
    tokens.append(Token(TokenKind.PHRASE, line[start + 1 : end], start, end + 1))
    return end + 1


def _read_word(line: str, start: int, tokens: list[Token]) -> int:
    end = start
    while end < len(line) and not line[end].isspace() and line[end] not in _WORD_END:
        end += 1
    if end == start:
        # A closing quote with no opening one before it.
        raise RuleError(
            line, start, "unopened quote", "Add the opening quote or remove the closing one."
        )

    text = line[start:end]
    operator = _OPERATORS.get(text)
    if operator is not None:
        tokens.append(Token(operator, text, start, end))
        return end

    field = _FIELD_PREFIX.match(text)
    if field is None:
        tokens.append(Token(TokenKind.WORD, text, start, end))
        return end

    value_start = start + field.end()
    tokens.append(Token(TokenKind.FIELD, field.group(), start, value_start))
    if value_start < end:
        tokens.append(Token(TokenKind.WORD, line[value_start:end], value_start, end))
    return end
