"""Tests of the Alembic migrations that `Store.open` applies."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from bot.models import Announcement, Paper
from bot.store import Store
from bot.store.engine import alembic_config
from bot.store.tables import Base
from tests import test_store
from tests.paths import REPO
from tests.test_store import Database, make_digest

# The backend fixture of the store tests: a fresh SQLite file, and a fresh PostgreSQL
# schema when TEST_DATABASE_URL is set.
database = test_store.database

STORE_TABLES = {
    "announcement_papers",
    "announcements",
    "deliveries",
    "digests",
    "papers",
    "posted_papers",
}


def head_revision() -> str:
    """Return the newest revision id of the store's migration scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def table_names(store: Store) -> set[str]:
    """Return the tables in the store's default schema."""
    async with store.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names)


async def stamped_revisions(store: Store) -> list[str]:
    """Return the revisions recorded in `alembic_version`."""
    async with store.engine.connect() as connection:
        result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return list(result.scalars())


async def test_upgrade_creates_tables(database: Database) -> None:
    store = await database.open_store()
    try:
        names = await table_names(store)
        revisions = await stamped_revisions(store)
    finally:
        await store.close()

    assert names == STORE_TABLES | {"alembic_version"}
    assert revisions == [head_revision()]


async def test_upgrade_twice_keeps_data(database: Database) -> None:
    first = await database.open_store()
    try:
        await first.add_digest(make_digest())
        paper = Paper("2511.05375", "A title", "An abstract.", ("A. Author",), ("cs.AI",))
        await first.save_announcement("cs.AI", Announcement(dt.date(2025, 11, 9), (paper,)))
        before = await first.dump()
    finally:
        await first.close()

    second = await database.open_store()
    try:
        after = await second.dump()
        revisions = await stamped_revisions(second)
    finally:
        await second.close()

    assert after == before
    assert revisions == [head_revision()]


async def test_models_match_migrations(database: Database) -> None:
    store = await database.open_store()

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    try:
        async with store.engine.connect() as connection:
            found = await connection.run_sync(differences)
    finally:
        await store.close()

    assert found == []


async def test_downgrade_then_upgrade(database: Database) -> None:
    store = await database.open_store()

    def downgrade(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), "base")

    try:
        async with store.engine.begin() as connection:
            await connection.run_sync(downgrade)
        emptied = await table_names(store)
    finally:
        await store.close()

    reopened = await database.open_store()
    try:
        restored = await table_names(reopened)
    finally:
        await reopened.close()

    assert emptied == {"alembic_version"}
    assert restored == STORE_TABLES | {"alembic_version"}


async def test_alembic_command_line_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    completed = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={url}", "upgrade", "head"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    store = await Store.open(url)
    try:
        names = await table_names(store)
        revisions = await stamped_revisions(store)
    finally:
        await store.close()
    assert names == STORE_TABLES | {"alembic_version"}
    assert revisions == [head_revision()]
