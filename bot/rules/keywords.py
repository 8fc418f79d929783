"""Tokenizing and parsing keyword and exclusion lines.

A line is one or more terms joined by ` AND ` (upper case, with spaces around it). A term
is a run of words and quoted phrases, which together form one phrase: `vision language
model` and `"vision language model"` mean the same. The tokenizer already reads the rest
of the rule language (OR, NOT, ANDNOT, parentheses), and `parse_line` rejects what
keyword lines do not support yet, so that no saved line changes its meaning later.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import NoReturn

from bot.rules.errors import RuleError
from bot.rules.normalize import fold, split_words

# Straight and typographic double quotes. Phone keyboards often replace " with “ and ”.
OPENING_QUOTES = frozenset('"\u201c\u201e')
CLOSING_QUOTES = frozenset('"\u201d\u201c')

_OPERATORS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "ANDNOT": "NOT"}
_FIELD_PREFIX = re.compile(r"(?:ti|abs|au|cat|all):", re.IGNORECASE)
_WORD_END = frozenset("()") | OPENING_QUOTES | CLOSING_QUOTES


class TokenKind(enum.Enum):
    """The kinds of token in a rule line."""

    WORD = "word"
    PHRASE = "phrase"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a rule line; `position` is the 0-based offset of its first character."""

    kind: TokenKind
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase to find in a paper's text.

    `text` is the term as written, `words` its folded words split at spaces, hyphens and
    slashes, and `position` its offset in the line.
    """

    text: str
    words: tuple[str, ...]
    position: int


@dataclass(frozen=True, slots=True)
class KeywordLine:
    """A parsed keyword or exclusion line: every one of `terms` must occur in the paper."""

    text: str
    terms: tuple[Term, ...]


def tokenize(line: str) -> list[Token]:
    """Split a rule line into words, quoted phrases, operators and parentheses.

    Raises RuleError for a quote that is not closed.
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
            tokens.append(Token(kind, char, index))
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
    tokens.append(Token(TokenKind.PHRASE, line[start + 1 : end], start))
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
    kind = TokenKind(operator) if operator else TokenKind.WORD
    tokens.append(Token(kind, text, start))
    return end


def parse_line(line: str, kind: str = "keyword", index: int | None = None) -> KeywordLine:
    """Parse one keyword or exclusion line into the terms that must all occur.

    Raises RuleError with the position and reason when the line is empty, has an AND with
    nothing on one side, an unbalanced quote, or syntax that keyword lines do not support.
    `kind` ("keyword" or "exclusion") and `index` (the line's place in its list) go into
    the error.
    """
    try:
        groups = _split_on_and(line, tokenize(line))
        terms = tuple(_build_term(line, group) for group in groups)
    except RuleError as error:
        raise error.with_context(kind=kind, index=index) from None
    return KeywordLine(text=line, terms=terms)


def _split_on_and(line: str, tokens: list[Token]) -> list[list[Token]]:
    groups: list[list[Token]] = [[]]
    last_and: Token | None = None
    for token in tokens:
        _reject_unsupported(line, token)
        if token.kind is not TokenKind.AND:
            groups[-1].append(token)
            continue
        if not groups[-1]:
            _raise_empty_side(line, token, last_and)
        groups.append([])
        last_and = token

    if not groups[-1]:
        _raise_empty_side(line, None, last_and)
    return groups


def _raise_empty_side(line: str, token: Token | None, last_and: Token | None) -> NoReturn:
    if last_and is not None:
        raise RuleError(
            line, last_and.position, "nothing after AND", "Add a term after AND or remove it."
        )
    if token is not None:
        raise RuleError(
            line, token.position, "nothing before AND", "Add a term before AND or remove it."
        )
    raise RuleError(line, 0, "no word to match", "Enter a word or phrase, or remove the line.")


def _reject_unsupported(line: str, token: Token) -> None:
    if token.kind is TokenKind.OR:
        hint = 'Put each alternative on its own line, or write "OR" in quotes to match the word.'
        raise RuleError(line, token.position, "unsupported OR", hint)
    if token.kind is TokenKind.NOT:
        hint = (
            f'Add an exclusion line instead, or write "{token.text}" in quotes to match the word.'
        )
        raise RuleError(line, token.position, f"unsupported {token.text}", hint)
    if token.kind in (TokenKind.LEFT_PAREN, TokenKind.RIGHT_PAREN):
        hint = "Remove the parenthesis, or put the text in quotes to match it as written."
        raise RuleError(line, token.position, "unsupported parenthesis", hint)
    if token.kind is not TokenKind.WORD:
        return

    field = _FIELD_PREFIX.match(token.text)
    if field:
        hint = (
            "Remove the field name (keywords match the title and abstract), "
            "or put the word in quotes to match it as written."
        )
        raise RuleError(line, token.position, f"unsupported field {field.group()}", hint)
    star = token.text.find("*")
    if star >= 0:
        hint = "Write the whole word (plurals match already), or put it in quotes to match *."
        raise RuleError(line, token.position + star, "unsupported prefix search with *", hint)


def _build_term(line: str, group: list[Token]) -> Term:
    for token in group:
        if token.kind is TokenKind.PHRASE and not token.text.strip():
            hint = "Put a word or phrase between the quotes, or remove them."
            raise RuleError(line, token.position, "empty quotes", hint)

    text = " ".join(token.text for token in group)
    words = split_words(fold(text))
    position = group[0].position
    if not any(char.isalnum() for word in words for char in word):
        hint = "Enter a word or phrase with at least one letter or digit, or remove it."
        raise RuleError(line, position, "no word to match", hint)
    return Term(text=text, words=words, position=position)
