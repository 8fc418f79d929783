"""Compiled matching of a digest's keyword and exclusion lines against papers.

Each line is parsed to a syntax tree (see `bot.rules.parser`) and compiled to nested
closures over compiled terms (see `bot.rules.terms`). Equal terms of one rule share one
compiled term, so a term that occurs in several lines is searched for once per paper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.rules.nodes import And, Field, Node, Not, Term, positive_terms
from bot.rules.normalize import PreparedText, prepare
from bot.rules.parser import parse_rule
from bot.rules.terms import CompiledTerm, TermHit, compile_term

log = logging.getLogger(__name__)

# Whether each compiled term of a rule occurs in the paper at hand, filled as needed.
Seen = dict[CompiledTerm, bool]
Check = Callable[[PreparedText, Seen], bool]


@dataclass(frozen=True, slots=True)
class CompiledLine:
    """A keyword or exclusion line: its text, syntax tree and compiled check.

    `positive` lists the compiled terms that no NOT negates, whose places in the paper
    explain a match. `conjunction` lists the terms when the line is one term or terms
    joined by AND, and is None otherwise.
    """

    text: str
    tree: Node
    check: Check
    positive: tuple[CompiledTerm, ...]
    conjunction: tuple[CompiledTerm, ...] | None = None

    def occurs_in(self, text: PreparedText, seen: Seen) -> bool:
        """Return whether the line matches; `seen` caches term results shared between lines."""
        if self.conjunction is None:
            return self.check(text, seen)

        # Most lines are one term or terms joined by AND, which this loop checks without
        # the calls of the general closures.
        for term in self.conjunction:
            found = seen.get(term)
            if found is None:
                found = seen[term] = term.occurs_in(text)
            if not found:
                return False
        return True


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """The lines, terms and places that made a paper match a rule.

    `lines` are the keyword lines that matched, in the digest's order. `terms` are the
    distinct pieces of the title and abstract that those lines' positive terms matched,
    as the paper writes them, in order of first occurrence. `spans` are the same matches
    as merged (start, end) offsets into `title + " " + abstract`, for highlighting. `hits`
    lists every place found with its field: title and abstract in text order, then author
    names, then categories.
    """

    lines: tuple[str, ...]
    terms: tuple[str, ...]
    spans: tuple[tuple[int, int], ...] = ()
    hits: tuple[TermHit, ...] = ()


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A digest's keyword lines (any may match) and exclusion lines (none may match).

    A rule without keyword lines matches every paper that no exclusion line hits, which
    is what a digest of whole categories needs.
    """

    keywords: tuple[CompiledLine, ...]
    exclusions: tuple[CompiledLine, ...] = ()

    def match(
        self,
        title: str,
        abstract: str,
        authors: Sequence[str] = (),
        categories: Sequence[str] = (),
    ) -> RuleMatch | None:
        """Match a paper's fields; return None when it does not match."""
        return self.match_prepared(prepare(title, abstract, authors, categories))

    def match_prepared(self, text: PreparedText) -> RuleMatch | None:
        """Match a paper prepared with `prepare`, which can be shared by many rules."""
        seen: Seen = {}
        for line in self.exclusions:
            if line.occurs_in(text, seen):
                return None
        if not self.keywords:
            return RuleMatch(lines=(), terms=())

        lines = [line for line in self.keywords if line.occurs_in(text, seen)]
        if not lines:
            return None
        return _describe_match(lines, text)

    def excluded_by(
        self,
        title: str,
        abstract: str,
        authors: Sequence[str] = (),
        categories: Sequence[str] = (),
    ) -> str | None:
        """Return the first exclusion line that hits the paper, or None."""
        return self.excluded_by_prepared(prepare(title, abstract, authors, categories))

    def excluded_by_prepared(self, text: PreparedText) -> str | None:
        """Return the first exclusion line that hits a prepared paper, or None."""
        seen: Seen = {}
        for line in self.exclusions:
            if line.occurs_in(text, seen):
                return line.text
        return None


def _describe_match(lines: list[CompiledLine], text: PreparedText) -> RuleMatch:
    found: list[tuple[int, int, str]] = []
    other_hits: list[TermHit] = []
    for term in dict.fromkeys(term for line in lines for term in line.positive):
        if term.term.field in _OTHER_FIELDS:
            other_hits += term.locate(text)
        else:
            written = term.term.text
            found += [(start, end, written) for start, end in term.find_spans(text)]

    found.sort()
    spans, hits = _body_spans_and_hits(found, text)
    other_hits.sort(key=lambda hit: hit.field is Field.CATEGORY)
    return RuleMatch(
        lines=tuple(line.text for line in lines),
        terms=tuple(dict.fromkeys([text.text[start:end] for start, end in spans])),
        spans=_merge_spans(spans),
        hits=(*hits, *other_hits),
    )


_OTHER_FIELDS = (Field.AUTHOR, Field.CATEGORY)


def _body_spans_and_hits(
    found: list[tuple[int, int, str]], text: PreparedText
) -> tuple[list[tuple[int, int]], list[TermHit]]:
    # One loop for both, because this runs for every selected paper. Spans point into
    # `title + " " + abstract`, and each hit into its own field.
    original_span = text.original_span
    title, abstract = text.title, text.abstract
    offset = len(title) + 1
    spans = []
    hits = []
    for start, end, written in found:
        span = original_span(start, end)
        spans.append(span)
        if span[0] < offset:
            hits.append(TermHit(written, Field.TITLE, title, *span))
        else:
            hits.append(
                TermHit(written, Field.ABSTRACT, abstract, span[0] - offset, span[1] - offset)
            )
    return spans, hits


def _merge_spans(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def compile_rule(keywords: Sequence[str], exclusions: Sequence[str] = ()) -> CompiledRule:
    """Parse and compile a digest's keyword and exclusion lines.

    Raises RuleError for the first line that does not parse, naming the line, the
    position and the reason.
    """
    if isinstance(keywords, str) or isinstance(exclusions, str):
        raise TypeError("compile_rule takes sequences of lines, not a single string")

    terms: dict[Term, CompiledTerm] = {}
    rule = CompiledRule(
        keywords=tuple(
            compile_line(line, "keyword", index, terms) for index, line in enumerate(keywords)
        ),
        exclusions=tuple(
            compile_line(line, "exclusion", index, terms) for index, line in enumerate(exclusions)
        ),
    )
    log.debug("Compiled %d keyword and %d exclusion lines", len(keywords), len(exclusions))
    return rule


def compile_line(
    line: str,
    kind: str = "keyword",
    index: int | None = None,
    terms: dict[Term, CompiledTerm] | None = None,
) -> CompiledLine:
    """Parse and compile one line; `terms` shares compiled terms between the lines of a rule."""
    shared = {} if terms is None else terms
    node = parse_rule(line, kind, index)
    positive = tuple(_compiled(term, shared) for term in positive_terms(node))
    conjunction = None
    if isinstance(node, Term) or (
        isinstance(node, And) and all(isinstance(item, Term) for item in node.items)
    ):
        conjunction = positive
    return CompiledLine(line, node, _build(node, shared), positive, conjunction)


def _compiled(term: Term, terms: dict[Term, CompiledTerm]) -> CompiledTerm:
    compiled = terms.get(term)
    if compiled is None:
        compiled = terms[term] = compile_term(term)
    return compiled


def _build(node: Node, terms: dict[Term, CompiledTerm]) -> Check:
    if isinstance(node, Term):
        return _term_check(_compiled(node, terms))
    if isinstance(node, Not):
        inner = _build(node.item, terms)
        return lambda text, seen: not inner(text, seen)

    checks = tuple(_build(item, terms) for item in node.items)
    if isinstance(node, And):
        return lambda text, seen: all(check(text, seen) for check in checks)
    return lambda text, seen: any(check(text, seen) for check in checks)


def _term_check(term: CompiledTerm) -> Check:
    def check(text: PreparedText, seen: Seen) -> bool:
        found = seen.get(term)
        if found is None:
            found = seen[term] = term.occurs_in(text)
        return found

    return check
