"""Checks of message bodies against Discord's limits, and mention resolution.

Discord rejects a message that breaks a limit with 400 and code 50035 ("Invalid Form Body"),
listing each failing field under ``errors`` as a path of keys down to ``_errors``. The limits
are Discord's published ones: content 2000 characters, 10 embeds, title 256, description 4096,
25 fields, field name 256, field value 1024, footer 2048, author name 256, and 6000 characters
across all embeds of a message.
"""

import re
from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FIELDS = 25
_TEXT_LIMITS = {"title": 256, "description": 4096}
_FIELD_LIMITS = {"name": 256, "value": 1024}

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE_MENTION = re.compile(r"@(everyone|here)")


def _too_long(limit: int) -> dict[str, Any]:
    return {
        "_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
        ]
    }


def _required() -> dict[str, Any]:
    return {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}


def _embed_errors(embed: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for key, limit in _TEXT_LIMITS.items():
        if len(embed.get(key) or "") > limit:
            errors[key] = _too_long(limit)

    footer = (embed.get("footer") or {}).get("text") or ""
    if len(footer) > 2048:
        errors["footer"] = {"text": _too_long(2048)}
    author = (embed.get("author") or {}).get("name") or ""
    if len(author) > 256:
        errors["author"] = {"name": _too_long(256)}

    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        errors["fields"] = _too_long(MAX_FIELDS)
        return errors
    field_errors: dict[str, Any] = {}
    for index, field in enumerate(fields):
        problems = {}
        for key, limit in _FIELD_LIMITS.items():
            text = field.get(key) or ""
            if not text:
                problems[key] = _required()
            elif len(text) > limit:
                problems[key] = _too_long(limit)
        if problems:
            field_errors[str(index)] = problems
    if field_errors:
        errors["fields"] = field_errors
    return errors


def embed_length(embed: dict[str, Any]) -> int:
    """Count the characters Discord counts toward the 6000-character total of a message."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    return total


def message_errors(body: dict[str, Any]) -> dict[str, Any]:
    """Return the Invalid Form Body ``errors`` tree for a message body (empty when valid)."""
    errors: dict[str, Any] = {}
    if len(body.get("content") or "") > MAX_CONTENT:
        errors["content"] = _too_long(MAX_CONTENT)

    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        errors["embeds"] = _too_long(MAX_EMBEDS)
        return errors

    embed_errors = {str(i): e for i, embed in enumerate(embeds) if (e := _embed_errors(embed))}
    if embed_errors:
        errors["embeds"] = embed_errors
    elif sum(embed_length(embed) for embed in embeds) > MAX_EMBED_TOTAL:
        errors["embeds"] = {
            "_errors": [
                {
                    "code": "MAX_EMBED_SIZE_EXCEEDED",
                    "message": f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
                }
            ]
        }
    return errors


def is_empty(body: dict[str, Any], file_count: int) -> bool:
    """Tell whether a message has nothing to show, which Discord rejects with code 50006."""
    has_sticker = bool(body.get("sticker_ids"))
    has_poll = bool(body.get("poll"))
    visible = (body.get("content"), body.get("embeds"), body.get("components"))
    return not any(visible) and not file_count and not has_sticker and not has_poll


def resolve_mentions(
    content: str, allowed: dict[str, Any] | None, *, can_mention_everyone: bool
) -> tuple[list[int], list[int], bool]:
    """Return the user ids, role ids and @everyone flag that a message's content pings.

    Without ``allowed_mentions`` every mention in the content pings. With it, a kind pings
    only if it is in ``parse`` or its id is listed in ``users`` / ``roles``.
    """
    users = [int(match) for match in _USER_MENTION.findall(content)]
    roles = [int(match) for match in _ROLE_MENTION.findall(content)]
    everyone = bool(_EVERYONE_MENTION.search(content)) and can_mention_everyone
    if allowed is None:
        return users, roles, everyone

    parse = set(allowed.get("parse") or [])
    allowed_users = {int(user_id) for user_id in allowed.get("users") or []}
    allowed_roles = {int(role_id) for role_id in allowed.get("roles") or []}
    users = [u for u in users if "users" in parse or u in allowed_users]
    roles = [r for r in roles if "roles" in parse or r in allowed_roles]
    return users, roles, everyone and "everyone" in parse
