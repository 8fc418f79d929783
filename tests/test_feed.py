"""Tests for feed parsing on every saved arXiv feed, plus broken and edge-case documents."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from bot.arxiv.errors import ArxivFeedError
from bot.arxiv.feed import announcement_date, load_feed_file, parse_feed, split_authors
from bot.models import ANNOUNCE_TYPES, Announcement
from tests.paths import ARXIV_FIXTURES

FEED_FILES = sorted(ARXIV_FIXTURES.glob("*.xml"))
STAT = ARXIV_FIXTURES / "rss-stat-2024-03-26.xml"
TRUNCATED = ARXIV_FIXTURES / "atom-cs.AI-2025-08-20-truncated.xml"
RDF = ARXIV_FIXTURES / "rdf-cs-2021-11-02.xml"
DAY_2025 = ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml"
DAY_2026 = ARXIV_FIXTURES / "rss-cs-2026-05-11-constructed.xml"
WEEKEND = ARXIV_FIXTURES / "rss-cs.AI-2024-03-30-empty-weekend-constructed.xml"

_PREFIX = re.compile(r"arXiv:\S+ Announce Type", re.IGNORECASE)


@cache
def parse_file(path: Path) -> Announcement:
    return parse_feed(path.read_bytes(), source=path.name)


def type_counts(announcement: Announcement) -> Counter[str | None]:
    return Counter(paper.announce_type for paper in announcement.papers)


def test_fixture_folder_has_every_feed() -> None:
    assert len(FEED_FILES) == 6


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda path: path.name)
def test_every_feed_paper_complete(path: Path) -> None:
    for paper in parse_file(path).papers:
        assert paper.id, paper
        assert paper.version is not None, paper.id
        assert paper.title, paper.id
        assert paper.abstract, paper.id
        assert paper.authors, paper.id
        assert paper.categories, paper.id
        assert paper.announce_type in ANNOUNCE_TYPES, paper.id


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda path: path.name)
def test_every_feed_abstract_without_prefix(path: Path) -> None:
    for paper in parse_file(path).papers:
        assert not _PREFIX.search(paper.abstract), paper.id
        assert not paper.abstract.startswith("Abstract:"), paper.id


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda path: path.name)
def test_every_feed_ids_unique(path: Path) -> None:
    ids = [paper.id for paper in parse_file(path).papers]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (STAT, dt.date(2024, 3, 26)),
        (TRUNCATED, dt.date(2025, 8, 20)),
        (RDF, dt.date(2021, 11, 3)),
        (DAY_2025, dt.date(2025, 11, 10)),
        (DAY_2026, dt.date(2026, 5, 12)),
        (WEEKEND, dt.date(2024, 3, 30)),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_feed_announcement_date(path: Path, expected: dt.date) -> None:
    assert parse_file(path).date == expected


def test_stat_counts_by_type() -> None:
    counts = type_counts(parse_file(STAT))
    assert counts == {"new": 35, "cross": 27, "replace": 41, "replace-cross": 20}


def test_stat_known_paper() -> None:
    paper = parse_file(STAT).papers[0]
    assert paper.id == "2403.15527"
    assert paper.version == 1
    assert paper.title == "Conformal online model aggregation"
    assert paper.authors == ("Matteo Gasparin", "Aaditya Ramdas")
    assert paper.categories == ("stat.ML", "cs.LG")
    assert paper.announce_type == "new"
    assert paper.abstract.startswith("Conformal prediction equips machine learning models")


def test_stat_replacement_keeps_version() -> None:
    paper = next(p for p in parse_file(STAT).papers if p.id == "2108.09874")
    assert paper.version == 2
    assert paper.authors[0] == "Eduardo García-Portugués"


def test_stat_source_recorded() -> None:
    assert parse_file(STAT).source == STAT.name


def test_truncated_atom_keeps_complete_entries(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.arxiv.feed"):
        announcement = parse_feed(TRUNCATED.read_bytes(), source=TRUNCATED.name)
    assert len(announcement.papers) == 86
    assert type_counts(announcement) == {"new": 41, "cross": 45}
    assert "2508.13435" not in {paper.id for paper in announcement.papers}
    assert any(TRUNCATED.name in record.getMessage() for record in caplog.records)


def test_truncated_atom_known_paper() -> None:
    paper = parse_file(TRUNCATED).papers[0]
    assert paper.id == "2508.13167"
    assert paper.version == 1
    assert paper.title.startswith("Chain-of-Agents: End-to-End Agent Foundation Models")
    assert paper.categories == ("cs.AI", "cs.CL")
    assert len(paper.authors) == 30
    assert paper.authors[-1] == "Wangchunshu Zhou"


def test_rdf_has_444_papers() -> None:
    assert len(parse_file(RDF).papers) == 444


def test_rdf_updated_titles_are_replacements() -> None:
    updated_titles = len(re.findall(r"\[[^\]]+\] UPDATED\)</title>", RDF.read_text()))
    counts = type_counts(parse_file(RDF))
    assert updated_titles == 192
    assert counts["replace"] + counts["replace-cross"] == updated_titles


def test_rdf_known_paper() -> None:
    paper = parse_file(RDF).papers[0]
    assert paper.id == "2111.01127"
    assert paper.version == 1
    assert paper.title == (
        "NSS-VAEs: Generative Scene Decomposition for Visual Navigable Space Construction"
    )
    assert paper.authors == ("Zheng Chen", "Lantao Liu")
    assert paper.categories == ("cs.RO",)
    assert paper.announce_type == "new"


def test_rdf_updated_paper() -> None:
    paper = next(p for p in parse_file(RDF).papers if p.id == "1805.09719")
    assert paper.version == 3
    assert paper.announce_type == "replace"
    assert paper.title == "Learning convex polyhedra with margin"


def test_rdf_cross_listed_marker() -> None:
    paper = next(p for p in parse_file(RDF).papers if p.id == "2111.00459")
    assert paper.announce_type == "cross"
    assert paper.categories == ("eess.SY",)


def test_rdf_primary_outside_feed_is_cross() -> None:
    counts = Counter(
        paper.announce_type
        for paper in parse_file(RDF).papers
        if not paper.categories[0].startswith("cs.")
    )
    assert set(counts) == {"cross", "replace-cross"}


def test_rdf_authors_without_affiliations() -> None:
    paper = next(p for p in parse_file(RDF).papers if p.id == "2111.01225")
    assert paper.authors[0] == "Adrian Ahne"
    assert paper.authors[-1] == "Guy Fagherazzi"
    assert len(paper.authors) == 9


def test_constructed_day_types_follow_id_month() -> None:
    # Constructed feeds mark ids from the feed's month or the month before as new.
    for paper in parse_file(DAY_2025).papers:
        expected = "new" if paper.id[:4] in ("2511", "2510") else "replace"
        assert paper.announce_type == expected, paper.id


def test_constructed_day_counts() -> None:
    assert len(parse_file(DAY_2025).papers) == 272
    assert len(parse_file(DAY_2026).papers) == 1550


def test_empty_weekend_feed() -> None:
    announcement = parse_file(WEEKEND)
    assert announcement.papers == ()
    assert announcement.date == dt.date(2024, 3, 30)


def test_large_feed_ids_follow_guids() -> None:
    guids = re.findall(r"<guid[^>]*>oai:arXiv\.org:(\S+?)v\d+</guid>", DAY_2026.read_text())
    ids = [paper.id for paper in parse_file(DAY_2026).papers]
    assert len(guids) == 1550
    assert ids == guids


def test_large_feed_first_paper() -> None:
    paper = parse_file(DAY_2026).papers[0]
    assert paper.id == "2605.10870"
    assert paper.version == 1
    assert paper.title == (
        "Remember the Decision, Not the Description: A Rate-Distortion Framework for Agent Memory"
    )
    assert paper.authors == (
        "Mingxi Zou",
        "Zhihan Guo",
        "Langzhang Liang",
        "Zhuo Wang",
        "Qifan Wang",
        "Qingsong Wen",
    )
    assert paper.categories == ("cs.AI",)
    assert paper.announce_type == "new"
    assert paper.abstract.startswith("Long-horizon language agents must operate under")


def test_large_feed_last_paper() -> None:
    paper = parse_file(DAY_2026).papers[-1]
    assert paper.id == "2311.03600"
    assert paper.announce_type == "replace"
    assert paper.categories == ("cs.RO",)
    assert paper.authors[3] == "Antonio Rodríguez-Sánchez"


def test_large_feed_entity_decoded() -> None:
    paper = next(p for p in parse_file(DAY_2026).papers if p.id == "2604.26805")
    assert paper.abstract.startswith("Operating and maintaining (O&M) large-scale online")
    assert paper.categories == ("cs.AI", "cs.MA")


def test_entry_without_id_skipped(caplog: pytest.LogCaptureFixture) -> None:
    data = STAT.read_text(encoding="utf-8")
    first_item = data.index("<item>")
    end = data.index("</item>", first_item)
    item = data[first_item:end]
    stripped = re.sub(r"<link>.*?</link>|<guid[^>]*>.*?</guid>", "", item)
    stripped = stripped.replace("arXiv:2403.15527v1 Announce Type: new", "Announce Type: new")
    broken = data[:first_item] + stripped + data[end:]

    with caplog.at_level(logging.WARNING, logger="bot.arxiv.feed"):
        announcement = parse_feed(broken.encode(), source="no-id.xml")
    assert len(announcement.papers) == 122
    assert "2403.15527" not in {paper.id for paper in announcement.papers}
    assert any("no-id.xml" in record.getMessage() for record in caplog.records)


def test_not_well_formed_feed_recovered() -> None:
    # `&nbsp;` is not an XML entity, so feedparser's strict XML parser rejects the document
    # and its loose parser reads it instead.
    data = STAT.read_bytes().replace(b"Conformal prediction equips", b"Conformal&nbsp;prediction")
    announcement = parse_feed(data, source="nbsp.xml")
    assert len(announcement.papers) == 123
    assert type_counts(announcement)["replace-cross"] == 20
    assert announcement.date == dt.date(2024, 3, 26)


def test_angle_brackets_kept_in_abstract() -> None:
    # HTML sanitizing would read `<b and c>` as a tag and drop it.
    data = STAT.read_bytes().replace(
        b"Conformal prediction equips", b"Conformal prediction a&lt;b and c&gt;d equips"
    )
    paper = parse_feed(data, source="angle.xml").papers[0]
    assert paper.abstract.startswith("Conformal prediction a<b and c>d equips")


def test_feed_bytes_never_opened_as_path(tmp_path: Path) -> None:
    saved = tmp_path / "saved.xml"
    saved.write_bytes(STAT.read_bytes())
    with pytest.raises(ArxivFeedError):
        parse_feed(str(saved).encode(), source="path.xml")


@pytest.mark.parametrize(
    "data",
    [
        b"Rate exceeded.",
        b"<html><head><title>503</title></head><body>Service Unavailable</body></html>",
        b"",
        b"\x00\xff not xml at all",
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>cs",
        b"<?xml version='1.0'?><rss version='2.0'></rss>",
        b"<catalog><item><title>Not a feed</title></item></catalog>",
    ],
    ids=["rate-exceeded", "html", "empty", "binary", "cut-in-header", "no-channel", "other-xml"],
)
def test_not_a_feed_raises(data: bytes) -> None:
    with pytest.raises(ArxivFeedError) as caught:
        parse_feed(data, source="https://rss.example/rss/cs")
    assert caught.value.source == "https://rss.example/rss/cs"
    assert "https://rss.example/rss/cs" in str(caught.value)


def test_load_feed_file_reads_path() -> None:
    announcement = load_feed_file(STAT)
    assert len(announcement.papers) == 123
    assert announcement.source == str(STAT)


def test_load_feed_file_missing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    with pytest.raises(ArxivFeedError) as caught:
        load_feed_file(missing)
    assert str(missing) in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Matteo Gasparin, Aaditya Ramdas", ("Matteo Gasparin", "Aaditya Ramdas")),
        ("A. One, B. Two and C. Three", ("A. One", "B. Two", "C. Three")),
        ("A. One, B. Two, and C. Three", ("A. One", "B. Two", "C. Three")),
        ("A. One and B. Two", ("A. One", "B. Two")),
        ("John Smith, Jr., Jane Doe", ("John Smith Jr.", "Jane Doe")),
        ("Ann Lee (MIT, Cambridge), Bo Chen", ("Ann Lee", "Bo Chen")),
        ("Alexander Anand", ("Alexander Anand",)),
        ("Agust\\'in Alvarez, Marina Fragal\\'a", ("Agustín Alvarez", "Marina Fragalá")),
        ("", ()),
    ],
)
def test_split_authors(raw: str, expected: tuple[str, ...]) -> None:
    assert split_authors(raw) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2024-03-26T00:00:00-04:00", dt.date(2024, 3, 26)),
        ("2025-08-20T04:00:19+00:00", dt.date(2025, 8, 20)),
        ("2021-11-02T20:30:00-05:00", dt.date(2021, 11, 3)),
        ("2025-11-10T00:00:00-05:00", dt.date(2025, 11, 10)),
        ("2025-11-09T11:59:00-05:00", dt.date(2025, 11, 9)),
        ("2025-11-09T12:00:00-05:00", dt.date(2025, 11, 10)),
        ("2025-11-10T05:00:00", dt.date(2025, 11, 10)),
    ],
)
def test_announcement_date_rule(moment: str, expected: dt.date) -> None:
    assert announcement_date(dt.datetime.fromisoformat(moment)) == expected
