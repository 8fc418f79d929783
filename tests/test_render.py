"""Tests of paper embeds, escaping, mention neutralizing and the digest header."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re

import discord
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.arxiv.feed import load_feed_file
from bot.models import Paper
from bot.render import (
    RenderError,
    digest_header,
    escape_text,
    neutralize_mentions,
    paper_embed,
)
from bot.render.escape import highlight_pattern, render_discord
from tests.paths import ARXIV_FIXTURES, CORPUS

ZWSP = "\u200b"
DAY = "2026-05-11"
MARKUP = set("\\*_~`|>[]")
LINE_START_MARKUP = re.compile(r"[ \t]*(#{1,3}[ \t]|-#[ \t]|[-+][ \t]|\d+[.)][ \t])")
PING = re.compile(r"@(everyone|here)|<@[!&]?\d", re.I)


@functools.cache
def corpus_papers(day: str = DAY) -> tuple[Paper, ...]:
    """Load one corpus day as papers, version 1, `new` unless the id is older than the day."""
    month = day[2:4] + day[5:7]
    papers = []
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            papers.append(
                Paper(
                    id=record["id"],
                    title=record["title"],
                    abstract=record["abstract"],
                    authors=tuple(record["authors"]),
                    categories=tuple(record["categories"] or [record["primary_category"]]),
                    version=1,
                    announce_type="new" if record["id"].startswith(month) else "replace",
                )
            )
    return tuple(papers)


def corpus_paper(paper_id: str, day: str = DAY) -> Paper:
    """Return the corpus paper with `paper_id`."""
    return next(paper for paper in corpus_papers(day) if paper.id == paper_id)


def assert_within_limits(embed: discord.Embed) -> None:
    """Assert every Discord limit on one embed."""
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert 1 <= len(field.name or "") <= 256
        assert 1 <= len(field.value or "") <= 1024
        assert (field.value or "").strip()
    assert len(embed.footer.text or "") <= 2048
    assert len(embed.author.name or "") <= 256
    assert len(embed) <= 6000
    assert embed.title or embed.description


def normalized(text: str) -> str:
    """Return `text` with Windows and old Mac line ends as `\\n` and without zero-width spaces."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace(ZWSP, "")


def field_value(embed: discord.Embed, name: str) -> str:
    """Return the value of the field called `name`."""
    values = [field.value for field in embed.fields if field.name == name]
    assert len(values) == 1
    return values[0] or ""


def read_discord_markdown(rendered: str) -> tuple[str, list[str]]:
    """Read rendered text as Discord would: return the shown text and the bold spans.

    Fails on any markup character that is neither escaped nor a bold marker, on a line
    that starts a heading or a list, and on a bold span left open.
    """
    shown: list[str] = []
    bold_spans: list[str] = []
    bold_start: int | None = None
    index = 0
    while index < len(rendered):
        if index == 0 or rendered[index - 1] == "\n":
            assert LINE_START_MARKUP.match(rendered, index) is None, rendered
        char = rendered[index]
        if char == "\\":
            assert index + 1 < len(rendered), rendered
            shown.append(rendered[index + 1])
            index += 2
        elif rendered.startswith("**", index):
            if bold_start is None:
                bold_start = len(shown)
            else:
                bold_spans.append("".join(shown[bold_start:]))
                bold_start = None
            index += 2
        else:
            assert char not in MARKUP, rendered
            shown.append(char)
            index += 1
    assert bold_start is None, rendered
    return "".join(shown), bold_spans


# Paper fields


def test_embed_title_links_abs_page() -> None:
    paper = corpus_paper("2605.10870")
    embed = paper_embed(paper)
    assert embed.title == paper.title
    assert embed.url == "https://arxiv.org/abs/2605.10870v1"


def test_embed_six_authors_without_et_al() -> None:
    paper = corpus_paper("2605.10870")
    authors = field_value(paper_embed(paper), "Authors")
    assert authors == (
        "Mingxi Zou, Zhihan Guo, Langzhang Liang, Zhuo Wang, Qifan Wang, Qingsong Wen"
    )


def test_embed_authors_past_six_end_et_al() -> None:
    first = corpus_paper("2605.10870")
    second = corpus_paper("2605.10529")
    paper = dataclasses.replace(first, authors=first.authors + second.authors)
    authors = field_value(paper_embed(paper), "Authors")
    assert authors == (
        "Mingxi Zou, Zhihan Guo, Langzhang Liang, Zhuo Wang, Qifan Wang, Qingsong Wen, et al."
    )


def test_embed_categories_primary_first() -> None:
    paper = corpus_paper("2605.10851")
    assert field_value(paper_embed(paper), "Categories") == "cs.AI · cs.CL · cs.LG"


def test_embed_links_pdf() -> None:
    paper = dataclasses.replace(corpus_paper("2605.10870"), version=3)
    links = field_value(paper_embed(paper), "Links")
    assert "[PDF](https://arxiv.org/pdf/2605.10870v3)" in links


def test_embed_links_doi_encoded() -> None:
    paper = dataclasses.replace(corpus_paper("2605.10870"), doi="10.1016/S0370-2693(00)01234-5")
    links = field_value(paper_embed(paper), "Links")
    assert "[DOI](https://doi.org/10.1016/S0370-2693%2800%2901234-5)" in links


@pytest.mark.parametrize(
    ("announce_type", "label"),
    [
        ("new", "new"),
        ("cross", "cross-list"),
        ("replace", "replacement"),
        ("replace-cross", "replacement cross-list"),
    ],
)
def test_embed_footer_id_and_type(announce_type: str, label: str) -> None:
    paper = dataclasses.replace(corpus_paper("2605.08563"), version=2, announce_type=announce_type)
    assert paper_embed(paper).footer.text == f"arXiv:2605.08563v2 · {label}"


def test_embed_comment_field() -> None:
    paper = dataclasses.replace(corpus_paper("2605.10870"), comment="Accepted at ICML 2026")
    assert field_value(paper_embed(paper), "Comments") == "Accepted at ICML 2026"


# Abstract


def test_abstract_cut_at_word_boundary() -> None:
    paper = corpus_paper("2605.10820")
    description = paper_embed(paper, abstract_length=600).description or ""
    prefix = description.removesuffix("…")
    assert description.endswith("…")
    assert len(description) <= 600
    assert len(description) > 500
    assert paper.abstract.startswith(prefix)
    assert paper.abstract[len(prefix)] in " ,.;:"


def test_abstract_short_kept_whole() -> None:
    paper = corpus_paper("2605.10820")
    description = paper_embed(paper, abstract_length=4000).description
    assert description == paper.abstract


def test_abstract_length_zero_omits_description() -> None:
    assert paper_embed(corpus_paper("2605.10820"), abstract_length=0).description is None


def test_abstract_length_negative_rejected() -> None:
    with pytest.raises(RenderError):
        paper_embed(corpus_paper("2605.10820"), abstract_length=-1)


def test_abstract_empty_omits_description() -> None:
    paper = dataclasses.replace(corpus_paper("2605.10820"), abstract="")
    assert paper_embed(paper).description is None


def test_abstract_markup_escaped() -> None:
    paper = corpus_paper("2605.08563")
    description = paper_embed(paper, abstract_length=4096).description or ""
    assert "base rate epsilon\\_0;" in description
    assert "epsilon\\_1 \\> epsilon\\_0" in description
    assert "depth T\\* that" in description


# Highlighting


def test_highlight_bolds_term() -> None:
    description = paper_embed(corpus_paper("2605.08563"), highlight_terms=["LLM"]).description
    assert (description or "").startswith("When an **LLM** agent fails")


def test_highlight_ignores_case() -> None:
    description = paper_embed(corpus_paper("2605.08563"), highlight_terms=["llm"]).description
    assert "**LLM**" in (description or "")


def test_highlight_whole_words_only() -> None:
    description = paper_embed(corpus_paper("2605.08563"), highlight_terms=["LL"]).description
    assert "**" not in (description or "")


def test_highlight_phrase_across_hyphen() -> None:
    paper = corpus_paper("2605.08563")
    description = paper_embed(paper, highlight_terms=["tool augmented"]).description
    assert "**tool-augmented**" in (description or "")


def test_highlight_plural() -> None:
    paper = corpus_paper("2605.08563")
    description = paper_embed(paper, abstract_length=4096, highlight_terms=["attempt"]).description
    description = description or ""
    assert "**attempts**" in description
    assert "**attempt** typically" in description


def test_highlight_term_with_markup_escaped() -> None:
    paper = corpus_paper("2605.08563")
    description = paper_embed(paper, highlight_terms=["epsilon_0"]).description
    assert "base rate **epsilon\\_0**;" in (description or "")


def test_highlight_touching_matches_share_bold() -> None:
    pattern = highlight_pattern(["+"])
    assert render_discord("a ++ b", pattern) == "a **++** b"


def test_highlight_no_terms_no_bold() -> None:
    assert highlight_pattern(["", "  ", '""', "*"]) is None


# Escaping and mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fast *and* loose_ends", "Fast \\*and\\* loose\\_ends"),
        ("~~gone~~ and ||spoiler||", "\\~\\~gone\\~\\~ and \\|\\|spoiler\\|\\|"),
        ("use `code` here", "use \\`code\\` here"),
        ("> quoted", "\\> quoted"),
        ("[link](https://example.org)", "\\[link\\](https://example.org)"),
        ("# Heading", "\\# Heading"),
        ("### Heading", "\\### Heading"),
        ("-# subtext", "\\-# subtext"),
        ("- item\n1. first", "\\- item\n1\\. first"),
        ("a \\ b", "a \\\\ b"),
        ("C# and 3.5 stay", "C# and 3.5 stay"),
    ],
)
def test_escape_text_cases(text: str, expected: str) -> None:
    assert escape_text(text) == expected


def test_escape_text_keeps_url() -> None:
    text = "Code at https://github.com/some_user/my_repo."
    assert escape_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@everyone", f"@{ZWSP}everyone"),
        ("hi @here now", f"hi @{ZWSP}here now"),
        ("<@456>", f"<@{ZWSP}456>"),
        ("<@!456>", f"<@{ZWSP}!456>"),
        ("<@&123>", f"<@{ZWSP}&123>"),
        ("mail me@example.org", "mail me@example.org"),
        ("Leak@$k$", "Leak@$k$"),
    ],
)
def test_neutralize_mentions_cases(text: str, expected: str) -> None:
    assert neutralize_mentions(text) == expected


def test_embed_title_mentions_neutralized() -> None:
    paper = dataclasses.replace(
        corpus_paper("2605.09795"), title="@everyone <@&123> and <@456> read *this*"
    )
    title = paper_embed(paper).title
    assert title == f"@{ZWSP}everyone <@{ZWSP}&123\\> and <@{ZWSP}456\\> read \\*this\\*"


def test_embed_no_ping_anywhere() -> None:
    text = "@everyone @here <@1> <@!2> <@&3>"
    paper = Paper(
        id="2605.00001",
        title=text,
        abstract=text,
        authors=(text,),
        categories=(text,),
        announce_type=text,
        comment=text,
        journal_ref=text,
    )
    payload = json.dumps(paper_embed(paper, highlight_terms=["everyone"]).to_dict())
    assert PING.search(payload.replace("\\u200b", ZWSP)) is None


def test_embed_real_title_with_at_sign() -> None:
    paper = corpus_paper("2605.09795")
    assert paper_embed(paper).title == paper.title


# Digest header


def test_header_plural() -> None:
    header = digest_header("Vision papers", dt.date(2025, 11, 10), 7)
    assert header == "**Vision papers**: 7 papers from arXiv's announcement of Mon 10 Nov 2025"


def test_header_singular() -> None:
    header = digest_header("Vision papers", dt.date(2025, 11, 9), 1)
    assert header == "**Vision papers**: 1 paper from arXiv's announcement of Sun 9 Nov 2025"


def test_header_zero() -> None:
    assert "no papers" in digest_header("Vision", dt.date(2025, 11, 10), 0)


def test_header_names_capped_papers() -> None:
    header = digest_header("Vision", dt.date(2025, 11, 10), 3, matched=99)
    expected = "**Vision**: 3 of 99 matching papers from arXiv's announcement of Mon 10 Nov 2025"
    assert header == expected


def test_header_without_date() -> None:
    header = digest_header("Vision", None, 2)
    assert header == "**Vision**: 2 papers from arXiv's latest announcement"


def test_header_name_escaped_and_safe() -> None:
    header = digest_header("@everyone *LLM* <@&123>", dt.date(2025, 11, 10), 3)
    assert header.startswith(f"**@{ZWSP}everyone \\*LLM\\* <@{ZWSP}&123\\>**: 3 papers")


def test_header_long_name_cut() -> None:
    header = digest_header("word " * 1000, dt.date(2025, 11, 10), 3)
    assert len(header) < 300
    assert "…**: 3 papers" in header


def test_header_negative_count_rejected() -> None:
    with pytest.raises(RenderError):
        digest_header("Vision", None, -1)


# Whole corpus day and open-ended inputs


def test_embed_corpus_day_within_limits() -> None:
    papers = corpus_papers()
    assert len(papers) == 1550
    for paper in papers:
        assert_within_limits(paper_embed(paper, abstract_length=4096, highlight_terms=["LLM"]))


def test_embed_real_feed_all_types() -> None:
    labels = {
        "new": "new",
        "cross": "cross-list",
        "replace": "replacement",
        "replace-cross": "replacement cross-list",
    }
    announcement = load_feed_file(ARXIV_FIXTURES / "rss-stat-2024-03-26.xml")
    assert {paper.announce_type for paper in announcement.papers} == set(labels)
    for paper in announcement.papers:
        embed = paper_embed(paper)
        assert_within_limits(embed)
        assert embed.url == paper.abs_url
        assert embed.footer.text == f"arXiv:{paper.versioned_id} · {labels[paper.announce_type]}"


def test_embed_real_feed_et_al() -> None:
    announcement = load_feed_file(ARXIV_FIXTURES / "rss-stat-2024-03-26.xml")
    crowded = [paper for paper in announcement.papers if len(paper.authors) > 6]
    assert crowded
    for paper in crowded:
        authors = field_value(paper_embed(paper), "Authors")
        assert authors == ", ".join(paper.authors[:6]) + ", et al."


def repeated(piece: st.SearchStrategy[str], max_count: int) -> st.SearchStrategy[str]:
    """Generate `piece` repeated up to `max_count` times, for cheap huge inputs."""
    return st.builds(lambda text, count: text * count, piece, st.integers(0, max_count))


ODD_PIECES = [
    "e\u0301",
    "\u0301\u0301",
    "👩\u200d👩\u200d👧",
    "🇫🇷🇩🇪",
    "👍🏽",
    "\u200d",
    "\ufe0f",
    "@everyone",
    "<@&123>",
    "<@!456>",
    "**",
    "\\",
    "# ",
    "\n- ",
    "1. ",
    "https://x.org/a_b ",
    " ",
    "\n",
]
odd_text = st.lists(st.one_of(st.sampled_from(ODD_PIECES), st.text(max_size=8)), max_size=40).map(
    "".join
)
markup_text = st.text(alphabet="*_~`|>[]#@\\<&!-.:/ \n1", max_size=300)
any_text = st.one_of(
    st.text(max_size=300),
    odd_text,
    markup_text,
    repeated(st.text(min_size=1, max_size=12), 2000),
    repeated(odd_text, 200),
)
paper_ids = st.one_of(
    st.from_regex(r"\d{4}\.\d{4,5}", fullmatch=True),
    st.from_regex(r"[a-z\-]{2,12}/\d{7}", fullmatch=True),
    st.text(min_size=1, max_size=30),
)
authors = st.one_of(
    st.lists(any_text, max_size=12).map(tuple),
    st.builds(lambda name, count: (name,) * count, any_text, st.integers(0, 5000)),
)
papers = st.builds(
    Paper,
    id=paper_ids,
    title=any_text,
    abstract=any_text,
    authors=authors,
    categories=st.lists(any_text, max_size=30).map(tuple),
    version=st.one_of(st.none(), st.integers(1, 99)),
    announce_type=st.one_of(st.none(), st.sampled_from(["new", "cross", "replace"]), any_text),
    comment=st.one_of(st.none(), any_text),
    journal_ref=st.one_of(st.none(), any_text),
    doi=st.one_of(st.none(), any_text),
)
highlight_terms = st.lists(st.one_of(any_text, st.text(max_size=20)), max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paper=papers, abstract_length=st.integers(0, 10_000), terms=highlight_terms)
def test_embed_limits_property(paper: Paper, abstract_length: int, terms: list[str]) -> None:
    embed = paper_embed(paper, abstract_length=abstract_length, highlight_terms=terms)
    assert_within_limits(embed)
    assert PING.search(json.dumps(embed.to_dict(), ensure_ascii=False)) is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(abstract=any_text, abstract_length=st.integers(1, 5000), terms=highlight_terms)
def test_embed_abstract_prefix_property(
    abstract: str, abstract_length: int, terms: list[str]
) -> None:
    # URLs are left unescaped on purpose, so reading back holds for text without them.
    assume("://" not in abstract)
    paper = Paper(id="2605.00001", title="t", abstract=abstract, authors=(), categories=())
    description = paper_embed(paper, abstract_length=abstract_length, highlight_terms=terms)
    shown, _ = read_discord_markdown(description.description or "")
    shown = shown.replace(ZWSP, "")
    expected = normalized(abstract).strip()
    assert len(shown) <= abstract_length
    assert expected.startswith(shown.removesuffix("…"))
    assert shown == expected or shown.endswith("…")


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(odd_text, markup_text, st.text()), terms=st.lists(st.text(max_size=6)))
def test_render_discord_reads_back_property(text: str, terms: list[str]) -> None:
    # URLs are left unescaped on purpose, so this property holds for text without them.
    assume("://" not in text)
    pattern = highlight_pattern(terms)
    rendered = render_discord(text, pattern)
    shown, bold_spans = read_discord_markdown(rendered)
    assert shown.replace(ZWSP, "") == normalized(text)
    for span in bold_spans:
        assert pattern is not None
        # Mentions are broken after highlighting, so a bold "@1" reads "@\u200b1".
        assert pattern.search(span.replace(ZWSP, ""))
    assert PING.search(rendered) is None
