"""Creating, editing and checking messages, shared by channel posts and interaction replies."""

from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from tests.discord_fake import payloads, validation
from tests.discord_fake.model import FakeChannel
from tests.discord_fake.recording import FakeDiscordError, RecordedFile, error_response
from tests.discord_fake.signals import ChangeSignal

EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Flags a bot may set when it sends or edits a message: SUPPRESS_EMBEDS, EPHEMERAL,
# SUPPRESS_NOTIFICATIONS and IS_COMPONENTS_V2.
_SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)


class MessageHost(Protocol):
    """What message creation needs from the server."""

    snowflakes: payloads.Snowflakes
    bot_user: dict[str, Any]
    attachments: dict[int, bytes]
    users: dict[int, dict[str, Any]]

    @property
    def cdn_url(self) -> str:
        """Base URL of the fake's attachment store."""


class MessageStore:
    """Every message the bot sent, by id, with non-ephemeral ones also in their channel.

    ``dispatch`` sends MESSAGE_CREATE, MESSAGE_UPDATE and MESSAGE_DELETE to the bot.
    """

    def __init__(
        self,
        dispatch: Callable[[str, FakeChannel, dict[str, Any]], None],
        changed: ChangeSignal,
    ) -> None:
        self._dispatch = dispatch
        self._changed = changed
        self._index: dict[int, tuple[FakeChannel, dict[str, Any]]] = {}

    def add(self, channel: FakeChannel, message: dict[str, Any], *, ephemeral: bool) -> None:
        """Store a new message, keeping an ephemeral one out of the channel history."""
        self._index[int(message["id"])] = (channel, message)
        if not ephemeral:
            channel.messages.append(message)
            self._dispatch("MESSAGE_CREATE", channel, message)
        self._changed.notify()

    def updated(self, message: dict[str, Any]) -> None:
        """Announce a message that was edited in place."""
        channel, _ = self.find(int(message["id"]))
        if message in channel.messages:
            self._dispatch("MESSAGE_UPDATE", channel, message)
        self._changed.notify()

    def delete(self, message_id: int) -> None:
        """Delete a message."""
        channel, message = self._index.pop(message_id)
        if message in channel.messages:
            channel.messages.remove(message)
            data = {"id": str(message_id), "channel_id": str(channel.id)}
            self._dispatch("MESSAGE_DELETE", channel, data)
        self._changed.notify()

    def find(self, message_id: int) -> tuple[FakeChannel, dict[str, Any]]:
        """Return a message the bot sent (ephemeral ones too) and its channel."""
        if message_id not in self._index:
            raise FakeDiscordError(f"no message {message_id}")
        return self._index[message_id]


def check_body(body: dict[str, Any], file_count: int) -> web.Response | None:
    """Return the 400 response Discord sends for an invalid or empty message, else None."""
    errors = validation.message_errors(body)
    if errors:
        return error_response(400, "Invalid Form Body", 50035, errors)
    if validation.is_empty(body, file_count):
        return error_response(400, "Cannot send an empty message", 50006)
    return None


def create_message(
    host: MessageHost,
    channel: FakeChannel,
    body: dict[str, Any],
    files: list[RecordedFile],
    *,
    message_type: int = 0,
    webhook_id: int | None = None,
    can_mention_everyone: bool = True,
) -> dict[str, Any]:
    """Build a message posted by the bot from a request body, without storing it."""
    flags = int(body.get("flags") or 0) & _SETTABLE_FLAGS
    attachments = _attachments(host, channel.id, body, files)
    message = payloads.message_payload(
        host.snowflakes.next(),
        channel.id,
        host.bot_user,
        body,
        message_type=message_type,
        flags=flags,
        webhook_id=webhook_id,
        application_id=webhook_id,
        attachments=attachments,
    )
    _fill_mentions(host, message, body, can_mention_everyone)
    return message


def edit_message(
    host: MessageHost,
    message: dict[str, Any],
    body: dict[str, Any],
    files: list[RecordedFile],
) -> None:
    """Apply an edit request to a stored message in place, as Discord does."""
    for key in ("embeds", "components"):
        if key in body:
            message[key] = body[key] or []
    if "content" in body:
        message["content"] = body["content"] or ""
    if "flags" in body and body["flags"] is not None:
        fixed_flags = int(message["flags"]) & ~_SETTABLE_FLAGS & ~LOADING
        message["flags"] = fixed_flags | (int(body["flags"]) & _SETTABLE_FLAGS)
    else:
        message["flags"] = int(message["flags"]) & ~LOADING

    if "attachments" in body or files:
        keep_ids = {str(a.get("id")) for a in body.get("attachments") or []}
        kept_attachments = [a for a in message["attachments"] if a["id"] in keep_ids]
        new_attachments = _attachments(host, int(message["channel_id"]), body, files)
        message["attachments"] = kept_attachments + new_attachments

    _fill_mentions(host, message, {**body, "content": message["content"]}, True)
    message["edited_timestamp"] = payloads.iso_now()


def _attachments(
    host: MessageHost, channel_id: int, body: dict[str, Any], files: list[RecordedFile]
) -> list[dict[str, Any]]:
    # discord.py names the parts "files[N]" and lists {"id": N, "filename"} under attachments.
    names = {
        str(entry.get("id")): entry.get("filename")
        for entry in body.get("attachments") or []
        if isinstance(entry, dict)
    }
    result = []
    for file in files:
        index = file.field.removeprefix("files[").removesuffix("]")
        filename = names.get(index) or file.filename or "file"
        attachment_id = host.snowflakes.next()
        host.attachments[attachment_id] = file.data
        url = f"{host.cdn_url}/attachments/{channel_id}/{attachment_id}/{filename}"
        result.append(
            payloads.attachment_payload(
                attachment_id, filename, len(file.data), file.content_type, url
            )
        )
    return result


def _fill_mentions(
    host: MessageHost, message: dict[str, Any], body: dict[str, Any], can_everyone: bool
) -> None:
    users, roles, everyone = validation.resolve_mentions(
        message["content"], body.get("allowed_mentions"), can_mention_everyone=can_everyone
    )
    message["mentions"] = [host.users[user_id] for user_id in users if user_id in host.users]
    message["mention_roles"] = [str(role_id) for role_id in roles]
    message["mention_everyone"] = everyone
