"""Translating a rule line to the arXiv API's `search_query` syntax, and checking results.

arXiv's `all:` field also searches authors, comments and other metadata, so a search
can return papers that the local rule rejects. `matches_rule_line` lets a search drop
them, with the same matcher the digests use.
"""

from __future__ import annotations

from functools import lru_cache

from bot.arxiv.categories import ARCHIVES, normalize_category
from bot.models import Paper
from bot.rules.errors import RuleError
from bot.rules.match import CompiledLine, compile_line
from bot.rules.nodes import And, Field, Node, Not, Or, Term
from bot.rules.normalize import prepare_paper, split_words
from bot.rules.parser import parse_rule

# The name rule errors give a search line, as in 'Invalid search "...": ...'.
SEARCH_KIND = "search"


def to_arxiv_query(text: str) -> str:
    """Translate one rule line to an arXiv API `search_query`, not yet URL-encoded.

    Fields keep their names, with `all:` for a term without one. Phrases are quoted with
    their words separated by spaces. `NOT x` inside an AND becomes `ANDNOT x`, after the
    other items. Every group of two or more items is put in parentheses, so the result
    does not depend on how arXiv ranks AND against OR. Raises RuleError when the line
    does not parse, or when arXiv cannot express it: a NOT with nothing to subtract from,
    a NOT inside an OR, or a prefix on a phrase.
    """
    node = parse_rule(text, SEARCH_KIND)
    return _QueryWriter(text).write(_without_double_negation(node))


def matches_rule_line(text: str, paper: Paper) -> bool:
    """Return whether a paper matches one rule line, as a digest with that line would decide.

    Raises RuleError when the line does not parse.
    """
    line = _compiled_search_line(text)
    return line.occurs_in(prepare_paper(paper), {})


@lru_cache(maxsize=256)
def _compiled_search_line(text: str) -> CompiledLine:
    return compile_line(text, SEARCH_KIND)


def _without_double_negation(node: Node) -> Node:
    if isinstance(node, Term):
        return node
    if isinstance(node, Not):
        if isinstance(node.item, Not):
            return _without_double_negation(node.item.item)
        return Not(_without_double_negation(node.item), node.position)
    items = tuple(_without_double_negation(item) for item in node.items)
    return And(items, node.position) if isinstance(node, And) else Or(items, node.position)


class _QueryWriter:
    def __init__(self, line: str) -> None:
        self.line = line

    def write(self, node: Node) -> str:
        if isinstance(node, Term):
            return self._term(node)
        if isinstance(node, And):
            return self._conjunction(node)
        if isinstance(node, Or):
            return " OR ".join(self._group(item, inside_or=True) for item in node.items)
        hint = "Start with a term to search for, as in diffusion ANDNOT survey."
        raise self._error(node.position, "NOT with nothing before it to subtract from", hint)

    def _conjunction(self, node: And) -> str:
        positives = [item for item in node.items if not isinstance(item, Not)]
        negatives = [item.item for item in node.items if isinstance(item, Not)]
        if not positives:
            hint = "Add a term to search for, as in diffusion ANDNOT survey."
            raise self._error(node.position, "only NOT terms to search for", hint)

        query = " AND ".join(self._group(item) for item in positives)
        if negatives and len(positives) > 1:
            query = f"({query})"
        for item in negatives:
            query += f" ANDNOT {self._group(item)}"
        return query

    def _group(self, node: Node, *, inside_or: bool = False) -> str:
        if isinstance(node, Not) and inside_or:
            hint = "Move the NOT out of the OR, as in (a OR b) ANDNOT c."
            raise self._error(node.position, "NOT inside OR", hint)
        query = self.write(node)
        return f"({query})" if isinstance(node, And | Or) else query

    def _term(self, term: Term) -> str:
        if term.field is Field.CATEGORY:
            return _category_query(term)

        # A straight quote would end arXiv's quoted phrase early; folding can produce
        # one from a full-width quote inside a word.
        words = split_words(" ".join(term.words).replace('"', " "))
        value = " ".join(words)
        if term.prefix and len(words) > 1:
            hint = "Search for the phrase without *, or for the prefix on its own."
            raise self._error(term.position, "prefix * on a phrase", hint)
        if term.prefix:
            # NOTE: arXiv's search documents a trailing * wildcard, but this form has not
            # been checked against the live API.
            return f"{term.field.value}:{value}*"
        if len(words) > 1 or not value.isalnum():
            value = f'"{value}"'
        return f"{term.field.value}:{value}"

    def _error(self, position: int, reason: str, hint: str) -> RuleError:
        return RuleError(self.line, position, reason, hint, kind=SEARCH_KIND)


def _category_query(term: Term) -> str:
    code = normalize_category(term.words[0])
    # NOTE: the archive wildcard (cat:cs.*) has not been checked against the live API.
    if code in ARCHIVES:
        return f"cat:{code}.*"
    return f"cat:{code}"
