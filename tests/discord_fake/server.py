"""A Discord server on 127.0.0.1 speaking REST API v10 and the gateway, for end-to-end tests.

The real discord.py client connects to it once ``redirect_discordpy()`` has pointed
``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` at it. The fake records
every request, can inject errors, contains guilds with Discord's permission maths, and dispatches
interactions whose responses it records.
"""

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

import discord
import yarl
from aiohttp import web

from tests.discord_fake import interactions as ix
from tests.discord_fake import payloads
from tests.discord_fake import permissions as perm
from tests.discord_fake.gateway import INVALID_SESSION, RECONNECT, Gateway
from tests.discord_fake.messages import MessageStore
from tests.discord_fake.model import FakeChannel, FakeGuild
from tests.discord_fake.recording import (
    FakeDiscordError,
    FaultInjector,
    RecordedRequest,
    error_response,
    record,
    store_body,
)
from tests.discord_fake.rest import RestRoutes
from tests.discord_fake.signals import ChangeSignal
from tests.discord_fake.webhooks import WebhookRoutes

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
# Bit of the GUILD_MESSAGES intent: without it Discord sends no MESSAGE_* events.
_GUILD_MESSAGES_INTENT = 1 << 9


class FakeDiscord:
    """A Discord server for one test: REST, gateway, guilds, recording and fault injection.

    The bot user id equals the application id, as it does for recently created Discord
    applications. Non-ephemeral interaction responses are stored in their channel, like any
    message.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        guilds_in_ready: bool = True,
        heartbeat_interval_ms: int = 41250,
        interaction_deadline: float = 3.0,
        nonce_window: float = 300.0,
    ) -> None:
        self.token = token
        self.guilds_in_ready = guilds_in_ready
        self.interaction_deadline = interaction_deadline
        self.nonce_window = nonce_window
        self.snowflakes = payloads.Snowflakes()
        self.application_id = self.bot_user_id = self.snowflakes.next()
        # The bot's public user object (message authors) and its own view (READY, /users/@me).
        self.bot_user = payloads.user_payload(self.bot_user_id, "arxiv-digest", bot=True)
        self.client_user = payloads.client_user_payload(self.bot_user_id, "arxiv-digest")
        self.users: dict[int, dict[str, Any]] = {self.bot_user_id: self.bot_user}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, ix.InteractionRecord] = {}
        self.nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self.attachments: dict[int, bytes] = {}
        # Files a user attached to a slash command option, by attachment id.
        self.uploads: dict[int, dict[str, Any]] = {}
        # Ids of users who accept no direct messages from the bot (Discord answers 403, 50007).
        self.closed_dms: set[int] = set()
        self.requests: list[RecordedRequest] = []
        self.faults = FaultInjector()
        self.changed = ChangeSignal()
        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        self.store = MessageStore(self._dispatch_message, self.changed)
        self._runner: web.AppRunner | None = None
        self._port = 0

    # Lifecycle and URLs

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(middlewares=[self._middleware])
        rest = RestRoutes(self)
        app.add_routes(rest.routes(API_PREFIX))
        app.add_routes(rest.cdn_routes("/cdn"))
        app.add_routes(WebhookRoutes(self).routes(API_PREFIX))
        app.add_routes([web.get("/gateway", self.gateway.handle)])
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        log.debug("Fake Discord listening on port %d", self._port)

    async def close(self) -> None:
        """Close the gateway connections and stop listening."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """The REST base URL, like ``http://127.0.0.1:PORT/api/v10``."""
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The gateway websocket URL."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    @property
    def cdn_url(self) -> str:
        """The base URL of assets and attachments."""
        return f"http://127.0.0.1:{self._port}/cdn"

    @contextlib.contextmanager
    def redirect_discordpy(self) -> Iterator[None]:
        """Point discord.py's REST, gateway and CDN base URLs here, restoring them on exit."""
        route = discord.http.Route
        socket = discord.gateway.DiscordWebSocket
        asset = discord.asset.Asset
        saved = (route.BASE, socket.DEFAULT_GATEWAY, asset.BASE)
        route.BASE = self.base_url
        socket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        asset.BASE = self.cdn_url
        try:
            yield
        finally:
            route.BASE, socket.DEFAULT_GATEWAY, asset.BASE = saved

    # Guilds, channels, users and messages

    def add_guild(
        self,
        name: str = "Test guild",
        *,
        system_channel: str | None = None,
        bot_permissions: int = perm.DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = perm.DEFAULT_EVERYONE_PERMISSIONS,
    ) -> FakeGuild:
        """Create a guild the bot is in, with ``system_channel`` naming a text channel to create."""
        guild = FakeGuild(
            self,
            self.snowflakes.next(),
            name,
            bot_permissions=bot_permissions,
            everyone_permissions=everyone_permissions,
        )
        if system_channel is not None:
            guild.system_channel_id = guild.add_text_channel(system_channel)
        self.guilds[guild.id] = guild
        # A guild added after READY reaches the bot like a guild that invites it.
        self.gateway.dispatch("GUILD_CREATE", guild.payload())
        return guild

    def guild(self, guild_id: int) -> FakeGuild:
        """Return a guild by id."""
        if guild_id not in self.guilds:
            raise FakeDiscordError(f"no guild {guild_id}")
        return self.guilds[guild_id]

    def channel(self, channel_id: int) -> FakeChannel:
        """Return a channel or thread of any guild by id."""
        if channel_id not in self.channels:
            raise FakeDiscordError(f"no channel {channel_id}")
        return self.channels[channel_id]

    def upload(self, filename: str, data: bytes, content_type: str = "text/plain") -> int:
        """Store a file as a user would attach it to a command; return its attachment id.

        Pass the id as the value of an attachment option; the bot downloads the bytes from
        the fake's CDN route.
        """
        attachment_id = self.snowflakes.next()
        self.attachments[attachment_id] = data
        url = f"{self.cdn_url}/attachments/0/{attachment_id}/{filename}"
        self.uploads[attachment_id] = payloads.attachment_payload(
            attachment_id, filename, len(data), content_type, url
        )
        return attachment_id

    def messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Return the messages stored in a channel, oldest first, as Discord returns them."""
        return list(self.channel(channel_id).messages)

    def direct_messages(self, user_id: int) -> list[dict[str, Any]]:
        """Return the messages the bot sent to a user directly, oldest first."""
        user = self.users.get(user_id)
        channels = [c for c in self.channels.values() if c.is_dm and c.recipient == user]
        return [message for channel in channels for message in channel.messages]

    def register_channel(self, channel: FakeChannel) -> None:
        """Make a channel reachable by id."""
        self.channels[channel.id] = channel

    def user(self, user_id: int | None, name: str) -> dict[str, Any]:
        """Return the user object of ``user_id``, creating the user if it is new."""
        if user_id is None:
            user_id = self.snowflakes.next()
        if user_id not in self.users:
            self.users[user_id] = payloads.user_payload(user_id, name)
        return self.users[user_id]

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch an event about a guild, once the bot has that guild."""
        if int(data.get("guild_id") or 0) in self.guilds:
            self.gateway.dispatch(event, data)

    def _dispatch_message(self, event: str, channel: FakeChannel, data: dict[str, Any]) -> None:
        # NOTE: direct messages dispatch no events; the bot never reads them.
        if not self.intents & _GUILD_MESSAGES_INTENT or channel.is_dm:
            return
        data = {**data, "guild_id": str(channel.guild_id)}
        if event != "MESSAGE_DELETE":
            member = self.guilds[channel.guild_id].members[self.bot_user_id].payload()
            del member["user"]
            data["member"] = member
        self.emit(event, data)

    # Commands

    @property
    def registered_commands(self) -> list[dict[str, Any]]:
        """Every synced command, global ones first. Guild commands carry ``guild_id``."""
        ordered = sorted(self.commands.items(), key=lambda item: item[0] is not None)
        return [command for _, commands in ordered for command in commands]

    def find_command(self, name: str, guild_id: int) -> tuple[dict[str, Any] | None, int | None]:
        """Find a synced command by name, the guild's first, and return it with its guild id."""
        for command in self.commands.get(guild_id, []):
            if command["name"] == name:
                return command, guild_id
        for command in self.commands.get(None, []):
            if command["name"] == name:
                return command, None
        return None, None

    # Interactions

    async def invoke(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | None = None,
    ) -> ix.InteractionRecord:
        """Send a slash command, where ``name`` is the path as typed, like ``"digest create"``.

        Option types come from the synced command. Without one, a known channel, user or role
        id becomes that kind of option. Await ``wait_for_reply()`` on the result.
        """
        self._check_channel_guild(guild_id, channel_id)
        return ix.invoke(self, channel_id, user_id, name, options or {})

    async def autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Send an autocomplete request for option ``focused`` and return the bot's choices."""
        self._check_channel_guild(guild_id, channel_id)
        record = ix.invoke(self, channel_id, user_id, name, options, focused=focused)
        await record.changed.wait_until(
            lambda: record.choices is not None, timeout, f"autocomplete choices for /{name}"
        )
        return record.choices or []

    async def click(
        self, message_id: int, custom_id: str, user_id: int, *, values: list[str] | None = None
    ) -> ix.InteractionRecord:
        """Press a button (or pick select ``values``) on a message the bot sent."""
        return ix.click(self, message_id, custom_id, user_id, values)

    async def submit_modal(
        self, record: ix.InteractionRecord, values: Mapping[str, Any]
    ) -> ix.InteractionRecord:
        """Submit the modal the bot opened for ``record``, with ``values`` by custom id."""
        return ix.submit_modal(self, record, values)

    def _check_channel_guild(self, guild_id: int, channel_id: int) -> None:
        if self.channel(channel_id).guild_id != guild_id:
            raise FakeDiscordError(f"channel {channel_id} is not in guild {guild_id}")

    # Gateway

    @property
    def intents(self) -> int:
        """The intents of the bot's last IDENTIFY (0 before it)."""
        identifies = [f["d"] for f in self.gateway.received if f.get("op") == 2]
        return int(identifies[-1].get("intents") or 0) if identifies else 0

    async def wait_until_identified(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until the bot has sent IDENTIFY ``count`` times in total."""
        await self.gateway.changed.wait_until(
            lambda: self.gateway.identify_count >= count, timeout, f"IDENTIFY number {count}"
        )

    async def wait_until_resumed(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until the bot has resumed ``count`` times in total."""
        await self.gateway.changed.wait_until(
            lambda: self.gateway.resume_count >= count, timeout, f"RESUME number {count}"
        )

    async def settle(self, timeout: float = 5.0) -> None:
        """Return once the bot has parsed every gateway event sent so far."""
        await self.gateway.round_trip(timeout)

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT, so the bot reconnects and resumes."""
        self.gateway.send_op(RECONNECT, None)

    async def send_invalid_session(self, resumable: bool) -> None:
        """Send op 9 INVALID_SESSION. With ``resumable`` False the bot identifies again."""
        self.gateway.send_op(INVALID_SESSION, resumable)

    async def close_gateway(self, code: int, reason: str = "") -> None:
        """Close the bot's websocket with ``code`` (4004 and 4010-4014 are fatal)."""
        self.gateway.close_current(code, reason)

    def ready_payload(self, session_id: str, shard: list[int] | None) -> dict[str, Any]:
        """Build READY with full guilds, or unavailable stubs when GUILD_CREATEs follow."""
        if self.guilds_in_ready:
            guilds = [guild.payload() for guild in self.guilds.values()]
        else:
            guilds = [{"id": str(gid), "unavailable": True} for gid in self.guilds]
        return payloads.ready_payload(
            self.client_user, guilds, session_id, self.gateway_url, self.application_id, shard
        )

    def guild_create_payloads(self) -> list[dict[str, Any]]:
        """Build the GUILD_CREATEs that follow READY (none when READY has full guilds)."""
        if self.guilds_in_ready:
            return []
        return [guild.payload() for guild in self.guilds.values()]

    def members_chunk(self, guild_id: int, nonce: str | None) -> dict[str, Any]:
        """Build a GUILD_MEMBERS_CHUNK with every member of a guild."""
        members = [member.payload() for member in self.guild(guild_id).members.values()]
        return payloads.members_chunk_payload(guild_id, members, nonce)

    # Recording and faults

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Return the recorded requests with ``method`` whose path matches ``path_regex``."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def fail_next(
        self,
        method: str | None,
        path_regex: str,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        after_handling: bool = False,
    ) -> None:
        """Respond to the next ``times`` matching requests with an error, not the real response.

        ``path_regex`` must match the whole path after ``/api/v10``, and ``method`` None
        matches any method. A 429 gets ``Via`` and ``retry_after`` unless ``headers`` or
        ``body`` are given, and a string ``body`` is sent as HTML. With ``after_handling``
        the request is carried out first (a message is stored), and only its response is
        replaced by the error.
        """
        self.faults.add(
            method,
            path_regex,
            status,
            body,
            headers=headers,
            times=times,
            after_handling=after_handling,
        )

    def rate_limit_next(
        self,
        method: str | None,
        path_regex: str,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        times: int = 1,
    ) -> None:
        """Respond to the next matching requests with a 429 that discord.py honours and retries."""
        self.faults.add_rate_limit(
            method, path_regex, retry_after=retry_after, is_global=is_global, times=times
        )

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)

        path = request.path.removeprefix(API_PREFIX)
        body, files = await store_body(request)
        entry = record(request, path, body, files)
        self.requests.append(entry)

        response = await self._respond(request, handler, path)
        entry.status = response.status
        self.changed.notify()
        return response

    async def _respond(self, request: web.Request, handler: Any, path: str) -> web.StreamResponse:
        fault = self.faults.take(request.method, path)
        if fault is not None and not fault.after_handling:
            return fault.response()

        # Interaction callbacks and token webhooks carry no Authorization header.
        unauthenticated = path.startswith(("/interactions/", "/webhooks/"))
        if not unauthenticated and request.headers.get("Authorization") != f"Bot {self.token}":
            return error_response(401, "401: Unauthorized", 0)

        try:
            response = await handler(request)
        except web.HTTPException as exc:
            log.warning("Fake Discord has no route %s %s (%d)", request.method, path, exc.status)
            return error_response(exc.status, f"{exc.status}: {exc.reason}", 0)
        return fault.response() if fault is not None else response
