"""Tests for the rule index of many digests, against the reference evaluator."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.arxiv import load_feed_file
from bot.digest import select_for_digests, select_papers
from bot.models import Digest, Paper
from bot.rules import PreparedText, RuleError, compiled, evaluate_rule, parse_rule, prepare
from bot.rules.index import RuleIndex
from bot.rules.keys import term_keys
from tests.paths import ARXIV_FIXTURES, CORPUS

Rule = tuple[list[str], list[str]]


@pytest.fixture(autouse=True, params=["compiled", "python"])
def matching_steps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each test with the C extension's steps and again with the Python ones."""
    if request.param == "compiled":
        assert compiled.is_built(), "bot.rules._speedups is not built; reinstall the package"
    monkeypatch.setattr(compiled, "enabled", request.param == "compiled")
    return str(request.param)


@cache
def corpus_papers(day: str) -> tuple[dict, ...]:
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines)


def prepared(paper: dict) -> PreparedText:
    return prepare(paper["title"], paper["abstract"], paper["authors"], paper["categories"] or ())


def expected_keys(rules: dict[int, Rule], text: PreparedText) -> set[int]:
    selected = set()
    for key, (keywords, exclusions) in rules.items():
        trees = [parse_rule(line) for line in keywords]
        excluded = [parse_rule(line) for line in exclusions]
        if evaluate_rule(trees, excluded, text):
            selected.add(key)
    return selected


def expected_lines(rule: Rule, text: PreparedText) -> tuple[str, ...]:
    excluded = [parse_rule(line) for line in rule[1]]
    return tuple(line for line in rule[0] if evaluate_rule([parse_rule(line)], excluded, text))


def index_of(rules: dict[int, Rule]) -> RuleIndex:
    index = RuleIndex()
    for key, (keywords, exclusions) in rules.items():
        index.add(key, keywords, exclusions)
    return index


def found(line: str, title: str, abstract: str = "", authors: tuple[str, ...] = ()) -> bool:
    index = RuleIndex()
    index.add(1, [line])
    return 1 in index.match_keys(prepare(title, abstract, authors))


# Keys and single terms


def test_keys_of_phrase_join_words() -> None:
    assert "multimodal" in term_keys(parse_rule('"multi modal"'))[0]


def test_keys_of_y_word_take_ies() -> None:
    assert term_keys(parse_rule("study"))[0] == ["study", "studys", "studies"]


def test_keys_of_author_have_no_plural() -> None:
    assert term_keys(parse_rule("au:smith"))[0] == ["smith"]


@pytest.mark.parametrize("text", ["multi-modal data", "multimodal data", "multi modal data"])
def test_phrase_matches_every_join(text: str) -> None:
    assert found('"multi modal"', text)


def test_word_matches_hyphen_split() -> None:
    assert found("multimodal", "A multi-modal model")


def test_word_rejects_space_split() -> None:
    assert not found("multimodal", "A multi modal model")


def test_phrase_matches_camel_case() -> None:
    assert found('"vision language model"', "VisionLanguageModel for robots")


def test_word_not_inside_word() -> None:
    assert not found("r1", "Mutations of PIK3R1 in tumours")


def test_word_after_hyphen() -> None:
    assert found("r1", "Distilling DeepSeek-R1 into small models")


def test_plural_ies() -> None:
    assert found("study", "Two case studies")


def test_plural_not_after_hyphen() -> None:
    assert not found("study", "Two case stud-ies")


def test_prefix_across_hyphen() -> None:
    assert found("diffus*", "A diff-usion model")


def test_prefix_of_phrase_across_words() -> None:
    assert found("graph neural net*", "Graph-neural networks")


def test_prefix_not_inside_word() -> None:
    assert not found("fusion*", "Diffusion models")


def test_title_field_ignores_abstract() -> None:
    assert not found("ti:agent", "A survey", "An agent")


def test_author_field() -> None:
    assert found("au:Müller", "A survey", "", ("Anna Muller",))


def test_symbol_term() -> None:
    assert found('"c++"', "Fast C++ kernels")


# Adding and removing digests


def test_add_replaces_lines() -> None:
    index = RuleIndex()
    index.add(1, ["transformer"])
    index.add(1, ["diffusion"])
    assert index.match(prepare("Diffusion transformer", "")) == {1: ("diffusion",)}


def test_remove_drops_digest() -> None:
    index = RuleIndex()
    index.add(1, ["transformer"])
    index.add(2, ["transformer", "NOT robot"])
    index.remove(1)
    assert set(index.match(prepare("A transformer", ""))) == {2}


def test_remove_frees_terms() -> None:
    index = RuleIndex()
    index.add(1, ["transformer AND NOT robot", "cat:cs.LG", "c++"])
    index.remove(1)
    assert index.term_count == 0


def test_add_invalid_keeps_old_rule() -> None:
    index = RuleIndex()
    index.add(1, ["transformer"])
    with pytest.raises(RuleError):
        index.add(1, ["(transformer"])
    assert index.contains_rule(1, ["transformer"], [])


def test_digest_without_keywords_matches_all() -> None:
    index = RuleIndex()
    index.add(1, [], ["survey"])
    assert index.match(prepare("A transformer", "")) == {1: ()}


def test_build_skips_invalid_digest() -> None:
    digests = [
        Digest(guild_id=1, channel_id=2, name="ok", categories=("cs.LG",), keywords=("x",), id=1),
        Digest(guild_id=1, channel_id=2, name="bad", categories=("cs.LG",), keywords=("(",), id=2),
    ]
    assert 2 not in RuleIndex.build(digests)


# Random digests on real papers, against the reference evaluator

_TEXT_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT"})
_DAYS = ("2025-07-13", "2025-11-09", "2026-05-11")
_PAPERS = tuple(paper for day in _DAYS for paper in corpus_papers(day)[:300])


@st.composite
def text_term(draw: st.DrawFn) -> str:
    paper = draw(st.sampled_from(_PAPERS))
    words = _TEXT_WORD.findall(paper["title"] if draw(st.booleans()) else paper["abstract"])
    start = draw(st.integers(0, len(words) - 1))
    phrase = words[start : start + draw(st.integers(1, 4))]
    if draw(st.integers(0, 3)) == 0 and len(phrase[-1]) > 2:
        phrase[-1] = phrase[-1].removesuffix("s")
    joined = draw(st.sampled_from([" ", "-", "/", ""])).join(phrase)
    if draw(st.integers(0, 4)) == 0 and len(joined) > 3:
        stem = joined[: draw(st.integers(1, len(joined) - 1))].rstrip("-/ ")
        if stem and stem[-1].isalnum():
            return draw(st.sampled_from(["", "ti:", "abs:", "au:"])) + stem + "*"
    if len(phrase) > 1 or _OPERATOR_WORDS & set(phrase):
        joined = f'"{joined}"'
    return draw(st.sampled_from(["", "", "", "ti:", "abs:", "all:"])) + joined


@st.composite
def author_term(draw: st.DrawFn) -> str:
    parts = draw(st.sampled_from(draw(st.sampled_from(_PAPERS))["authors"])).split()
    start = draw(st.integers(0, len(parts) - 1))
    return 'au:"{}"'.format(" ".join(parts[start : start + draw(st.integers(1, 2))]))


_CATEGORY_TERM = st.sampled_from(["cs.LG", "cs.CL", "cs.CV", "cs", "stat", "stat.ML", "cs.*"]).map(
    lambda code: f"cat:{code}"
)


def rule_line() -> st.SearchStrategy[str]:
    term = st.one_of(text_term(), text_term(), text_term(), author_term(), _CATEGORY_TERM)
    operator = st.sampled_from([" AND ", " OR ", " ANDNOT ", " AND NOT "])
    return st.recursive(
        term,
        lambda inner: st.one_of(
            st.tuples(inner, operator, inner).map(lambda parts: "({}{}{})".format(*parts)),
            inner.map(lambda item: f"NOT {item}"),
        ),
        max_leaves=5,
    )


def valid(rule: Rule) -> bool:
    try:
        for line in rule[0] + rule[1]:
            parse_rule(line)
    except RuleError:
        return False
    return True


_RULE = st.tuples(st.lists(rule_line(), max_size=4), st.lists(rule_line(), max_size=2)).filter(
    valid
)
_RULES = st.dictionaries(st.integers(0, 50), _RULE, min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(rules=_RULES, papers=st.lists(st.sampled_from(_PAPERS), min_size=1, max_size=4))
def test_index_equals_reference_on_corpus(rules: dict[int, Rule], papers: list[dict]) -> None:
    index = index_of(rules)
    for paper in papers:
        text = prepared(paper)
        matched = index.match(text)
        assert set(matched) == expected_keys(rules, text)
        assert index.match_keys(text) == set(matched)
        for key, lines in matched.items():
            assert lines == expected_lines(rules[key], text)


@settings(max_examples=100, deadline=None)
@given(rules=_RULES, removed=st.sets(st.integers(0, 50)), paper=st.sampled_from(_PAPERS))
def test_index_after_removal_equals_reference(
    rules: dict[int, Rule], removed: set[int], paper: dict
) -> None:
    index = index_of(rules)
    for key in removed:
        index.remove(key)
    kept = {key: rule for key, rule in rules.items() if key not in removed}
    text = prepared(paper)
    assert index.match_keys(text) == expected_keys(kept, text)
    assert index.term_count == index_of(kept).term_count


# Generated text at the edges of the matching rules: plural endings, a final y, hyphens
# inside and between words, letters that fold, characters that are not letters.
_PIECES = ["a", "b", "ab", "y", "s", "es", "ies", "ay", "é", "1", "ß", "ss", "xii", "Ⅻ", "c++"]
_GAPS = ["", "", " ", "-", "/", "--", " - ", "_", ".", ",", "\u00ad", "\u2019", "\n"]
_SNIPPET = st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GAPS)), max_size=8).map(
    lambda parts: "".join(piece + gap for piece, gap in parts)
)


@st.composite
def edge_line(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(["", "ti:", "abs:", "au:", "all:"]))
    line = field + draw(_SNIPPET).strip() + ("*" if draw(st.booleans()) else "")
    return f"NOT {line}" if draw(st.integers(0, 4)) == 0 else line


def parses(line: str) -> bool:
    try:
        parse_rule(line)
    except RuleError:
        return False
    return True


@settings(max_examples=1000, deadline=None)
@given(
    lines=st.lists(edge_line().filter(parses), min_size=1, max_size=6),
    title=_SNIPPET,
    abstract=_SNIPPET,
    authors=st.lists(_SNIPPET, max_size=3),
)
def test_index_equals_reference_on_edge_text(
    lines: list[str], title: str, abstract: str, authors: list[str]
) -> None:
    rules: dict[int, Rule] = {key: ([line], []) for key, line in enumerate(lines)}
    rules[len(lines)] = (lines, [])
    text = prepare(title, abstract, authors)
    assert index_of(rules).match_keys(text) == expected_keys(rules, text)


# Selecting for many digests at once

CS_FEED = "rss-cs-2025-11-09-constructed.xml"


@cache
def feed_papers(name: str) -> tuple[Paper, ...]:
    return load_feed_file(ARXIV_FIXTURES / name).papers


def make_digest(digest_id: int, keywords: tuple[str, ...], **changes: object) -> Digest:
    fields: dict = {
        "guild_id": 1,
        "channel_id": 10 + digest_id % 2,
        "name": f"digest {digest_id}",
        "categories": ("cs.LG", "cs.CL"),
        "keywords": keywords,
        "id": digest_id,
        "max_papers": 20,
        **changes,
    }
    return Digest(**fields)


def test_select_for_digests_equals_select_papers() -> None:
    papers = feed_papers(CS_FEED)
    digests = [
        make_digest(1, ("LLM", "reasoning AND benchmark")),
        make_digest(2, ("diffus*",), include_replacements=True, categories=("cs",)),
        make_digest(3, (), exclusions=("survey",), include_cross_lists=True),
        make_digest(4, ('"vision language model"', "NOT robot"), max_papers=5),
    ]
    posted = {10: {papers[0].id, papers[1].id}}
    selected = select_for_digests(digests, papers, posted)
    for digest in digests:
        assert digest.id is not None
        expected = select_papers(digest, papers, posted_ids=posted.get(digest.channel_id, ()))
        assert selected[digest.id] == expected


def test_select_for_digests_uses_current_rules() -> None:
    papers = feed_papers(CS_FEED)
    stale = RuleIndex()
    stale.add(1, ["robot"])
    digest = make_digest(1, ("LLM",))
    selected = select_for_digests([digest], papers, index=stale)
    assert selected[1] == select_papers(digest, papers)


def test_select_for_digests_skips_invalid_rule() -> None:
    digests = [make_digest(1, ("(LLM",)), make_digest(2, ("LLM",))]
    assert set(select_for_digests(digests, feed_papers(CS_FEED))) == {2}


def test_remove_or_line() -> None:
    index = RuleIndex()
    index.add(1, ["graph OR tensor", "quantum AND error AND code"])
    index.add(2, ["graph"])
    index.remove(1)
    assert index.match_keys(prepare("Graph tensor quantum error code", "")) == {2}


def test_remove_repeated_term() -> None:
    index = RuleIndex()
    index.add(1, ["graph AND graph"])
    index.remove(1)
    assert index.term_count == 0


def test_match_or_line_once() -> None:
    index = RuleIndex()
    index.add(1, ["graph OR tensor"])
    assert index.match(prepare("Graph tensor networks", "")) == {1: ("graph OR tensor",)}


def test_match_line_negating_its_term() -> None:
    index = RuleIndex()
    index.add(1, ["graph", "graph ANDNOT graph"])
    index.add(2, ["graph ANDNOT graph"])
    text = prepare("Graph networks", "")
    assert index.match(text) == {1: ("graph",)}
    assert index.match_keys(text) == {1}


# Matched lines with negated terms, against the reference evaluator


def test_match_andnot_line_negated_found() -> None:
    index = RuleIndex()
    index.add(1, ["transformer ANDNOT survey", "transformer"])
    assert index.match(prepare("A transformer survey", "")) == {1: ("transformer",)}


def test_match_or_clause_negated_found() -> None:
    index = RuleIndex()
    index.add(1, ["graph OR transformer ANDNOT survey", "survey"])
    assert index.match(prepare("A transformer survey", "")) == {1: ("survey",)}


def test_match_negated_category_found() -> None:
    index = RuleIndex()
    index.add(1, ["transformer ANDNOT cat:math", "cat:cs.*"])
    text = prepare("A transformer", "", categories=("cs.LG", "math.ST"))
    assert index.match(text) == {1: ("cat:cs.*",)}


_WORDS = ["graph", "transformer", "survey", "model", "cat:cs.*", "cat:math"]
_OPERATORS = [" AND ", " OR ", " ANDNOT ", " AND NOT "]


@st.composite
def flat_line(draw: st.DrawFn) -> str:
    line = draw(st.sampled_from(_WORDS))
    for _ in range(draw(st.integers(0, 3))):
        line += draw(st.sampled_from(_OPERATORS)) + draw(st.sampled_from(_WORDS))
    return line


@settings(max_examples=300, deadline=None)
@given(
    keywords=st.lists(flat_line().filter(parses), min_size=1, max_size=4),
    exclusions=st.lists(flat_line().filter(parses), max_size=1),
    title=st.lists(st.sampled_from(_WORDS[:4]), max_size=4).map(" ".join),
    categories=st.lists(st.sampled_from(["cs.LG", "math.ST", "stat.ML"]), max_size=2),
)
def test_match_lines_equal_reference(
    keywords: list[str], exclusions: list[str], title: str, categories: list[str]
) -> None:
    index = RuleIndex()
    index.add(1, keywords, exclusions)
    text = prepare(title, "", categories=categories)
    excluded = [parse_rule(line) for line in exclusions]
    selected = evaluate_rule([parse_rule(line) for line in keywords], excluded, text)
    expected_lines = tuple(
        line for line in keywords if evaluate_rule([parse_rule(line)], excluded, text)
    )
    matched = index.match(text)
    assert (1 in matched) == selected
    if selected:
        assert matched[1] == expected_lines
