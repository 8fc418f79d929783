"""Tests for explaining a rule's decision on real papers, and for the places a match records."""

from __future__ import annotations

import json
import re
from functools import cache

from bot.arxiv import load_feed_file
from bot.rules import (
    Field,
    PreparedText,
    compile_rule,
    explain,
    format_explanation,
    prepare,
    prepare_paper,
)
from tests.paths import ARXIV_FIXTURES, CORPUS


@cache
def corpus_day(day: str) -> dict[str, dict]:
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        papers = [json.loads(line) for line in lines]
    return {paper["id"]: paper for paper in papers}


def prepared(day: str, paper_id: str) -> PreparedText:
    paper = corpus_day(day)[paper_id]
    return prepare(paper["title"], paper["abstract"], paper["authors"], paper["categories"] or ())


# 2507.08705: "elsciRL: Integrating Language Solutions into Reinforcement Learning Problem
# Settings" by Philip Osborne, Danilo S. Carvalho and André Freitas, in cs.AI.
ELSCIRL = ("2025-07-13", "2507.08705")


def elscirl() -> dict:
    return corpus_day(ELSCIRL[0])[ELSCIRL[1]]


RULE_LINES = [
    "ti:reinforcement learning AND au:osborne",
    "LLM* ANDNOT survey",
    "cat:cs.AI AND NOT GUI",
]


def test_explain_lists_every_line() -> None:
    explanation = explain(compile_rule(RULE_LINES, ["benchmark"]), prepared(*ELSCIRL))
    assert explanation.matched
    assert [line.line for line in explanation.keywords] == RULE_LINES
    assert [line.matched for line in explanation.keywords] == [True, True, False]
    assert explanation.matched_lines == tuple(RULE_LINES[:2])
    assert explanation.excluded_by is None


def test_explain_title_and_author_hits() -> None:
    paper = elscirl()
    line = explain(compile_rule(RULE_LINES), prepared(*ELSCIRL)).keywords[0]
    title_hit, author_hit = line.hits
    assert title_hit.term == "ti:reinforcement learning"
    assert title_hit.field is Field.TITLE
    assert title_hit.source == paper["title"]
    assert title_hit.start == paper["title"].index("Reinforcement Learning")
    assert title_hit.text == "Reinforcement Learning"
    assert author_hit.field is Field.AUTHOR
    assert author_hit.source == "Philip Osborne"
    assert author_hit.text == "Osborne"


def test_explain_prefix_hits_in_abstract() -> None:
    abstract = elscirl()["abstract"]
    line = explain(compile_rule(RULE_LINES), prepared(*ELSCIRL)).keywords[1]
    expected = [(found.start(), found.group()) for found in re.finditer(r"\bLLM\w*", abstract)]
    assert [(hit.start, hit.text) for hit in line.hits] == expected
    assert {hit.field for hit in line.hits} == {Field.ABSTRACT}
    assert line.missing == ("survey",)


def test_explain_negated_term_found() -> None:
    abstract = elscirl()["abstract"]
    line = explain(compile_rule(RULE_LINES), prepared(*ELSCIRL)).keywords[2]
    category_hit, gui_hit = line.hits
    assert (category_hit.field, category_hit.text, category_hit.negated) == (
        Field.CATEGORY,
        "cs.AI",
        False,
    )
    assert gui_hit.negated
    assert gui_hit.field is Field.ABSTRACT
    assert gui_hit.start == abstract.index("GUI")


def test_explain_exclusion_hit() -> None:
    explanation = explain(compile_rule(["LLM"], ["benchmark", "GUI"]), prepared(*ELSCIRL))
    assert not explanation.matched
    assert explanation.excluded_by == "GUI"
    assert [line.matched for line in explanation.exclusions] == [False, True]
    assert explanation.keywords[0].matched


def test_explain_agrees_with_match() -> None:
    papers = corpus_day("2025-07-13")
    rule = compile_rule(["LLM OR agent*", "ti:diffusion"], ["survey", "NOT cat:cs.CV"])
    for paper_id in papers:
        text = prepared("2025-07-13", paper_id)
        assert explain(rule, text).matched == (rule.match_prepared(text) is not None)


def test_explain_author_with_accents() -> None:
    paper = next(
        paper
        for paper in load_feed_file(ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml").papers
        if paper.id == "2511.05320"
    )
    line = explain(compile_rule(["au:cerny"]), prepare_paper(paper)).keywords[0]
    assert [(hit.source, hit.text) for hit in line.hits] == [("Jan Černý", "Černý")]


def test_explain_categories_of_archive() -> None:
    paper = next(
        paper
        for paper in load_feed_file(ARXIV_FIXTURES / "rss-stat-2024-03-26.xml").papers
        if paper.id == "2403.15792"
    )
    line = explain(compile_rule(["cat:math"]), prepare_paper(paper)).keywords[0]
    expected = [code for code in paper.categories if code.startswith("math.")]
    assert [hit.text for hit in line.hits] == expected


def test_explain_folded_text_span() -> None:
    abstract = corpus_day("2026-05-11")["2605.08966"]["abstract"]
    line = explain(compile_rule(["Lojasiewicz"]), prepared("2026-05-11", "2605.08966")).keywords[0]
    assert [hit.text for hit in line.hits] == ["Łojasiewicz"] * abstract.count("Łojasiewicz")
    assert line.hits[0].start == abstract.index("Łojasiewicz")


def test_format_explanation_brackets_matches() -> None:
    output = format_explanation(explain(compile_rule(RULE_LINES), prepared(*ELSCIRL)))
    lines = output.splitlines()
    assert lines[0] == "Matched."
    assert lines[1] == 'Keyword 1 "ti:reinforcement learning AND au:osborne": matched'
    assert "[[Reinforcement Learning]]" in lines[2]
    assert lines[3] == "  au:osborne (author): Philip [[Osborne]]"
    assert "  survey: not found" in lines
    assert 'Keyword 3 "cat:cs.AI AND NOT GUI": not matched' in lines


def test_format_explanation_cuts_abstract() -> None:
    output = format_explanation(explain(compile_rule(["GUI"]), prepared(*ELSCIRL)))
    hit_line = output.splitlines()[2]
    assert hit_line.startswith("  GUI (abstract): ...")
    assert hit_line.endswith("...")
    assert "[[GUI]]" in hit_line


def test_format_explanation_counts_more_hits() -> None:
    abstract = corpus_day("2025-07-13")["2507.08621"]["abstract"]
    count = len(re.findall(r"\bLLMs?\b", abstract))
    assert count > 3
    output = format_explanation(
        explain(compile_rule(["abs:LLM"]), prepared("2025-07-13", "2507.08621"))
    )
    assert f"  abs:LLM (abstract): {count - 3} more" in output.splitlines()


def test_format_explanation_names_exclusion() -> None:
    output = format_explanation(explain(compile_rule(["LLM"], ["GUI"]), prepared(*ELSCIRL)))
    assert output.splitlines()[0] == 'Not matched: excluded by "GUI".'
    assert 'Exclusion 1 "GUI": hit' in output.splitlines()


def test_format_explanation_no_keyword_matched() -> None:
    output = format_explanation(explain(compile_rule(["zebra"]), prepared(*ELSCIRL)))
    assert output.splitlines() == [
        "Not matched: no keyword line matched.",
        'Keyword 1 "zebra": not matched',
        "  zebra: not found",
    ]


# Places recorded by a match


def test_match_hits_fields_and_terms() -> None:
    paper = elscirl()
    result = compile_rule([RULE_LINES[0]]).match_prepared(prepared(*ELSCIRL))
    assert result is not None
    assert [(hit.field, hit.text) for hit in result.hits] == [
        (Field.TITLE, "Reinforcement Learning"),
        (Field.AUTHOR, "Osborne"),
    ]
    assert result.terms == ("Reinforcement Learning",)
    start = paper["title"].index("Reinforcement Learning")
    assert result.spans == ((start, start + len("Reinforcement Learning")),)


def test_match_hits_abstract_offsets() -> None:
    paper = elscirl()
    result = compile_rule(["GUI"]).match_prepared(prepared(*ELSCIRL))
    assert result is not None
    (hit,) = result.hits
    assert hit.field is Field.ABSTRACT
    assert hit.source[hit.start : hit.end] == "GUI"
    assert result.spans == (
        (len(paper["title"]) + 1 + hit.start, len(paper["title"]) + 1 + hit.end),
    )
