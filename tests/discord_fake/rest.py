"""REST routes of the fake Discord server: login, commands, channels, messages and threads."""

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_fake import payloads
from tests.discord_fake import permissions as perm
from tests.discord_fake.messages import check_body, create_message, edit_message
from tests.discord_fake.model import FakeChannel
from tests.discord_fake.recording import body_of, error_response, files_of, json_response

if TYPE_CHECKING:
    from tests.discord_fake.server import FakeDiscord

_UNKNOWN_CHANNEL = (404, "Unknown Channel", 10003)
_MISSING_ACCESS = (403, "Missing Access", 50001)
_MISSING_PERMISSIONS = (403, "Missing Permissions", 50013)
_MESSAGE_CHANNEL_TYPES = (payloads.TEXT_CHANNEL, payloads.PUBLIC_THREAD, payloads.DM_CHANNEL)


def _error(error: tuple[int, str, int]) -> web.Response:
    return error_response(*error)


class RestRoutes:
    """Handlers of the authenticated REST routes the bot uses."""

    def __init__(self, fake: "FakeDiscord") -> None:
        self.fake = fake

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """Return the route table under ``prefix``."""
        app = prefix + "/applications/{app}"
        channel = prefix + "/channels/{cid}"
        return [
            web.get(prefix + "/users/@me", self.get_me),
            web.post(prefix + "/users/@me/channels", self.create_dm),
            web.get(prefix + "/oauth2/applications/@me", self.get_application),
            web.get(prefix + "/gateway", self.get_gateway),
            web.get(prefix + "/gateway/bot", self.get_gateway_bot),
            web.put(app + "/commands", self.put_commands),
            web.get(app + "/commands", self.get_commands),
            web.put(app + "/guilds/{gid}/commands", self.put_commands),
            web.get(app + "/guilds/{gid}/commands", self.get_commands),
            web.get(channel, self.get_channel),
            web.get(channel + "/messages", self.get_messages),
            web.post(channel + "/messages", self.post_message),
            web.get(channel + "/messages/{mid}", self.get_message),
            web.patch(channel + "/messages/{mid}", self.patch_message),
            web.delete(channel + "/messages/{mid}", self.delete_message),
            web.post(channel + "/threads", self.post_thread),
            web.post(channel + "/messages/{mid}/threads", self.post_thread),
        ]

    def cdn_routes(self, prefix: str) -> list[web.RouteDef]:
        """Return the routes serving uploaded attachments under ``prefix``."""
        return [web.get(prefix + "/attachments/{cid}/{aid}/{name}", self.get_attachment)]

    async def get_attachment(self, request: web.Request) -> web.Response:
        """Return the bytes of an uploaded attachment."""
        data = self.fake.attachments.get(int(request.match_info["aid"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def get_me(self, request: web.Request) -> web.Response:
        """Return the bot user."""
        return json_response(self.fake.client_user)

    async def get_application(self, request: web.Request) -> web.Response:
        """Return the bot's application."""
        app = payloads.application_payload(
            self.fake.application_id, "arxiv-digest", self.fake.bot_user
        )
        return json_response(app)

    async def create_dm(self, request: web.Request) -> web.Response:
        """Return the direct message channel with a user, creating it the first time."""
        body = body_of(request) or {}
        recipient = self.fake.users.get(int(body.get("recipient_id") or 0))
        if recipient is None or recipient["id"] == str(self.fake.bot_user_id):
            return error_response(400, "Invalid Recipient(s)", 50033)

        for channel in self.fake.channels.values():
            if channel.is_dm and channel.recipient == recipient:
                return json_response(channel.payload())
        channel = FakeChannel(
            id=self.fake.snowflakes.next(),
            guild_id=0,
            name="",
            type=payloads.DM_CHANNEL,
            position=0,
            recipient=recipient,
        )
        self.fake.register_channel(channel)
        return json_response(channel.payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        """Return the gateway URL."""
        return json_response({"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        """Return the gateway URL with sharding advice (used only by AutoShardedClient)."""
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        body = {"url": self.fake.gateway_url, "shards": 1, "session_start_limit": limit}
        return json_response(body)

    async def put_commands(self, request: web.Request) -> web.Response:
        """Replace the global or guild commands and echo them with ids."""
        if request.match_info["app"] != str(self.fake.application_id):
            return error_response(403, "Missing Access", 50001)
        guild_id = int(request.match_info["gid"]) if "gid" in request.match_info else None
        if guild_id is not None and guild_id not in self.fake.guilds:
            return error_response(404, "Unknown Guild", 10004)

        commands = [self._command(body, guild_id) for body in body_of(request) or []]
        self.fake.commands[guild_id] = commands
        return json_response(commands)

    async def get_commands(self, request: web.Request) -> web.Response:
        """Return the global or guild commands."""
        guild_id = int(request.match_info["gid"]) if "gid" in request.match_info else None
        return json_response(self.fake.commands.get(guild_id, []))

    def _command(self, body: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
        command = {
            **body,
            "id": str(self.fake.snowflakes.next()),
            "application_id": str(self.fake.application_id),
            "version": str(self.fake.snowflakes.next()),
            "type": body.get("type", 1),
        }
        command.setdefault("description", "")
        command.setdefault("options", [])
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        return command

    def _visible_channel(self, request: web.Request) -> FakeChannel | web.Response:
        channel = self.fake.channels.get(int(request.match_info["cid"]))
        if channel is None:
            return _error(_UNKNOWN_CHANNEL)
        if not self._bot_permissions(channel) & perm.VIEW_CHANNEL:
            return _error(_MISSING_ACCESS)
        return channel

    def _bot_permissions(self, channel: FakeChannel) -> int:
        if channel.is_dm:
            return perm.DM_PERMISSIONS
        guild = self.fake.guilds[channel.guild_id]
        return guild.permissions_in(channel.id, self.fake.bot_user_id)

    async def get_channel(self, request: web.Request) -> web.Response:
        """Return a channel the bot can see."""
        channel = self._visible_channel(request)
        if isinstance(channel, web.Response):
            return channel
        return json_response(channel.payload())

    async def get_messages(self, request: web.Request) -> web.Response:
        """Return stored messages newest first, paged by ``before``/``after`` like Discord."""
        channel = self._visible_channel(request)
        if isinstance(channel, web.Response):
            return channel
        if not self._bot_permissions(channel) & perm.READ_MESSAGE_HISTORY:
            # Discord returns an empty page, not an error, without Read Message History.
            return json_response([])

        limit = max(1, min(100, int(request.query.get("limit", "50"))))
        messages = channel.messages
        if "before" in request.query:
            messages = [m for m in messages if int(m["id"]) < int(request.query["before"])]
        if "after" in request.query:
            after = [m for m in messages if int(m["id"]) > int(request.query["after"])]
            return json_response(list(reversed(after[:limit])))
        return json_response(list(reversed(messages[-limit:])))

    async def get_message(self, request: web.Request) -> web.Response:
        """Return one stored message."""
        channel = self._visible_channel(request)
        if isinstance(channel, web.Response):
            return channel
        message = _find(channel, request.match_info["mid"])
        if message is None:
            return error_response(404, "Unknown Message", 10008)
        return json_response(message)

    async def post_message(self, request: web.Request) -> web.Response:
        """Create a message, or return the earlier one with the same enforced nonce."""
        channel = self._visible_channel(request)
        if isinstance(channel, web.Response):
            return channel
        return self._post(channel, body_of(request) or {}, files_of(request))

    def _post(self, channel: FakeChannel, body: dict[str, Any], files: list[Any]) -> web.Response:
        if channel.type not in _MESSAGE_CHANNEL_TYPES:
            return error_response(400, "Cannot send messages in a non-text channel", 50008)
        recipient = channel.recipient
        if recipient is not None and int(recipient["id"]) in self.fake.closed_dms:
            return error_response(403, "Cannot send messages to this user", 50007)

        permissions = self._bot_permissions(channel)
        needed = perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else perm.SEND_MESSAGES
        if files:
            needed |= perm.ATTACH_FILES
        if permissions & needed != needed:
            return _error(_MISSING_PERMISSIONS)
        if not permissions & perm.EMBED_LINKS:
            # NOTE: Discord drops the embeds of a bot without Embed Links, so an embed-only
            # message becomes empty and is rejected (50006). This is modelled, not measured.
            body = {**body, "embeds": []}

        earlier = self._nonce_match(channel, body)
        if earlier is not None:
            return json_response(earlier)
        error = check_body(body, len(files))
        if error is not None:
            return error

        can_everyone = bool(permissions & perm.MENTION_EVERYONE)
        message = create_message(self.fake, channel, body, files, can_mention_everyone=can_everyone)
        self.fake.store.add(channel, message, ephemeral=False)
        if body.get("nonce") is not None:
            self.fake.nonces[(channel.id, str(body["nonce"]))] = (time.monotonic(), message)
        return json_response(message)

    def _nonce_match(self, channel: FakeChannel, body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("nonce") is None or not body.get("enforce_nonce"):
            return None
        entry = self.fake.nonces.get((channel.id, str(body["nonce"])))
        if entry is None or time.monotonic() - entry[0] > self.fake.nonce_window:
            return None
        return entry[1]

    async def patch_message(self, request: web.Request) -> web.Response:
        """Edit a message the bot posted."""
        channel = self._visible_channel(request)
        if isinstance(channel, web.Response):
            return channel
        message = _find(channel, request.match_info["mid"])
        if message is None:
            return error_response(404, "Unknown Message", 10008)
        if message["author"]["id"] != str(self.fake.bot_user_id):
            return error_response(403, "Cannot edit a message authored by another user", 50005)

        body = body_of(request) or {}
        merged = {key: message.get(key) for key in ("content", "embeds", "components")}
        merged.update({k: v for k, v in body.items() if k in merged})
        error = check_body(merged, len(files_of(request)) + len(message["attachments"]))
        if error is not None:
            return error
        edit_message(self.fake, message, body, files_of(request))
        self.fake.store.updated(message)
        return json_response(message)

    async def delete_message(self, request: web.Request) -> web.Response:
        """Delete a message."""
        channel = self._visible_channel(request)
        if isinstance(channel, web.Response):
            return channel
        message = _find(channel, request.match_info["mid"])
        if message is None:
            return error_response(404, "Unknown Message", 10008)
        self.fake.store.delete(int(message["id"]))
        return web.Response(status=204)

    async def post_thread(self, request: web.Request) -> web.Response:
        """Create a public thread in a text channel, or a post in a forum channel."""
        channel = self._visible_channel(request)
        if isinstance(channel, web.Response):
            return channel
        if channel.type not in (payloads.TEXT_CHANNEL, payloads.FORUM_CHANNEL):
            return error_response(400, "Invalid channel type for a thread", 50024)
        needed = perm.CREATE_PUBLIC_THREADS | perm.SEND_MESSAGES
        if self._bot_permissions(channel) & needed != needed:
            return _error(_MISSING_PERMISSIONS)

        body = body_of(request) or {}
        is_forum = channel.type == payloads.FORUM_CHANNEL
        if is_forum:
            error = check_body(body.get("message") or {}, len(files_of(request)))
            if error is not None:
                return error

        start_id = request.match_info.get("mid")
        if start_id is not None and _find(channel, start_id) is None:
            return error_response(404, "Unknown Message", 10008)

        guild = self.fake.guilds[channel.guild_id]
        archive = int(body.get("auto_archive_duration") or 1440)
        thread_id = guild.add_thread(
            channel.id,
            body["name"],
            self.fake.bot_user_id,
            archive,
            thread_id=None if start_id is None else int(start_id),
        )
        thread = guild.channels[thread_id]
        if not is_forum:
            return json_response(thread.payload())

        # A forum post is a thread whose first message comes in the same request.
        response = self._post(thread, body.get("message") or {}, files_of(request))
        if response.status != 200:
            return response
        return json_response({**thread.payload(), "message": thread.messages[-1]})


def _find(channel: FakeChannel, message_id: str) -> dict[str, Any] | None:
    return next((m for m in channel.messages if m["id"] == message_id), None)
