"""Importing a topic file into the store and exporting a guild's digests as one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Digest
from bot.store import DuplicateDigestError, Store
from bot.topics import NoDigestsError, digests_to_yaml, parse_topics, topics_to_digests

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SavedDigest:
    """A digest saved by an import. `replaced` is whether it took over an existing digest."""

    digest: Digest
    replaced: bool


async def import_topics(
    store: Store,
    text: str,
    *,
    guild_id: int,
    channel_id: int,
    post_time: dt.time,
    timezone: str,
    created_by: int | None,
    replace: bool = False,
) -> list[Digest]:
    """Create one digest per topic of the topic file `text`, all or none of them.

    Raises TopicFileError for an invalid file, DigestConfigError for an invalid time zone
    and DuplicateDigestError for a topic named like an existing digest of the guild
    (unless `replace`). Nothing is saved then. Returns the saved digests in file order.
    """
    topic_file = parse_topics(text)
    for warning in topic_file.warnings:
        log.warning("Topic file for guild %s: %s", guild_id, warning)

    digests = topics_to_digests(
        topic_file,
        guild_id=guild_id,
        channel_id=channel_id,
        post_time=post_time,
        timezone=timezone,
        created_by=created_by,
    )
    saved = await save_digests(store, digests, replace=replace)
    return [entry.digest for entry in saved]


async def save_digests(
    store: Store, digests: Sequence[Digest], *, replace: bool = False
) -> list[SavedDigest]:
    """Add digests of one guild, all or none; with `replace`, take over same-named digests.

    A replaced digest keeps its id, creator, paused state and every setting that topic
    files do not have, such as cross-lists and the maximum number of papers. Its name,
    channel, categories, rules, post time and time zone come from the new digest.
    Without `replace`, a name already used in the guild raises DuplicateDigestError
    before anything is saved.
    """
    guilds = {digest.guild_id for digest in digests}
    if len(guilds) > 1:
        raise ValueError(f"save_digests takes the digests of one guild, got guilds {guilds}")
    if not digests:
        return []

    guild_id = digests[0].guild_id
    existing = {digest.name.casefold(): digest for digest in await store.list_digests(guild_id)}
    if not replace:
        for digest in digests:
            if digest.name.casefold() in existing:
                raise DuplicateDigestError(guild_id, digest.name)

    saved: list[SavedDigest] = []
    try:
        for digest in digests:
            saved.append(await _save_one(store, digest, existing.get(digest.name.casefold())))
    except BaseException:
        await _undo(store, saved, existing)
        raise
    log.info("Imported %d digests into guild %s", len(saved), guild_id)
    return saved


async def _save_one(store: Store, digest: Digest, old: Digest | None) -> SavedDigest:
    if old is None:
        return SavedDigest(await store.add_digest(digest), replaced=False)

    merged = dataclasses.replace(
        old,
        name=digest.name,
        channel_id=digest.channel_id,
        categories=digest.categories,
        keywords=digest.keywords,
        exclusions=digest.exclusions,
        post_time=digest.post_time,
        timezone=digest.timezone,
    )
    await store.update_digest(merged)
    return SavedDigest(merged, replaced=True)


async def _undo(store: Store, saved: list[SavedDigest], existing: dict[str, Digest]) -> None:
    # The store gives each call its own transaction, so an import that fails part way
    # (another writer took a name, the database went away) is rolled back by hand.
    # NOTE: if the database fails during this rollback too, the digests saved so far stay;
    # the error is logged with their names.
    for entry in reversed(saved):
        digest = entry.digest
        try:
            if entry.replaced:
                await store.update_digest(existing[digest.name.casefold()])
            else:
                await store.remove_digest(digest.guild_id, digest.name)
        except Exception as error:
            log.error(
                "Could not undo the import of digest %r in guild %s: %s",
                digest.name,
                digest.guild_id,
                error,
            )


async def export_topics(store: Store, guild_id: int) -> str:
    """Return the guild's digests as a topic file; raise NoDigestsError when it has none."""
    digests = await store.list_digests(guild_id)
    if not digests:
        raise NoDigestsError(guild_id)
    return digests_to_yaml(digests)
