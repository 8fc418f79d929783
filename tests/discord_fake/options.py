"""Building the ``data`` of application-command interactions, with nested options and resolved data.

A subcommand arrives the way Discord sends it: ``/digest create name:x`` is
``{"name": "digest", "options": [{"type": 1, "name": "create", "options": [...]}]}``, and a
group adds one more level of type 2. Option types come from the commands the bot synced, as on
Discord. For a command the bot never synced, they are inferred from the Python values.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tests.discord_fake.model import FakeGuild
from tests.discord_fake.recording import FakeDiscordError

if TYPE_CHECKING:
    from tests.discord_fake.server import FakeDiscord

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

_SNOWFLAKE_TYPES = (USER, CHANNEL, ROLE, MENTIONABLE)


def command_data(
    fake: "FakeDiscord",
    guild: FakeGuild,
    user_id: int,
    path: str,
    options: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """Build the interaction ``data`` for the command ``path`` (like ``"digest create"``)."""
    parts = path.split()
    if not 1 <= len(parts) <= 3:
        raise FakeDiscordError(f"command path {path!r} must have one to three words")

    command, scope_guild_id = fake.find_command(parts[0], guild.id)
    levels, schemas = _walk(command, parts)

    resolved: dict[str, dict[str, Any]] = {}
    leaf = [
        _option(fake, guild, user_id, name, value, schemas, resolved, focused == name)
        for name, value in options.items()
    ]
    if schemas is not None and focused is None:
        _check_required(path, schemas, options)

    nested = leaf
    for name, level_type in reversed(levels):
        nested = [{"name": name, "type": level_type, "options": nested}]

    data: dict[str, Any] = {
        "id": command["id"] if command else str(fake.snowflakes.next()),
        "name": parts[0],
        "type": 1,
        "options": nested,
    }
    if resolved:
        data["resolved"] = resolved
    if scope_guild_id is not None:
        data["guild_id"] = str(scope_guild_id)
    return data


def _walk(
    command: dict[str, Any] | None, parts: list[str]
) -> tuple[list[tuple[str, int]], list[dict[str, Any]] | None]:
    """Return the subcommand levels of ``parts`` and the leaf's option schemas (None: unknown)."""
    if command is None:
        default_types = [SUB_COMMAND] if len(parts) == 2 else [SUB_COMMAND_GROUP, SUB_COMMAND]
        return list(zip(parts[1:], default_types[: len(parts) - 1], strict=True)), None

    levels = []
    node = command
    for part in parts[1:]:
        children = node.get("options") or []
        found = next((o for o in children if o["name"] == part and o["type"] <= 2), None)
        if found is None:
            raise FakeDiscordError(f"command {parts[0]!r} has no subcommand {part!r}")
        levels.append((part, found["type"]))
        node = found

    leaf_options = node.get("options") or []
    if any(option["type"] <= SUB_COMMAND_GROUP for option in leaf_options):
        raise FakeDiscordError(f"{' '.join(parts)!r} is a group, so name one of its subcommands")
    return levels, leaf_options


def _check_required(path: str, schemas: list[dict[str, Any]], provided: Mapping[str, Any]) -> None:
    missing = [s["name"] for s in schemas if s.get("required") and s["name"] not in provided]
    if missing:
        raise FakeDiscordError(f"/{path} is missing required options {missing}")


def _option(
    fake: "FakeDiscord",
    guild: FakeGuild,
    user_id: int,
    name: str,
    value: Any,
    schemas: list[dict[str, Any]] | None,
    resolved: dict[str, dict[str, Any]],
    focused: bool,
) -> dict[str, Any]:
    if schemas is None:
        option_type = _infer_type(fake, value)
    else:
        schema = next((s for s in schemas if s["name"] == name), None)
        if schema is None:
            raise FakeDiscordError(f"the synced command has no option {name!r}")
        option_type = schema["type"]
        if not focused:
            _check_choice(name, value, schema)

    # Discord sends what the user has typed so far in a focused option, always as text.
    if focused:
        return {"name": name, "type": option_type, "value": str(value), "focused": True}

    if option_type == ATTACHMENT:
        key = str(int(value))
        if int(value) not in fake.uploads:
            raise FakeDiscordError(f"no uploaded attachment {value}; use fake.upload() first")
        resolved.setdefault("attachments", {})[key] = fake.uploads[int(value)]
        return {"name": name, "type": option_type, "value": key}
    if option_type in _SNOWFLAKE_TYPES:
        option_type = _resolve(fake, guild, user_id, int(value), option_type, resolved)
        return {"name": name, "type": option_type, "value": str(int(value))}
    return {"name": name, "type": option_type, "value": _convert(value, option_type)}


def _check_choice(name: str, value: Any, schema: dict[str, Any]) -> None:
    choices = schema.get("choices")
    if choices and value not in [choice["value"] for choice in choices]:
        raise FakeDiscordError(f"option {name!r} accepts only its choices, not {value!r}")


def _convert(value: Any, option_type: int) -> Any:
    if option_type == INTEGER:
        return int(value)
    if option_type == NUMBER:
        return float(value)
    if option_type == BOOLEAN:
        return bool(value)
    return str(value)


def _infer_type(fake: "FakeDiscord", value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, int):
        # Snowflakes are unique across the fake, so a known id identifies the kind of object.
        if value in fake.channels:
            return CHANNEL
        if value in fake.users:
            return USER
        if any(value in guild.roles for guild in fake.guilds.values()):
            return ROLE
        return INTEGER
    return STRING


def _resolve(
    fake: "FakeDiscord",
    guild: FakeGuild,
    user_id: int,
    target_id: int,
    option_type: int,
    resolved: dict[str, dict[str, Any]],
) -> int:
    """Add the object behind an id to ``resolved`` and return the option type to send."""
    key = str(target_id)
    if option_type == CHANNEL:
        resolved.setdefault("channels", {})[key] = _resolved_channel(fake, target_id, user_id)
        return option_type

    if option_type in (USER, MENTIONABLE) and target_id in fake.users:
        resolved.setdefault("users", {})[key] = fake.users[target_id]
        member = guild.members.get(target_id)
        if member is not None:
            data = member.payload(permissions=guild.base_permissions(target_id))
            del data["user"]
            resolved.setdefault("members", {})[key] = data
        return option_type

    if option_type in (ROLE, MENTIONABLE) and target_id in guild.roles:
        resolved.setdefault("roles", {})[key] = guild.roles[target_id].payload()
        return option_type
    raise FakeDiscordError(f"no user or role {target_id} in guild {guild.id}")


def _resolved_channel(fake: "FakeDiscord", channel_id: int, user_id: int) -> dict[str, Any]:
    channel = fake.channels.get(channel_id)
    if channel is None:
        raise FakeDiscordError(f"no channel {channel_id} in any guild")

    # The channel keeps its own guild_id, so a test can pass a channel of another guild.
    owner = fake.guilds[channel.guild_id]
    permissions = owner.permissions_in(channel_id, user_id) if user_id in owner.members else 0
    data = channel.payload()
    data["permissions"] = str(permissions)
    return data
