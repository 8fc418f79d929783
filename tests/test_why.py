"""Why a paper did or did not make a digest, on the saved stat announcement."""

from __future__ import annotations

import dataclasses

from bot.arxiv import load_feed_file
from bot.models import Digest
from bot.why import why_paper
from tests.paths import REPO

ANNOUNCEMENT = load_feed_file(REPO / "examples" / "rss-stat-2024-03-26.xml")
BAYESIAN_NEW = "2403.15670"  # new in stat.ME, "Bayesian" in its title
CROSS_LISTED = "2403.15527"  # new in the stat archive, primary stat.ML, also cs.LG


def make_digest(**changes: object) -> Digest:
    digest = Digest(
        guild_id=1,
        channel_id=2,
        name="stats",
        categories=("stat",),
        keywords=("Bayesian",),
        max_papers=25,
    )
    return dataclasses.replace(digest, **changes)


def test_why_included() -> None:
    answer = why_paper(make_digest(), ANNOUNCEMENT, BAYESIAN_NEW, set())
    assert "is in the digest" in answer
    assert "`Bayesian`" in answer


def test_why_accepts_url() -> None:
    answer = why_paper(make_digest(), ANNOUNCEMENT, f"https://arxiv.org/abs/{BAYESIAN_NEW}v1", ())
    assert "is in the digest" in answer


def test_why_invalid_id() -> None:
    answer = why_paper(make_digest(), ANNOUNCEMENT, "not-an-id", ())
    assert "'not-an-id' is not an arXiv id" in answer


def test_why_not_in_announcement() -> None:
    answer = why_paper(make_digest(), ANNOUNCEMENT, "2511.04976", ())
    assert "is not in the announcement of 2024-03-26" in answer


def test_why_category_not_followed() -> None:
    answer = why_paper(make_digest(categories=("math.ST",)), ANNOUNCEMENT, BAYESIAN_NEW, ())
    assert "none of which the digest follows" in answer


def test_why_cross_list_left_out() -> None:
    digest = make_digest(categories=("cs",), keywords=("learning",))
    answer = why_paper(digest, ANNOUNCEMENT, CROSS_LISTED, ())
    assert "is a cross-list for this digest" in answer
    assert "cross_lists" in answer


def test_why_no_keyword_matches() -> None:
    answer = why_paper(make_digest(keywords=("quantum",)), ANNOUNCEMENT, BAYESIAN_NEW, ())
    assert "does not match" in answer
    assert "`quantum`" in answer


def test_why_exclusion_hit() -> None:
    digest = make_digest(exclusions=("censored",))
    answer = why_paper(digest, ANNOUNCEMENT, BAYESIAN_NEW, ())
    assert "the exclusion 'censored' hit it" in answer


def test_why_already_posted() -> None:
    answer = why_paper(make_digest(), ANNOUNCEMENT, BAYESIAN_NEW, {BAYESIAN_NEW})
    assert "already posted" in answer


def test_why_cut_by_cap() -> None:
    digest = make_digest(keywords=("the",), max_papers=1)
    selected_first = why_paper(digest, ANNOUNCEMENT, ANNOUNCEMENT.papers[0].id, ())
    later = [paper.id for paper in ANNOUNCEMENT.papers if paper.announce_type == "new"][5]
    answer = why_paper(digest, ANNOUNCEMENT, later, ())
    assert "is in the digest" in selected_first
    assert "posts at most 1 papers" in answer
