"""Tests of the store's pause, error, role and crash-recovery methods and of migration 0002."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from alembic import command
from sqlalchemy import Connection, inspect

from bot.models import Announcement
from bot.store import DigestNotFoundError, Store
from bot.store.engine import alembic_config
from tests import test_store
from tests.test_store import CHANNEL, MESSAGE, Database, corpus_papers, make_digest

# The backend fixtures of the store tests: SQLite, and PostgreSQL when configured.
database = test_store.database
store = test_store.store

ROLE = 1_600_000_000_000_000_001
DATE = dt.date(2025, 11, 10)


async def test_role_round_trip(store: Store) -> None:
    digest = await store.add_digest(make_digest(role_id=ROLE))
    assert digest.id is not None

    loaded = await store.get_digest_by_id(digest.id)

    assert loaded is not None
    assert loaded.role_id == ROLE


async def test_update_changes_role(store: Store) -> None:
    digest = await store.add_digest(make_digest(role_id=ROLE))
    assert digest.id is not None

    await store.update_digest(dataclasses.replace(digest, role_id=None))

    loaded = await store.get_digest_by_id(digest.id)
    assert loaded is not None
    assert loaded.role_id is None


async def test_pause_after_error_once(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None

    first = await store.pause_after_error(digest.id, "Discord refused: Missing Permissions")
    second = await store.pause_after_error(digest.id, "Discord refused: Unknown Channel")

    loaded = await store.get_digest_by_id(digest.id)
    assert first is True
    assert second is False
    assert loaded is not None
    assert loaded.paused
    assert loaded.pause_reason == "Discord refused: Missing Permissions"
    assert loaded.last_error == "Discord refused: Missing Permissions"
    assert loaded.last_error_at is not None
    assert loaded.last_error_at.tzinfo is not None


async def test_pause_after_error_missing_digest(store: Store) -> None:
    with pytest.raises(DigestNotFoundError):
        await store.pause_after_error(424242, "gone")


async def test_pause_after_error_when_paused_by_admin(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None
    await store.set_paused(digest.id, True, "paused by admin")

    paused_now = await store.pause_after_error(digest.id, "Discord refused")

    loaded = await store.get_digest_by_id(digest.id)
    assert paused_now is False
    assert loaded is not None
    assert loaded.pause_reason == "paused by admin"


async def test_finish_delivery_clears_error(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    assert digest.id is not None
    await store.record_error(digest.id, "arXiv failed: 503")
    recorded = await store.get_digest_by_id(digest.id)

    await store.finish_delivery(digest.id, DATE, 3)

    cleared = await store.get_digest_by_id(digest.id)
    assert recorded is not None
    assert recorded.last_error == "arXiv failed: 503"
    assert recorded.last_error_at is not None
    assert cleared is not None
    assert cleared.last_error is None
    assert cleared.last_error_at is None


async def test_record_error_missing_digest(store: Store) -> None:
    await store.record_error(424242, "arXiv failed")

    dump = await store.dump()
    assert dump["digests"] == []


async def test_posted_count_by_digest_and_date(store: Store) -> None:
    digest = await store.add_digest(make_digest())
    other = await store.add_digest(make_digest(name="Other"))
    assert digest.id is not None and other.id is not None
    record = store.record_posted

    await record(
        CHANNEL, ["a", "b"], digest_id=digest.id, message_id=MESSAGE, announcement_date=DATE
    )
    await record(CHANNEL, ["c"], digest_id=other.id, message_id=MESSAGE, announcement_date=DATE)
    await record(CHANNEL, ["d"], digest_id=digest.id, message_id=MESSAGE, announcement_date=None)
    previous = DATE - dt.timedelta(days=1)
    await record(CHANNEL, ["e"], digest_id=digest.id, message_id=None, announcement_date=previous)

    assert await store.posted_count(digest.id, DATE) == 2
    assert await store.posted_count(other.id, DATE) == 1
    assert await store.posted_count(digest.id, previous) == 1


async def test_announcement_dates_in_range(store: Store) -> None:
    papers = tuple(corpus_papers("2025-11-09")[:3])
    dates = [dt.date(2025, 11, day) for day in (3, 4, 5, 6)]
    for date in dates:
        await store.save_announcement("cs.AI", Announcement(date, papers))
    await store.save_announcement("cs.CL", Announcement(dt.date(2025, 11, 5), papers))

    found = await store.announcement_dates("cs.AI", dates[0], dates[2])
    unbounded = await store.announcement_dates("cs.AI", None, dates[3])

    assert found == dates[1:3]
    assert unbounded == dates


async def column_names(store: Store) -> set[str]:
    """Return the columns of the digests table."""

    def names(connection: Connection) -> set[str]:
        return {column["name"] for column in inspect(connection).get_columns("digests")}

    async with store.engine.connect() as connection:
        return await connection.run_sync(names)


async def test_migration_0002_round_trip(database: Database) -> None:
    first = await database.open_store()
    try:
        digest = await first.add_digest(make_digest(role_id=ROLE))

        def downgrade(connection: Connection) -> None:
            command.downgrade(alembic_config(connection), "0001")

        async with first.engine.begin() as connection:
            await connection.run_sync(downgrade)
        old_columns = await column_names(first)
    finally:
        await first.close()

    second = await database.open_store()
    try:
        new_columns = await column_names(second)
        assert digest.id is not None
        loaded = await second.get_digest_by_id(digest.id)
    finally:
        await second.close()

    added = {"role_id", "last_error", "last_error_at"}
    assert not added & old_columns
    assert added <= new_columns
    assert loaded is not None
    assert loaded.name == digest.name
    assert loaded.role_id is None
