"""The store: digests, announcements and deliveries in SQLite or PostgreSQL."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bot.store.announcements import AnnouncementMethods
from bot.store.deliveries import DeliveryMethods
from bot.store.digests import DigestMethods
from bot.store.engine import create_engine, upgrade_to_head
from bot.store.tables import Base

log = logging.getLogger(__name__)


class Store(DigestMethods, AnnouncementMethods, DeliveryMethods):
    """Persistent state of the bot: digests, announcements, papers and deliveries.

    Every method opens its own short session. Name conflicts raise DuplicateDigestError
    and changes to a missing digest raise DigestNotFoundError. Create it with `open`.
    """

    @classmethod
    async def open(cls, url: str, **engine_options: Any) -> Store:
        """Connect to the database at `url` and migrate its schema to the newest version.

        `url` may name the async driver (`sqlite+aiosqlite:///data/bot.db`,
        `postgresql+asyncpg://user@host/db`) or only the backend (`sqlite:///…`,
        `postgresql://…`). `engine_options` go to SQLAlchemy's `create_async_engine`,
        for example `connect_args`.
        """
        engine = create_engine(url, **engine_options)
        try:
            await upgrade_to_head(engine)
        except BaseException:
            await engine.dispose()
            raise

        log.info("Opened database %s", engine.url.render_as_string(hide_password=True))
        return cls(engine)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Return every row of every table, keyed by table name, rows by primary key."""
        tables: dict[str, list[dict[str, Any]]] = {}
        async with self._sessions() as session:
            for table in Base.metadata.sorted_tables:
                query = select(table).order_by(*table.primary_key.columns)
                result = await session.execute(query)
                tables[table.name] = [dict(row._mapping) for row in result]
        return tables
