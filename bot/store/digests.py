"""The store's digest methods: add, look up, edit, remove and pause digests."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from bot.models import Digest
from bot.store.base import StoreBase, rowcount
from bot.store.errors import DigestNotFoundError, DuplicateDigestError
from bot.store.records import digest_config_values, digest_from_row, digest_values, name_key
from bot.store.tables import DigestRow

log = logging.getLogger(__name__)


class DigestMethods(StoreBase):
    """Digest configuration, with names unique per guild in any case."""

    async def add_digest(self, digest: Digest) -> Digest:
        """Insert a new digest, set `digest.id` and return the digest.

        Raises DuplicateDigestError when the guild has a digest of the same name in any
        case; nothing is saved then.
        """
        statement = (
            self._insert(DigestRow)
            .values(digest_values(digest))
            .on_conflict_do_nothing(index_elements=["guild_id", "name_key"])
            .returning(DigestRow.id)
        )
        async with self._sessions.begin() as session:
            digest_id = (await session.execute(statement)).scalar_one_or_none()
        if digest_id is None:
            raise DuplicateDigestError(digest.guild_id, digest.name)

        digest.id = digest_id
        log.info("Added digest %s (id %s) in guild %s", digest.name, digest_id, digest.guild_id)
        return digest

    async def get_digest(self, guild_id: int, name: str) -> Digest | None:
        """Return the guild's digest named `name` in any case, or None."""
        query = select(DigestRow).where(
            DigestRow.guild_id == guild_id, DigestRow.name_key == name_key(name)
        )
        async with self._sessions() as session:
            row = (await session.scalars(query)).one_or_none()
        return None if row is None else digest_from_row(row)

    async def get_digest_by_id(self, digest_id: int) -> Digest | None:
        """Return the digest with id `digest_id`, or None."""
        async with self._sessions() as session:
            row = await session.get(DigestRow, digest_id)
        return None if row is None else digest_from_row(row)

    async def list_digests(self, guild_id: int | None = None) -> list[Digest]:
        """Return the digests of one guild, or of every guild, ordered by guild and name."""
        query = select(DigestRow).order_by(DigestRow.guild_id, DigestRow.name_key, DigestRow.id)
        if guild_id is not None:
            query = query.where(DigestRow.guild_id == guild_id)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [digest_from_row(row) for row in rows]

    async def update_digest(self, digest: Digest) -> None:
        """Save the editable settings of a stored digest.

        The editable settings are the name, channel, categories, rules, schedule, layout
        and role to ping. The guild, creator and creation time never change. Paused state and the
        last announcement are left alone because `set_paused` and `finish_delivery` own
        them, so an edit based on an older copy cannot undo a pause. Raises
        DuplicateDigestError for a name taken by another digest of the guild and
        DigestNotFoundError when the digest no longer exists.
        """
        if digest.id is None:
            raise ValueError(f"digest {digest.name!r} has no id; add it before updating it")

        statement = (
            update(DigestRow)
            .where(DigestRow.id == digest.id)
            .values(digest_config_values(digest))
            .execution_options(synchronize_session=False)
        )
        try:
            async with self._sessions.begin() as session:
                result = await session.execute(statement)
        except IntegrityError as error:
            if await self._is_name_taken(digest.guild_id, digest.name, digest.id):
                raise DuplicateDigestError(digest.guild_id, digest.name) from error
            raise

        if rowcount(result) == 0:
            raise DigestNotFoundError(digest.id)
        log.info("Updated digest %s (id %s) in guild %s", digest.name, digest.id, digest.guild_id)

    async def remove_digest(self, guild_id: int, name: str) -> bool:
        """Delete the guild's digest named `name` in any case and return whether it existed.

        Its deliveries go with it. Its posted papers stay, without the digest id, so a
        new digest in the same channel still skips them.
        """
        statement = (
            delete(DigestRow)
            .where(DigestRow.guild_id == guild_id, DigestRow.name_key == name_key(name))
            .execution_options(synchronize_session=False)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)

        removed = rowcount(result) > 0
        if removed:
            log.info("Removed digest %s in guild %s", name, guild_id)
        return removed

    async def set_paused(self, digest_id: int, paused: bool, reason: str | None) -> None:
        """Pause or resume a digest, keeping `reason` only while it is paused.

        Raises DigestNotFoundError when the digest no longer exists.
        """
        statement = (
            update(DigestRow)
            .where(DigestRow.id == digest_id)
            .values(paused=paused, pause_reason=reason if paused else None)
            .execution_options(synchronize_session=False)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
        if rowcount(result) == 0:
            raise DigestNotFoundError(digest_id)

        state = "paused" if paused else "resumed"
        log.info("Digest %s %s (reason: %s)", digest_id, state, reason)

    async def pause_after_error(self, digest_id: int, reason: str) -> bool:
        """Pause an active digest because a delivery failed, and store `reason` as its error.

        Returns True when this call paused the digest and False when it was paused
        already, so of two deliveries that fail at once only one sends a pause notice.
        Raises DigestNotFoundError when the digest no longer exists.
        """
        now = dt.datetime.now(dt.UTC)
        statement = (
            update(DigestRow)
            .where(DigestRow.id == digest_id, DigestRow.paused.is_(False))
            .values(paused=True, pause_reason=reason, last_error=reason, last_error_at=now)
            .execution_options(synchronize_session=False)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
        if rowcount(result) > 0:
            log.info("Digest %s paused after an error: %s", digest_id, reason)
            return True
        if await self.get_digest_by_id(digest_id) is None:
            raise DigestNotFoundError(digest_id)
        return False

    async def record_error(self, digest_id: int, error: str) -> None:
        """Store `error` as the digest's last error, dated now, until a delivery succeeds.

        A digest that no longer exists is skipped without an error.
        """
        statement = (
            update(DigestRow)
            .where(DigestRow.id == digest_id)
            .values(last_error=error, last_error_at=dt.datetime.now(dt.UTC))
            .execution_options(synchronize_session=False)
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def _is_name_taken(self, guild_id: int, name: str, other_than: int) -> bool:
        query = select(
            exists().where(
                DigestRow.guild_id == guild_id,
                DigestRow.name_key == name_key(name),
                DigestRow.id != other_than,
            )
        )
        async with self._sessions() as session:
            return bool(await session.scalar(query))
