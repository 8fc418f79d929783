"""Tests for the arXiv client against the local fake arXiv: politeness, retries, caching."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import logging
from collections.abc import AsyncIterator, Mapping

import aiohttp
import pytest

from bot.arxiv.client import ArxivClient, RequestQueue, parse_retry_after
from bot.arxiv.errors import (
    ArxivApiError,
    ArxivFeedError,
    ArxivHTTPError,
    ArxivRateLimitedError,
    ArxivUnavailableError,
    InvalidArxivIdError,
)
from tests.arxiv_server import ArxivFake
from tests.paths import ARXIV_FIXTURES

USER_AGENT = "arxiv-digest-tests/1.0 (mailto:maintainer@example.org)"
STAT_FEED = ARXIV_FIXTURES / "rss-stat-2024-03-26.xml"
SEARCH_PAGE = ARXIV_FIXTURES / "api-search-all-testing-start0-max10.atom"
EMPTY_PAGE = ARXIV_FIXTURES / "api-idlist-0000.0000-empty.atom"
INTERVAL = 0.05


@pytest.fixture
async def fake() -> AsyncIterator[ArxivFake]:
    async with ArxivFake() as server:
        server.set_feed("stat", STAT_FEED)
        server.set_api_response(SEARCH_PAGE)
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def make_client(
    session: aiohttp.ClientSession, fake: ArxivFake, **options: float | RequestQueue
) -> ArxivClient:
    settings: dict[str, float | RequestQueue] = {"min_interval": INTERVAL, "timeout": 2.0}
    settings.update(options)
    return ArxivClient(
        session,
        user_agent=USER_AGENT,
        rss_base_url=fake.rss_base_url,
        api_base_url=fake.api_base_url,
        **settings,  # type: ignore[arg-type]
    )


def gaps(fake: ArxivFake) -> list[float]:
    times = [request.time for request in fake.requests]
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


async def test_feed_fetched_and_parsed(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    announcement = await make_client(session, fake).fetch_announcement(["stat"])
    assert len(announcement.papers) == 123
    assert announcement.date == dt.date(2024, 3, 26)
    assert announcement.source == f"{fake.rss_base_url}/stat"


async def test_user_agent_sent(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    client = make_client(session, fake)
    await client.fetch_announcement(["stat"])
    await client.search("all:testing")
    assert [request.user_agent for request in fake.requests] == [USER_AGENT, USER_AGENT]


async def test_categories_joined_with_plus(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.set_feed(["cs.AI", "cs.CL"], STAT_FEED)
    await make_client(session, fake).fetch_announcement(["cs.AI", "cs.CL"])
    assert fake.requests[0].path == "/rss/cs.AI+cs.CL"


async def test_requests_spaced_by_interval(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    client = make_client(session, fake, min_interval=0.2)
    await client.fetch_announcement(["stat"])
    await client.search("all:testing")
    await client.search("all:testing", start=10)
    assert len(fake.requests) == 3
    for gap in gaps(fake):
        assert gap >= 0.19


async def test_concurrent_requests_spaced(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    client = make_client(session, fake, min_interval=0.2)
    await asyncio.gather(*(client.search(f"all:topic{n}") for n in range(4)))
    assert len(fake.requests) == 4
    for gap in gaps(fake):
        assert gap >= 0.19


async def test_shared_queue_spaces_clients(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    queue = RequestQueue(min_interval=0.2)
    first = make_client(session, fake, queue=queue)
    second = make_client(session, fake, queue=queue)
    await asyncio.gather(first.search("all:a"), second.fetch_announcement(["stat"]))
    assert len(fake.requests) == 2
    assert gaps(fake)[0] >= 0.19


async def test_search_query_encoded_once(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    query = 'ti:"vision language" AND cat:cs.AI'
    page = await make_client(session, fake).search(query, start=10, max_results=10)
    recorded = fake.requests[0].query
    assert recorded["search_query"] == query
    assert recorded["start"] == "10"
    assert recorded["sortBy"] == "relevance"
    assert page.total_results == 214881


async def test_429_retry_after_honoured(
    fake: ArxivFake, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("429", retry_after="1")
    with caplog.at_level(logging.WARNING, logger="bot.arxiv.client"):
        page = await make_client(session, fake).search("all:testing")
    assert len(page.papers) == 10
    assert len(fake.requests) == 2
    assert gaps(fake)[0] >= 0.95
    warnings = [record.getMessage() for record in caplog.records]
    assert any("HTTP 429" in message and fake.api_base_url in message for message in warnings)


async def test_retry_after_http_date(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    fake.inject("503", retry_after=email.utils.format_datetime(later, usegmt=True))
    await make_client(session, fake).search("all:testing")
    assert len(fake.requests) == 2
    # The header has whole seconds, so the wait is between one and two seconds.
    assert gaps(fake)[0] >= 0.9


async def test_retry_after_too_long_fails_at_once(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    fake.inject("429", retry_after="3600")
    with pytest.raises(ArxivRateLimitedError) as caught:
        await make_client(session, fake).search("all:testing")
    assert caught.value.attempts == 1
    assert len(fake.requests) == 1


async def test_503_then_success(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.inject("503")
    announcement = await make_client(session, fake).fetch_announcement(["stat"])
    assert len(announcement.papers) == 123
    assert len(fake.requests) == 2


async def test_backoff_doubles(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    for _ in range(3):
        fake.inject("503")
    await make_client(session, fake, min_interval=0.1).search("all:testing")
    first, second, third = gaps(fake)
    assert first >= 0.09
    assert second >= 0.19
    assert third >= 0.39


async def test_retries_exhausted(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    for _ in range(3):
        fake.inject("503")
    client = make_client(session, fake, max_retries=2)
    with pytest.raises(ArxivUnavailableError) as caught:
        await client.fetch_announcement(["stat"])
    assert caught.value.attempts == 3
    assert caught.value.status == 503
    assert caught.value.url == f"{fake.rss_base_url}/stat"
    assert len(fake.requests) == 3


async def test_timeout_retried(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.inject("timeout", delay=3.0)
    page = await make_client(session, fake, timeout=0.3).search("all:testing")
    assert len(page.papers) == 10
    assert len(fake.requests) == 2


async def test_connection_reset_retried(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    # aiohttp repeats a GET once by itself when the server drops the connection, so two
    # resets are needed to reach the client's own retry.
    fake.inject("reset")
    fake.inject("reset")
    announcement = await make_client(session, fake).fetch_announcement(["stat"])
    assert len(announcement.papers) == 123
    assert len(fake.requests) == 3


async def test_rate_exceeded_retried_then_success(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    fake.inject("rate-exceeded")
    page = await make_client(session, fake).search("all:testing")
    assert len(page.papers) == 10
    assert len(fake.requests) == 2


async def test_rate_exceeded_retried_then_error(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    for _ in range(3):
        fake.inject("rate-exceeded")
    with pytest.raises(ArxivRateLimitedError) as caught:
        await make_client(session, fake, max_retries=2).search("all:testing")
    assert caught.value.attempts == 3
    assert len(fake.requests) == 3


async def test_error_entry_not_retried(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.inject("error-entry")
    with pytest.raises(ArxivApiError) as caught:
        await make_client(session, fake).search("all:testing")
    assert caught.value.status == 400
    assert caught.value.api_message == "incorrect id format for abc"
    assert len(fake.requests) == 1


async def test_error_entry_with_200_raises(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.inject("error-entry", status=200)
    with pytest.raises(ArxivApiError):
        await make_client(session, fake).search("all:testing")
    assert len(fake.requests) == 1


async def test_malformed_xml_not_retried(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.inject("malformed")
    with pytest.raises(ArxivFeedError):
        await make_client(session, fake).search("all:testing")
    assert len(fake.requests) == 1


async def test_empty_page_with_results_retried(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    fake.inject("empty", total_results=214881)
    page = await make_client(session, fake).search("all:testing")
    assert len(page.papers) == 10
    assert len(fake.requests) == 2


async def test_empty_result_not_retried(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.inject("empty", total_results=0)
    page = await make_client(session, fake).search("all:nothing")
    assert page.papers == ()
    assert page.total_results == 0
    assert len(fake.requests) == 1


async def test_empty_feed_is_announcement(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.inject("empty", path="/rss")
    announcement = await make_client(session, fake).fetch_announcement(["stat"])
    assert announcement.papers == ()
    assert announcement.date == dt.date(2024, 3, 30)


async def test_not_modified_returns_cached(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    client = make_client(session, fake)
    first = await client.fetch_announcement(["stat"])
    second = await client.fetch_announcement(["stat"])
    assert second is first
    etag = f'"{hashlib.sha1(STAT_FEED.read_bytes()).hexdigest()}"'
    assert "If-None-Match" not in fake.requests[0].headers
    assert fake.requests[1].headers["If-None-Match"] == etag


async def test_changed_feed_parsed_again(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    client = make_client(session, fake)
    await client.fetch_announcement(["stat"])
    fake.set_feed("stat", ARXIV_FIXTURES / "rss-cs.AI-2024-03-30-empty-weekend-constructed.xml")
    announcement = await client.fetch_announcement(["stat"])
    assert announcement.papers == ()


async def test_missing_feed_not_retried(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    with pytest.raises(ArxivHTTPError) as caught:
        await make_client(session, fake).fetch_announcement(["cs.XX"])
    assert caught.value.status == 404
    assert len(fake.requests) == 1


async def test_fetch_papers_by_id(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.set_api_response(ARXIV_FIXTURES / "api-idlist-1605.08386.atom")
    papers = await make_client(session, fake).fetch_papers(["arXiv:1605.08386"])
    assert [paper.id for paper in papers] == ["1605.08386"]
    assert fake.requests[0].query["id_list"] == "1605.08386"
    assert fake.requests[0].query["max_results"] == "1"


async def test_fetch_papers_keeps_version(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.set_api_response(ARXIV_FIXTURES / "api-idlist-2104.12255v1-title-0.atom")
    papers = await make_client(session, fake).fetch_papers(["https://arxiv.org/abs/2104.12255v1"])
    assert papers[0].title == "0"
    assert fake.requests[0].query["id_list"] == "2104.12255v1"


async def test_fetch_papers_in_batches(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    def empty_page(query: Mapping[str, str]) -> bytes:
        return EMPTY_PAGE.read_bytes()

    fake.set_api_response(empty_page)
    ids = [f"2401.{number:05d}" for number in range(1, 151)]
    papers = await make_client(session, fake, min_interval=0.01).fetch_papers(ids)
    assert papers == []
    batch_sizes = [len(request.query["id_list"].split(",")) for request in fake.requests]
    assert batch_sizes == [100, 50]


async def test_fetch_papers_invalid_id(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    with pytest.raises(InvalidArxivIdError):
        await make_client(session, fake).fetch_papers(["1605.08386", "abc"])
    assert fake.requests == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0", 0.0), (None, None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected
