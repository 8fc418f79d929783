"""Builders of complete Discord API v10 payloads, as discord.py 2.7 parses them.

discord.py reads many keys with ``data[...]``, so a missing key in a gateway dispatch raises
KeyError out of the gateway loop and ends ``bot.start()``. Every builder here fills all the keys
that discord.py 2.7.1 reads unconditionally, plus the ones Discord always sends.
"""

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

# Milliseconds since the Unix epoch at 2015-01-01T00:00:00Z, the start of Discord snowflakes.
DISCORD_EPOCH_MS = 1_420_070_400_000

# Discord's default upload limit for a guild without boosts, sent in every interaction.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

TEXT_CHANNEL = 0
DM_CHANNEL = 1
CATEGORY_CHANNEL = 4
PUBLIC_THREAD = 11
FORUM_CHANNEL = 15


class Snowflakes:
    """Generator of unique, increasing snowflake ids that encode the current time."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        """Return a new snowflake, larger than every one returned before."""
        now_ms = int(time.time() * 1000)
        candidate = (now_ms - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return self._last


def iso_now() -> str:
    """Return the current UTC time in the ISO 8601 form Discord uses."""
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    """Build a user object."""
    return {
        "id": str(user_id),
        "username": username,
        "global_name": None if bot else username,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def client_user_payload(user_id: int, username: str) -> dict[str, Any]:
    """Build the bot's own user object, as ``GET /users/@me`` and READY return it."""
    payload = user_payload(user_id, username, bot=True)
    payload.update({"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None})
    return payload


def application_payload(app_id: int, name: str, bot: dict[str, Any]) -> dict[str, Any]:
    """Build the application object of ``GET /oauth2/applications/@me``.

    ``interactions_endpoint_url`` is null: with a URL set, interactions would go to that URL
    rather than over the gateway, and discord.py logs a warning about it.
    """
    return {
        "id": str(app_id),
        "name": name,
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user_payload(app_id + 1, "owner"),
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "bot": bot,
        "summary": "",
        "rpc_origins": [],
        "interactions_endpoint_url": None,
        "tags": [],
        "redirect_uris": [],
        "approximate_guild_count": 0,
    }


def role_payload(
    role_id: int,
    name: str,
    permissions: int,
    position: int,
    *,
    bot_id: int | None = None,
) -> dict[str, Any]:
    """Build a role object, where ``bot_id`` marks the managed role that Discord gives a bot."""
    payload: dict[str, Any] = {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "managed": bot_id is not None,
        "mentionable": False,
        "flags": 0,
    }
    if bot_id is not None:
        payload["tags"] = {"bot_id": str(bot_id)}
    return payload


def member_payload(
    user: dict[str, Any] | None,
    role_ids: Sequence[int],
    joined_at: str,
    *,
    permissions: int | None = None,
) -> dict[str, Any]:
    """Build a guild member, with ``permissions`` only inside interactions, as Discord does.

    ``user`` is None for the members of ``resolved.members``, which Discord sends without it.
    """
    payload: dict[str, Any] = {
        "roles": [str(role_id) for role_id in role_ids],
        "joined_at": joined_at,
        "nick": None,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if user is not None:
        payload["user"] = user
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def overwrite_payload(target_id: int, target_type: int, allow: int, deny: int) -> dict[str, Any]:
    """Build a permission overwrite, where ``target_type`` is 0 for a role and 1 for a member."""
    return {"id": str(target_id), "type": target_type, "allow": str(allow), "deny": str(deny)}


def channel_payload(
    channel_id: int,
    guild_id: int,
    name: str,
    channel_type: int,
    position: int,
    overwrites: Sequence[dict[str, Any]],
    *,
    topic: str | None = None,
    parent_id: int | None = None,
    last_message_id: int | None = None,
) -> dict[str, Any]:
    """Build a guild channel (text, category or forum)."""
    payload: dict[str, Any] = {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": list(overwrites),
        "topic": topic,
        "nsfw": False,
        "parent_id": None if parent_id is None else str(parent_id),
        "rate_limit_per_user": 0,
        "last_message_id": None if last_message_id is None else str(last_message_id),
        "flags": 0,
        "default_auto_archive_duration": 1440,
    }
    if channel_type == FORUM_CHANNEL:
        payload.update(
            {
                "available_tags": [],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
                "default_thread_rate_limit_per_user": 0,
            }
        )
    return payload


def dm_channel_payload(
    channel_id: int, recipient: dict[str, Any], last_message_id: int | None
) -> dict[str, Any]:
    """Build a direct message channel between the bot and ``recipient``."""
    return {
        "id": str(channel_id),
        "type": DM_CHANNEL,
        "last_message_id": None if last_message_id is None else str(last_message_id),
        "recipients": [recipient],
        "flags": 0,
    }


def thread_payload(
    thread_id: int,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    name: str,
    *,
    message_count: int,
    auto_archive_duration: int,
    created_at: str,
) -> dict[str, Any]:
    """Build a public thread object."""
    return {
        "id": str(thread_id),
        "type": PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": message_count,
        "total_message_sent": message_count,
        "member_count": 1,
        "flags": 0,
        "applied_tags": [],
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": created_at,
            "locked": False,
            "invitable": True,
            "create_timestamp": created_at,
        },
    }


def attachment_payload(
    attachment_id: int, filename: str, size: int, content_type: str, url: str
) -> dict[str, Any]:
    """Build an attachment object of a message."""
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "ephemeral": False,
    }


def message_payload(
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    body: dict[str, Any],
    *,
    message_type: int = 0,
    flags: int = 0,
    webhook_id: int | None = None,
    application_id: int | None = None,
    attachments: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Build a message from a create-message request ``body`` (its JSON or ``payload_json``).

    The mention fields are left empty here, and the server fills them from the content and the
    request's ``allowed_mentions``.
    """
    payload: dict[str, Any] = {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel_id),
        "author": author,
        "content": body.get("content") or "",
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": list(body.get("embeds") or []),
        "components": list(body.get("components") or []),
        "pinned": False,
        "flags": flags,
    }
    if body.get("nonce") is not None:
        payload["nonce"] = body["nonce"]
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if application_id is not None:
        payload["application_id"] = str(application_id)
    if body.get("message_reference"):
        payload["message_reference"] = body["message_reference"]
    return payload


def interaction_payload(
    *,
    interaction_id: int,
    application_id: int,
    interaction_type: int,
    token: str,
    data: dict[str, Any],
    guild_id: int,
    channel: dict[str, Any],
    member: dict[str, Any],
    app_permissions: int,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build an INTERACTION_CREATE payload sent from a guild channel.

    ``version`` and ``attachment_size_limit`` are read unconditionally by discord.py 2.7, and
    ``member.flags`` too, so without them the dispatch kills the bot.
    """
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": interaction_type,
        "token": token,
        "version": 1,
        "data": data,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": channel["id"],
        "channel": channel,
        "member": member,
        "app_permissions": str(app_permissions),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if message is not None:
        payload["message"] = message
    return payload


def ready_payload(
    user: dict[str, Any],
    guilds: list[dict[str, Any]],
    session_id: str,
    resume_gateway_url: str,
    application_id: int,
    shard: list[int] | None,
) -> dict[str, Any]:
    """Build the READY dispatch, which needs ``session_id`` and ``resume_gateway_url``.

    discord.py 2.7 reads both unconditionally. ``shard`` is echoed from IDENTIFY, because
    AutoShardedClient reads it unconditionally too.
    """
    ready: dict[str, Any] = {
        "v": 10,
        "user": user,
        "guilds": guilds,
        "session_id": session_id,
        "resume_gateway_url": resume_gateway_url,
        "application": {"id": str(application_id), "flags": 0},
        "private_channels": [],
        "presences": [],
        "relationships": [],
        "user_settings": {},
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
    }
    if shard is not None:
        ready["shard"] = shard
    return ready


def members_chunk_payload(
    guild_id: int, members: list[dict[str, Any]], nonce: str | None
) -> dict[str, Any]:
    """Build a GUILD_MEMBERS_CHUNK holding all ``members`` in one chunk."""
    chunk: dict[str, Any] = {
        "guild_id": str(guild_id),
        "members": members,
        "chunk_index": 0,
        "chunk_count": 1,
        "not_found": [],
    }
    if nonce is not None:
        chunk["nonce"] = nonce
    return chunk
