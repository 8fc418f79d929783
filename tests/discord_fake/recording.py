"""Request recording, fault injection and JSON responses of the fake Discord server."""

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

# discord.py 2.7 parses a body as JSON only when Content-Type is exactly this string.
# aiohttp's json_response() adds "; charset=utf-8", so discord.py would read the body as text.
JSON_CONTENT_TYPE = "application/json"

_DEFAULT_ERRORS: dict[int, tuple[str, int]] = {
    400: ("400: Bad Request", 0),
    401: ("401: Unauthorized", 0),
    403: ("Missing Permissions", 50013),
    404: ("Unknown Channel", 10003),
    429: ("You are being rate limited.", 0),
}


class FakeDiscordError(Exception):
    """A test asked the fake Discord server for something it cannot do."""


@dataclass(frozen=True)
class RecordedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the fake received, with ``path`` relative to ``/api/v10``.

    ``json`` is the JSON body, or the parsed ``payload_json`` part of a multipart body.
    ``time`` is ``time.monotonic()`` at arrival, and ``status`` the response status code.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    time: float
    files: list[RecordedFile] = field(default_factory=list)
    status: int | None = None


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Build a response whose Content-Type is exactly ``application/json``."""
    all_headers = {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)


def error_response(
    status: int, message: str, code: int, errors: dict[str, Any] | None = None
) -> web.Response:
    """Build a Discord error response (``{"message", "code"}`` and optional ``errors``)."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


_BODY_KEY = web.RequestKey("fake_discord_body", object)
_FILES_KEY = web.RequestKey("fake_discord_files", list)


def body_of(request: web.Request) -> Any:
    """Return the parsed body that the middleware stored on the request."""
    return request[_BODY_KEY]


def files_of(request: web.Request) -> list[RecordedFile]:
    """Return the uploaded files that the middleware stored on the request."""
    files: list[RecordedFile] = request[_FILES_KEY]
    return files


async def store_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    """Read and parse the request body once and keep it on the request for the handler."""
    body, files = await read_body(request)
    request[_BODY_KEY] = body
    request[_FILES_KEY] = files
    return body, files


async def read_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    """Parse a request body: JSON, or multipart with a ``payload_json`` part and files."""
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(request)
    if not request.can_read_body:
        return None, []

    text = await request.text()
    if not text:
        return None, []
    return json.loads(text), []


async def _read_multipart(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    reader = await request.multipart()
    payload: Any = None
    files: list[RecordedFile] = []
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        data = await part.read()
        if part.name == "payload_json":
            payload = json.loads(data)
        else:
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            files.append(RecordedFile(part.name or "", part.filename, content_type, bytes(data)))
    return payload, files


@dataclass
class Fault:
    """An injected error returned instead of the real response to matching requests."""

    method: str | None
    path_pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int
    # When true, the request takes effect first, as when Discord stores a message and the
    # response is lost on the way back.
    after_handling: bool = False

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to a request."""
        method_ok = self.method is None or self.method == method
        return method_ok and self.path_pattern.fullmatch(path) is not None

    def response(self) -> web.Response:
        """Build the error response, as JSON unless the body is a string."""
        if isinstance(self.body, str):
            headers = {"Content-Type": "text/html", **self.headers}
            return web.Response(status=self.status, text=self.body, headers=headers)
        return json_response(self.body, self.status, self.headers)


class FaultInjector:
    """Queue of injected faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(
        self,
        method: str | None,
        path_regex: str,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        after_handling: bool = False,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status``.

        With ``after_handling`` the request is carried out before the error is returned.
        A 429 gets the ``Via`` header and a JSON ``retry_after`` unless ``headers`` or
        ``body`` are given, because discord.py retries a 429 only when both are there.
        """
        if body is None:
            body = default_error_body(status)
        if headers is None:
            headers = {"Via": "1.1 google"} if status == 429 else {}
        fault = Fault(
            method.upper() if method else None,
            re.compile(path_regex),
            status,
            body,
            headers,
            times,
            after_handling,
        )
        self.faults.append(fault)
        return fault

    def add_rate_limit(
        self,
        method: str | None,
        path_regex: str,
        *,
        retry_after: float,
        is_global: bool,
        times: int,
    ) -> Fault:
        """Answer the next matching requests with a 429 that discord.py honours and retries."""
        body = default_error_body(429, retry_after)
        body["global"] = is_global
        headers = {"Via": "1.1 google", "Retry-After": str(max(1, round(retry_after)))}
        if is_global:
            headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
        return self.add(method, path_regex, 429, body, headers=headers, times=times)

    def take(self, method: str, path: str) -> Fault | None:
        """Return and use up the first fault matching a request, if any."""
        for fault in self.faults:
            if fault.remaining > 0 and fault.matches(method, path):
                fault.remaining -= 1
                return fault
        return None


def default_error_body(status: int, retry_after: float = 0.05) -> dict[str, Any]:
    """Build the body Discord sends with ``status``."""
    if status == 429:
        return {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
        }
    message, code = _DEFAULT_ERRORS.get(status, (f"{status}: Server Error", 0))
    return {"message": message, "code": code}


def record(
    request: web.Request, path: str, body: Any, files: list[RecordedFile]
) -> RecordedRequest:
    """Build the record of a request."""
    return RecordedRequest(
        method=request.method,
        path=path,
        query=dict(request.query),
        headers=dict(request.headers),
        json=body,
        time=time.monotonic(),
        files=files,
    )
