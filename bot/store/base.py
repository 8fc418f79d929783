"""Session handling shared by the store's digest, announcement and delivery methods."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.store.tables import Base

# Rows per statement when many rows go in at once. SQLite allows 32,766 bound parameters
# per statement since version 3.32, and PostgreSQL's wire protocol allows 32,767. So 500
# rows of the widest table (papers, 11 columns) stay well below both.
CHUNK_SIZE = 500

T = TypeVar("T")


class StoreBase:
    """The engine and session factory that every part of the store works through."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def _insert(self, entity: type[Base]) -> sqlite.Insert | postgresql.Insert:
        """Start an INSERT that supports this backend's ON CONFLICT clause."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(entity)
        return sqlite.insert(entity)


def rowcount(result: Result[Any]) -> int:
    """Return how many rows an UPDATE or DELETE matched."""
    # Session.execute is typed as returning Result, but DML statements give a CursorResult.
    return cast(CursorResult[Any], result).rowcount


def chunks(items: Sequence[T], size: int = CHUNK_SIZE) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of `items` with at most `size` items each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
