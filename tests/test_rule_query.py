"""Tests for translating rule lines to arXiv API queries and filtering API results locally."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.arxiv import build_query_url, parse_search
from bot.models import Paper
from bot.rules import RuleError, matches_rule_line, to_arxiv_query
from tests.paths import ARXIV_FIXTURES


def api_papers(name: str) -> tuple[Paper, ...]:
    data = (ARXIV_FIXTURES / name).read_bytes()
    return parse_search(data, status=200, url=f"file:{name}").papers


def has_word(word: str, text: str) -> bool:
    return re.search(rf"(?<![^\W_]){re.escape(word)}(?:e?s)?(?![^\W_])", text, re.I) is not None


@pytest.mark.parametrize(
    ("line", "query"),
    [
        ("diffusion", "all:diffusion"),
        ("Diffusion", "all:diffusion"),
        ("all:LLM", "all:llm"),
        ("vision language model", 'all:"vision language model"'),
        ('"vision language model"', 'all:"vision language model"'),
        ("\u201cvision language model\u201d", 'all:"vision language model"'),
        ("vision-language/model", 'all:"vision language model"'),
        ("multi-modal", 'all:"multi modal"'),
        ("GPT-4.5", 'all:"gpt 4.5"'),
        ("Ti:sapphire", 'all:"ti:sapphire"'),
        ("ti:vision language model", 'ti:"vision language model"'),
        ('ti:"vision language model"', 'ti:"vision language model"'),
        ("abs:diffusion", "abs:diffusion"),
        ("au:hinton", "au:hinton"),
        ('au:"geoffrey hinton"', 'au:"geoffrey hinton"'),
        ("au:del_maestro", 'au:"del maestro"'),
        ("au:Ramírez", "au:ramirez"),
        ("cat:cs.AI", "cat:cs.AI"),
        ("cat:CS.ai", "cat:cs.AI"),
        ("cat:cs.*", "cat:cs.*"),
        ("cat:cs", "cat:cs.*"),
        ("cat:hep-th", "cat:hep-th"),
        ("diffus*", "all:diffus*"),
        ("ti:diffus*", "ti:diffus*"),
        ("LLM AND agent", "all:llm AND all:agent"),
        ("LLM OR VLM", "all:llm OR all:vlm"),
        ("LLM ANDNOT survey", "all:llm ANDNOT all:survey"),
        ("LLM AND NOT survey", "all:llm ANDNOT all:survey"),
        ("LLM NOT survey", "all:llm ANDNOT all:survey"),
        ("NOT survey AND LLM", "all:llm ANDNOT all:survey"),
        ("a AND b ANDNOT c", "(all:a AND all:b) ANDNOT all:c"),
        ("a ANDNOT b ANDNOT c", "all:a ANDNOT all:b ANDNOT all:c"),
        ("(LLM OR VLM) AND agent", "(all:llm OR all:vlm) AND all:agent"),
        ("LLM OR VLM AND agent", "all:llm OR (all:vlm AND all:agent)"),
        ("(a OR b) AND (c OR d)", "(all:a OR all:b) AND (all:c OR all:d)"),
        ("LLM ANDNOT (survey OR review)", "all:llm ANDNOT (all:survey OR all:review)"),
        ("a AND (b ANDNOT c)", "all:a AND (all:b ANDNOT all:c)"),
        ("cat:cs.RO AND (neural)", "cat:cs.RO AND all:neural"),
        ("NOT NOT LLM", "all:llm"),
        ("LLM ANDNOT NOT agent", "all:llm AND all:agent"),
        ('ti:LLM AND au:"yann lecun" AND cat:cs.LG', 'ti:llm AND au:"yann lecun" AND cat:cs.LG'),
    ],
)
def test_to_arxiv_query(line: str, query: str) -> None:
    assert to_arxiv_query(line) == query


@pytest.mark.parametrize(
    ("line", "position", "reason"),
    [
        ("NOT survey", 0, "NOT with nothing before it to subtract from"),
        ("NOT (LLM AND survey)", 0, "NOT with nothing before it to subtract from"),
        ("NOT a AND NOT b", 0, "only NOT terms to search for"),
        ("LLM OR NOT survey", 7, "NOT inside OR"),
        ("agent AND (LLM OR NOT survey)", 18, "NOT inside OR"),
        ("graph neural net*", 0, "prefix * on a phrase"),
        ("LLM AND ti:graph net*", 8, "prefix * on a phrase"),
        ("(LLM OR", 7, 'missing ")"'),
    ],
)
def test_to_arxiv_query_rejects(line: str, position: int, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        to_arxiv_query(line)
    assert caught.value.reason == reason
    assert caught.value.position == position


def test_to_arxiv_query_error_message() -> None:
    with pytest.raises(RuleError) as caught:
        to_arxiv_query("NOT survey")
    assert str(caught.value) == (
        'Invalid search "NOT survey": NOT with nothing before it to subtract from at '
        "position 0. Start with a term to search for, as in diffusion ANDNOT survey."
    )


@pytest.mark.parametrize(
    "line", ['ti:"vision language model" AND cat:cs.*', "diffus* ANDNOT au:del_maestro"]
)
def test_query_url_encoded_once(line: str) -> None:
    query = to_arxiv_query(line)
    url = build_query_url("http://127.0.0.1:8080/api/query", query)
    assert parse_qs(urlsplit(url).query)["search_query"] == [query]
    assert "%25" not in url


def test_local_filter_keeps_author_results() -> None:
    # The API's own results for au:del_maestro; each lists an author Del Maestro.
    papers = api_papers("api-legacy-search-au_del_maestro-2016-10-09.atom")
    assert all(any("Del Maestro" in name for name in paper.authors) for paper in papers)
    assert all(matches_rule_line("au:del_maestro", paper) for paper in papers)
    assert all(matches_rule_line('au:"del maestro"', paper) for paper in papers)


def test_local_filter_keeps_category_results() -> None:
    papers = api_papers("api-search-cat_cs.AI-OR-cs.LG-max50-2026-07-13.atom")
    assert len(papers) == 50
    assert all(matches_rule_line("cat:cs.AI OR cat:cs.LG", paper) for paper in papers)


def test_local_filter_drops_stemmed_results() -> None:
    # arXiv stems search words, so all:testing also returns papers that only contain "test".
    papers = api_papers("api-search-all-testing-start0-max100.atom")
    kept = [paper.id for paper in papers if matches_rule_line("testing", paper)]
    expected = [
        paper.id for paper in papers if has_word("testing", f"{paper.title} {paper.abstract}")
    ]
    assert kept == expected
    assert len(kept) < len(papers)


def test_local_filter_category_and_word() -> None:
    papers = api_papers("api-legacy-search-cat_cs.RO-neural-max2-2025-10-17.atom")
    kept = [matches_rule_line("cat:cs.RO AND (neural)", paper) for paper in papers]
    expected = [
        "cs.RO" in paper.categories and has_word("neural", f"{paper.title} {paper.abstract}")
        for paper in papers
    ]
    assert kept == expected


def test_local_filter_invalid_line() -> None:
    paper = api_papers("api-idlist-1605.08386.atom")[0]
    with pytest.raises(RuleError):
        matches_rule_line("LLM AND", paper)
