"""Interaction callbacks and the interaction webhook (followups and ``@original``).

These routes carry no Authorization header in discord.py 2.7: the interaction id and token in
the path are the credentials. A response is allowed within 3 seconds of the interaction (the
fake's ``interaction_deadline``), and only once.
"""

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_fake import interactions as ix
from tests.discord_fake.messages import EPHEMERAL, LOADING, check_body, create_message, edit_message
from tests.discord_fake.recording import body_of, error_response, files_of, json_response

if TYPE_CHECKING:
    from tests.discord_fake.server import FakeDiscord

# Discord's message type for the messages sent in response to a slash command.
CHAT_INPUT_COMMAND = 20


def _unknown_interaction() -> web.Response:
    return error_response(404, "Unknown interaction", 10062)


def _unknown_webhook() -> web.Response:
    return error_response(404, "Unknown Webhook", 10015)


def _unknown_message() -> web.Response:
    return error_response(404, "Unknown Message", 10008)


class WebhookRoutes:
    """Handlers of ``/interactions/...`` and ``/webhooks/{application}/{token}/...``."""

    def __init__(self, fake: "FakeDiscord") -> None:
        self.fake = fake

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """Return the route table under ``prefix``."""
        hook = prefix + "/webhooks/{app}/{token}"
        return [
            web.post(prefix + "/interactions/{iid}/{token}/callback", self.callback),
            web.post(hook, self.followup),
            web.get(hook + "/messages/{mid}", self.get_message),
            web.patch(hook + "/messages/{mid}", self.edit),
            web.delete(hook + "/messages/{mid}", self.delete),
        ]

    async def callback(self, request: web.Request) -> web.Response:
        """Record the first response to an interaction."""
        record = self.fake.interactions.get(int(request.match_info["iid"]))
        if record is None or record.token != request.match_info["token"]:
            return _unknown_interaction()
        if time.monotonic() - record.created_at > self.fake.interaction_deadline:
            return _unknown_interaction()
        if record.callbacks:
            return error_response(400, "Interaction has already been acknowledged.", 40060)

        body = body_of(request) or {}
        callback_type = body.get("type")
        if not isinstance(callback_type, int):
            return error_response(400, "Invalid Form Body", 50035)
        data = body.get("data") or {}
        result = self._apply_callback(record, callback_type, data, request)
        if isinstance(result, web.Response):
            return result

        record.callbacks.append(body)
        record.changed.notify()
        return json_response(self._callback_body(record, callback_type, result))

    def _apply_callback(
        self,
        record: ix.InteractionRecord,
        callback_type: Any,
        data: dict[str, Any],
        request: web.Request,
    ) -> web.Response | ix.ReplyMessage | None:
        """Apply a callback and return the message it shows, None, or an error response."""
        files = files_of(request)
        if (record.type == ix.AUTOCOMPLETE) != (callback_type == ix.AUTOCOMPLETE_RESULT):
            return error_response(400, "Interaction callback type is not valid here", 50035)
        if callback_type == ix.CHANNEL_MESSAGE:
            error = check_body(data, len(files))
            if error is not None:
                return error
            record.original = self._new_message(record, data, files)
            return record.original
        if callback_type == ix.DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            record.original = self._new_message(record, {}, [], flags=flags)
            return record.original
        if callback_type in (ix.DEFERRED_UPDATE_MESSAGE, ix.UPDATE_MESSAGE):
            return self._update_source(record, callback_type, data, request)
        if callback_type == ix.AUTOCOMPLETE_RESULT:
            record.choices = list(data.get("choices") or [])
            return None
        if callback_type == ix.MODAL and record.type != ix.MODAL_SUBMIT:
            record.modal = data
            return None
        return error_response(400, "Interaction callback type is not valid here", 50035)

    def _update_source(
        self,
        record: ix.InteractionRecord,
        callback_type: int,
        data: dict[str, Any],
        request: web.Request,
    ) -> web.Response | ix.ReplyMessage:
        if record.source is None:
            return error_response(400, "Interaction has no message to update", 50035)
        if callback_type == ix.UPDATE_MESSAGE:
            edit_message(self.fake, record.source.payload, data, files_of(request))
            self.fake.store.updated(record.source.payload)
        record.original = record.source
        return record.source

    def _new_message(
        self,
        record: ix.InteractionRecord,
        body: dict[str, Any],
        files: list[Any],
        *,
        flags: int | None = None,
    ) -> ix.ReplyMessage:
        """Create and store a message of the interaction, with ``flags`` replacing the body's."""
        channel = self.fake.channel(record.channel_id)
        message = create_message(
            self.fake,
            channel,
            body,
            files,
            message_type=CHAT_INPUT_COMMAND if record.type == ix.APPLICATION_COMMAND else 0,
            webhook_id=self.fake.application_id,
        )
        if flags is not None:
            message["flags"] = flags
        message["interaction_metadata"] = {
            "id": str(record.id),
            "type": record.type,
            "user": self.fake.users[record.user_id],
            "authorizing_integration_owners": {"0": str(record.guild_id)},
        }
        self.fake.store.add(channel, message, ephemeral=bool(message["flags"] & EPHEMERAL))
        return ix.ReplyMessage(message)

    def _callback_body(
        self, record: ix.InteractionRecord, callback_type: int, message: ix.ReplyMessage | None
    ) -> dict[str, Any]:
        interaction: dict[str, Any] = {"id": str(record.id), "type": record.type}
        body: dict[str, Any] = {"interaction": interaction}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            interaction["response_message_loading"] = message.loading
            interaction["response_message_ephemeral"] = message.ephemeral
            body["resource"] = {"type": callback_type, "message": message.payload}
        return body

    def _record_for_webhook(self, request: web.Request) -> ix.InteractionRecord | None:
        if request.match_info["app"] != str(self.fake.application_id):
            return None
        token = request.match_info["token"]
        record = next((r for r in self.fake.interactions.values() if r.token == token), None)
        # Before the first callback the interaction webhook does not exist yet.
        if record is None or not record.callbacks:
            return None
        return record

    async def followup(self, request: web.Request) -> web.Response:
        """Create a followup message. The first one after a defer fills the placeholder.

        A followup sent after the bot deleted the placeholder becomes a new message.
        """
        record = self._record_for_webhook(request)
        if record is None:
            return _unknown_webhook()
        body = body_of(request) or {}
        files = files_of(request)
        error = check_body(body, len(files))
        if error is not None:
            return error

        original = None if record.original_deleted else record.original
        if record.response_type == ix.DEFERRED_CHANNEL_MESSAGE and original and original.loading:
            # The placeholder keeps the ephemeral choice made when deferring.
            edit_message(self.fake, original.payload, {**body, "flags": original.flags}, files)
            self.fake.store.updated(original.payload)
            message = original
        else:
            message = self._new_message(record, body, files)
        record.followups.append(message)
        record.changed.notify()

        if request.query.get("wait", "false").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_response(message.payload)

    def _find(self, record: ix.InteractionRecord, message_id: str) -> ix.ReplyMessage | None:
        if message_id == "@original":
            return None if record.original_deleted else record.original
        candidates = [record.original, *record.followups]
        return next((m for m in candidates if m is not None and str(m.id) == message_id), None)

    async def get_message(self, request: web.Request) -> web.Response:
        """Return the original response or a followup."""
        record = self._record_for_webhook(request)
        if record is None:
            return _unknown_webhook()
        message = self._find(record, request.match_info["mid"])
        return _unknown_message() if message is None else json_response(message.payload)

    async def edit(self, request: web.Request) -> web.Response:
        """Edit the original response or a followup."""
        record = self._record_for_webhook(request)
        if record is None:
            return _unknown_webhook()
        message = self._find(record, request.match_info["mid"])
        if message is None:
            return _unknown_message()

        body = body_of(request) or {}
        merged = {key: message.payload.get(key) for key in ("content", "embeds", "components")}
        merged.update({k: v for k, v in body.items() if k in merged})
        error = check_body(merged, len(files_of(request)) + len(message.attachments))
        if error is not None:
            return error

        edit_message(self.fake, message.payload, body, files_of(request))
        self.fake.store.updated(message.payload)
        record.edits.append(body)
        record.changed.notify()
        return json_response(message.payload)

    async def delete(self, request: web.Request) -> web.Response:
        """Delete the original response or a followup."""
        record = self._record_for_webhook(request)
        if record is None:
            return _unknown_webhook()
        message = self._find(record, request.match_info["mid"])
        if message is None:
            return _unknown_message()

        self.fake.store.delete(message.id)
        if message is record.original:
            record.original_deleted = True
        record.changed.notify()
        return web.Response(status=204)
