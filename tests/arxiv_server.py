"""A fake arXiv on 127.0.0.1 for tests: serves saved feeds and API responses, injects faults.

    async with ArxivFake() as fake:
        fake.set_feed("cs.AI", ARXIV_FIXTURES / "rss-stat-2024-03-26.xml")
        fake.inject("429", retry_after="1")
        client = ArxivClient(session, rss_base_url=fake.rss_base_url, ...)

Faults are used one per request, in the order they were injected, before the normal
response. Every request is recorded with its path, query, headers and arrival time
(`time.monotonic()`, comparable with the client's clock because both run in one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from aiohttp import web

from tests.paths import ARXIV_FIXTURES

ERROR_FEED = ARXIV_FIXTURES / "api-error-malformed-id-abc-http400.atom"
EMPTY_API_FEED = ARXIV_FIXTURES / "api-idlist-0000.0000-empty.atom"
EMPTY_RSS_FEED = ARXIV_FIXTURES / "rss-cs.AI-2024-03-30-empty-weekend-constructed.xml"
MALFORMED_XML = b"<?xml version='1.0' encoding='UTF-8'?>\n<feed><entry><title>cut off"
RATE_EXCEEDED = b"Rate exceeded."

FAULT_KINDS = (
    "429",
    "503",
    "reset",
    "timeout",
    "empty",
    "rate-exceeded",
    "malformed",
    "error-entry",
)

ApiResponder = Callable[[Mapping[str, str]], "bytes | tuple[bytes, int]"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the fake received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: float

    @property
    def user_agent(self) -> str | None:
        """The request's User-Agent header."""
        return self.headers.get("User-Agent")


@dataclass(frozen=True, slots=True)
class Fault:
    """A misbehaviour served in place of one normal response."""

    kind: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 5.0
    total_results: int = 0
    path: str = ""


class ArxivFake:
    """An aiohttp server that imitates rss.arxiv.org and export.arxiv.org/api/query."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._feeds: dict[str, bytes] = {}
        self._api: ApiResponder | None = None
        self._faults: list[Fault] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

        app = web.Application()
        app.router.add_get("/rss/{categories}", self._handle_feed)
        app.router.add_get("/atom/{categories}", self._handle_feed)
        app.router.add_get("/api/query", self._handle_api)
        self._app = app

    async def __aenter__(self) -> ArxivFake:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._runner = web.AppRunner(self._app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Stop the server and end at once any request still sleeping in a timeout fault."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """The server's root URL."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def rss_base_url(self) -> str:
        """The value for the client's `rss_base_url`."""
        return f"{self.base_url}/rss"

    @property
    def api_base_url(self) -> str:
        """The value for the client's `api_base_url`."""
        return f"{self.base_url}/api/query"

    def set_feed(self, categories: str | Sequence[str], source: Path | bytes) -> None:
        """Serve `source` (a file or bytes) at `/rss/<categories>` and `/atom/<categories>`."""
        key = categories if isinstance(categories, str) else "+".join(categories)
        self._feeds[key] = source if isinstance(source, bytes) else source.read_bytes()

    def set_api_response(self, source: Path | bytes | ApiResponder, status: int = 200) -> None:
        """Serve `/api/query` from a file, bytes, or a function of the query parameters.

        The function returns the body, or `(body, status)`.
        """
        if callable(source):
            self._api = source
            return
        body = source if isinstance(source, bytes) else source.read_bytes()
        self._api = lambda query: (body, status)

    def inject(
        self,
        kind: str,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        delay: float = 5.0,
        total_results: int = 0,
        path: str = "",
    ) -> None:
        """Queue a fault for the next request whose path starts with `path`.

        Kinds:
        - `429`, `503`: that status, with `retry_after` as the Retry-After header.
        - `reset`: the connection is closed without a response.
        - `timeout`: the response comes after `delay` seconds.
        - `empty`: a feed without entries, whose API total is `total_results`.
        - `rate-exceeded`: the plain text "Rate exceeded.".
        - `malformed`: XML cut off in the middle.
        - `error-entry`: the API's Error feed, with HTTP 400 unless `status` is given.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault {kind!r}. Use one of {', '.join(FAULT_KINDS)}.")
        self._faults.append(Fault(kind, status, retry_after, delay, total_results, path))

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        """Return the recorded requests whose path starts with `path_prefix`."""
        return [request for request in self.requests if request.path.startswith(path_prefix)]

    async def _handle_feed(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        fault = self._take_fault(request.path)
        if fault is not None:
            return await self._serve_fault(request, fault, api=False)

        body = self._feeds.get(request.match_info["categories"])
        if body is None:
            return web.Response(status=404, text="Not Found", content_type="text/plain")

        etag = f'"{hashlib.sha1(body).hexdigest()}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, content_type="application/rss+xml", charset="utf-8", headers={"ETag": etag}
        )

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        fault = self._take_fault(request.path)
        if fault is not None:
            return await self._serve_fault(request, fault, api=True)
        if self._api is None:
            return web.Response(status=500, text="no API response configured")

        answer = self._api(dict(request.query))
        body, status = answer if isinstance(answer, tuple) else (answer, 200)
        return _atom(body, status)

    async def _serve_fault(
        self, request: web.Request, fault: Fault, *, api: bool
    ) -> web.StreamResponse:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if fault.kind in ("429", "503"):
            return web.Response(status=int(fault.kind), text="Slow down", headers=headers)
        if fault.kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500, text="never sent")
        if fault.kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), fault.delay)
            return web.Response(status=503, text="too late")
        if fault.kind == "rate-exceeded":
            return web.Response(
                status=fault.status or 200, body=RATE_EXCEEDED, content_type="text/plain"
            )
        if fault.kind == "malformed":
            return _atom(MALFORMED_XML, fault.status or 200)
        if fault.kind == "error-entry":
            return _atom(ERROR_FEED.read_bytes(), fault.status or 400)
        return _atom(_empty_body(api, fault.total_results), fault.status or 200)

    def _take_fault(self, path: str) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if path.startswith(fault.path):
                return self._faults.pop(index)
        return None

    def _record(self, request: web.Request) -> None:
        self.requests.append(
            RecordedRequest(
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                time=time.monotonic(),
            )
        )


def _empty_body(api: bool, total_results: int) -> bytes:
    if not api:
        return EMPTY_RSS_FEED.read_bytes()
    body = EMPTY_API_FEED.read_bytes()
    return body.replace(
        b"<opensearch:totalResults>0<", f"<opensearch:totalResults>{total_results}<".encode()
    )


def _atom(body: bytes, status: int) -> web.Response:
    return web.Response(
        status=status, body=body, content_type="application/atom+xml", charset="utf-8"
    )
