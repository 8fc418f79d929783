"""The work behind /digest import and /digest export: topic files as Discord attachments."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord

from bot.digest_config import DigestConfigError, parse_post_time, parse_timezone
from bot.store import DuplicateDigestError
from bot.topics import TopicFileError
from bot.topics_store import export_topics, import_topics

if TYPE_CHECKING:
    from bot.core import DigestBot

log = logging.getLogger(__name__)

# A topic file is a few kilobytes; a larger upload is almost certainly the wrong file.
MAX_TOPIC_FILE_BYTES = 256 * 1024
EXPORT_FILENAME = "config.yml"


async def import_attachment(
    bot: DigestBot,
    interaction: discord.Interaction,
    file: discord.Attachment,
    channel: discord.TextChannel,
    *,
    post_time: str,
    timezone: str,
    replace: bool,
) -> str:
    """Create one digest per topic of an uploaded topic file and return the reply text.

    Nothing is saved unless every topic is valid. Raises DigestConfigError with a message
    for the user otherwise.
    """
    assert interaction.guild_id is not None
    if file.size > MAX_TOPIC_FILE_BYTES:
        raise DigestConfigError(
            f"{file.filename} is {file.size:,} bytes; a topic file may have at most "
            f"{MAX_TOPIC_FILE_BYTES:,}. Attach the config.yml of your topics."
        )
    try:
        text = (await file.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise DigestConfigError(
            f"{file.filename} is not a UTF-8 text file. Attach a YAML topic file."
        ) from None

    try:
        digests = await import_topics(
            bot.store,
            text,
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            post_time=parse_post_time(post_time),
            timezone=parse_timezone(timezone),
            created_by=interaction.user.id,
            replace=replace,
        )
    except TopicFileError as error:
        raise DigestConfigError(f"{file.filename}: {error}") from None
    except DuplicateDigestError as error:
        raise DigestConfigError(
            f"A digest named {error.name!r} already exists in this server. Rename that "
            "topic, or import again with replace set to True."
        ) from None

    for digest in digests:
        bot.scheduler.schedule(digest)
        bot.rules_changed(digest)
    names = ", ".join(digest.name for digest in digests)
    log.info(
        "Imported %d digests into guild %s from %s: %s",
        len(digests),
        interaction.guild_id,
        file.filename,
        names,
    )
    return f"Imported {len(digests)} digests posting to <#{channel.id}>: {names}."[:2000]


async def export_attachment(bot: DigestBot, guild_id: int) -> discord.File:
    """Return the server's digests as a topic YAML file attachment."""
    text = await export_topics(bot.store, guild_id)
    return discord.File(io.BytesIO(text.encode("utf-8")), filename=EXPORT_FILENAME)
