"""A polite asynchronous arXiv client that spaces, retries and caches its requests.

arXiv's API terms of use limit automated clients to one request every three seconds over
a single connection, and request a User-Agent that identifies the client. Every request
of a client goes through one RequestQueue, and clients that share a queue share the
spacing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from aiohttp.client_middlewares import ClientHandlerType

from bot.arxiv.api import RATE_EXCEEDED, build_query_url, parse_search
from bot.arxiv.errors import ArxivHTTPError, ArxivRateLimitedError, ArxivUnavailableError
from bot.arxiv.feed import parse_feed
from bot.arxiv.ids import format_id, parse_id
from bot.models import Announcement, Paper, SearchPage

log = logging.getLogger(__name__)

DEFAULT_RSS_BASE_URL = "https://rss.arxiv.org/rss"
DEFAULT_API_BASE_URL = "https://export.arxiv.org/api/query"
DEFAULT_MIN_INTERVAL = 3.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 4
# A Retry-After longer than this is not waited for: the request fails at once.
DEFAULT_MAX_DELAY = 120.0
# Ids per id_list request. arXiv documents no limit, but long URLs fail at some proxies.
IDS_PER_REQUEST = 100

T = TypeVar("T")


class RequestQueue:
    """A gate that lets one request run at a time, with `min_interval` seconds between starts.

    `defer` pushes the next start later for every waiting request, as after a 429.
    """

    def __init__(self, min_interval: float = DEFAULT_MIN_INTERVAL) -> None:
        self.min_interval = min_interval
        self._lock = asyncio.Lock()
        self._last_start = -math.inf
        self._not_before = -math.inf

    def defer(self, seconds: float) -> None:
        """Delay the next request start until at least `seconds` from now."""
        self._not_before = max(self._not_before, time.monotonic() + seconds)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for this request's turn and hold the queue until the block ends."""
        async with self._lock:
            start = max(self._last_start + self.min_interval, self._not_before)
            wait = start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_start = time.monotonic()
            yield


@dataclass(frozen=True, slots=True)
class _Response:
    """A completed response: status, headers and the whole body."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class _CachedFeed:
    etag: str | None
    last_modified: str | None
    announcement: Announcement


class _RetryableError(Exception):
    """A failure that another attempt may not repeat (429, 5xx, timeout, dropped connection)."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class _ConnectionDroppedError(aiohttp.ClientConnectionError):
    """The server closed the connection without a complete response."""


async def _no_silent_repeat(
    request: aiohttp.ClientRequest, handler: ClientHandlerType
) -> aiohttp.ClientResponse:
    """Report a dropped connection as a failed attempt instead of letting aiohttp repeat it.

    aiohttp sends a GET once more, at once, when the server drops the connection (seen
    with 3.14). That second request would skip the queue's spacing, so this middleware
    raises an error type that aiohttp does not repeat, and the client's own retry loop
    waits its turn. Client middlewares need aiohttp 3.12 or later.
    """
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
        raise _ConnectionDroppedError(str(error) or "server disconnected") from error


_MIDDLEWARES = (_no_silent_repeat,)


class ArxivClient:
    """Fetch category feeds and query the arXiv API through one polite request queue.

    The caller owns `session` and closes it. `min_interval` is the minimum time in seconds
    between request starts, `timeout` the limit in seconds for one request (the `timeout`
    attribute, which takes effect from the next request), and `max_retries` the number of
    retries after the first attempt. Pass one `queue` to several clients to space all
    their requests together.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        user_agent: str,
        rss_base_url: str = DEFAULT_RSS_BASE_URL,
        api_base_url: str = DEFAULT_API_BASE_URL,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_delay: float = DEFAULT_MAX_DELAY,
        queue: RequestQueue | None = None,
    ) -> None:
        self._session = session
        self._user_agent = user_agent
        self._rss_base_url = rss_base_url.rstrip("/")
        self._api_base_url = api_base_url
        self.timeout = timeout
        self._max_retries = max_retries
        self._max_delay = max_delay
        self._queue = queue or RequestQueue(min_interval)
        self._feed_cache: dict[str, _CachedFeed] = {}

    @property
    def queue(self) -> RequestQueue:
        """The request queue this client waits in."""
        return self._queue

    async def fetch_announcement(self, categories: Sequence[str]) -> Announcement:
        """Fetch the current announcement of one or more categories from the RSS feed."""
        if not categories:
            raise ValueError("fetch_announcement needs at least one category")
        return await self.fetch_feed_url(f"{self._rss_base_url}/{'+'.join(categories)}")

    async def fetch_feed_url(self, url: str) -> Announcement:
        """Fetch and parse the feed at `url`, reusing the last result when it is unchanged.

        The ETag and Last-Modified of each URL are sent back, and a 304 response returns
        the cached announcement.
        """
        cached = self._feed_cache.get(url)
        headers = {}
        if cached and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified

        response = await self._get(url, headers)
        if response.status == 304 and cached is not None:
            log.debug("Feed %s not modified, so the cached announcement is used", url)
            return cached.announcement
        if response.status != 200:
            raise ArxivHTTPError(url, response.status)

        announcement = await asyncio.to_thread(parse_feed, response.body, source=url)
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        if etag or last_modified:
            self._feed_cache[url] = _CachedFeed(etag, last_modified, announcement)
        return announcement

    async def search(
        self,
        query: str,
        *,
        start: int = 0,
        max_results: int = 10,
        sort_by: str = "relevance",
        sort_order: str = "descending",
    ) -> SearchPage:
        """Run an API search with `query` in the API syntax (`ti:diffusion AND cat:cs.CV`)."""
        url = build_query_url(
            self._api_base_url,
            query,
            start=start,
            max_results=max_results,
            sort_by=sort_by,
            sort_order=sort_order,
        )
        return await self._query(url)

    async def fetch_papers(self, ids: Sequence[str]) -> list[Paper]:
        """Look up papers by id in batches, leaving unknown ids out of the result.

        Raises InvalidArxivIdError before any request when an id is malformed.
        """
        requested = list(dict.fromkeys(format_id(*parse_id(text)) for text in ids))
        papers: list[Paper] = []
        for first in range(0, len(requested), IDS_PER_REQUEST):
            batch = requested[first : first + IDS_PER_REQUEST]
            url = build_query_url(self._api_base_url, id_list=batch, max_results=len(batch))
            page = await self._query(url)
            papers.extend(page.papers)
        return papers

    async def _query(self, url: str) -> SearchPage:
        async def fetch() -> SearchPage:
            response = await self._send(url, {})
            page = await asyncio.to_thread(
                parse_search, response.body, status=response.status, url=url
            )
            # The API sometimes returns an empty page although its own total reports
            # results at this offset. Requesting the page again usually fills it.
            if not page.papers and page.total_results > page.start:
                raise _RetryableError("empty page", status=response.status)
            return page

        return await self._with_retries(url, fetch)

    async def _get(self, url: str, headers: Mapping[str, str]) -> _Response:
        return await self._with_retries(url, lambda: self._send(url, headers))

    async def _with_retries(self, url: str, attempt: Callable[[], Awaitable[T]]) -> T:
        attempts = self._max_retries + 1
        for number in range(1, attempts + 1):
            try:
                return await attempt()
            except ArxivRateLimitedError as error:
                failure = _RetryableError(error.reason, status=error.status, rate_limited=True)
            except _RetryableError as error:
                failure = error

            delay = self._retry_delay(number, failure.retry_after)
            if number == attempts or delay is None:
                reason = failure.reason
                if delay is None:
                    reason += f", Retry-After {failure.retry_after:g} s is too long to wait"
                error_class = (
                    ArxivRateLimitedError if failure.rate_limited else ArxivUnavailableError
                )
                raise error_class(url, failure.status, number, reason)

            log.warning(
                "arXiv request %s failed (%s), retry %d of %d in %.1f s",
                url,
                failure.reason,
                number,
                self._max_retries,
                delay,
            )
            self._queue.defer(delay)
        raise AssertionError("the retry loop returns or raises")

    async def _send(self, url: str, headers: Mapping[str, str]) -> _Response:
        request_headers = {**headers, "User-Agent": self._user_agent}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self._queue.slot():
            try:
                async with self._session.get(
                    url, headers=request_headers, timeout=timeout, middlewares=_MIDDLEWARES
                ) as response:
                    body = await response.read()
                    result = _Response(url, response.status, response.headers.copy(), body)
            except TimeoutError as error:
                raise _RetryableError(f"timed out after {self.timeout:g} s") from error
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as error:
                raise _RetryableError(f"connection failed: {error}") from error

        return _check_response(result)

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float | None:
        # Exponential backoff from the request spacing: 1, 2, 4, 8 times min_interval.
        backoff = self._queue.min_interval * 2 ** (attempt - 1)
        if retry_after is not None and retry_after > self._max_delay:
            return None
        return min(max(backoff, retry_after or 0.0), self._max_delay)


def _check_response(response: _Response) -> _Response:
    status = response.status
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise _RetryableError("HTTP 429", status=status, retry_after=retry_after, rate_limited=True)
    if status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise _RetryableError(f"HTTP {status}", status=status, retry_after=retry_after)
    if response.body.strip().startswith(RATE_EXCEEDED):
        raise _RetryableError('"Rate exceeded."', status=status, rate_limited=True)
    return response


def parse_retry_after(value: str | None) -> float | None:
    """Return the wait in seconds from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds())
