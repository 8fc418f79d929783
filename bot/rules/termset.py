"""The distinct terms of many rules, and finding which of them occur in a paper.

Each kind of term has its own index, chosen so that finding a term costs nothing for
papers without it:

- regular word, phrase and prefix terms of the title, abstract or author names are found
  by their squashed keys (`bot.rules.keys`), which decides them exactly;
- category terms are looked up by the paper's category codes and their archives;
- the rest, terms with characters other than letters and digits such as "c++", are few,
  and each is checked on every paper with its regular expression.
"""

from __future__ import annotations

from bot.rules.keys import FIELD_BITS, KeyTable, is_regular
from bot.rules.nodes import Field, Term
from bot.rules.normalize import PreparedText
from bot.rules.terms import CompiledTerm, compile_term

_TITLE_FIELDS = FIELD_BITS[Field.ALL] | FIELD_BITS[Field.TITLE]
_ABSTRACT_FIELDS = FIELD_BITS[Field.ALL] | FIELD_BITS[Field.ABSTRACT]
_AUTHOR_FIELDS = FIELD_BITS[Field.AUTHOR]


class TermSet:
    """Distinct terms with ids and reference counts, indexed for finding them in papers."""

    def __init__(self) -> None:
        self._ids: dict[Term, int] = {}
        self._terms: dict[int, Term] = {}
        self._references: dict[int, int] = {}
        self._next_id = 0
        self._body = KeyTable()
        self._authors = KeyTable()
        self._checked: dict[int, CompiledTerm] = {}
        self._categories: dict[str, set[int]] = {}
        self._archives: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def acquire(self, term: Term) -> int:
        """Return the id of a term, indexing it on first use."""
        term_id = self._ids.get(term)
        if term_id is None:
            term_id = self._ids[term] = self._next_id
            self._next_id += 1
            self._terms[term_id] = term
            self._references[term_id] = 0
            self._index(term_id, term)
        self._references[term_id] += 1
        return term_id

    def release(self, term_id: int) -> None:
        """Drop one use of a term, removing it from the indexes after its last use."""
        self._references[term_id] -= 1
        if self._references[term_id]:
            return
        del self._references[term_id]
        term = self._terms.pop(term_id)
        del self._ids[term]
        self._unindex(term_id, term)

    def find(self, text: PreparedText) -> set[int]:
        """Return the ids of the terms that occur in their fields of a prepared paper."""
        found: set[int] = set()
        self._body.find(text.folded[: text.title_end], _TITLE_FIELDS, found)
        self._body.find(text.folded[text.title_end + 1 :], _ABSTRACT_FIELDS, found)
        if len(self._authors):
            self._authors.find(text.authors.folded, _AUTHOR_FIELDS, found)
        for term_id, compiled in self._checked.items():
            if compiled.occurs_in(text):
                found.add(term_id)
        if self._categories or self._archives:
            self._find_categories(text, found)
        return found

    def _find_categories(self, text: PreparedText, found: set[int]) -> None:
        for category in text.categories:
            code = category.lower()
            found.update(self._categories.get(code, ()))
            found.update(self._archives.get(code, ()))
            archive, dot, _ = code.partition(".")
            if dot:
                found.update(self._archives.get(archive, ()))

    def _index(self, term_id: int, term: Term) -> None:
        if term.field is Field.CATEGORY:
            codes = self._archives if term.prefix else self._categories
            codes.setdefault(term.words[0], set()).add(term_id)
        elif not is_regular(term):
            self._checked[term_id] = compile_term(term)
        elif term.field is Field.AUTHOR:
            self._authors.add(term_id, term)
        else:
            self._body.add(term_id, term)

    def _unindex(self, term_id: int, term: Term) -> None:
        if term.field is Field.CATEGORY:
            codes = self._archives if term.prefix else self._categories
            _discard(codes, term.words[0], term_id)
        elif not is_regular(term):
            del self._checked[term_id]
        elif term.field is Field.AUTHOR:
            self._authors.remove(term_id, term)
        else:
            self._body.remove(term_id, term)


def _discard(index: dict[str, set[int]], key: str, term_id: int) -> None:
    members = index.get(key)
    if members is None:
        return
    members.discard(term_id)
    if not members:
        del index[key]
