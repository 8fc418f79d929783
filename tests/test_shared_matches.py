"""Tests for the matches of an announcement shared by every digest's delivery."""

from __future__ import annotations

import dataclasses
from functools import cache

from bot.arxiv import load_feed_file
from bot.digest import select_papers
from bot.models import Digest, Paper
from bot.rules.index import RuleIndex
from bot.shared_matches import SharedMatches
from tests.paths import ARXIV_FIXTURES

CS_FEED = "rss-cs-2025-11-09-constructed.xml"


@cache
def feed_papers() -> tuple[Paper, ...]:
    return load_feed_file(ARXIV_FIXTURES / CS_FEED).papers


def make_digest(digest_id: int, keywords: tuple[str, ...], **changes: object) -> Digest:
    digest = Digest(
        guild_id=1,
        channel_id=10,
        name=f"digest {digest_id}",
        categories=("cs.LG", "cs.CL"),
        keywords=keywords,
        id=digest_id,
        max_papers=1_000,
    )
    return dataclasses.replace(digest, **changes)


def indexed(*digests: Digest) -> RuleIndex:
    index = RuleIndex()
    for digest in digests:
        assert digest.id is not None
        index.add(digest.id, digest.keywords, digest.exclusions)
    return index


DIGESTS = (
    make_digest(1, ("LLM", "reasoning AND benchmark")),
    make_digest(2, ("diffus*",), categories=("cs",), include_replacements=True),
    make_digest(3, (), exclusions=("survey",)),
    make_digest(4, ('"vision language model"', "language ANDNOT robot")),
)


def test_candidates_give_same_selection() -> None:
    papers = feed_papers()
    matches = SharedMatches(lambda: indexed(*DIGESTS))
    for digest in DIGESTS:
        shared = matches.candidates(digest, papers)
        assert shared is not None
        candidates, texts = shared
        selected = select_papers(digest, candidates, texts=texts)
        assert selected == select_papers(digest, papers)


def test_candidates_keep_feed_order() -> None:
    papers = feed_papers()
    shared = SharedMatches(lambda: indexed(*DIGESTS)).candidates(DIGESTS[2], papers)
    assert shared is not None
    ids = [paper.id for paper in shared[0]]
    assert ids == [paper.id for paper in papers if paper.id in set(ids)]


def test_candidates_none_for_changed_rule() -> None:
    matches = SharedMatches(lambda: indexed(*DIGESTS))
    edited = dataclasses.replace(DIGESTS[0], keywords=("transformer",))
    assert matches.candidates(edited, feed_papers()) is None


def test_candidates_none_without_index() -> None:
    assert SharedMatches(lambda: None).candidates(DIGESTS[0], feed_papers()) is None


def test_candidates_follow_index_change() -> None:
    papers = feed_papers()
    index = indexed(*DIGESTS)
    matches = SharedMatches(lambda: index)
    before = matches.candidates(DIGESTS[0], papers)
    assert before is not None
    edited = dataclasses.replace(DIGESTS[0], keywords=("survey",))
    index.add(1, edited.keywords)
    after = matches.candidates(edited, papers)
    assert after is not None
    candidates, texts = after
    assert select_papers(edited, candidates, texts=texts) == select_papers(edited, papers)
    assert {paper.id for paper in candidates} == {"2507.05636", "2501.03265"}
    assert candidates != before[0]
