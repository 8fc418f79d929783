"""Errors raised by the store instead of the database driver's own exceptions."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of the store's errors."""


class UnsupportedDatabaseError(StoreError):
    """The database URL names a backend or driver that the store cannot use."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"Unsupported database URL {url}. Use sqlite+aiosqlite:///PATH or "
            "postgresql+asyncpg://USER@HOST/DATABASE."
        )
        self.url = url


class DuplicateDigestError(StoreError):
    """A digest with the same name, compared case-insensitively, exists in the guild."""

    def __init__(self, guild_id: int, name: str) -> None:
        super().__init__(f"Guild {guild_id} already has a digest named {name!r}.")
        self.guild_id = guild_id
        self.name = name


class DigestNotFoundError(StoreError):
    """No digest has the given id, for example because it was removed meanwhile."""

    def __init__(self, digest_id: int) -> None:
        super().__init__(f"Digest {digest_id} does not exist.")
        self.digest_id = digest_id
