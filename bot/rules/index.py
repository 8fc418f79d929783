"""One compiled matcher for the rules of many digests, reading each paper once.

Every distinct term of every line is indexed once (see `bot.rules.keys` for word and
phrase terms). For a paper the index first finds which terms occur in it. Then it
evaluates only the lines that one of those terms can make true: a line of one term is
true as soon as its term is found, and other lines are evaluated over the set of found
terms. A line that can be true with none of its terms found, such as `NOT survey`, is
evaluated for every paper. A digest matches a paper when one of its keyword lines
matches, or it has none, and none of its exclusion lines does, as `CompiledRule` decides.

The index gives the matching digests and their matched keyword lines. The terms to
highlight come from the digest's own `CompiledRule`, for the papers it posts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.rules.errors import RuleError
from bot.rules.nodes import And, Node, Not, Term, iter_terms, positive_terms
from bot.rules.normalize import PreparedText
from bot.rules.parser import parse_rule
from bot.rules.termset import TermSet

log = logging.getLogger(__name__)

DigestKey = Hashable
# Whether a line is true, given the ids of the terms found in a paper.
LineTest = Callable[[set[int]], bool]


class DigestRule(Protocol):
    """What the index reads from a digest: its id and its keyword and exclusion lines."""

    @property
    def id(self) -> int | None: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...
    @property
    def exclusions(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class _Line:
    # `test` is None for a line of one term, which is true whenever the term is found.
    digest: DigestKey
    exclusion: bool
    order: int
    text: str
    terms: tuple[int, ...]
    test: LineTest | None


class RuleIndex:
    """The keyword and exclusion lines of many digests, compiled for matching papers.

    Digests are added and removed by a key of the caller's choice (the bot uses digest
    ids). Not safe for use from several threads at once.
    """

    def __init__(self) -> None:
        self._terms = TermSet()
        self._lines: dict[int, _Line] = {}
        self._digest_lines: dict[DigestKey, list[int]] = {}
        self._rules: dict[DigestKey, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        # Lines of one term, by term id: true whenever the term is found.
        self._single: dict[int, list[int]] = {}
        # The digests of those lines, by term id and by kind of line (keyword lines first).
        self._single_digests: tuple[dict[int, list[DigestKey]], dict[int, list[DigestKey]]] = (
            {},
            {},
        )
        # Other lines, by the ids of their positive terms.
        self._compound: dict[int, list[int]] = {}
        # Lines that can be true with none of their positive terms found.
        self._always: set[int] = set()
        self._without_keywords: set[DigestKey] = set()
        self._next_line = 0

    @classmethod
    def build(cls, digests: Iterable[DigestRule]) -> RuleIndex:
        """Index the rules of stored digests by digest id.

        A digest without an id, or with a line that does not parse, is left out with a
        warning, so that one bad rule does not stop the others.
        """
        index = cls()
        for digest in digests:
            if digest.id is None:
                log.warning("Digest without an id left out of the rule index")
                continue
            try:
                index.add(digest.id, digest.keywords, digest.exclusions)
            except RuleError as error:
                log.warning("Digest id %s left out of the rule index: %s", digest.id, error)
        return index

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, key: object) -> bool:
        return key in self._rules

    @property
    def term_count(self) -> int:
        """The number of distinct terms indexed."""
        return len(self._terms)

    @property
    def line_count(self) -> int:
        """The number of keyword and exclusion lines indexed."""
        return len(self._lines)

    def contains_rule(
        self, key: DigestKey, keywords: Sequence[str], exclusions: Sequence[str]
    ) -> bool:
        """Return whether the digest `key` is indexed with exactly these lines."""
        return self._rules.get(key) == (tuple(keywords), tuple(exclusions))

    def add(self, key: DigestKey, keywords: Sequence[str], exclusions: Sequence[str] = ()) -> None:
        """Index a digest's lines, replacing any lines indexed before under `key`.

        Raises RuleError for the first line that does not parse, and then leaves the
        index unchanged.
        """
        if isinstance(keywords, str) or isinstance(exclusions, str):
            raise TypeError("RuleIndex.add takes sequences of lines, not a single string")
        parsed = [
            (False, index, line, parse_rule(line, "keyword", index))
            for index, line in enumerate(keywords)
        ]
        parsed += [
            (True, index, line, parse_rule(line, "exclusion", index))
            for index, line in enumerate(exclusions)
        ]
        self.remove(key)

        self._rules[key] = (tuple(keywords), tuple(exclusions))
        if not keywords:
            self._without_keywords.add(key)
        line_ids = self._digest_lines[key] = []
        for exclusion, order, text, node in parsed:
            line_ids.append(self._add_line(key, exclusion, order, text, node))
        log.debug("Indexed %d lines of digest %r", len(line_ids), key)

    def remove(self, key: DigestKey) -> bool:
        """Remove a digest's lines; return whether the digest was indexed."""
        if self._rules.pop(key, None) is None:
            return False
        self._without_keywords.discard(key)
        for line_id in self._digest_lines.pop(key):
            line = self._lines.pop(line_id)
            self._always.discard(line_id)
            postings = self._single if line.test is None else self._compound
            for term_id in line.terms:
                _discard(postings, term_id, line_id)
            if line.test is None:
                _discard(self._single_digests[line.exclusion], line.terms[0], key)
            for term_id in line.terms:
                self._terms.release(term_id)
        return True

    def match(self, text: PreparedText) -> dict[DigestKey, tuple[str, ...]]:
        """Return the digests that select a paper, each with its matched keyword lines.

        The lines are in the digest's order. A digest without keyword lines that selects
        the paper has an empty tuple, as `RuleMatch.lines` is then.
        """
        found = self._terms.find(text)
        true_lines = self._true_lines(found)

        excluded: set[DigestKey] = set()
        matched: dict[DigestKey, list[_Line]] = {}
        for line in true_lines:
            if line.exclusion:
                excluded.add(line.digest)
            else:
                matched.setdefault(line.digest, []).append(line)

        result: dict[DigestKey, tuple[str, ...]] = {}
        for key, lines in matched.items():
            if key in excluded:
                continue
            if len(lines) > 1:
                lines.sort(key=lambda line: line.order)
            result[key] = tuple(line.text for line in lines)
        for key in self._without_keywords:
            if key not in excluded:
                result[key] = ()
        return result

    def match_keys(self, text: PreparedText) -> set[DigestKey]:
        """Return the keys of the digests that select a paper, without their lines.

        This is `match` without collecting lines, for a paper that many digests select.
        """
        found = self._terms.find(text)
        selected: set[DigestKey] = set()
        excluded: set[DigestKey] = set()
        keyword_digests, exclusion_digests = self._single_digests
        for term_id in found:
            digests = keyword_digests.get(term_id)
            if digests is not None:
                selected.update(digests)
            digests = exclusion_digests.get(term_id)
            if digests is not None:
                excluded.update(digests)
        for line in self._true_compound_lines(found):
            (excluded if line.exclusion else selected).add(line.digest)
        selected |= self._without_keywords
        selected -= excluded
        return selected

    def _true_lines(self, found: set[int]) -> list[_Line]:
        lines = self._lines
        true_lines = [
            lines[line_id] for term_id in found for line_id in self._single.get(term_id, ())
        ]
        true_lines += self._true_compound_lines(found)
        return true_lines

    def _true_compound_lines(self, found: set[int]) -> list[_Line]:
        lines = self._lines
        true_lines = []
        evaluated: set[int] = set()
        for term_id in found:
            for line_id in self._compound.get(term_id, ()):
                if line_id in evaluated:
                    continue
                evaluated.add(line_id)
                line = lines[line_id]
                if line.test is not None and line.test(found):
                    true_lines.append(line)
        for line_id in self._always:
            line = lines[line_id]
            if line_id not in evaluated and line.test is not None and line.test(found):
                true_lines.append(line)
        return true_lines

    def _add_line(self, key: DigestKey, exclusion: bool, order: int, text: str, node: Node) -> int:
        line_id = self._next_line
        self._next_line += 1
        ids = {term: self._terms.acquire(term) for term, _ in iter_terms(node)}
        positive = tuple(ids[term] for term in positive_terms(node))
        test = None if isinstance(node, Term) else _compile_test(node, ids)
        hidden = tuple(ids[term] for term in ids if ids[term] not in positive)
        line = _Line(key, exclusion, order, text, positive + hidden, test)
        self._lines[line_id] = line

        postings = self._single if test is None else self._compound
        for term_id in positive:
            postings.setdefault(term_id, []).append(line_id)
        if test is None:
            self._single_digests[exclusion].setdefault(positive[0], []).append(key)
        # A line can be true with none of its positive terms found only if it is true with
        # no term found at all, because it can only become false as negated terms appear.
        if test is not None and test(set()):
            self._always.add(line_id)
        return line_id


def _discard(postings: dict[int, list[Any]], term_id: int, member: object) -> None:
    members = postings.get(term_id)
    if members is None or member not in members:
        return
    members.remove(member)
    if not members:
        del postings[term_id]


def _compile_test(node: Node, ids: dict[Term, int]) -> LineTest:
    if isinstance(node, Term):
        term_id = ids[node]
        return lambda found: term_id in found
    if isinstance(node, Not):
        inner = _compile_test(node.item, ids)
        return lambda found: not inner(found)
    if isinstance(node, And) and all(isinstance(item, Term) for item in node.items):
        required = frozenset(ids[item] for item in node.items if isinstance(item, Term))
        return required.issubset
    tests = tuple(_compile_test(item, ids) for item in node.items)
    if isinstance(node, And):
        return lambda found: all(test(found) for test in tests)
    return lambda found: any(test(found) for test in tests)
