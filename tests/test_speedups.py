"""Tests that the compiled matching steps find what the Python steps find."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules import compiled, parse_rule, prepare
from bot.rules.nodes import iter_terms
from bot.rules.termset import TermSet
from tests.paths import CORPUS

_DAY = "2025-11-09"
_WORD = re.compile(r"[^\W_]+")


@cache
def corpus_titles() -> tuple[str, ...]:
    with (CORPUS / "days" / f"{_DAY}.jsonl").open(encoding="utf-8") as lines:
        return tuple(json.loads(line)["title"] for line in lines)


def find_both(lines: list[str], title: str, abstract: str) -> tuple[set[int], set[int]]:
    terms = TermSet()
    for line in lines:
        for term, _ in iter_terms(parse_rule(line)):
            terms.acquire(term)
    text = prepare(title, abstract)
    found_compiled = terms.find(text)
    compiled.enabled = False
    try:
        found_python = terms.find(text)
    finally:
        compiled.enabled = True
    return found_compiled, found_python


def test_speedups_built() -> None:
    assert compiled.is_built()


_SEPARATORS = st.sampled_from([" ", "-", "/", " - ", ", ", "--", "_", "é", "ß", "·", "\u00a0"])
_PIECES = st.one_of(
    st.sampled_from(["multi", "modal", "graph", "neural", "net", "networks", "study", "ies"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4),
)


@st.composite
def mixed_text(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(_PIECES, max_size=12))
    return "".join(piece + draw(_SEPARATORS) for piece in pieces)


_LINES = st.lists(
    st.sampled_from(
        [
            '"multi modal"',
            "multimodal",
            "graph neural net*",
            "mod*",
            "study",
            '"neural networks"',
            "ti:graph",
            "abs:modal",
            "net",
            '"é ß"',
        ]
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(lines=_LINES, title=mixed_text(), abstract=mixed_text())
def test_compiled_scan_equals_python_on_mixed_text(
    lines: list[str], title: str, abstract: str
) -> None:
    found_compiled, found_python = find_both(lines, title, abstract)
    assert found_compiled == found_python


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_compiled_scan_equals_python_on_titles(data: st.DataObject) -> None:
    titles = corpus_titles()
    words = _WORD.findall(data.draw(st.sampled_from(titles)))
    start = data.draw(st.integers(0, len(words) - 1))
    phrase = " ".join(words[start : start + data.draw(st.integers(1, 3))])
    lines = [f'"{phrase}"', words[start], f"{words[start][:3]}*"]
    title = data.draw(st.sampled_from(titles))
    found_compiled, found_python = find_both(lines, title, data.draw(st.sampled_from(titles)))
    assert found_compiled == found_python


def test_filter_rejects_bad_size() -> None:
    speedups = compiled.speedups()
    assert speedups is not None
    with pytest.raises(ValueError, match="power of two"):
        speedups.find_terms("a b", 1, set(), {}, 10, {}, {}, [], {}, b"\0" * 100, 10)


def test_gather_rejects_list_postings() -> None:
    speedups = compiled.speedups()
    assert speedups is not None
    with pytest.raises(TypeError, match="tuples"):
        speedups.gather_keys({1}, {1: ([5], None, None)})


def test_scan_rejects_malformed_entries() -> None:
    speedups = compiled.speedups()
    assert speedups is not None
    bloom = speedups.build_filter(["abcd"], [], [])
    entries = {"abcd": ((1, 1),)}
    with pytest.raises(TypeError, match="4-item tuples"):
        speedups.find_terms("ab cd", 1, set(), {}, 10, entries, {}, [], {}, bloom, 10)
