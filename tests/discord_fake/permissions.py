"""Discord permission bits and Discord's permission maths for a member in a channel.

The maths is written from Discord's documented algorithm (base permissions from @everyone and
the member's roles, Administrator and ownership grant everything, then the channel's
@everyone, role and member overwrites in that order) and does not reuse discord.py's, so a
test that compares the two checks discord.py's side as well.
"""

from collections.abc import Iterable
from typing import Any

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

# What a new guild's @everyone role gets, restricted to the permissions this fake checks.
DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# The bot role's permissions: the ones a digest bot requests in its invite link.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# What the bot may do in a direct message channel whose recipient accepts messages.
DM_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY

# Without Send Messages, Discord also withholds these, whatever the overwrites allow.
_NEEDS_SEND_MESSAGES = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS

ROLE_OVERWRITE = 0
MEMBER_OVERWRITE = 1


def apply_overwrites(
    permissions: int,
    overwrites: Iterable[dict[str, Any]],
    everyone_id: int,
    role_ids: Iterable[int],
    member_id: int,
) -> int:
    """Apply a channel's overwrites: @everyone, then all the member's roles, then the member."""
    by_target = {(int(o["id"]), o["type"]): o for o in overwrites}
    everyone = by_target.get((everyone_id, ROLE_OVERWRITE))
    if everyone is not None:
        permissions = (permissions & ~int(everyone["deny"])) | int(everyone["allow"])

    allow = deny = 0
    for role_id in role_ids:
        overwrite = by_target.get((role_id, ROLE_OVERWRITE))
        if overwrite is not None:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
    permissions = (permissions & ~deny) | allow

    member = by_target.get((member_id, MEMBER_OVERWRITE))
    if member is not None:
        permissions = (permissions & ~int(member["deny"])) | int(member["allow"])
    return permissions


def restrict_implied(permissions: int) -> int:
    """Drop what Discord withholds without View Channel (everything) or Send Messages."""
    if not permissions & VIEW_CHANNEL:
        return 0
    if not permissions & SEND_MESSAGES:
        permissions &= ~_NEEDS_SEND_MESSAGES
    return permissions
