"""The syntax tree of a rule: terms combined with AND, OR and NOT.

Nodes are frozen and hashable, and two nodes are equal when they match the same papers
by construction: the text and position of a node, kept for messages, take no part in
equality. `And` and `Or` hold two or more items, in the order written.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias


class Field(enum.Enum):
    """The part of a paper that a term is looked for in, named as in rules and arXiv queries."""

    ALL = "all"
    TITLE = "ti"
    ABSTRACT = "abs"
    AUTHOR = "au"
    CATEGORY = "cat"

    @property
    def label(self) -> str:
        """The field's name in explanations: title, abstract, author or category."""
        return _LABELS[self]


_LABELS = {
    Field.ALL: "title or abstract",
    Field.TITLE: "title",
    Field.ABSTRACT: "abstract",
    Field.AUTHOR: "author",
    Field.CATEGORY: "category",
}


@dataclass(frozen=True, slots=True)
class Term:
    """A word, phrase, prefix or category to find in one field of a paper.

    `words` are folded and split at spaces, hyphens and slashes. With `prefix`, the last
    word only has to start a word of the text. For `Field.CATEGORY`, `words` is one
    lower-case code and `prefix` means the whole archive (`cat:cs.*`). `text` is the term
    as written, field included, and `position` its 0-based offset in the rule.
    """

    words: tuple[str, ...]
    field: Field = Field.ALL
    prefix: bool = False
    text: str = dataclasses.field(default="", compare=False)
    position: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    """Items that must all match."""

    items: tuple[Node, ...]
    position: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    """Items of which at least one must match."""

    items: tuple[Node, ...]
    position: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    """An item that must not match; `position` is where its NOT or ANDNOT was written."""

    item: Node
    position: int = dataclasses.field(default=0, compare=False)


Node: TypeAlias = Term | And | Or | Not


def iter_terms(node: Node, negated: bool = False) -> Iterator[tuple[Term, bool]]:
    """Yield every term of `node` in written order, with whether an odd number of NOTs covers it."""
    if isinstance(node, Term):
        yield node, negated
    elif isinstance(node, Not):
        yield from iter_terms(node.item, not negated)
    else:
        for item in node.items:
            yield from iter_terms(item, negated)


def positive_terms(node: Node) -> tuple[Term, ...]:
    """Return the distinct terms of `node` that no NOT negates, in written order.

    These are the terms whose presence can make a paper match, so they are the ones to
    highlight and the ones a matcher for many rules can index.
    """
    terms = (term for term, negated in iter_terms(node) if not negated)
    return tuple(dict.fromkeys(terms))
