"""Tests for matching the full rule language on real papers, and against the reference evaluator."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.arxiv import load_feed_file
from bot.digest import select_papers
from bot.models import Digest, Paper
from bot.rules import (
    CompiledRule,
    PreparedText,
    RuleError,
    compile_rule,
    evaluate_rule,
    explain,
    prepare,
    prepare_paper,
)
from tests.paths import ARXIV_FIXTURES, CORPUS

CS_FEED = ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml"
STAT_FEED = ARXIV_FIXTURES / "rss-stat-2024-03-26.xml"


@cache
def corpus_day(day: str) -> dict[str, dict]:
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        papers = [json.loads(line) for line in lines]
    return {paper["id"]: paper for paper in papers}


@cache
def feed_papers(name: str) -> dict[str, Paper]:
    return {paper.id: paper for paper in load_feed_file(ARXIV_FIXTURES / name).papers}


def prepared(paper: dict) -> PreparedText:
    return prepare(paper["title"], paper["abstract"], paper["authors"], paper["categories"] or ())


def matches(line: str, day: str, paper_id: str) -> bool:
    paper = corpus_day(day)[paper_id]
    return compile_rule([line]).match_prepared(prepared(paper)) is not None


def matched_terms(line: str, day: str, paper_id: str) -> tuple[str, ...]:
    result = compile_rule([line]).match_prepared(prepared(corpus_day(day)[paper_id]))
    assert result is not None
    return result.terms


def has_word(word: str, text: str) -> bool:
    # An independent whole-word check: the word and an optional plural ending, with no
    # letter or digit on either side.
    return re.search(rf"(?<![^\W_]){re.escape(word)}(?:e?s)?(?![^\W_])", text, re.I) is not None


# OR, NOT and parentheses


def test_or_matches_either_term() -> None:
    title = corpus_day("2025-07-13")["2507.08018"]["title"]
    assert "Diffusion" in title
    assert not has_word("zebra", title + corpus_day("2025-07-13")["2507.08018"]["abstract"])
    assert matches("zebra OR diffusion", "2025-07-13", "2507.08018")
    assert matches("diffusion OR zebra", "2025-07-13", "2507.08018")
    assert not matches("zebra OR giraffe", "2025-07-13", "2507.08018")


def test_andnot_rejects_paper_with_term() -> None:
    assert "Text Generation" in corpus_day("2025-07-13")["2507.08018"]["title"]
    assert not matches("diffusion ANDNOT text", "2025-07-13", "2507.08018")
    assert matches("diffusion ANDNOT zebra", "2025-07-13", "2507.08018")


def test_leading_not_selects_papers_without_term() -> None:
    papers = corpus_day("2025-07-13")
    rule = compile_rule(["NOT diffusion"])
    selected = {key for key, paper in papers.items() if rule.match_prepared(prepared(paper))}
    expected = {
        key
        for key, paper in papers.items()
        if not has_word("diffusion", f"{paper['title']} {paper['abstract']}")
    }
    assert selected == expected
    assert 0 < len(selected) < len(papers)


def test_and_binds_tighter_than_or() -> None:
    assert compile_rule(["robot OR zebra AND learning"]).match("A robot", "Planning.")
    assert compile_rule(["(robot OR zebra) AND learning"]).match("A robot", "Planning.") is None


def test_not_binds_tighter_than_and() -> None:
    assert compile_rule(["NOT zebra AND robot"]).match("A robot", "Planning.")
    assert compile_rule(["NOT (zebra AND robot)"]).match("A robot", "Planning.")
    assert compile_rule(["NOT (planning AND robot)"]).match("A robot", "Planning.") is None


def test_negated_term_not_highlighted() -> None:
    result = compile_rule(["robot ANDNOT zebra OR NOT NOT planning"]).match("A robot", "Planning.")
    assert result is not None
    assert result.terms == ("robot", "Planning")


def test_exclusion_line_with_or() -> None:
    rule = compile_rule(["robot"], ["survey OR review"])
    assert rule.match("A robot review", "Text.") is None
    assert rule.excluded_by("A robot review", "Text.") == "survey OR review"
    assert rule.match("A robot", "Text.") is not None


# Prefixes


def test_prefix_matches_every_word_start() -> None:
    paper = corpus_day("2025-07-13")["2506.16710"]
    expected = re.findall(r"\brobot\w*", f"{paper['title']} {paper['abstract']}", re.I)
    assert set(matched_terms("robot*", "2025-07-13", "2506.16710")) == set(expected)


def test_prefix_spans_hyphen_inside_word() -> None:
    terms = matched_terms("multimod*", "2025-07-13", "2507.08575")
    assert "Multi-modal" in terms


def test_prefix_ends_at_hyphen() -> None:
    assert matched_terms("diffus*", "2025-07-13", "2507.08334") == ("diffusion",)


def test_prefix_on_last_word_of_phrase() -> None:
    assert matched_terms("vision lang*", "2025-07-13", "2507.08607") == (
        "Vision-Language",
        "Vision-language",
    )


def test_prefix_not_inside_word() -> None:
    assert compile_rule(["robot*"]).match("Microrobots", "Tiny microrobotic swarms.") is None


def test_prefix_in_quotes_is_literal() -> None:
    assert compile_rule(['"diffus*"']).match("Diffusion", "Diffusion models.") is None


# Fields


def test_title_field_ignores_abstract() -> None:
    paper = corpus_day("2025-07-13")["2507.08772"]
    assert not has_word("diffusion", paper["title"])
    assert has_word("diffusion", paper["abstract"])
    assert not matches("ti:diffusion", "2025-07-13", "2507.08772")
    assert matches("abs:diffusion", "2025-07-13", "2507.08772")
    assert matches("all:diffusion", "2025-07-13", "2507.08772")


def test_title_field_matches_title() -> None:
    assert matched_terms("ti:diffusion", "2025-07-13", "2507.08018") == ("Diffusion",)


def test_abstract_field_ignores_title() -> None:
    assert compile_rule(["abs:diffusion"]).match("Diffusion models", "We study images.") is None


def test_phrase_field_title_and_abstract() -> None:
    paper = corpus_day("2025-07-13")["2507.08607"]
    phrase = re.compile(r"vision[-/ ]*language[-/ ]*models?\b", re.I)
    assert phrase.search(paper["title"])
    assert phrase.search(paper["abstract"])
    assert matches("ti:vision language model", "2025-07-13", "2507.08607")
    assert matches("abs:vision language model", "2025-07-13", "2507.08607")


def test_phrase_field_title_only() -> None:
    rule = compile_rule(["abs:vision language model"])
    assert rule.match("A vision-language model", "We study robots.") is None


def test_author_field_matches_surname() -> None:
    assert matches("au:Freitas", "2025-07-13", "2507.08705")


def test_author_hit_not_in_text_terms() -> None:
    assert matched_terms("au:freitas", "2025-07-13", "2507.08705") == ()


def test_author_field_folds_accents() -> None:
    assert corpus_day("2025-07-13")["2507.08705"]["authors"][2] == "André Freitas"
    assert matches('au:"andre freitas"', "2025-07-13", "2507.08705")
    assert matches("au:ANDRÉ", "2025-07-13", "2507.08705")


def test_author_field_whole_words() -> None:
    assert not matches("au:fre", "2025-07-13", "2507.08705")
    assert not matches('au:"freitas andre"', "2025-07-13", "2507.08705")


def test_author_field_ignores_text() -> None:
    assert "LLM" in corpus_day("2025-07-13")["2507.08705"]["abstract"]
    assert not matches("au:LLM", "2025-07-13", "2507.08705")


def test_text_terms_ignore_authors() -> None:
    assert "Freitas" not in corpus_day("2025-07-13")["2507.08705"]["abstract"]
    assert not matches("freitas", "2025-07-13", "2507.08705")


def test_author_phrase_not_across_names() -> None:
    rule = compile_rule(['au:"osborne danilo"'])
    assert rule.match("T", "A", ["Philip Osborne", "Danilo S. Carvalho"]) is None


def test_author_no_plural() -> None:
    assert compile_rule(["au:smith"]).match("T", "A", ["Jane Smiths"]) is None


def test_author_from_feed_with_accents() -> None:
    paper = feed_papers(CS_FEED.name)["2511.05320"]
    assert "Jan Černý" in paper.authors
    rule = compile_rule(["au:cerny AND au:knap"])
    assert rule.match_prepared(prepare_paper(paper)) is not None


def test_category_field_exact_code() -> None:
    paper = feed_papers(STAT_FEED.name)["2403.15792"]
    assert paper.categories == ("math.ST", "math.PR", "stat.ME", "stat.TH")
    text = prepare_paper(paper)
    assert compile_rule(["cat:stat.TH"]).match_prepared(text) is not None
    assert compile_rule(["cat:STAT.th"]).match_prepared(text) is not None
    assert compile_rule(["cat:stat.ML"]).match_prepared(text) is None


def test_category_field_archive() -> None:
    text = prepare_paper(feed_papers(STAT_FEED.name)["2403.15792"])
    assert compile_rule(["cat:math"]).match_prepared(text) is not None
    assert compile_rule(["cat:math.*"]).match_prepared(text) is not None
    assert compile_rule(["cat:cs.*"]).match_prepared(text) is None


@pytest.mark.parametrize("line", ["cat:cs.*", "cat:cs.LG", "cat:stat.ME ANDNOT cat:stat.AP"])
def test_category_field_whole_feed(line: str) -> None:
    papers = feed_papers(STAT_FEED.name).values()
    rule = compile_rule([line])
    selected = {paper.id for paper in papers if rule.match_prepared(prepare_paper(paper))}

    def expected_match(categories: tuple[str, ...]) -> bool:
        if line == "cat:cs.*":
            return any(code.startswith("cs.") for code in categories)
        if line == "cat:cs.LG":
            return "cs.LG" in categories
        return "stat.ME" in categories and "stat.AP" not in categories

    assert selected == {paper.id for paper in papers if expected_match(paper.categories)}
    assert selected


def test_select_papers_uses_author_field() -> None:
    papers = list(feed_papers(CS_FEED.name).values())
    digest = Digest(
        guild_id=1,
        channel_id=2,
        name="authors",
        categories=("cs",),
        keywords=("au:cerny",),
        include_cross_lists=True,
        include_replacements=True,
    )
    selected = {item.paper.id for item in select_papers(digest, papers)}
    expected = {paper.id for paper in papers if any("Černý" in name for name in paper.authors)}
    assert selected == expected
    assert expected


# The reference evaluator as an oracle

# Words as the text writes them, hyphenated compounds kept whole.
_TEXT_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT"})
_PAPERS = tuple(corpus_day("2025-07-13").values())


@st.composite
def text_term(draw: st.DrawFn, paper: dict) -> str:
    words = _TEXT_WORD.findall(f"{paper['title']} {paper['abstract']}")
    start = draw(st.integers(0, len(words) - 1))
    phrase = words[start : start + draw(st.integers(1, 3))]
    if draw(st.booleans()):
        phrase = [part.lower() for part in phrase]
    if draw(st.integers(0, 4)) == 0 and len(phrase[-1]) > 2:
        phrase[-1] = phrase[-1].removesuffix("s")
    joined = draw(st.sampled_from([" ", "-", "/"])).join(phrase)

    if draw(st.integers(0, 4)) == 0 and len(phrase[-1]) > 3:
        return draw(st.sampled_from(["", "ti:", "abs:"])) + joined[:-2].rstrip("-/ ") + "*"
    if draw(st.booleans()) or _OPERATOR_WORDS & set(phrase):
        joined = f'"{joined}"'
    return draw(st.sampled_from(["", "", "ti:", "abs:", "all:"])) + joined


@st.composite
def author_term(draw: st.DrawFn, paper: dict) -> str:
    parts = draw(st.sampled_from(paper["authors"])).split()
    start = draw(st.integers(0, len(parts) - 1))
    return 'au:"{}"'.format(" ".join(parts[start : start + draw(st.integers(1, 2))]))


def category_term(paper: dict) -> st.SearchStrategy[str]:
    codes = paper["categories"] or [paper["primary_category"]]
    archives = [code.split(".")[0] for code in codes]
    return st.sampled_from([*codes, *archives, "cs.CL", "cs.RO"]).map(lambda code: f"cat:{code}")


def rule_line(paper: dict) -> st.SearchStrategy[str]:
    term = st.one_of(text_term(paper), text_term(paper), author_term(paper), category_term(paper))
    operator = st.sampled_from([" AND ", " OR ", " ANDNOT ", " AND NOT "])
    return st.recursive(
        term,
        lambda inner: st.one_of(
            st.tuples(inner, operator, inner).map(lambda parts: "({}{}{})".format(*parts)),
            inner.map(lambda item: f"NOT {item}"),
        ),
        max_leaves=6,
    )


@st.composite
def papers_and_rule(draw: st.DrawFn) -> tuple[list[dict], list[str], list[str]]:
    papers = draw(st.lists(st.sampled_from(_PAPERS), min_size=1, max_size=3, unique_by=id))
    source = draw(st.sampled_from(papers))
    keywords = draw(st.lists(rule_line(source), min_size=1, max_size=3))
    exclusions = draw(st.lists(rule_line(source), max_size=2))
    return papers, keywords, exclusions


def assert_same_as_reference(rule: CompiledRule, text: PreparedText) -> None:
    keywords = [line.tree for line in rule.keywords]
    exclusions = [line.tree for line in rule.exclusions]
    expected = evaluate_rule(keywords, exclusions, text)
    assert (rule.match_prepared(text) is not None) == expected
    assert explain(rule, text).matched == expected


@settings(max_examples=300, deadline=None)
@given(case=papers_and_rule())
def test_matcher_equals_reference_on_corpus(case: tuple[list[dict], list[str], list[str]]) -> None:
    papers, keywords, exclusions = case
    rule = compile_rule(keywords, exclusions)
    for paper in papers:
        assert_same_as_reference(rule, prepared(paper))


# Word pieces and separators that meet at the edges of the matching rules: plural
# endings, a final y, hyphens inside and between words, letters that fold.
_PIECES = ["a", "b", "ab", "y", "s", "es", "ies", "ay", "é", "1", "ß", "ss", "xii", "Ⅻ"]
_GAPS = ["", "", " ", "-", "/", "--", " - ", "_", ".", ",", "\u00ad", "\u2019"]
_SNIPPET = st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GAPS)), max_size=8).map(
    lambda parts: "".join(piece + gap for piece, gap in parts)
)


@settings(max_examples=1000, deadline=None)
@given(
    field=st.sampled_from(["", "ti:", "abs:", "au:", "all:"]),
    term=_SNIPPET,
    star=st.booleans(),
    title=_SNIPPET,
    abstract=_SNIPPET,
    authors=st.lists(_SNIPPET, max_size=3),
)
def test_matcher_equals_reference_on_edge_text(
    field: str, term: str, star: bool, title: str, abstract: str, authors: list[str]
) -> None:
    line = field + term.strip() + ("*" if star else "")
    try:
        rule = compile_rule([line])
    except RuleError:
        return
    assert_same_as_reference(rule, prepare(title, abstract, authors))


def test_corpus_topics_equal_reference() -> None:
    topics = json.loads((CORPUS / "topics" / "2025-07-13.json").read_text(encoding="utf-8"))
    papers = [prepared(paper) for paper in _PAPERS]
    for topic in topics["topics"].values():
        keywords = [
            " AND ".join(entry) if isinstance(entry, list) else entry for entry in topic["keywords"]
        ]
        exclusions = [
            " AND ".join(entry) if isinstance(entry, list) else entry for entry in topic["filters"]
        ]
        rule = compile_rule(keywords, exclusions)
        for text in papers:
            assert_same_as_reference(rule, text)
