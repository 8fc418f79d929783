"""Alembic environment of the store.

`Store.open` passes its own connection in `config.attributes["connection"]`. The
`alembic` command line, run from the repository root, connects to the URL given as
`-x url=…`, else to `DATABASE_URL`, else to `sqlalchemy.url` from `alembic.ini`.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from bot.store.engine import create_engine
from bot.store.tables import Base

config = context.config


def run_on_connection(connection: Connection) -> None:
    """Run the pending migrations on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line() -> None:
    """Connect to the configured database and run the pending migrations."""
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise SystemExit("No database URL given. Pass -x url=URL or set DATABASE_URL.")

    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on_connection)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported. Run them against a database.")

shared_connection = config.attributes.get("connection")
if shared_connection is not None:
    run_on_connection(shared_connection)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    asyncio.run(run_from_command_line())
