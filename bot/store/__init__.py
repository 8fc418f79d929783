"""Persistent storage of digests, announcements and deliveries (SQLite or PostgreSQL)."""

from bot.store.engine import async_database_url
from bot.store.errors import (
    DigestNotFoundError,
    DuplicateDigestError,
    StoreError,
    UnsupportedDatabaseError,
)
from bot.store.records import feed_key
from bot.store.store import Store

__all__ = [
    "DigestNotFoundError",
    "DuplicateDigestError",
    "Store",
    "StoreError",
    "UnsupportedDatabaseError",
    "async_database_url",
    "feed_key",
]
