"""Tests for digest selection on papers from saved arXiv feeds."""

from __future__ import annotations

import dataclasses
from functools import cache

import feedparser
import pytest

from bot.arxiv import load_feed_file
from bot.digest import CategoryFilter, select_papers
from bot.models import Digest, Paper
from bot.rules import RuleError, compile_rule, prepare
from tests.paths import ARXIV_FIXTURES

# A real stat feed with every announce type: 35 new, 27 cross, 41 replace, 20 replace-cross.
STAT_FEED = "rss-stat-2024-03-26.xml"
# The six cs categories of 2025-11-09 with real paper data: 199 new, 73 replace.
CS_FEED = "rss-cs-2025-11-09-constructed.xml"
SECTION = {None: 0, "new": 0, "cross": 1, "replace": 2, "replace-cross": 2}


@cache
def feed_papers(name: str) -> tuple[Paper, ...]:
    """Read a saved RSS feed into papers with feedparser, independently of the bot's parser."""
    feed = feedparser.parse((ARXIV_FIXTURES / name).read_bytes())
    papers = []
    for entry in feed.entries:
        versioned_id = entry.id.removeprefix("oai:arXiv.org:")
        paper_id, _, version = versioned_id.rpartition("v")
        paper = Paper(
            id=paper_id,
            title=" ".join(entry.title.split()),
            abstract=" ".join(entry.summary.split("Abstract:", 1)[1].split()),
            authors=tuple(name.strip() for name in entry.author.split(",")),
            categories=tuple(tag.term for tag in entry.tags),
            version=int(version),
            announce_type=entry.arxiv_announce_type,
        )
        papers.append(paper)
    return tuple(papers)


def make_digest(**changes: object) -> Digest:
    digest = Digest(
        guild_id=1,
        channel_id=2,
        name="test",
        categories=("stat",),
        keywords=(),
        max_papers=1000,
    )
    return dataclasses.replace(digest, **changes)


def ids(selected: list) -> list[str]:
    return [item.paper.id for item in selected]


def types(selected: list) -> set[str | None]:
    return {item.paper.announce_type for item in selected}


def in_section_order(papers: list[Paper]) -> list[str]:
    return [paper.id for paper in sorted(papers, key=lambda paper: SECTION[paper.announce_type])]


# Categories


def test_category_exact_code() -> None:
    papers = feed_papers(STAT_FEED)
    digest = make_digest(
        categories=("stat.ME",), include_cross_lists=True, include_replacements=True
    )
    expected = [
        dataclasses.replace(paper, announce_type=type_for_stat_me(paper))
        for paper in papers
        if "stat.ME" in paper.categories
    ]

    assert ids(select_papers(digest, papers)) == in_section_order(expected)


def type_for_stat_me(paper: Paper) -> str:
    """Return the announce type the stat.ME feed gives a paper of the stat archive feed."""
    replaced = paper.announce_type in ("replace", "replace-cross")
    if paper.categories[0] == "stat.ME":
        return "replace" if replaced else "new"
    return "replace-cross" if replaced else "cross"


def test_category_archive_covers_subcategories() -> None:
    papers = feed_papers(CS_FEED) + feed_papers(STAT_FEED)
    digest = make_digest(categories=("stat",))
    expected = [
        paper
        for paper in papers
        if paper.announce_type == "new"
        and any(code.startswith("stat.") for code in paper.categories)
    ]

    assert ids(select_papers(digest, papers)) == [paper.id for paper in expected]


def test_category_pattern_same_as_archive() -> None:
    papers = feed_papers(CS_FEED) + feed_papers(STAT_FEED)
    by_archive = select_papers(make_digest(categories=("cs",)), papers)
    by_pattern = select_papers(make_digest(categories=("cs.*",)), papers)
    assert ids(by_pattern) == ids(by_archive)


def test_category_secondary_is_cross_list() -> None:
    # 2403.15527 is new in the stat feed with primary stat.ML and secondary cs.LG, so a
    # cs digest sees it as a cross-list, as the cs.LG feed lists it.
    papers = feed_papers(STAT_FEED)
    default = select_papers(make_digest(categories=("cs",)), papers)
    with_cross = select_papers(make_digest(categories=("cs",), include_cross_lists=True), papers)
    selected = {item.paper.id: item.paper for item in with_cross}

    assert "2403.15527" not in ids(default)
    assert selected["2403.15527"].announce_type == "cross"


def test_category_any_case() -> None:
    papers = feed_papers(CS_FEED)
    lower = select_papers(make_digest(categories=("cs.ai",)), papers)
    upper = select_papers(make_digest(categories=("CS.AI",)), papers)
    assert ids(lower) == ids(upper)
    assert lower


def test_category_other_archive_excluded() -> None:
    papers = feed_papers(CS_FEED)
    assert select_papers(make_digest(categories=("math",)), papers) == []


def test_category_prefix_not_archive() -> None:
    # "stat.M" is no category, and it must not cover stat.ME or stat.ML.
    papers = feed_papers(STAT_FEED)
    assert select_papers(make_digest(categories=("stat.M",)), papers) == []


def test_category_empty_covers_every_paper() -> None:
    papers = feed_papers(CS_FEED)
    selected = select_papers(make_digest(categories=()), papers)
    new_ids = [paper.id for paper in papers if paper.announce_type == "new"]
    assert ids(selected) == new_ids


def test_category_filter_covers() -> None:
    categories = CategoryFilter.from_codes(["cs.*", "hep-th", "astro-ph"])
    assert categories.covers("cs.LG")
    assert categories.covers("hep-th")
    assert categories.covers("astro-ph.GA")
    assert not categories.covers("hep-ph")


# Announce types


def test_announce_default_only_new() -> None:
    selected = select_papers(make_digest(), feed_papers(STAT_FEED))
    assert types(selected) == {"new"}
    assert len(selected) == 35


def test_announce_cross_lists_included() -> None:
    selected = select_papers(make_digest(include_cross_lists=True), feed_papers(STAT_FEED))
    assert types(selected) == {"new", "cross"}
    assert len(selected) == 35 + 27


def test_announce_replacements_included() -> None:
    selected = select_papers(make_digest(include_replacements=True), feed_papers(STAT_FEED))
    assert types(selected) == {"new", "replace"}
    assert len(selected) == 35 + 41


def test_announce_replace_cross_needs_both() -> None:
    digest = make_digest(include_cross_lists=True, include_replacements=True)
    selected = select_papers(digest, feed_papers(STAT_FEED))
    assert types(selected) == {"new", "cross", "replace", "replace-cross"}
    assert len(selected) == len(feed_papers(STAT_FEED))


def test_announce_type_none_counts_as_new() -> None:
    papers = [dataclasses.replace(paper, announce_type=None) for paper in feed_papers(STAT_FEED)]
    selected = select_papers(make_digest(), papers)
    assert len(selected) == len(papers)


def test_announce_unknown_type_skipped() -> None:
    papers = [
        dataclasses.replace(paper, announce_type="withdrawn") for paper in feed_papers(STAT_FEED)
    ]
    digest = make_digest(include_cross_lists=True, include_replacements=True)
    assert select_papers(digest, papers) == []


def test_cross_list_of_followed_primary_counts_as_new() -> None:
    # 2403.14917 is listed as a cross-list in the stat feed; its primary category is cs.LG.
    papers = feed_papers(STAT_FEED)
    cross = next(paper for paper in papers if paper.id == "2403.14917")
    assert cross.announce_type == "cross"
    assert cross.primary_category == "cs.LG"

    selected = select_papers(make_digest(categories=("stat", "cs.LG")), papers)
    assert "2403.14917" in ids(selected)


def test_replace_cross_of_followed_primary_counts_as_replacement() -> None:
    papers = feed_papers(STAT_FEED)
    replaced = [paper for paper in papers if paper.announce_type == "replace-cross"]
    digest = make_digest(categories=("stat", "cs", "cond-mat"), include_replacements=True)

    selected = ids(select_papers(digest, papers))
    followed = [paper.id for paper in replaced if (paper.primary_category or "").startswith("cs.")]
    assert followed
    assert set(followed) <= set(selected)


# Rule, duplicates, posted papers, order and cap


def test_rule_from_digest_keywords() -> None:
    digest = make_digest(keywords=("conformal prediction",))
    selected = select_papers(digest, feed_papers(STAT_FEED))
    assert ids(selected)[0] == "2403.15527"
    assert selected[0].matched_lines == ("conformal prediction",)
    assert selected[0].matched_terms == ("Conformal prediction", "conformal prediction")


def test_rule_exclusions_from_digest() -> None:
    digest = make_digest(keywords=("conformal prediction",), exclusions=("online",))
    assert "2403.15527" not in ids(select_papers(digest, feed_papers(STAT_FEED)))


def test_rule_argument_overrides_digest_lines() -> None:
    digest = make_digest(keywords=("conformal prediction",))
    selected = select_papers(digest, feed_papers(STAT_FEED), rule=compile_rule(["Bayesian"]))
    assert selected
    assert all(item.matched_lines == ("Bayesian",) for item in selected)


def test_rule_invalid_digest_line_raises() -> None:
    with pytest.raises(RuleError):
        select_papers(make_digest(keywords=("LLM AND",)), feed_papers(STAT_FEED))


def test_rule_same_as_matcher_on_cs_day() -> None:
    keywords = ("VLM", "MLM", "MLLM", "Multi-Modal Language Model", "Vision Language Model")
    digest = make_digest(categories=("cs.CV",), keywords=keywords, include_replacements=True)
    papers = feed_papers(CS_FEED)
    rule = compile_rule(keywords)
    expected = [
        paper
        for paper in papers
        if "cs.CV" in paper.categories and rule.match(paper.title, paper.abstract) is not None
    ]

    assert ids(select_papers(digest, papers)) == in_section_order(expected)


def test_duplicate_ids_keep_first() -> None:
    papers = feed_papers(STAT_FEED)
    renamed = [dataclasses.replace(paper, title="Second copy") for paper in papers]
    selected = select_papers(make_digest(), list(papers) + renamed)

    assert len(ids(selected)) == len(set(ids(selected)))
    assert all(item.paper.title != "Second copy" for item in selected)


def test_posted_ids_dropped() -> None:
    papers = feed_papers(STAT_FEED)
    first = select_papers(make_digest(), papers)
    posted = ids(first)[:10]

    again = select_papers(make_digest(), papers, posted_ids=posted)
    assert ids(again) == ids(first)[10:]


def test_order_new_cross_replacements() -> None:
    papers = list(reversed(feed_papers(STAT_FEED)))
    digest = make_digest(include_cross_lists=True, include_replacements=True)
    selected = select_papers(digest, papers)
    assert ids(selected) == in_section_order(papers)


def test_order_within_section_is_feed_order() -> None:
    papers = list(reversed(feed_papers(STAT_FEED)))
    selected = select_papers(make_digest(), papers)
    assert ids(selected) == [paper.id for paper in papers if paper.announce_type == "new"]


def test_cap_keeps_first_papers() -> None:
    papers = feed_papers(STAT_FEED)
    digest = make_digest(include_cross_lists=True, include_replacements=True)
    uncapped = select_papers(digest, papers)
    digest.max_papers = 5
    assert ids(select_papers(digest, papers)) == ids(uncapped)[:5]


def test_cap_zero_selects_nothing() -> None:
    assert select_papers(make_digest(max_papers=0), feed_papers(STAT_FEED)) == []


def test_texts_cache_filled() -> None:
    papers = feed_papers(STAT_FEED)
    texts: dict = {}
    select_papers(make_digest(keywords=("Bayesian",)), papers, texts=texts)
    assert "2403.15527" in texts


def test_texts_cache_reused() -> None:
    # The cached text replaces the paper's own, which does not mention "Bayesian".
    papers = feed_papers(STAT_FEED)
    texts = {"2403.15527": prepare("Bayesian aggregation", "")}
    selected = select_papers(make_digest(keywords=("Bayesian",)), papers, texts=texts)
    assert "2403.15527" in ids(selected)


def test_select_from_parsed_feed() -> None:
    announcement = load_feed_file(ARXIV_FIXTURES / STAT_FEED)
    digest = make_digest(keywords=("Bayesian", "conformal"), include_cross_lists=True)

    from_parser = select_papers(digest, announcement.papers)
    from_feedparser = select_papers(digest, feed_papers(STAT_FEED))

    assert from_parser
    assert ids(from_parser) == ids(from_feedparser)
