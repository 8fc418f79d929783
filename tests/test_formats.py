"""Tests of the command-line outputs: plain text, markdown and JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bot.models import SelectedPaper
from bot.render import escape_github, format_date, render_json, render_markdown, render_text
from tests.test_render import corpus_paper, corpus_papers

DATE = dt.date(2026, 5, 11)
REQUIRED_KEYS = {
    "id",
    "version",
    "title",
    "authors",
    "categories",
    "announce_type",
    "matched",
    "abstract",
    "url",
    "pdf_url",
}


def selected_papers() -> list[SelectedPaper]:
    """Select three real papers: one with six authors, one with seven, one with markup."""
    six = corpus_paper("2605.10870")
    seven = dataclasses.replace(
        corpus_paper("2605.10529"), authors=corpus_paper("2605.10529").authors + ("Ann Lee",)
    )
    markup = dataclasses.replace(corpus_paper("2605.08563"), version=2)
    return [
        SelectedPaper(six, matched_lines=("agent memory",), matched_terms=("memory",)),
        SelectedPaper(seven, matched_lines=("benchmark", "graph learning")),
        SelectedPaper(markup, matched_lines=("LLM",)),
    ]


# JSON


def test_json_round_trip_keys() -> None:
    records = json.loads(render_json(selected_papers()))
    assert len(records) == 3
    for record in records:
        assert record.keys() >= REQUIRED_KEYS


def test_json_values_match_paper() -> None:
    item = selected_papers()[2]
    record = json.loads(render_json([item]))[0]
    assert record["id"] == "2605.08563"
    assert record["version"] == 2
    assert record["title"] == item.paper.title
    assert record["authors"] == ["Zhanfu Yang"]
    assert record["categories"] == ["cs.AI"]
    assert record["matched"] == ["LLM"]
    assert record["abstract"] == item.paper.abstract
    assert record["url"] == "https://arxiv.org/abs/2605.08563v2"
    assert record["pdf_url"] == "https://arxiv.org/pdf/2605.08563v2"


def test_json_keeps_all_authors() -> None:
    record = json.loads(render_json(selected_papers()))[1]
    assert len(record["authors"]) == 7


def test_json_corpus_day_round_trip() -> None:
    selected = [SelectedPaper(paper) for paper in corpus_papers()]
    records = json.loads(render_json(selected))
    assert [record["id"] for record in records] == [paper.id for paper in corpus_papers()]


def test_json_empty_array() -> None:
    assert json.loads(render_json([])) == []


# Markdown


def test_markdown_heading_with_date() -> None:
    markdown = render_markdown(selected_papers(), title="Agents", date=DATE)
    assert markdown.startswith("# Agents · Mon 11 May 2026\n\n3 papers.\n")


def test_markdown_title_links_abs_page() -> None:
    markdown = render_markdown(selected_papers(), title="Agents", date=DATE)
    expected = (
        "### 1. [Remember the Decision, Not the Description: A Rate-Distortion Framework "
        "for Agent Memory](https://arxiv.org/abs/2605.10870v1)"
    )
    assert expected in markdown


def test_markdown_arxiv_id_and_categories() -> None:
    markdown = render_markdown(selected_papers(), title="Agents", date=DATE)
    assert "`arXiv:2605.10529v1` · `cs.AI` `cs.LG` · new" in markdown


def test_markdown_authors_six_then_et_al() -> None:
    markdown = render_markdown(selected_papers(), title="Agents", date=DATE)
    assert "*Mingxi Zou, Zhihan Guo, Langzhang Liang, Zhuo Wang, Qifan Wang, Qingsong Wen*\n" in (
        markdown
    )
    assert "Xingtong Yu, Jiaxing Huang, et al.*" in markdown
    assert "Ann Lee" not in markdown


def test_markdown_abstract_in_details() -> None:
    markdown = render_markdown(selected_papers()[:1], title="Agents", date=DATE)
    assert "<details><summary>Abstract</summary>\n\nLong-horizon language agents" in markdown
    assert markdown.endswith("decisions, not descriptions.\n\n</details>\n")


def test_markdown_abstract_escaped() -> None:
    markdown = render_markdown(selected_papers(), title="Agents", date=DATE)
    assert "epsilon\\_1 \\> epsilon\\_0" in markdown
    assert "depth T\\* that" in markdown


def test_markdown_matched_lines() -> None:
    markdown = render_markdown(selected_papers(), title="Agents", date=DATE)
    assert "Matched: `benchmark`, `graph learning`" in markdown


def test_markdown_title_escaped() -> None:
    paper = dataclasses.replace(corpus_paper("2605.10870"), title="A [draft] *bold* <b>claim</b>")
    markdown = render_markdown([SelectedPaper(paper)], title="x", date=None)
    assert "[A \\[draft\\] \\*bold\\* \\<b\\>claim\\</b\\>](https://" in markdown


def test_markdown_empty_selection() -> None:
    markdown = render_markdown([], title="Agents", date=None)
    assert markdown == "# Agents\n\nNo papers.\n"


def test_markdown_corpus_day_every_paper() -> None:
    selected = [SelectedPaper(paper) for paper in corpus_papers()]
    markdown = render_markdown(selected, title="Day", date=DATE)
    for paper in corpus_papers():
        assert f"`arXiv:{paper.id}v1`" in markdown
    assert markdown.count("<details>") == 1550


def test_escape_github_cases() -> None:
    assert escape_github("# Title") == "\\# Title"
    assert escape_github("R&D and &amp;") == "R&D and \\&amp;"
    assert escape_github("cost $5 | 1. x") == "cost \\$5 \\| 1. x"
    assert escape_github("see https://a.org/x_y") == "see https://a.org/x_y"


# Text


def test_text_header_and_index() -> None:
    text = render_text(selected_papers(), date=DATE)
    assert text.startswith("arXiv digest · Mon 11 May 2026 · 3 papers\n\n[1] Remember the Decision")


def entry_paragraphs(text: str) -> list[str]:
    """Join the wrapped lines of each blank-line separated block into one line."""
    blocks = text.split("\n\n")
    return [" ".join(line.strip() for line in block.splitlines()) for block in blocks]


def test_text_entry_lines() -> None:
    text = render_text(selected_papers()[1:2], date=None)
    lines = text.splitlines()
    assert "    arXiv:2605.10529v1 · cs.AI, cs.LG · new" in lines
    assert "    Matched: benchmark; graph learning" in lines
    assert entry_paragraphs(text)[1].endswith(
        "Authors: Yousef A. Radwan, Yao Li, Qing Qing, Ziqi Xu, Xingtong Yu, Jiaxing Huang, "
        "et al. Matched: benchmark; graph learning"
    )


def test_text_abstract_wrapped() -> None:
    selected = selected_papers()
    text = render_text(selected, date=DATE)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 88
    assert entry_paragraphs(text)[2] == selected[0].paper.abstract


def test_text_strips_control_characters() -> None:
    paper = dataclasses.replace(corpus_paper("2605.10870"), title="Red \x1b[31mtext\x1b[0m")
    text = render_text([SelectedPaper(paper)], date=None)
    assert "\x1b" not in text


def test_text_single_paper_count() -> None:
    text = render_text(selected_papers()[:1], date=None)
    assert text.startswith("arXiv digest · latest announcement · 1 paper\n")


def test_format_date_locale_free() -> None:
    assert format_date(dt.date(2025, 11, 9)) == "Sun 9 Nov 2025"
