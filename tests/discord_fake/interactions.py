"""Interactions sent to the bot and the record of how the bot responded to each one."""

import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.discord_fake import options, payloads
from tests.discord_fake.messages import EPHEMERAL, LOADING
from tests.discord_fake.model import FakeChannel
from tests.discord_fake.recording import FakeDiscordError
from tests.discord_fake.signals import ChangeSignal

if TYPE_CHECKING:
    from tests.discord_fake.server import FakeDiscord

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Interaction callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9


@dataclass
class ReplyMessage:
    """A message sent in response to an interaction, read from the live stored message."""

    payload: dict[str, Any]

    @property
    def id(self) -> int:
        """The message id."""
        return int(self.payload["id"])

    @property
    def content(self) -> str:
        """The message text."""
        return str(self.payload["content"])

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The embeds, as the bot sent them."""
        return list(self.payload["embeds"])

    @property
    def components(self) -> list[dict[str, Any]]:
        """The components (action rows with buttons and selects)."""
        return list(self.payload["components"])

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """The attached files."""
        return list(self.payload["attachments"])

    @property
    def flags(self) -> int:
        """The message flags."""
        return int(self.payload["flags"])

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees the message."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is the "thinking" placeholder of a deferred response."""
        return bool(self.flags & LOADING)


class InteractionRecord:
    """An interaction sent to the bot, with every callback, edit and followup the bot sent."""

    def __init__(
        self, payload: dict[str, Any], *, name: str, source: ReplyMessage | None = None
    ) -> None:
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.name = name
        self.guild_id = int(payload["guild_id"])
        self.channel_id = int(payload["channel_id"])
        self.user_id = int(payload["member"]["user"]["id"])
        self.created_at = time.monotonic()
        self.source = source
        self.callbacks: list[dict[str, Any]] = []
        self.original: ReplyMessage | None = None
        self.followups: list[ReplyMessage] = []
        self.edits: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] | None = None
        self.modal: dict[str, Any] | None = None
        self.original_deleted = False
        self.changed = ChangeSignal()

    @property
    def response_type(self) -> int | None:
        """The callback type of the first response (4 message, 5 defer, 8 autocomplete...)."""
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def deferred(self) -> bool:
        """Whether the bot deferred its response."""
        return self.response_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def messages(self) -> list[ReplyMessage]:
        """Every message shown for this interaction, in order, without the loading placeholder."""
        return list(self._iter_messages())

    @property
    def reply(self) -> ReplyMessage | None:
        """The final answer: the response message, or after a defer the edit or first followup."""
        if self.response_type in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            return self.original
        if self.deferred:
            if self.original is not None and self.edits and not self.original.loading:
                return self.original
            if self.followups:
                return self.followups[0]
        return None

    async def wait_for_reply(self, timeout: float = 5.0) -> ReplyMessage:
        """Wait until the bot has sent its final answer, and return it."""
        await self.changed.wait_until(lambda: self.reply is not None, timeout, self._describe())
        assert self.reply is not None
        return self.reply

    async def wait_for_response(self, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the first callback (any type) and return its request body."""
        await self.changed.wait_until(lambda: bool(self.callbacks), timeout, self._describe())
        return self.callbacks[0]

    def _iter_messages(self) -> Iterator[ReplyMessage]:
        seen: set[int] = set()
        candidates = [self.original] if not self.original_deleted else []
        for message in [*candidates, *self.followups]:
            if message is None or message.loading or message.id in seen:
                continue
            seen.add(message.id)
            yield message

    def _describe(self) -> str:
        types = [callback["type"] for callback in self.callbacks]
        return f"the reply to interaction {self.name!r} (callbacks so far: {types})"


def _channel_with_permissions(channel: FakeChannel, permissions: int) -> dict[str, Any]:
    data = channel.payload()
    data["permissions"] = str(permissions)
    return data


def send_interaction(
    fake: "FakeDiscord",
    channel_id: int,
    user_id: int,
    interaction_type: int,
    data: dict[str, Any],
    *,
    name: str,
    source: ReplyMessage | None = None,
) -> InteractionRecord:
    """Dispatch an INTERACTION_CREATE from ``user_id`` in ``channel_id`` and record it."""
    channel = fake.channel(channel_id)
    guild = fake.guild(channel.guild_id)
    if user_id not in guild.members:
        raise FakeDiscordError(f"user {user_id} is not a member of guild {guild.id}")

    member_permissions = guild.permissions_in(channel_id, user_id)
    payload = payloads.interaction_payload(
        interaction_id=fake.snowflakes.next(),
        application_id=fake.application_id,
        interaction_type=interaction_type,
        token=secrets.token_urlsafe(32),
        data=data,
        guild_id=guild.id,
        channel=_channel_with_permissions(channel, member_permissions),
        member=guild.members[user_id].payload(permissions=member_permissions),
        app_permissions=guild.permissions_in(channel_id, fake.bot_user_id),
        message=None if source is None else source.payload,
    )
    record = InteractionRecord(payload, name=name, source=source)
    fake.interactions[record.id] = record
    fake.gateway.dispatch("INTERACTION_CREATE", payload)
    return record


def invoke(
    fake: "FakeDiscord",
    channel_id: int,
    user_id: int,
    path: str,
    values: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> InteractionRecord:
    """Dispatch a slash command (or its autocomplete when ``focused`` names an option)."""
    guild = fake.guild(fake.channel(channel_id).guild_id)
    data = options.command_data(fake, guild, user_id, path, values, focused=focused)
    interaction_type = APPLICATION_COMMAND if focused is None else AUTOCOMPLETE
    return send_interaction(fake, channel_id, user_id, interaction_type, data, name=path)


def click(
    fake: "FakeDiscord", message_id: int, custom_id: str, user_id: int, values: list[str] | None
) -> InteractionRecord:
    """Dispatch a button press or select choice on a message the bot sent."""
    channel, message = fake.store.find(message_id)
    component = _find_component(message.get("components") or [], custom_id)
    if component is None:
        raise FakeDiscordError(f"message {message_id} has no component {custom_id!r}")

    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
    if values is not None:
        data["values"] = values
    source = ReplyMessage(message)
    return send_interaction(
        fake, channel.id, user_id, MESSAGE_COMPONENT, data, name=custom_id, source=source
    )


def submit_modal(
    fake: "FakeDiscord", record: InteractionRecord, values: Mapping[str, Any]
) -> InteractionRecord:
    """Dispatch the submission of the modal the bot opened in answer to ``record``."""
    if record.modal is None:
        raise FakeDiscordError(f"interaction {record.name!r} was not answered with a modal")

    components = [_fill_component(c, values) for c in record.modal.get("components") or []]
    data = {"custom_id": record.modal["custom_id"], "components": components}
    return send_interaction(
        fake, record.channel_id, record.user_id, MODAL_SUBMIT, data, name=data["custom_id"]
    )


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        children = list(component.get("components") or [])
        if component.get("component"):
            children.append(component["component"])
        found = _find_component(children, custom_id)
        if found is not None:
            return found
    return None


def _fill_component(component: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a modal component into its submitted form: text inputs get a value, selects values."""
    if component["type"] == 1:
        children = [_fill_component(c, values) for c in component["components"]]
        return {"type": 1, "components": children}
    if component["type"] == 18:
        return {"type": 18, "component": _fill_component(component["component"], values)}

    custom_id = component.get("custom_id")
    submitted: dict[str, Any] = {"type": component["type"], "custom_id": custom_id}
    if component["type"] == 4:
        submitted["value"] = str(values.get(custom_id or "", ""))
    else:
        submitted["values"] = list(values.get(custom_id or "", []))
    return submitted
