"""One compiled matcher for the rules of many digests, reading each paper once.

Every distinct term of every line is indexed once (see `bot.rules.keys` for word and
phrase terms). For a paper the index first finds which terms occur in it. Then it
evaluates only the lines that one of those terms can make true: a line of one term is
true as soon as its term is found, and other lines are evaluated over the set of found
terms. A line that can be true with none of its terms found, such as `NOT survey`, is
evaluated for every paper. A digest matches a paper when one of its keyword lines
matches, or it has none, and none of its exclusion lines does, as `CompiledRule` decides.

Each line is kept as flat columns indexed by line id, not as an object per line. A
line that is one term, an AND of terms and negated terms with at least one term, or an
OR of those, is split into clauses. A clause of one term is found by its term, one of
two terms by a lookup of its second term among the found ones, and any other by testing
its other terms against the found ones. The postings of clauses hold the digest keys
themselves, so that the digests of a paper are gathered into a set in one pass without
a lookup per line. Only lines of other shapes, such as `NOT survey` or `a AND (b OR c)`,
are evaluated as trees, and their postings hold line ids.

The term scan and the gathering run in the C extension `bot.rules._speedups` where it
is built (see `bot.rules.compiled`), and in Python otherwise.

The index gives the matching digests, and for each the keyword lines that are true for
the paper. The terms to highlight come from the digest's own `CompiledRule`, for the
papers it posts.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any, Protocol, TypeAlias

from bot.rules import compiled
from bot.rules.errors import RuleError
from bot.rules.nodes import And, Node, Not, Or, Term, iter_terms, positive_terms
from bot.rules.normalize import PreparedText
from bot.rules.parser import parse_rule
from bot.rules.termset import TermSet

log = logging.getLogger(__name__)

DigestKey = Hashable
# Whether a line is true, given the ids of the terms found in a paper.
LineTest = Callable[[set[int]], bool]
Postings: TypeAlias = "array[int]"


class DigestRule(Protocol):
    """The parts of a digest that the index reads: its id and its keyword and exclusion lines."""

    @property
    def id(self) -> int | None: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...
    @property
    def exclusions(self) -> tuple[str, ...]: ...


# A clause is the ids of terms that must all be found, with at least one, and the
# complements (`~term_id`, a negative number) of the ids of terms that must not be. A
# line of clauses is true when one of them is.
Clause = tuple[int, ...]
# What the index keeps of a line to remove it: its clauses, or for a line evaluated as a
# tree, its positive term ids and then all its term ids. A line of one term keeps just
# that term's id, which is most lines.
Shape = tuple[Clause, ...]
# A clause of three or more terms, or with negated terms, posted under its first required
# term: its other required term ids, its negated term ids, and the digest key.
ConditionalPosting = tuple[tuple[int, ...], tuple[int, ...], DigestKey]
# The clause postings of one term: the keys of one-term clauses, the keys of two-term
# clauses by their second term, and its conditional postings. The keys are tuples,
# replaced on change, because a tuple stores its items inline and is read faster than a
# list. The other two are None while empty.
TermPostings = tuple[
    tuple[DigestKey, ...],
    dict[int, tuple[DigestKey, ...]] | None,
    list[ConditionalPosting] | None,
]
_NO_POSTINGS: TermPostings = ((), None, None)
# Parsed lines are kept for reuse, since many digests share lines such as single words.
_PARSE_CACHE_SIZE = 2048


class RuleIndex:
    """The keyword and exclusion lines of many digests, compiled for matching papers.

    Digests are added and removed by a key of the caller's choice (the bot uses digest
    ids). Not safe for use from several threads at once.
    """

    def __init__(self) -> None:
        self._revision = 0
        self._terms = TermSet()
        self._digest_lines: dict[DigestKey, Postings] = {}
        self._rules: dict[DigestKey, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._without_keywords: set[DigestKey] = set()
        # Columns by line id; a removed line's id goes to `_free` for reuse.
        self._digest: list[DigestKey] = []
        self._text: list[str] = []
        self._exclusion = bytearray()
        self._shape: list[Shape | int] = []
        self._free: list[int] = []
        # Clause postings by kind of line (keyword lines first), as `TermPostings` by
        # term id, so that a found term costs one lookup. A key appears once per line
        # posted, so removing a line removes one appearance.
        self._postings: tuple[dict[int, TermPostings], ...] = ({}, {})
        # Lines evaluated as trees, by the ids of their positive terms, and their tests.
        # Line ids are held in arrays of machine integers, which take a quarter of the
        # memory of lists of int objects.
        self._general: dict[int, Postings] = {}
        self._tests: dict[int, LineTest] = {}
        # Lines that can be true with none of their positive terms found.
        self._always: set[int] = set()

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
    def revision(self) -> int:
        """A number that changes whenever a digest is added, replaced or removed."""
        return self._revision

    @property
    def term_count(self) -> int:
        """The number of distinct terms indexed."""
        return len(self._terms)

    @property
    def line_count(self) -> int:
        """The number of keyword and exclusion lines indexed."""
        return len(self._digest) - len(self._free)

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
        parsed = [(0, line, _parse(line, "keyword", index)) for index, line in enumerate(keywords)]
        parsed += [
            (1, line, _parse(line, "exclusion", index)) for index, line in enumerate(exclusions)
        ]
        self.remove(key)

        self._revision += 1
        self._rules[key] = (tuple(keywords), tuple(exclusions))
        if not keywords:
            self._without_keywords.add(key)
        line_ids = self._digest_lines[key] = array("i")
        for kind, text, node in parsed:
            line_ids.append(self._add_line(key, kind, text, node))
        log.debug("Indexed %d lines of digest %r", len(line_ids), key)

    def remove(self, key: DigestKey) -> bool:
        """Remove a digest's lines; return whether the digest was indexed."""
        if self._rules.pop(key, None) is None:
            return False
        self._revision += 1
        self._without_keywords.discard(key)
        for line_id in self._digest_lines.pop(key):
            self._remove_line(line_id)
        return True

    def match(self, text: PreparedText) -> dict[DigestKey, tuple[str, ...]]:
        """Return the digests that select a paper, each with its matched keyword lines.

        The lines are in the digest's order. A digest without keyword lines that selects
        the paper has an empty tuple, as `RuleMatch.lines` is then.
        """
        found = self._terms.find(text)
        texts, exclusion, shapes = self._text, self._exclusion, self._shape
        result: dict[DigestKey, tuple[str, ...]] = {}
        for key in self._select(found):
            lines = []
            # A digest's line ids are in the order of its keyword lines, then exclusions.
            for line_id in self._digest_lines[key]:
                if exclusion[line_id]:
                    continue
                shape = shapes[line_id]
                # Most lines are one term, kept as its id: test it here without a call.
                if shape in found if isinstance(shape, int) else self._is_true(line_id, found):
                    lines.append(texts[line_id])
            result[key] = tuple(lines)
        return result

    def match_keys(self, text: PreparedText) -> set[DigestKey]:
        """Return the keys of the digests that select a paper, without their lines.

        This is `match` without collecting lines, for a paper that many digests select.
        """
        return self._select(self._terms.find(text))

    def _select(self, found: set[int]) -> set[DigestKey]:
        # The keys of the digests with a true keyword line, or none, and no true exclusion
        # line.
        selected = self._clause_keys(0, found)
        excluded = self._clause_keys(1, found) if self._has_clauses(1) else set()
        digest = self._digest
        for line_id in self._true_general_lines(found):
            (excluded if self._exclusion[line_id] else selected).add(digest[line_id])
        selected |= self._without_keywords
        selected -= excluded
        return selected

    def _clause_keys(self, kind: int, found: set[int]) -> set[DigestKey]:
        # The keys of the digests with a line of one kind with a clause whose terms are
        # all found.
        postings = self._postings[kind]
        speedups = compiled.speedups()
        if speedups is not None:
            keys: set[DigestKey] = speedups.gather_keys(found, postings)
            return keys
        chunks: list[Iterable[DigestKey]] = []
        for term_id in postings.keys() & found:
            alone, pairs, conditional = postings[term_id]
            chunks.append(alone)
            if pairs:
                chunks += map(pairs.__getitem__, pairs.keys() & found)
            if conditional:
                chunks.append(
                    key
                    for rest, negated, key in conditional
                    if found.issuperset(rest) and found.isdisjoint(negated)
                )
        # One pass in C over all the postings costs less than a call per chunk.
        return set(chain.from_iterable(chunks))

    def _has_clauses(self, kind: int) -> bool:
        return bool(self._postings[kind])

    def _is_true(self, line_id: int, found: set[int]) -> bool:
        # Whether a line is true for a paper with the terms `found`.
        test = self._tests.get(line_id)
        if test is not None:
            return test(found)
        shape = self._shape[line_id]
        if isinstance(shape, int):
            return shape in found
        return any(_clause_is_true(clause, found) for clause in shape)

    def _true_general_lines(self, found: set[int]) -> list[int]:
        tests, general = self._tests, self._general
        candidates: set[int] = set(self._always)
        for term_id in general.keys() & found:
            candidates.update(general[term_id])
        return [line_id for line_id in candidates if tests[line_id](found)]

    def _add_line(self, key: DigestKey, kind: int, text: str, node: Node) -> int:
        line_id = self._new_line(key, kind, text)
        # One use of each distinct term, as `_remove_line` releases each once.
        ids: dict[Term, int] = {}
        for term in dict.fromkeys(term for term, _ in iter_terms(node)):
            ids[term] = self._terms.acquire(term)
        clauses = _clauses(node, ids)
        if clauses is not None:
            self._shape[line_id] = (
                clauses[0][0] if len(clauses) == len(clauses[0]) == 1 else clauses
            )
            for clause in clauses:
                self._post_clause(kind, clause, key)
            return line_id
        positive = tuple(ids[term] for term in positive_terms(node))
        test = self._tests[line_id] = _compile_test(node, ids)
        self._shape[line_id] = (positive, tuple(ids.values()))
        for term_id in positive:
            self._general.setdefault(term_id, array("i")).append(line_id)
        # A line can be true with none of its positive terms found only if it is true with
        # no term found at all, because it can only become false as negated terms appear.
        if test(set()):
            self._always.add(line_id)
        return line_id

    def _new_line(self, key: DigestKey, kind: int, text: str) -> int:
        if self._free:
            line_id = self._free.pop()
            self._digest[line_id], self._text[line_id] = key, text
            self._exclusion[line_id] = kind
            return line_id
        self._digest.append(key)
        self._text.append(text)
        self._exclusion.append(kind)
        self._shape.append(())
        return len(self._digest) - 1

    def _post_clause(self, kind: int, clause: Clause, key: DigestKey) -> None:
        postings = self._postings[kind]
        if len(clause) == 1:
            alone, pairs, conditional = postings.get(clause[0], _NO_POSTINGS)
            postings[clause[0]] = ((*alone, key), pairs, conditional)
        elif len(clause) == 2 and clause[1] >= 0:
            alone, pairs, conditional = postings.get(clause[0], _NO_POSTINGS)
            if pairs is None:
                pairs = {}
                postings[clause[0]] = (alone, pairs, conditional)
            pairs[clause[1]] = (*pairs.get(clause[1], ()), key)
        else:
            first, posting = _conditional_posting(clause, key)
            alone, pairs, conditional = postings.get(first, _NO_POSTINGS)
            if conditional is None:
                conditional = []
                postings[first] = (alone, pairs, conditional)
            conditional.append(posting)

    def _remove_line(self, line_id: int) -> None:
        kind, shape = self._exclusion[line_id], self._shape[line_id]
        if isinstance(shape, int):
            shape = ((shape,),)
        if line_id in self._tests:
            del self._tests[line_id]
            self._always.discard(line_id)
            for term_id in shape[0]:
                _discard(self._general, term_id, line_id)
            terms = set(shape[1])
        else:
            for clause in shape:
                self._unpost_clause(kind, clause, self._digest[line_id])
            terms = {
                term_id if term_id >= 0 else ~term_id for clause in shape for term_id in clause
            }
        for term_id in terms:
            self._terms.release(term_id)
        self._shape[line_id] = ()
        self._text[line_id] = ""
        self._digest[line_id] = None
        self._free.append(line_id)

    def _unpost_clause(self, kind: int, clause: Clause, key: DigestKey) -> None:
        postings = self._postings[kind]
        if len(clause) == 1:
            term_id = clause[0]
            alone, pairs, conditional = postings[term_id]
            alone = _without(alone, key)
        elif len(clause) == 2 and clause[1] >= 0:
            term_id = clause[0]
            alone, pairs, conditional = postings[term_id]
            assert pairs is not None
            remaining = _without(pairs[clause[1]], key)
            if remaining:
                pairs[clause[1]] = remaining
            else:
                del pairs[clause[1]]
        else:
            term_id, posting = _conditional_posting(clause, key)
            alone, pairs, conditional = postings[term_id]
            assert conditional is not None
            conditional.remove(posting)
        entry = (alone, pairs or None, conditional or None)
        if entry == _NO_POSTINGS:
            del postings[term_id]
        else:
            postings[term_id] = entry


@lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_cached(line: str) -> Node:
    return parse_rule(line)


def _parse(line: str, kind: str, index: int) -> Node:
    # A line that does not parse is parsed again for an error that names its kind and place.
    try:
        return _parse_cached(line)
    except RuleError:
        return parse_rule(line, kind, index)


def _clauses(node: Node, ids: dict[Term, int]) -> Shape | None:
    # The clauses of a line, or None for a line evaluated as a tree. A line has clauses
    # when it is a term, an AND of terms and negated terms with at least one term, or an
    # OR of those. Required terms come first in a clause.
    if isinstance(node, Term):
        return ((ids[node],),)
    if isinstance(node, And) and all(_is_term_or_negated(item) for item in node.items):
        required = [ids[item] for item in node.items if isinstance(item, Term)]
        negated = [
            ~ids[item.item]
            for item in node.items
            if isinstance(item, Not) and isinstance(item.item, Term)
        ]
        if not required:
            return None
        return (tuple(dict.fromkeys(required + negated)),)
    if isinstance(node, Or):
        clauses: list[Clause] = []
        for item in node.items:
            inner = _clauses(item, ids)
            if inner is None:
                return None
            clauses += inner
        return tuple(clauses)
    return None


def _clause_is_true(clause: Clause, found: set[int]) -> bool:
    return all(term_id in found if term_id >= 0 else ~term_id not in found for term_id in clause)


def _conditional_posting(clause: Clause, key: DigestKey) -> tuple[int, ConditionalPosting]:
    # The first required term of a clause, and its posting under that term.
    required = [term_id for term_id in clause if term_id >= 0]
    negated = tuple(~term_id for term_id in clause if term_id < 0)
    return required[0], (tuple(required[1:]), negated, key)


def _without(keys: tuple[DigestKey, ...], key: DigestKey) -> tuple[DigestKey, ...]:
    # `keys` with one appearance of `key` removed.
    remaining = list(keys)
    remaining.remove(key)
    return tuple(remaining)


def _discard(postings: dict[int, Any], term_id: int, member: object) -> None:
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
    if isinstance(node, And) and all(_is_term_or_negated(item) for item in node.items):
        # Such as `transformer ANDNOT survey`: two set operations instead of a call per item.
        required = frozenset(ids[item] for item in node.items if isinstance(item, Term))
        negated = frozenset(
            ids[item.item]
            for item in node.items
            if isinstance(item, Not) and isinstance(item.item, Term)
        )
        return lambda found: required <= found and negated.isdisjoint(found)
    tests = tuple(_compile_test(item, ids) for item in node.items)
    if isinstance(node, And):
        return lambda found: all(test(found) for test in tests)
    return lambda found: any(test(found) for test in tests)


def _is_term_or_negated(node: Node) -> bool:
    return isinstance(node, Term) or (isinstance(node, Not) and isinstance(node.item, Term))
