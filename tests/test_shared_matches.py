"""Tests for the matches of an announcement shared by every digest's delivery."""

from __future__ import annotations

import asyncio
import dataclasses
from functools import cache

import pytest

from bot import shared_matches
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


async def test_candidates_give_same_selection() -> None:
    papers = feed_papers()
    matches = SharedMatches(lambda: indexed(*DIGESTS))
    for digest in DIGESTS:
        shared = await matches.candidates(digest, papers)
        assert shared is not None
        candidates, texts = shared
        selected = select_papers(digest, candidates, texts=texts)
        assert selected == select_papers(digest, papers)


async def test_candidates_keep_feed_order() -> None:
    papers = feed_papers()
    shared = await SharedMatches(lambda: indexed(*DIGESTS)).candidates(DIGESTS[2], papers)
    assert shared is not None
    ids = [paper.id for paper in shared[0]]
    assert ids == [paper.id for paper in papers if paper.id in set(ids)]


async def test_candidates_none_for_changed_rule() -> None:
    matches = SharedMatches(lambda: indexed(*DIGESTS))
    edited = dataclasses.replace(DIGESTS[0], keywords=("transformer",))
    assert await matches.candidates(edited, feed_papers()) is None


async def test_candidates_none_without_index() -> None:
    assert await SharedMatches(lambda: None).candidates(DIGESTS[0], feed_papers()) is None


async def test_candidates_follow_index_change() -> None:
    papers = feed_papers()
    index = indexed(*DIGESTS)
    matches = SharedMatches(lambda: index)
    before = await matches.candidates(DIGESTS[0], papers)
    assert before is not None
    edited = dataclasses.replace(DIGESTS[0], keywords=("survey",))
    index.add(1, edited.keywords)
    after = await matches.candidates(edited, papers)
    assert after is not None
    candidates, texts = after
    assert select_papers(edited, candidates, texts=texts) == select_papers(edited, papers)
    assert {paper.id for paper in candidates} == {"2507.05636", "2501.03265"}
    assert candidates != before[0]


async def test_concurrent_runs_share_one_match(caplog: pytest.LogCaptureFixture) -> None:
    papers = feed_papers()
    caplog.set_level("INFO", logger="bot.shared_matches")
    matches = SharedMatches(lambda: indexed(*DIGESTS))
    results = await asyncio.gather(*(matches.candidates(digest, papers) for digest in DIGESTS))

    matched = [record for record in caplog.records if "Matched" in record.getMessage()]
    assert len(matched) == 1
    for digest, shared in zip(DIGESTS, results, strict=True):
        assert shared is not None
        assert select_papers(digest, shared[0], texts=shared[1]) == select_papers(digest, papers)


async def test_match_restarts_after_rule_change(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_matches, "_CHUNK_SIZE", 5)
    papers = feed_papers()
    index = indexed(*DIGESTS)
    caplog.set_level("INFO", logger="bot.shared_matches")

    async def add_digest_soon() -> None:
        await asyncio.sleep(0)
        index.add(100, ["robot"])

    shared, _ = await asyncio.gather(
        SharedMatches(lambda: index).candidates(DIGESTS[0], papers), add_digest_soon()
    )

    matched = [record for record in caplog.records if "Matched" in record.getMessage()]
    assert len(matched) == 2
    assert shared is not None
    assert select_papers(DIGESTS[0], shared[0], texts=shared[1]) == select_papers(
        DIGESTS[0], papers
    )


async def test_match_gives_up_while_rules_change(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_matches, "_CHUNK_SIZE", 5)
    papers = feed_papers()
    index = indexed(*DIGESTS)
    caplog.set_level("WARNING", logger="bot.shared_matches")
    changing = True

    async def keep_adding_digests() -> None:
        key = 100
        while changing:
            index.add(key, ["robot"])
            key += 1
            await asyncio.sleep(0)

    adder = asyncio.create_task(keep_adding_digests())
    try:
        shared = await SharedMatches(lambda: index).candidates(DIGESTS[0], papers)
    finally:
        changing = False
        await adder

    assert shared is None
    assert "matches on its own" in caplog.text
