"""The gateway websocket of the fake Discord server.

Frames go out as uncompressed JSON text: discord.py requests ``compress=zlib-stream`` but only
decompresses binary frames, so plain text frames work. Every connection has one writer task,
so frames leave in the order they were queued, and dispatches get consecutive sequence numbers.
"""

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from tests.discord_fake.signals import ChangeSignal

log = logging.getLogger(__name__)

DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Close code Discord sends for a wrong token. discord.py treats it as fatal.
AUTHENTICATION_FAILED = 4004

# Events kept per session for replay on RESUME, far more than a test sends.
_HISTORY_LIMIT = 1000


class GatewayHost(Protocol):
    """What the gateway needs from the server that owns it."""

    token: str

    @property
    def gateway_url(self) -> str:
        """The websocket URL, sent as ``resume_gateway_url``."""

    def ready_payload(self, session_id: str, shard: list[int] | None) -> dict[str, Any]:
        """Build the READY dispatch."""

    def guild_create_payloads(self) -> list[dict[str, Any]]:
        """Build the GUILD_CREATE dispatches that follow READY (empty if READY has them)."""

    def members_chunk(self, guild_id: int, nonce: str | None) -> dict[str, Any]:
        """Build the GUILD_MEMBERS_CHUNK sent in response to a request for a guild's members."""


@dataclass
class _Close:
    code: int
    message: str


class GatewayConnection:
    """One websocket connection from the bot, with an ordered outgoing queue."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self._queue: asyncio.Queue[str | _Close] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_frames())

    def send(self, frame: dict[str, Any]) -> None:
        """Queue a frame for sending."""
        self._queue.put_nowait(json.dumps(frame))

    def close(self, code: int, message: str = "") -> None:
        """Queue a close frame after the frames already queued."""
        self._queue.put_nowait(_Close(code, message))

    async def stop(self) -> None:
        """Stop the writer task."""
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer

    async def _write_frames(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code, message=item.message.encode())
                    return
                await self.ws.send_str(item)
            except ConnectionError:
                log.debug("Gateway connection closed while sending a frame")
                return


@dataclass
class GatewaySession:
    """A gateway session: its id, last sequence number and the events sent in it."""

    session_id: str
    sequence: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    connection: GatewayConnection | None = None

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Number a dispatch, keep it for replay and send it if the bot is connected."""
        self.sequence += 1
        frame = {"op": DISPATCH, "s": self.sequence, "t": event, "d": data}
        self.history.append(frame)
        del self.history[:-_HISTORY_LIMIT]
        if self.connection is not None:
            self.connection.send(frame)


class Gateway:
    """Gateway endpoint: HELLO, heartbeats, IDENTIFY, RESUME and dispatches to the bot."""

    def __init__(self, host: GatewayHost, *, heartbeat_interval_ms: int = 41250) -> None:
        self._host = host
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.session: GatewaySession | None = None
        self.received: list[dict[str, Any]] = []
        self.identify_count = 0
        self.resume_count = 0
        self.heartbeat_count = 0
        self.changed = ChangeSignal()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one websocket connection until either side closes it."""
        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        connection = GatewayConnection(ws)
        self.connections.append(connection)
        connection.send({"op": HELLO, "s": None, "t": None, "d": self._hello()})
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                await self._on_frame(connection, json.loads(message.data))
        finally:
            await connection.stop()
            self.connections.remove(connection)
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
            self.changed.notify()
        return ws

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch in the current session, or drop it before the first IDENTIFY."""
        if self.session is not None:
            self.session.dispatch(event, data)

    def send_op(self, op: int, data: Any) -> None:
        """Send a non-dispatch frame on the current connection."""
        self._current_connection().send({"op": op, "s": None, "t": None, "d": data})

    def close_current(self, code: int, message: str = "") -> None:
        """Close the current connection with ``code`` (4004 and 4010-4014 are fatal)."""
        self._current_connection().close(code, message)

    async def round_trip(self, timeout: float = 5.0) -> None:
        """Return once the bot has processed every frame sent before this call.

        The server requests a heartbeat (op 1). The bot reads frames in order and sends the
        heartbeat at once, so it arrives after the bot parsed all earlier dispatches.
        """
        expected = self.heartbeat_count + 1
        self.send_op(HEARTBEAT, None)
        await self.changed.wait_until(
            lambda: self.heartbeat_count >= expected, timeout, "the bot's heartbeat"
        )

    async def close(self) -> None:
        """Close every open connection."""
        for connection in list(self.connections):
            connection.close(1001, "server shutting down")
        for connection in list(self.connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.ws.close(), 1.0)

    def _hello(self) -> dict[str, Any]:
        return {"heartbeat_interval": self.heartbeat_interval_ms}

    def _current_connection(self) -> GatewayConnection:
        if self.session is None or self.session.connection is None:
            raise RuntimeError("gateway: no bot is connected")
        return self.session.connection

    async def _on_frame(self, connection: GatewayConnection, frame: dict[str, Any]) -> None:
        self.received.append(frame)
        op = frame.get("op")
        data: Any = frame.get("d")
        if op == HEARTBEAT:
            connection.send({"op": HEARTBEAT_ACK, "s": None, "t": None, "d": None})
            self.heartbeat_count += 1
        elif op == IDENTIFY:
            self._identify(connection, data)
        elif op == RESUME:
            self._resume(connection, data)
        elif op == REQUEST_GUILD_MEMBERS:
            self._send_members(connection, data)
        self.changed.notify()

    def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self._host.token:
            log.warning("Gateway IDENTIFY with a wrong token, closing with 4004")
            connection.close(AUTHENTICATION_FAILED, "Authentication failed.")
            return

        session = GatewaySession(session_id=secrets.token_hex(16), connection=connection)
        self.sessions[session.session_id] = session
        self.session = session
        connection.session = session
        self.identify_count += 1

        session.dispatch("READY", self._host.ready_payload(session.session_id, data.get("shard")))
        for guild in self._host.guild_create_payloads():
            session.dispatch("GUILD_CREATE", guild)

    def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self._host.token:
            connection.close(AUTHENTICATION_FAILED, "Authentication failed.")
            return

        session = self.sessions.get(data.get("session_id") or "")
        if session is None:
            connection.send({"op": INVALID_SESSION, "s": None, "t": None, "d": False})
            return

        session.connection = connection
        connection.session = session
        self.session = session
        self.resume_count += 1
        for frame in session.history:
            if frame["s"] > (data.get("seq") or 0):
                connection.send(frame)
        session.dispatch("RESUMED", {})

    def _send_members(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = connection.session
        if session is None:
            return
        guild_ids = data.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        for guild_id in guild_ids:
            chunk = self._host.members_chunk(int(guild_id), data.get("nonce"))
            session.dispatch("GUILD_MEMBERS_CHUNK", chunk)
