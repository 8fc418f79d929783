"""Guilds, channels, roles and members of the fake Discord server."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tests.discord_fake import payloads
from tests.discord_fake.permissions import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    EMBED_LINKS,
    ROLE_OVERWRITE,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    apply_overwrites,
    restrict_implied,
)


class GuildHost(Protocol):
    """What a guild needs from the server that owns it."""

    snowflakes: payloads.Snowflakes
    bot_user_id: int

    def register_channel(self, channel: "FakeChannel") -> None:
        """Make a channel reachable by id across all guilds."""

    def user(self, user_id: int | None, name: str) -> dict[str, Any]:
        """Return the stored user object for ``user_id``, creating it if it is new."""

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch a gateway event to the connected bot, if any."""


@dataclass
class FakeRole:
    """A guild role."""

    id: int
    name: str
    permissions: int
    position: int
    bot_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """Build the role object."""
        return payloads.role_payload(
            self.id, self.name, self.permissions, self.position, bot_id=self.bot_id
        )


@dataclass
class FakeMember:
    """A guild member: a user with roles in one guild."""

    user: dict[str, Any]
    role_ids: list[int]
    joined_at: str

    @property
    def id(self) -> int:
        """The member's user id."""
        return int(self.user["id"])

    def payload(self, *, permissions: int | None = None) -> dict[str, Any]:
        """Build the member object, with ``permissions`` for interaction payloads."""
        return payloads.member_payload(
            self.user, self.role_ids, self.joined_at, permissions=permissions
        )


@dataclass
class FakeChannel:
    """A guild channel or thread, with the messages posted in it in order."""

    id: int
    guild_id: int
    name: str
    type: int
    position: int
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    topic: str | None = None
    parent_id: int | None = None
    owner_id: int | None = None
    recipient: dict[str, Any] | None = None
    auto_archive_duration: int = 1440
    created_at: str = field(default_factory=payloads.iso_now)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        """Whether the channel is a thread."""
        return self.type == payloads.PUBLIC_THREAD

    @property
    def is_dm(self) -> bool:
        """Whether the channel is a direct message channel, which belongs to no guild."""
        return self.type == payloads.DM_CHANNEL

    def payload(self) -> dict[str, Any]:
        """Build the channel, thread or direct message channel object."""
        last_id = int(self.messages[-1]["id"]) if self.messages else None
        if self.is_dm:
            assert self.recipient is not None
            return payloads.dm_channel_payload(self.id, self.recipient, last_id)
        if self.is_thread:
            assert self.parent_id is not None and self.owner_id is not None
            thread = payloads.thread_payload(
                self.id,
                self.guild_id,
                self.parent_id,
                self.owner_id,
                self.name,
                message_count=len(self.messages),
                auto_archive_duration=self.auto_archive_duration,
                created_at=self.created_at,
            )
            thread["last_message_id"] = None if last_id is None else str(last_id)
            return thread
        return payloads.channel_payload(
            self.id,
            self.guild_id,
            self.name,
            self.type,
            self.position,
            self.overwrites,
            topic=self.topic,
            parent_id=self.parent_id,
            last_message_id=last_id,
        )


class FakeGuild:
    """A guild with the @everyone role, a bot role, the bot's member and its owner."""

    def __init__(
        self,
        host: GuildHost,
        guild_id: int,
        name: str,
        *,
        bot_permissions: int,
        everyone_permissions: int,
    ) -> None:
        self._host = host
        self.id = guild_id
        self.name = name
        self.joined_at = payloads.iso_now()
        self.system_channel_id: int | None = None
        self.roles: dict[int, FakeRole] = {}
        self.members: dict[int, FakeMember] = {}
        self.channels: dict[int, FakeChannel] = {}

        # Discord gives the @everyone role the guild's own id.
        self.roles[guild_id] = FakeRole(guild_id, "@everyone", everyone_permissions, 0)
        self.bot_role_id = self._new_role("arxiv-digest", bot_permissions, host.bot_user_id)
        bot = host.user(host.bot_user_id, "bot")
        self.members[host.bot_user_id] = FakeMember(bot, [self.bot_role_id], self.joined_at)
        self.owner_id = self.add_member(name=f"{name} owner")

    @property
    def everyone_role_id(self) -> int:
        """The id of the @everyone role, equal to the guild id."""
        return self.id

    def add_role(self, name: str, permissions: int = 0) -> int:
        """Create a role and return its id."""
        role_id = self._new_role(name, permissions, None)
        self._host.emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": self.roles[role_id].payload()}
        )
        return role_id

    def add_member(
        self,
        user_id: int | None = None,
        *,
        name: str = "member",
        permissions: int = 0,
        role_ids: Iterable[int] = (),
    ) -> int:
        """Add a member and return its user id.

        A non-zero ``permissions`` (Manage Server is 0x20, Administrator 0x8) becomes a role of
        the member's own, so both ``interaction.permissions`` and the cached
        ``Member.guild_permissions`` show it.
        """
        user = self._host.user(user_id, name)
        roles = list(role_ids)
        if permissions:
            roles.append(self.add_role(f"{name} role", permissions))

        member = FakeMember(user, roles, payloads.iso_now())
        self.members[member.id] = member
        return member.id

    def add_text_channel(
        self,
        name: str,
        *,
        bot_can_post: bool = True,
        bot_can_embed: bool = True,
        bot_can_view: bool = True,
        topic: str | None = None,
    ) -> int:
        """Create a text channel and return its id.

        Each ``False`` flag adds an overwrite on the bot's role that denies Send Messages,
        Embed Links or View Channel in this channel.
        """
        deny = 0
        if not bot_can_post:
            deny |= SEND_MESSAGES
        if not bot_can_embed:
            deny |= EMBED_LINKS
        if not bot_can_view:
            deny |= VIEW_CHANNEL

        overwrites = []
        if deny:
            overwrites.append(payloads.overwrite_payload(self.bot_role_id, ROLE_OVERWRITE, 0, deny))
        return self._add_channel(name, payloads.TEXT_CHANNEL, overwrites, topic=topic).id

    def deny_bot(self, channel_id: int, *, send_messages: bool = True) -> None:
        """Deny the bot's role Send Messages in a channel, as an admin editing it would."""
        channel = self.channels[channel_id]
        deny = SEND_MESSAGES if send_messages else 0
        channel.overwrites.append(
            payloads.overwrite_payload(self.bot_role_id, ROLE_OVERWRITE, 0, deny)
        )
        self._host.emit("CHANNEL_UPDATE", channel.payload())

    def add_forum_channel(self, name: str) -> int:
        """Create a forum channel and return its id."""
        return self._add_channel(name, payloads.FORUM_CHANNEL, []).id

    def add_thread(
        self,
        parent_id: int,
        name: str,
        owner_id: int,
        archive_minutes: int = 1440,
        *,
        thread_id: int | None = None,
    ) -> int:
        """Create a public thread in ``parent_id`` and return its id.

        A thread started from a message takes that message's id, as on Discord.
        """
        thread = FakeChannel(
            id=thread_id or self._host.snowflakes.next(),
            guild_id=self.id,
            name=name,
            type=payloads.PUBLIC_THREAD,
            position=0,
            parent_id=parent_id,
            owner_id=owner_id,
            auto_archive_duration=archive_minutes,
        )
        self._register(thread)
        data = thread.payload()
        data["newly_created"] = True
        self._host.emit("THREAD_CREATE", data)
        return thread.id

    def base_permissions(self, user_id: int) -> int:
        """Compute a member's guild-wide permissions."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS

        permissions = self.roles[self.id].permissions
        for role_id in self.members[user_id].role_ids:
            permissions |= self.roles[role_id].permissions
        if permissions & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return permissions

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """Compute a member's permissions in a channel or thread of this guild."""
        permissions = self.base_permissions(user_id)
        if permissions & ADMINISTRATOR or user_id == self.owner_id:
            return ALL_PERMISSIONS

        channel = self.channels[channel_id]
        # A thread has no overwrites of its own: it follows its parent channel.
        if channel.is_thread and channel.parent_id is not None:
            channel = self.channels[channel.parent_id]
        role_ids = self.members[user_id].role_ids
        permissions = apply_overwrites(permissions, channel.overwrites, self.id, role_ids, user_id)
        return restrict_implied(permissions)

    def payload(self) -> dict[str, Any]:
        """Build the full guild object of READY and GUILD_CREATE."""
        channels = [c for c in self.channels.values() if not c.is_thread]
        threads = [c for c in self.channels.values() if c.is_thread]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "features": [],
            "application_id": None,
            "system_channel_id": None
            if self.system_channel_id is None
            else str(self.system_channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "roles": [role.payload() for role in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "joined_at": self.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [member.payload() for member in self.members.values()],
            "channels": [channel.payload() for channel in channels],
            "threads": [thread.payload() for thread in threads],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _new_role(self, name: str, permissions: int, bot_id: int | None) -> int:
        role_id = self._host.snowflakes.next()
        self.roles[role_id] = FakeRole(role_id, name, permissions, len(self.roles), bot_id)
        return role_id

    def _add_channel(
        self,
        name: str,
        channel_type: int,
        overwrites: list[dict[str, Any]],
        *,
        topic: str | None = None,
    ) -> FakeChannel:
        position = sum(1 for c in self.channels.values() if not c.is_thread)
        channel = FakeChannel(
            id=self._host.snowflakes.next(),
            guild_id=self.id,
            name=name,
            type=channel_type,
            position=position,
            overwrites=overwrites,
            topic=topic,
        )
        self._register(channel)
        self._host.emit("CHANNEL_CREATE", channel.payload())
        return channel

    def _register(self, channel: FakeChannel) -> None:
        self.channels[channel.id] = channel
        self._host.register_channel(channel)
