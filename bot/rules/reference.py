"""A reference evaluator of rules, slow and simple, for tests to check the matcher against.

It shares only the parser and `fold` with the compiled matcher. It reads a paper's
original fields from a `PreparedText`, folds each value on its own, and finds a term
without regular expressions:

1. Remove every space, hyphen and slash from the text and from the term, and look for
   the term's letters (with an allowed plural ending) in what remains.
2. Check each gap that the removal closed inside the found letters. Between two words
   of the term any run of separators is allowed. Inside a word only one hyphen between
   two letters or digits is allowed, and nothing before a plural ending.
3. Check that no letter or digit touches the match on either side, except after a
   prefix term, whose last word may go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.rules.nodes import And, Field, Node, Not, Term
from bot.rules.normalize import WORD_CHAR_PATTERN, PreparedText, fold

_SEPARATORS = frozenset(" /-")


def evaluate(node: Node, paper: PreparedText) -> bool:
    """Return whether a syntax tree matches a prepared paper."""
    if isinstance(node, Term):
        return term_occurs(node, paper)
    if isinstance(node, Not):
        return not evaluate(node.item, paper)
    results = [evaluate(item, paper) for item in node.items]
    return all(results) if isinstance(node, And) else any(results)


def evaluate_rule(
    keywords: Iterable[Node], exclusions: Iterable[Node], paper: PreparedText
) -> bool:
    """Return whether a digest's parsed lines select a paper.

    The paper is selected when no exclusion matches and some keyword line does, or when
    there are no keyword lines.
    """
    if any(evaluate(node, paper) for node in exclusions):
        return False
    keyword_nodes = list(keywords)
    return not keyword_nodes or any(evaluate(node, paper) for node in keyword_nodes)


def term_occurs(term: Term, paper: PreparedText) -> bool:
    """Return whether a term occurs in its field of the paper."""
    if term.field is Field.CATEGORY:
        code = term.words[0]
        return any(
            category.lower() == code or (term.prefix and category.lower().startswith(code + "."))
            for category in paper.categories
        )
    return any(phrase_occurs(term, fold(value)) for value in _field_values(term.field, paper))


def _field_values(field: Field, paper: PreparedText) -> tuple[str, ...]:
    if field is Field.TITLE:
        return (paper.title,)
    if field is Field.ABSTRACT:
        return (paper.abstract,)
    if field is Field.AUTHOR:
        return paper.authors.parts
    return (paper.title, paper.abstract)


def phrase_occurs(term: Term, text: str) -> bool:
    """Return whether a word, phrase or prefix term occurs in folded text."""
    kept = [index for index, char in enumerate(text) if char not in _SEPARATORS]
    squeezed = "".join(text[index] for index in kept)
    word_starts = _word_starts(term.words)

    plural = term.field is not Field.AUTHOR and not term.prefix
    for form, stem_length in _forms(term.words, plural):
        start = squeezed.find(form)
        while start >= 0:
            positions = kept[start : start + len(form)]
            if _gaps_allowed(text, positions, word_starts, stem_length) and _edges_allowed(
                term, text, positions
            ):
                return True
            start = squeezed.find(form, start + 1)
    return False


def _word_starts(words: tuple[str, ...]) -> set[int]:
    starts = set()
    offset = 0
    for word in words[:-1]:
        offset += len(word)
        starts.add(offset)
    return starts


def _forms(words: tuple[str, ...], plural: bool) -> Iterator[tuple[str, int]]:
    # Each form comes with the length of its part that spells the term's words; the rest
    # is a plural ending.
    joined = "".join(words)
    last = words[-1]
    if not plural or not last[-1].isalnum():
        yield joined, len(joined)
    elif len(last) > 1 and last.endswith("y"):
        stem = joined[:-1]
        for ending in ("y", "ys", "ies"):
            yield stem + ending, len(stem)
    else:
        for ending in ("", "s", "es"):
            yield joined + ending, len(joined)


def _gaps_allowed(text: str, positions: list[int], word_starts: set[int], stem_length: int) -> bool:
    for offset in range(1, len(positions)):
        before, after = positions[offset - 1], positions[offset]
        gap = text[before + 1 : after]
        if not gap or offset in word_starts:
            continue
        inside_word = offset < stem_length
        between_alnum = text[before].isalnum() and text[after].isalnum()
        if not (gap == "-" and inside_word and between_alnum):
            return False
    return True


def _edges_allowed(term: Term, text: str, positions: list[int]) -> bool:
    first, last = positions[0], positions[-1]
    if term.words[0][0].isalnum() and first > 0 and _is_word_char(text[first - 1]):
        return False
    if term.prefix or not term.words[-1][-1].isalnum():
        return True
    return last + 1 >= len(text) or not _is_word_char(text[last + 1])


def _is_word_char(char: str) -> bool:
    return WORD_CHAR_PATTERN.fullmatch(char) is not None
