"""Tests of the store on a real SQLite file and, when configured, on PostgreSQL.

PostgreSQL runs when `TEST_DATABASE_URL` names a server, for example
`postgresql+asyncpg://postgres@127.0.0.1:5432/test`. Each test then gets a schema of its
own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.arxiv.api import parse_search
from bot.arxiv.feed import load_feed_file
from bot.models import Announcement, Digest, Paper
from bot.store import (
    DigestNotFoundError,
    DuplicateDigestError,
    Store,
    UnsupportedDatabaseError,
    async_database_url,
    feed_key,
)
from tests.paths import ARXIV_FIXTURES, CORPUS

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222
CHANNEL = 1_300_000_000_000_000_001
OTHER_CHANNEL = 1_300_000_000_000_000_002
MESSAGE = 1_400_000_000_000_000_001
USER = 1_500_000_000_000_000_001


@dataclass
class Database:
    """A fresh database for one test: its URL and the engine options that isolate it."""

    url: str
    engine_options: dict[str, Any] = field(default_factory=dict)

    async def open_store(self, url: str | None = None) -> Store:
        """Open a store on this database, optionally through another form of its URL."""
        return await Store.open(url or self.url, **self.engine_options)


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Provide an empty database on each configured backend."""
    if request.param == "sqlite":
        yield Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}")
        return

    assert POSTGRES_URL is not None
    schema = f"test_store_{uuid.uuid4().hex}"
    admin = create_async_engine(async_database_url(POSTGRES_URL), poolclass=NullPool)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        server_settings = {"search_path": schema}
        yield Database(POSTGRES_URL, {"connect_args": {"server_settings": server_settings}})
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    """Provide a migrated store on an empty database."""
    opened = await database.open_store()
    yield opened
    await opened.close()


def make_digest(name: str = "Daily ML", guild_id: int = GUILD, **changes: Any) -> Digest:
    """Build a digest with every field set to a value other than its default."""
    digest = Digest(
        guild_id=guild_id,
        channel_id=CHANNEL,
        name=name,
        categories=("cs.LG", "cs.CL"),
        keywords=('"large language model"', "diffusion AND ti:image"),
        exclusions=("survey",),
        post_time=dt.time(7, 30),
        timezone="Europe/Berlin",
        include_cross_lists=True,
        include_replacements=True,
        max_papers=12,
        abstract_length=400,
        created_by=USER,
        created_at=dt.datetime(
            2025, 11, 9, 21, 15, 30, 123456, tzinfo=ZoneInfo("America/New_York")
        ),
    )
    return dataclasses.replace(digest, **changes)


def corpus_papers(day: str) -> list[Paper]:
    """Read the real papers of one corpus day, in the order they were listed."""
    month_prefix = day[2:4] + day[5:7]
    papers = []
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            is_new = record["id"].startswith(month_prefix)
            papers.append(
                Paper(
                    id=record["id"],
                    title=record["title"],
                    abstract=record["abstract"],
                    authors=tuple(record["authors"]),
                    categories=tuple(record["categories"] or [record["primary_category"]]),
                    announce_type="new" if is_new else "replace",
                )
            )
    return papers


def with_all_fields(paper: Paper, version: int = 2) -> Paper:
    """Return the paper with every optional field set, as an arXiv API entry has them."""
    return dataclasses.replace(
        paper,
        version=version,
        comment="12 pages, 4 figures",
        journal_ref="Proc. NeurIPS 2025",
        doi="10.48550/arXiv." + paper.id,
        published=dt.datetime(2025, 11, 6, 18, 59, 1, tzinfo=dt.UTC),
        updated=dt.datetime(2025, 11, 7, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
    )


# Digests


async def test_add_digest_sets_id(store: Store) -> None:
    digest = make_digest()

    added = await store.add_digest(digest)

    assert added is digest
    assert isinstance(digest.id, int)


async def test_digest_round_trip(store: Store) -> None:
    digest = await store.add_digest(
        make_digest(
            paused=True,
            pause_reason="missing Embed Links",
            last_announcement=dt.date(2025, 11, 9),
        )
    )
    assert digest.id is not None

    loaded = await store.get_digest_by_id(digest.id)

    assert loaded is not None
    assert loaded == digest
    assert loaded.created_at.utcoffset() == dt.timedelta(0)
    assert loaded.created_at == dt.datetime(2025, 11, 10, 2, 15, 30, 123456, tzinfo=dt.UTC)
    assert loaded.post_time == dt.time(7, 30)
    assert isinstance(loaded.categories, tuple)


async def test_get_digest_ignores_case(store: Store) -> None:
    digest = await store.add_digest(make_digest("Daily ML"))

    loaded = await store.get_digest(GUILD, "dAILY ml")

    assert loaded == digest


async def test_get_digest_missing_returns_none(store: Store) -> None:
    await store.add_digest(make_digest("Daily ML"))

    assert await store.get_digest(GUILD, "Weekly ML") is None
    assert await store.get_digest(OTHER_GUILD, "Daily ML") is None
    assert await store.get_digest_by_id(999_999) is None


@pytest.mark.parametrize("second_name", ["Daily ML", "daily ml", "DAILY ML"])
async def test_add_digest_duplicate_name_rejected(store: Store, second_name: str) -> None:
    await store.add_digest(make_digest("Daily ML"))
    before = await store.dump()

    with pytest.raises(DuplicateDigestError) as raised:
        await store.add_digest(make_digest(second_name, channel_id=OTHER_CHANNEL))

    assert raised.value.guild_id == GUILD
    assert raised.value.name == second_name
    assert await store.dump() == before


async def test_add_digest_duplicate_folds_unicode_case(store: Store) -> None:
    await store.add_digest(make_digest("Straße"))

    with pytest.raises(DuplicateDigestError):
        await store.add_digest(make_digest("STRASSE"))


async def test_add_digest_same_name_other_guild(store: Store) -> None:
    first = await store.add_digest(make_digest("Daily ML"))
    second = await store.add_digest(make_digest("Daily ML", guild_id=OTHER_GUILD))

    assert first.id != second.id
    assert await store.get_digest(OTHER_GUILD, "daily ml") == second


async def test_list_digests_order(store: Store) -> None:
    for guild_id, name in [(OTHER_GUILD, "alpha"), (GUILD, "zeta"), (GUILD, "Beta"), (GUILD, "al")]:
        await store.add_digest(make_digest(name, guild_id=guild_id))

    everything = await store.list_digests()
    one_guild = await store.list_digests(GUILD)

    assert [(item.guild_id, item.name) for item in everything] == [
        (GUILD, "al"),
        (GUILD, "Beta"),
        (GUILD, "zeta"),
        (OTHER_GUILD, "alpha"),
    ]
    assert [item.name for item in one_guild] == ["al", "Beta", "zeta"]
    assert await store.list_digests(333) == []


async def test_update_digest_saves_settings(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    edited = dataclasses.replace(
        digest,
        name="Evening ML",
        channel_id=OTHER_CHANNEL,
        categories=("stat.ML",),
        keywords=("transformer*",),
        exclusions=(),
        post_time=dt.time(18, 5),
        timezone="Asia/Kolkata",
        include_cross_lists=False,
        include_replacements=False,
        max_papers=3,
        abstract_length=0,
    )

    await store.update_digest(edited)

    assert await store.get_digest(GUILD, "evening ml") == edited
    assert await store.get_digest(GUILD, "Daily ML") is None


async def test_update_digest_keeps_state(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None
    await store.set_paused(digest.id, True, "channel deleted")
    await store.finish_delivery(digest.id, dt.date(2025, 11, 9), 4)
    stale = dataclasses.replace(digest, max_papers=5, paused=False, last_announcement=None)

    await store.update_digest(stale)

    loaded = await store.get_digest_by_id(digest.id)
    assert loaded is not None
    assert loaded.max_papers == 5
    assert loaded.paused is True
    assert loaded.pause_reason == "channel deleted"
    assert loaded.last_announcement == dt.date(2025, 11, 9)


async def test_update_digest_rename_case_only(store: Store) -> None:
    digest = await store.add_digest(make_digest("daily ml"))

    await store.update_digest(dataclasses.replace(digest, name="Daily ML"))

    loaded = await store.get_digest(GUILD, "DAILY ML")
    assert loaded is not None
    assert loaded.name == "Daily ML"


async def test_update_digest_rename_to_taken_name(store: Store) -> None:
    await store.add_digest(make_digest("Daily ML"))
    other = await store.add_digest(make_digest("Weekly CV"))
    before = await store.dump()

    with pytest.raises(DuplicateDigestError) as raised:
        await store.update_digest(dataclasses.replace(other, name="DAILY ml"))

    assert raised.value.name == "DAILY ml"
    assert await store.dump() == before


async def test_update_digest_missing_raises(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None
    await store.remove_digest(GUILD, digest.name)

    with pytest.raises(DigestNotFoundError) as raised:
        await store.update_digest(digest)

    assert raised.value.digest_id == digest.id


async def test_update_digest_without_id_raises(store: Store) -> None:
    with pytest.raises(ValueError, match="no id"):
        await store.update_digest(make_digest())


async def test_remove_digest(store: Store) -> None:
    await store.add_digest(make_digest("Daily ML"))
    remaining = await store.add_digest(make_digest("Weekly CV"))

    removed = await store.remove_digest(GUILD, "DAILY ML")
    removed_again = await store.remove_digest(GUILD, "Daily ML")

    assert removed is True
    assert removed_again is False
    assert await store.list_digests(GUILD) == [remaining]


async def test_remove_digest_keeps_posted_papers(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None
    date = dt.date(2025, 11, 9)
    await store.record_posted(
        CHANNEL, ["2511.05375"], digest_id=digest.id, message_id=MESSAGE, announcement_date=date
    )
    await store.finish_delivery(digest.id, date, 1)

    await store.remove_digest(GUILD, digest.name)

    dump = await store.dump()
    assert dump["deliveries"] == []
    assert [row["digest_id"] for row in dump["posted_papers"]] == [None]
    assert await store.posted_paper_ids(CHANNEL, ["2511.05375"]) == {"2511.05375"}


async def test_set_paused_and_resume(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None

    await store.set_paused(digest.id, True, "missing Send Messages in #papers")
    paused = await store.get_digest_by_id(digest.id)
    await store.set_paused(digest.id, False, None)
    resumed = await store.get_digest_by_id(digest.id)

    assert paused is not None
    assert paused.paused is True
    assert paused.pause_reason == "missing Send Messages in #papers"
    assert resumed is not None
    assert resumed.paused is False
    assert resumed.pause_reason is None


async def test_set_paused_missing_digest(store: Store) -> None:
    with pytest.raises(DigestNotFoundError):
        await store.set_paused(424242, True, "gone")


# Announcements


async def test_announcement_round_trip(store: Store) -> None:
    papers = corpus_papers("2025-11-09")
    papers[0] = with_all_fields(papers[0])
    announcement = Announcement(dt.date(2025, 11, 9), tuple(papers), "rss/cs.AI+cs.CL")

    await store.save_announcement("cs.AI+cs.CL", announcement)
    loaded = await store.load_announcement("cs.AI+cs.CL", dt.date(2025, 11, 9))

    assert loaded == announcement
    assert loaded.papers[0].updated == dt.datetime(2025, 11, 7, 0, 0, tzinfo=dt.UTC)


async def test_announcement_round_trip_real_feed(store: Store) -> None:
    announcement = load_feed_file(ARXIV_FIXTURES / "rss-stat-2024-03-26.xml")
    assert announcement.date is not None
    announce_types = {paper.announce_type for paper in announcement.papers}
    assert announce_types == {"new", "cross", "replace", "replace-cross"}

    await store.save_announcement("stat", announcement)
    loaded = await store.load_announcement("stat", announcement.date)

    assert loaded == announcement


async def test_announcement_round_trip_search_papers(store: Store) -> None:
    path = ARXIV_FIXTURES / "api-search-all-testing-start0-max100.atom"
    papers = parse_search(path.read_bytes(), status=200, url=str(path)).papers
    assert any(paper.doi and paper.journal_ref and paper.comment for paper in papers)
    announcement = Announcement(dt.date(2025, 11, 9), papers, str(path))

    await store.save_announcement("cs.AI", announcement)
    loaded = await store.load_announcement("cs.AI", dt.date(2025, 11, 9))

    assert loaded == announcement
    assert loaded is not None
    offsets = {paper.published.utcoffset() for paper in loaded.papers if paper.published}
    assert offsets == {dt.timedelta(0)}


async def test_announcement_large_day(store: Store) -> None:
    papers = tuple(corpus_papers("2026-05-11"))
    assert len(papers) == 1550
    announcement = Announcement(dt.date(2026, 5, 11), papers)

    await store.save_announcement("cs.AI", announcement)
    loaded = await store.load_announcement("cs.AI", dt.date(2026, 5, 11))

    assert loaded is not None
    assert [paper.id for paper in loaded.papers] == [paper.id for paper in papers]
    assert loaded == announcement


async def test_save_announcement_twice_keeps_one(store: Store) -> None:
    papers = corpus_papers("2025-07-13")
    date = dt.date(2025, 7, 13)
    await store.save_announcement("cs.RO", Announcement(date, tuple(papers[:20]), "first"))

    await store.save_announcement("cs.RO", Announcement(date, tuple(papers[10:30]), "second"))

    dump = await store.dump()
    loaded = await store.load_announcement("cs.RO", date)
    assert len(dump["announcements"]) == 1
    assert len(dump["papers"]) == 30
    assert loaded == Announcement(date, tuple(papers[10:30]), "second")


async def test_save_announcement_repeated_paper(store: Store) -> None:
    first, second = corpus_papers("2025-11-09")[:2]
    repeated = dataclasses.replace(first, announce_type="cross")
    date = dt.date(2025, 11, 9)

    await store.save_announcement("cs.AI", Announcement(date, (first, second, repeated)))

    loaded = await store.load_announcement("cs.AI", date)
    assert loaded is not None
    assert loaded.papers == (first, second)


async def test_paper_in_two_announcements(store: Store) -> None:
    paper = corpus_papers("2025-11-09")[0]
    as_new = with_all_fields(paper, version=1)
    as_cross = dataclasses.replace(as_new, announce_type="cross")
    await store.save_announcement("cs.AI", Announcement(dt.date(2025, 11, 9), (as_new,)))

    await store.save_announcement("cs.CY", Announcement(dt.date(2025, 11, 9), (as_cross,)))

    dump = await store.dump()
    ai = await store.load_announcement("cs.AI", dt.date(2025, 11, 9))
    cy = await store.load_announcement("cs.CY", dt.date(2025, 11, 9))
    assert [row["id"] for row in dump["papers"]] == [paper.id]
    assert len(dump["announcement_papers"]) == 2
    assert ai is not None
    assert ai.papers == (as_new,)
    assert cy is not None
    assert cy.papers == (as_cross,)


async def test_paper_keeps_newest_version(store: Store) -> None:
    paper = corpus_papers("2025-11-09")[0]
    version_1 = with_all_fields(paper, version=1)
    version_2 = dataclasses.replace(version_1, version=2, title="Revised: " + paper.title)

    await store.save_announcement("cs.AI", Announcement(dt.date(2025, 11, 12), (version_2,)))
    await store.save_announcement("cs.AI", Announcement(dt.date(2025, 11, 9), (version_1,)))

    older = await store.load_announcement("cs.AI", dt.date(2025, 11, 9))
    assert older is not None
    assert older.papers[0].version == 2
    assert older.papers[0].title == version_2.title


async def test_paper_updated_by_newer_version(store: Store) -> None:
    paper = corpus_papers("2025-11-09")[0]
    version_1 = with_all_fields(paper, version=1)
    version_3 = dataclasses.replace(version_1, version=3, doi=None, comment="withdrawn")

    await store.save_announcement("cs.AI", Announcement(dt.date(2025, 11, 9), (version_1,)))
    await store.save_announcement("cs.AI", Announcement(dt.date(2025, 11, 12), (version_3,)))

    older = await store.load_announcement("cs.AI", dt.date(2025, 11, 9))
    assert older is not None
    assert older.papers[0] == version_3


async def test_latest_announcement_and_since(store: Store) -> None:
    papers = corpus_papers("2025-11-09")
    dates = [dt.date(2025, 11, 11), dt.date(2025, 11, 9), dt.date(2025, 11, 10)]
    for index, date in enumerate(dates):
        chunk = tuple(papers[index * 5 : index * 5 + 5])
        await store.save_announcement("cs.AI", Announcement(date, chunk))
    await store.save_announcement("cs.CV", Announcement(dt.date(2025, 11, 12), (papers[40],)))

    latest = await store.latest_announcement("cs.AI")
    since = await store.announcements_since("cs.AI", dt.date(2025, 11, 9))
    every = await store.announcements_since("cs.AI", None)

    assert latest is not None
    assert latest.date == dt.date(2025, 11, 11)
    assert latest.papers == tuple(papers[0:5])
    assert [item.date for item in since] == [dt.date(2025, 11, 10), dt.date(2025, 11, 11)]
    assert since[0].papers == tuple(papers[10:15])
    assert [item.date for item in every] == sorted(dates)


async def test_announcement_unknown_feed(store: Store) -> None:
    assert await store.load_announcement("math.AG", dt.date(2025, 11, 9)) is None
    assert await store.latest_announcement("math.AG") is None
    assert await store.announcements_since("math.AG", None) == []


async def test_save_announcement_without_date(store: Store) -> None:
    with pytest.raises(ValueError, match="no date"):
        await store.save_announcement("cs.AI", Announcement(None, ()))


async def test_save_announcement_empty(store: Store) -> None:
    date = dt.date(2025, 11, 9)

    await store.save_announcement("cs.AI", Announcement(date, ()))

    assert await store.load_announcement("cs.AI", date) == Announcement(date, ())


def test_feed_key_sorts_categories() -> None:
    assert feed_key(["cs.LG", "cs.AI", "cs.LG"]) == "cs.AI+cs.LG"
    assert feed_key(["math.AG"]) == "math.AG"


# Deliveries


async def test_record_posted_twice_inserts_once(store: Store) -> None:
    ids = ["2511.05375", "2511.04956"]

    first = await store.record_posted(
        CHANNEL, ids, digest_id=None, message_id=MESSAGE, announcement_date=None
    )
    second = await store.record_posted(
        CHANNEL, ids, digest_id=None, message_id=MESSAGE + 1, announcement_date=None
    )

    dump = await store.dump()
    assert first == 2
    assert second == 0
    assert [row["message_id"] for row in dump["posted_papers"]] == [MESSAGE, MESSAGE]


async def test_record_posted_concurrent_inserts_once(store: Store) -> None:
    tasks = [
        store.record_posted(
            CHANNEL,
            ["2511.05375"],
            digest_id=None,
            message_id=MESSAGE + index,
            announcement_date=dt.date(2025, 11, 9),
        )
        for index in range(8)
    ]

    counts = await asyncio.gather(*tasks)

    dump = await store.dump()
    assert sum(counts) == 1
    assert len(dump["posted_papers"]) == 1


async def test_record_posted_two_channels(store: Store) -> None:
    for channel_id in (CHANNEL, OTHER_CHANNEL):
        await store.record_posted(
            channel_id, ["2511.05375"], digest_id=None, message_id=None, announcement_date=None
        )

    dump = await store.dump()
    assert [row["channel_id"] for row in dump["posted_papers"]] == [CHANNEL, OTHER_CHANNEL]
    assert await store.posted_paper_ids(OTHER_CHANNEL, ["2511.05375"]) == {"2511.05375"}


async def test_record_posted_repeated_id_counts_once(store: Store) -> None:
    inserted = await store.record_posted(
        CHANNEL,
        ["2511.05375", "2511.05375"],
        digest_id=None,
        message_id=None,
        announcement_date=None,
    )

    assert inserted == 1


async def test_record_posted_many_papers(store: Store) -> None:
    ids = [paper.id for paper in corpus_papers("2026-05-11")]

    inserted = await store.record_posted(
        CHANNEL, ids, digest_id=None, message_id=MESSAGE, announcement_date=dt.date(2026, 5, 11)
    )
    posted = await store.posted_paper_ids(CHANNEL, ids + ["2605.99999"])

    assert inserted == len(ids)
    assert posted == set(ids)


async def test_record_posted_keeps_details(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    date = dt.date(2025, 11, 9)

    await store.record_posted(
        CHANNEL, ["2511.05375"], digest_id=digest.id, message_id=MESSAGE, announcement_date=date
    )

    row = (await store.dump())["posted_papers"][0]
    assert row["digest_id"] == digest.id
    assert row["message_id"] == MESSAGE
    assert row["announcement_date"] == date
    assert row["posted_at"].utcoffset() == dt.timedelta(0)


async def test_posted_paper_ids_only_posted(store: Store) -> None:
    await store.record_posted(
        CHANNEL, ["2511.05375"], digest_id=None, message_id=None, announcement_date=None
    )

    posted = await store.posted_paper_ids(CHANNEL, ["2511.05375", "2511.04956"])
    elsewhere = await store.posted_paper_ids(OTHER_CHANNEL, ["2511.05375"])

    assert posted == {"2511.05375"}
    assert elsewhere == set()


async def test_finish_delivery(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None

    await store.finish_delivery(digest.id, dt.date(2025, 11, 10), 7)

    loaded = await store.get_digest_by_id(digest.id)
    assert loaded is not None
    assert loaded.last_announcement == dt.date(2025, 11, 10)
    assert await store.is_delivered(digest.id, dt.date(2025, 11, 10)) is True
    assert await store.is_delivered(digest.id, dt.date(2025, 11, 9)) is False


async def test_finish_delivery_older_date_keeps_last(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None
    await store.finish_delivery(digest.id, dt.date(2025, 11, 10), 7)

    await store.finish_delivery(digest.id, dt.date(2025, 11, 9), 2)

    loaded = await store.get_digest_by_id(digest.id)
    assert loaded is not None
    assert loaded.last_announcement == dt.date(2025, 11, 10)
    assert await store.is_delivered(digest.id, dt.date(2025, 11, 9)) is True


async def test_finish_delivery_twice_adds_counts(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None

    await store.finish_delivery(digest.id, dt.date(2025, 11, 10), 7)
    await store.finish_delivery(digest.id, dt.date(2025, 11, 10), 2)

    rows = (await store.dump())["deliveries"]
    assert [row["posted_count"] for row in rows] == [9]


async def test_finish_delivery_missing_digest(store: Store) -> None:
    with pytest.raises(DigestNotFoundError) as raised:
        await store.finish_delivery(424242, dt.date(2025, 11, 10), 1)

    assert raised.value.digest_id == 424242
    assert (await store.dump())["deliveries"] == []


# Dump


async def test_dump_lists_every_table(store: Store) -> None:
    dump = await store.dump()

    assert sorted(dump) == [
        "announcement_papers",
        "announcements",
        "deliveries",
        "digests",
        "papers",
        "posted_papers",
    ]
    assert all(rows == [] for rows in dump.values())


async def test_dump_stable(store: Store) -> None:
    for name in ("zeta", "alpha", "Mid"):
        await store.add_digest(make_digest(name))
    papers = corpus_papers("2025-11-09")
    await store.save_announcement("cs.AI", Announcement(dt.date(2025, 11, 9), tuple(papers[:50])))
    await store.record_posted(
        CHANNEL,
        [paper.id for paper in papers[:9]],
        digest_id=None,
        message_id=None,
        announcement_date=None,
    )

    first = await store.dump()
    second = await store.dump()

    assert first == second
    assert [row["name"] for row in first["digests"]] == ["zeta", "alpha", "Mid"]
    assert [row["id"] for row in first["papers"]] == sorted(paper.id for paper in papers[:50])


# Opening


async def test_open_plain_url(database: Database) -> None:
    plain = make_url(database.url).set(drivername=make_url(database.url).get_backend_name())

    opened = await database.open_store(plain.render_as_string(hide_password=False))
    try:
        added = await opened.add_digest(make_digest())
    finally:
        await opened.close()

    assert added.id is not None


async def test_open_creates_sqlite_folder(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "bot.db"

    opened = await Store.open(f"sqlite:///{path}")
    await opened.close()

    assert path.is_file()


async def test_sqlite_connection_pragmas(tmp_path: Path) -> None:
    opened = await Store.open(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        async with opened.engine.connect() as connection:
            foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            journal_mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
    finally:
        await opened.close()

    assert foreign_keys == 1
    assert journal_mode == "wal"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
        ("sqlite+aiosqlite:////var/lib/bot.db", "sqlite+aiosqlite:////var/lib/bot.db"),
        ("postgresql://bot:secret@db:5432/bot", "postgresql+asyncpg://bot:secret@db:5432/bot"),
        ("postgres://bot@db/bot", "postgresql+asyncpg://bot@db/bot"),
        ("postgresql+asyncpg://bot@db/bot", "postgresql+asyncpg://bot@db/bot"),
    ],
)
def test_async_database_url(url: str, expected: str) -> None:
    converted = async_database_url(url)

    assert converted.render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    "url", ["mysql://bot:secret@db/bot", "postgresql+psycopg2://bot:secret@db/bot", "not a url"]
)
def test_async_database_url_unsupported(url: str) -> None:
    with pytest.raises(UnsupportedDatabaseError) as raised:
        async_database_url(url)

    assert "secret" not in str(raised.value)
