"""Finding many word and phrase terms in folded text at once, by their squashed spelling.

A term matches a run of whole words of the text (see `bot.rules.terms`). Between the words
of the run the text may have any run of spaces, hyphens and slashes, and with those
removed the run spells the term's words joined without separators, with an allowed plural
ending. That joined spelling is the term's key: "multi-modal", "multi modal" and
"MultiModal" all give the key "multimodal". `KeyTable.find` joins each word of the text
with the words that follow it, looks each joined string up among the keys, and then
checks the gaps it closed. A gap is allowed where the term has a word boundary, and
otherwise only when it is one hyphen inside a word of the term, before any plural ending.

A prefix term occurs where the text's joined words start with its key and the gaps it
crosses are allowed, and where the match ends inside a word. Only regular terms are
indexed here: not category terms, and every character of every word a letter or digit.
A term like "c++" is checked with its regular expression instead.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from bot.rules import compiled
from bot.rules.nodes import Field, Term
from bot.rules.normalize import WORD_CHAR, WORD_CHAR_PATTERN

# Splits folded text into [gap, word, gap, word, ..., gap], in one call.
_WORD_SPLIT = re.compile(f"({WORD_CHAR}+)")
_JOINERS = " /-"
# The scan joins the next word only while a key starts with the words joined so far and
# the first character of the next word. The Python scan checks with a binary search of the
# sorted keys, and the compiled one (`bot.rules._speedups`) a Bloom filter of key starts.

# Fields as bits, so that a term's field is tested against the fields of a text with `&`
# (hashing an Enum member runs Python code).
FIELD_BITS = {Field.ALL: 1, Field.TITLE: 2, Field.ABSTRACT: 4, Field.AUTHOR: 8}

# One term under a key: its id, its field bit, its stem length and its word starts. The
# stem length is the length of the part of the key that spells the term's words without
# a plural ending. The word starts are the offsets in the key of each word after the first.
KeyEntry = tuple[int, int, int, tuple[int, ...]]
# One prefix term: its id, its field bit, its key (its words joined) and its word starts.
PrefixEntry = tuple[int, int, str, tuple[int, ...]]
# Words met in texts are remembered with their prefix terms up to this many words.
_WORD_CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class TextWords:
    """The words of one folded text, and whether each gap between two words may join them.

    `joinable[k]` is set when the gap after `words[k]` holds only spaces, hyphens and
    slashes, so that a phrase may run across it. `gaps[k]` is that gap.
    """

    words: list[str]
    gaps: list[str]
    joinable: list[bool]


def split_text(folded: str) -> TextWords:
    """Split folded text into its words, the gaps after them and which gaps join."""
    parts = _WORD_SPLIT.split(folded)
    gaps = parts[2::2]
    return TextWords(parts[1::2], gaps, [not gap.strip(_JOINERS) for gap in gaps])


def is_regular(term: Term) -> bool:
    """Return whether a word or phrase term is found by key: letters and digits only."""
    if term.field is Field.CATEGORY:
        return False
    return all(WORD_CHAR_PATTERN.fullmatch(char) for word in term.words for char in word)


def term_keys(term: Term) -> tuple[list[str], int]:
    """Return the keys of a regular term (one per plural form) and the length of its stem.

    The stem is the part of a key that spells the term's words; the rest is a plural
    ending. A final "y" takes "ys" or "ies", and is then outside the stem. Other words
    take "s" or "es". Author and prefix terms have no plural.
    """
    joined = "".join(term.words)
    last = term.words[-1]
    if term.field is Field.AUTHOR or term.prefix:
        return [joined], len(joined)
    if len(last) > 1 and last.endswith("y"):
        stem = joined[:-1]
        return [stem + "y", stem + "ys", stem + "ies"], len(stem)
    return [joined, joined + "s", joined + "es"], len(joined)


def word_starts(words: Sequence[str]) -> tuple[int, ...]:
    """Return the offsets in the joined words where each word after the first starts."""
    starts = []
    offset = 0
    for word in words[:-1]:
        offset += len(word)
        starts.append(offset)
    return tuple(starts)


class KeyTable:
    """Regular terms by key, for finding all of them in a text with one scan.

    The sorted keys and what each word of the texts finds on its own are worked out when
    a text is first scanned after a change, and kept until the next change.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[KeyEntry, ...]] = {}
        self._sorted_keys: list[str] | None = None
        self._filter: bytearray | None = None
        self._max_length = 0
        # Prefix terms by their whole key, and by every start of their key of 2 or more
        # characters (see `_find_prefixes_across`).
        self._prefixes: dict[str, tuple[PrefixEntry, ...]] = {}
        self._prefix_starts: dict[str, tuple[PrefixEntry, ...]] = {}
        self._prefix_lengths: list[int] = []
        # The prefix terms that each word of the text starts with, filled as words are met.
        self._word_prefixes: dict[str, tuple[PrefixEntry, ...]] = {}
        # By fields, for each word met: the ids of the terms it holds on its own.
        self._words: dict[int, dict[str, tuple[int, ...]]] = {}

    def __len__(self) -> int:
        return len(self._entries) + len(self._prefixes)

    def add(self, term_id: int, term: Term) -> None:
        """Index a regular term under each of its keys."""
        if term.prefix:
            self._add_prefix(term_id, term)
            return
        keys, stem_length = term_keys(term)
        entry: KeyEntry = (term_id, FIELD_BITS[term.field], stem_length, word_starts(term.words))
        alone = (entry,)  # shared by the keys that hold no other term
        for key in keys:
            held = self._entries.get(key)
            self._entries[key] = alone if held is None else (*held, entry)
            self._note_length(key)
        self._changed()

    def remove(self, term_id: int, term: Term) -> None:
        """Remove a term added with `add`."""
        if term.prefix:
            self._remove_prefix(term_id, term)
            return
        for key in term_keys(term)[0]:
            kept = tuple(entry for entry in self._entries.get(key, ()) if entry[0] != term_id)
            if kept:
                self._entries[key] = kept
            else:
                self._entries.pop(key, None)
        self._changed()

    def _add_prefix(self, term_id: int, term: Term) -> None:
        key = "".join(term.words)
        entry: PrefixEntry = (term_id, FIELD_BITS[term.field], key, word_starts(term.words))
        self._prefixes[key] = (*self._prefixes.get(key, ()), entry)
        for length in range(2, len(key) + 1):
            start = key[:length]
            self._prefix_starts[start] = (*self._prefix_starts.get(start, ()), entry)
        self._note_length(key)
        self._prefix_lengths = sorted({len(key) for key in self._prefixes})
        self._changed()

    def _remove_prefix(self, term_id: int, term: Term) -> None:
        key = "".join(term.words)
        for table, starts in (
            (self._prefixes, [key]),
            (self._prefix_starts, [key[:length] for length in range(2, len(key) + 1)]),
        ):
            for start in starts:
                kept = tuple(entry for entry in table.get(start, ()) if entry[0] != term_id)
                if kept:
                    table[start] = kept
                else:
                    table.pop(start, None)
        self._prefix_lengths = sorted({len(key) for key in self._prefixes})
        self._changed()

    def _note_length(self, key: str) -> None:
        self._max_length = max(self._max_length, len(key))

    def _changed(self) -> None:
        self._sorted_keys = None
        self._filter = None
        self._word_prefixes.clear()
        self._words.clear()

    def _compiled_filter(self, speedups: ModuleType) -> bytearray:
        # The Bloom filter of the compiled scan, built from the keys after each change.
        if self._filter is None:
            self._filter = speedups.build_filter(self._entries, self._prefixes, self._prefix_starts)
        return self._filter

    def _keys(self) -> list[str]:
        keys = self._sorted_keys
        if keys is None:
            keys = self._sorted_keys = sorted({*self._entries, *self._prefixes})
        return keys

    def _starts_some(self, joined: str) -> bool:
        # Whether a key starts with `joined`: such keys sort from its place on.
        keys = self._keys()
        place = bisect_left(keys, joined)
        return place < len(keys) and keys[place].startswith(joined)

    def _learn(self, word: str, fields: int, known: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
        # The ids of the terms that `word` holds on its own, remembered in `known`.
        ids = [term_id for term_id, field, _, _ in self._entries.get(word, ()) if field & fields]
        ids += [term_id for term_id, field, _, _ in self._prefixes_of_word(word) if field & fields]
        if len(known) >= _WORD_CACHE_SIZE:
            known.clear()
        alone = known[word] = tuple(ids)
        return alone

    def _prefixes_of_word(self, word: str) -> tuple[PrefixEntry, ...]:
        # The prefix terms whose key starts `word`: they occur wherever the word does.
        cached = self._word_prefixes.get(word)
        if cached is None:
            cached = ()
            for length in self._prefix_lengths:
                if length > len(word):
                    break
                cached += self._prefixes.get(word[:length], ())
            if len(self._word_prefixes) >= _WORD_CACHE_SIZE:
                self._word_prefixes.clear()
            self._word_prefixes[word] = cached
        return cached

    def find(self, folded: str, fields: int, found: set[int]) -> None:
        """Add to `found` the id of every term that occurs in `folded` with a field among
        `fields`, a sum of `FIELD_BITS`."""
        if not self._entries and not self._prefixes:
            return
        known = self._words.setdefault(fields, {})
        speedups = compiled.speedups()
        if speedups is not None:
            speedups.find_terms(
                folded,
                fields,
                found,
                known,
                _WORD_CACHE_SIZE,
                self._entries,
                self._prefixes,
                self._prefix_lengths,
                self._prefix_starts,
                self._compiled_filter(speedups),
                self._max_length,
            )
            return
        text = split_text(folded)
        words, joinable = text.words, text.joinable
        count = len(words)
        for first, word in enumerate(words):
            alone = known.get(word)
            if alone is None:
                alone = self._learn(word, fields, known)
            if alone:
                found.update(alone)
            if (
                first + 1 < count
                and joinable[first]
                and self._starts_some(word + words[first + 1][0])
            ):
                self._join(text, first, fields, found)

    def _join(self, text: TextWords, first: int, fields: int, found: set[int]) -> None:
        # Join the words after `first` while a key starts with the joined words and the
        # first character of the next word. The caller checked this for the first join.
        entries, starts = self._entries, self._prefix_starts
        words, joinable = text.words, text.joinable
        key = words[first]
        last = first
        while True:
            following = words[last + 1]
            if starts:
                across = starts.get(key + following[0])
                if across is not None:
                    _confirm_prefixes(across, text, first, last + 1, fields, found)
            last += 1
            key += following
            hit = entries.get(key)
            if hit is not None:
                _confirm(hit, text, first, last, fields, found)
            if last + 1 == len(words) or not joinable[last] or len(key) >= self._max_length:
                return
            if not self._starts_some(key + words[last + 1][0]):
                return


def _confirm_prefixes(
    entries: tuple[PrefixEntry, ...],
    text: TextWords,
    first: int,
    last: int,
    fields: int,
    found: set[int],
) -> None:
    # Each entry's key starts with the words first..last-1 of the text and the first
    # letter of word `last`. It occurs there when it ends inside word `last` and each
    # gap it crosses is allowed.
    joined = "".join(text.words[first : last + 1])
    for term_id, field, key, starts in entries:
        if term_id in found or not field & fields or not joined.startswith(key):
            continue
        if _gaps_allowed(text, first, last, len(key), starts):
            found.add(term_id)


def _confirm(
    hit: tuple[KeyEntry, ...],
    text: TextWords,
    first: int,
    last: int,
    fields: int,
    found: set[int],
) -> None:
    # The words first..last of the text spell a key; a term under it occurs there when
    # each gap between those words is allowed at its offset in the key.
    for term_id, field, stem_length, starts in hit:
        if term_id in found or not field & fields:
            continue
        if first == last or _gaps_allowed(text, first, last, stem_length, starts):
            found.add(term_id)


def _gaps_allowed(
    text: TextWords, first: int, last: int, stem_length: int, starts: tuple[int, ...]
) -> bool:
    offset = 0
    for index in range(first, last):
        offset += len(text.words[index])
        if offset in starts:
            continue
        if text.gaps[index] != "-" or offset >= stem_length:
            return False
    return True
