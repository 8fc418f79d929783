"""Parsing a rule line into a syntax tree, by recursive descent over its tokens.

Grammar, from the loosest binding to the tightest:

    rule        = conjunction { "OR" conjunction }
    conjunction = unary { ("AND" | "ANDNOT" | "NOT") unary }
    unary       = "NOT" unary | primary
    primary     = "(" rule ")" | term
    term        = [field] (word | phrase) { word | phrase }

`a ANDNOT b` and `a NOT b` both mean `a AND NOT b`. Words and quoted phrases side by
side form one phrase, as if the whole run were quoted, and a field applies to the whole
run. A `*` at the end of the run's last bare word makes the term a prefix. A `*` inside
quotes is matched as written, so lines saved before prefixes existed keep their meaning.
"""

from __future__ import annotations

from typing import NoReturn

from bot.arxiv.categories import normalize_category
from bot.arxiv.errors import UnknownCategoryError
from bot.rules.errors import RuleError
from bot.rules.lexer import Token, TokenKind, tokenize
from bot.rules.nodes import And, Field, Node, Not, Or, Term
from bot.rules.normalize import WORD_CHAR_PATTERN, fold, split_words

_BINARY = frozenset((TokenKind.AND, TokenKind.OR, TokenKind.ANDNOT))
_PHRASE_PARTS = frozenset((TokenKind.WORD, TokenKind.PHRASE))
_CONJUNCTIONS = frozenset((TokenKind.AND, TokenKind.ANDNOT, TokenKind.NOT))


def parse_rule(line: str, kind: str = "keyword", index: int | None = None) -> Node:
    """Parse one keyword or exclusion line into a syntax tree.

    Raises RuleError with the 0-based position, the reason and a hint when the line does
    not parse. `kind` ("keyword", "exclusion" or "search") and `index` (the line's place
    in its list) go into the error.
    """
    try:
        return _Parser(line, tokenize(line)).parse()
    except RuleError as error:
        raise error.with_context(kind=kind, index=index) from None


class _Parser:
    def __init__(self, line: str, tokens: list[Token]) -> None:
        self.line = line
        self.tokens = tokens
        self.index = 0

    def parse(self) -> Node:
        if not self.tokens:
            self._fail(0, "no word to match", "Enter a word or phrase, or remove the line.")
        self._check_parentheses()

        node = self._rule()
        if self.index < len(self.tokens):
            self._fail_unexpected(self.tokens[self.index])
        return node

    def _check_parentheses(self) -> None:
        # Checked first, so that "(LLM OR" reports the missing ")" rather than the OR.
        open_positions: list[int] = []
        for token in self.tokens:
            if token.kind is TokenKind.LEFT_PAREN:
                open_positions.append(token.position)
            elif token.kind is TokenKind.RIGHT_PAREN and not open_positions:
                hint = "Add the opening parenthesis or remove this one."
                self._fail(token.position, 'unopened ")"', hint)
            elif token.kind is TokenKind.RIGHT_PAREN:
                open_positions.pop()
        if open_positions:
            self._fail(self.tokens[-1].end, 'missing ")"', "Close the parenthesis.")

    def _rule(self) -> Node:
        items = [self._conjunction()]
        while (operator := self._take(TokenKind.OR)) is not None:
            self._require_operand(operator)
            items.append(self._conjunction())
        return items[0] if len(items) == 1 else Or(tuple(items), items[0].position)

    def _conjunction(self) -> Node:
        items = [self._unary()]
        while (operator := self._peek()) is not None and operator.kind in _CONJUNCTIONS:
            self.index += 1
            self._require_operand(operator)
            item = self._unary()
            if operator.kind is not TokenKind.AND:
                item = Not(item, operator.position)
            items.append(item)
        return items[0] if len(items) == 1 else And(tuple(items), items[0].position)

    def _unary(self) -> Node:
        operator = self._take(TokenKind.NOT)
        if operator is None:
            return self._primary()
        self._require_operand(operator)
        return Not(self._unary(), operator.position)

    def _primary(self) -> Node:
        token = self.tokens[self.index]
        if token.kind in _BINARY:
            hint = f"Add a term before {token.text} or remove it."
            self._fail(token.position, f"nothing before {token.text}", hint)
        if token.kind is not TokenKind.LEFT_PAREN:
            return self._term()

        self.index += 1
        if self.tokens[self.index].kind is TokenKind.RIGHT_PAREN:
            hint = "Put a term between the parentheses or remove them."
            self._fail(token.position, "empty parentheses", hint)
        node = self._rule()
        closing = self.tokens[self.index]
        if closing.kind is not TokenKind.RIGHT_PAREN:
            self._fail_unexpected(closing)
        self.index += 1
        return node

    def _term(self) -> Term:
        token = self.tokens[self.index]
        field_token = self._take(TokenKind.FIELD)
        run: list[Token] = []
        while (part := self._peek()) is not None and part.kind in _PHRASE_PARTS:
            run.append(part)
            self.index += 1

        following = self._peek()
        if field_token is not None:
            self._check_field_value(field_token, run, following)
        if run and following is not None and following.kind is TokenKind.FIELD:
            hint = f"Put AND or OR before {following.text}, or quote the phrase."
            self._fail(following.position, f"field {following.text} inside a phrase", hint)

        text = self.line[token.position : run[-1].end]
        if field_token is None:
            return _word_term(self.line, run, Field.ALL, text)
        field = Field(field_token.text.removesuffix(":"))
        if field is Field.CATEGORY:
            return _category_term(self.line, field_token, run, text)
        return _word_term(self.line, run, field, text, field_token.position)

    def _check_field_value(self, field: Token, run: list[Token], following: Token | None) -> None:
        if run and run[0].position == field.end:
            return
        if following is not None and following.kind is TokenKind.LEFT_PAREN and not run:
            hint = f"Write {field.text} before each term inside the parentheses."
            self._fail(field.position, f"field {field.text} before a parenthesis", hint)
        hint = f"Write the word or quoted phrase right after the colon, as in {field.text}model."
        self._fail(field.position, f"nothing after {field.text}", hint)

    def _require_operand(self, operator: Token) -> None:
        following = self._peek()
        if (
            following is None
            or following.kind in _BINARY
            or following.kind is TokenKind.RIGHT_PAREN
        ):
            hint = f"Add a term after {operator.text} or remove it."
            self._fail(operator.position, f"nothing after {operator.text}", hint)

    def _fail_unexpected(self, token: Token) -> NoReturn:
        # Balanced parentheses leave only one way to get here: two operands side by side,
        # such as "(a) b", "a (b)" or "(a)(b)".
        shown = f'"{token.text}"' if token.kind is not TokenKind.PHRASE else "a quoted phrase"
        hint = "Join the two parts with AND or OR."
        self._fail(token.position, f"missing AND or OR before {shown}", hint)

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, kind: TokenKind) -> Token | None:
        token = self._peek()
        if token is None or token.kind is not kind:
            return None
        self.index += 1
        return token

    def _fail(self, position: int, reason: str, hint: str) -> NoReturn:
        raise RuleError(self.line, position, reason, hint)


def _word_term(
    line: str, run: list[Token], field: Field, text: str, position: int | None = None
) -> Term:
    parts = [_phrase_part(line, token) for token in run]
    prefix = run[-1].kind is TokenKind.WORD and run[-1].text.endswith("*")
    if prefix:
        parts[-1] = parts[-1][:-1]
    for token, part in zip(run, parts, strict=True):
        if token.kind is TokenKind.WORD:
            _check_no_star(line, token, part, is_last=token is run[-1])
    if prefix:
        _check_prefix_end(line, run[-1], parts[-1])

    joined = " ".join(parts)
    if field is Field.AUTHOR:
        # arXiv writes author searches with underscores (au:del_maestro).
        joined = joined.replace("_", " ")
    words = split_words(fold(joined))
    start = run[0].position if position is None else position
    if not any(char.isalnum() for word in words for char in word):
        hint = "Enter a word or phrase with at least one letter or digit, or remove it."
        raise RuleError(line, start, "no word to match", hint)
    return Term(words=words, field=field, prefix=prefix, text=text, position=start)


def _phrase_part(line: str, token: Token) -> str:
    if token.kind is TokenKind.PHRASE and not token.text.strip():
        hint = "Put a word or phrase between the quotes, or remove them."
        raise RuleError(line, token.position, "empty quotes", hint)
    return token.text


def _check_prefix_end(line: str, token: Token, stem: str) -> None:
    if stem and WORD_CHAR_PATTERN.fullmatch(stem[-1]):
        return
    hint = "Write * right after the start of a word, as in diffus*."
    raise RuleError(line, token.end - 1, "* without a word before it", hint)


def _check_no_star(line: str, token: Token, part: str, *, is_last: bool) -> None:
    star = part.find("*")
    if star < 0:
        return
    position = token.position + star
    if not is_last and star == len(part) - 1:
        hint = "Use * at the end of the last word only, or join the words with AND."
        raise RuleError(line, position, "* before the last word of a phrase", hint)
    hint = "Use * only at the end of a word, or put the text in quotes to match * as written."
    raise RuleError(line, position, "* inside a word", hint)


def _category_term(line: str, field: Token, run: list[Token], text: str) -> Term:
    if len(run) > 1:
        hint = "Write one code per cat:, and join them with OR, as in cat:cs.AI OR cat:cs.LG."
        raise RuleError(line, run[1].position, "more than one code after cat:", hint)

    token = run[0]
    value = _phrase_part(line, token).strip()
    wildcard = value.endswith(".*")
    value = value.removesuffix(".*")
    if "*" in value:
        quote = 1 if token.kind is TokenKind.PHRASE else 0
        position = token.position + quote + token.text.find("*")
        hint = "Write cat:cs.* or cat:cs for every category of an archive."
        raise RuleError(line, position, "* in a category code", hint)

    code = _category_code(line, token, value)
    if wildcard and "." in code:
        hint = f"Write cat:{code} for the category, or name an archive, as in cat:cs.*."
        raise RuleError(line, token.position, f"{code} is not an archive", hint)
    # An archive code (cs, hep-th) covers the archive's categories (cs.AI) and itself.
    words = (code.lower(),)
    archive = "." not in code
    return Term(words, Field.CATEGORY, prefix=archive, text=text, position=field.position)


def _category_code(line: str, token: Token, value: str) -> str:
    try:
        return normalize_category(value)
    except UnknownCategoryError as error:
        hint = "Use a code from https://arxiv.org/category_taxonomy, such as cs.AI."
        if error.suggestions:
            *others, last = error.suggestions
            choices = f"{', '.join(others)} or {last}" if others else last
            hint = f"Did you mean {choices}?"
        raise RuleError(line, token.position, f"unknown category {value}", hint) from None
