"""Async engine creation and Alembic migrations for the store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.errors import UnsupportedDatabaseError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Backend names accepted in a URL, mapped to the async driver the store uses for them.
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def async_database_url(url: str | URL) -> URL:
    """Parse a database URL and switch it to the async driver of its backend.

    `sqlite:///data/bot.db` becomes `sqlite+aiosqlite:///data/bot.db` and
    `postgresql://…` (or `postgres://…`) becomes `postgresql+asyncpg://…`. Other backends
    and sync drivers raise UnsupportedDatabaseError.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise UnsupportedDatabaseError(str(url)) from error

    driver = ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabaseError(parsed.render_as_string(hide_password=True))
    return parsed.set(drivername=driver)


def create_engine(url: str | URL, **engine_options: Any) -> AsyncEngine:
    """Create the async engine for `url`, preparing SQLite files and connections.

    For SQLite the database file's folder is created, and every connection enforces
    foreign keys and uses write-ahead logging. `engine_options` go to
    `create_async_engine`, for example `connect_args`.
    """
    database_url = async_database_url(url)
    if database_url.get_backend_name() != "sqlite":
        # A server restart closes pooled connections. Checking each one before use
        # replaces a dead one instead of failing the next delivery.
        engine_options.setdefault("pool_pre_ping", True)
        return create_async_engine(database_url, **engine_options)

    _create_parent_folder(database_url)
    engine = create_async_engine(database_url, **engine_options)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Apply every Alembic migration that the database has not had yet."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_connection)


def alembic_config(connection: Connection | None = None) -> Config:
    """Build the Alembic configuration of the store's migrations, without an ini file.

    With `connection`, the migration environment runs on that connection instead of
    opening its own.
    """
    config = Config()
    # ConfigParser treats % as interpolation, so a % in the install path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade_connection(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _create_parent_folder(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite enforces foreign keys only on connections that enable them. Write-ahead
    # logging lets readers run while a delivery writes.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()
