"""Property tests: every option of every slash command driven with hostile input.

Each example runs a real slash command through the fake Discord server against one running
bot per test. A value starts with a marker word (`zq…`) unless the example is "bare", so
that a rejection can be checked for naming the value: the marker survives quoting,
escaping and cutting, which happen at the start of a value.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core import DigestBot
from bot.digest_config import (
    MAX_ABSTRACT_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PAPERS_LIMIT,
    MIN_ABSTRACT_LENGTH,
    DigestConfigError,
    parse_abstract_length,
    parse_categories,
    parse_max_papers,
    parse_name,
    parse_post_time,
    parse_rule_lines,
    parse_timezone,
    split_rule_lines,
)
from cogs.search import MAX_COUNT, SORT_CHOICES, check_search_options
from tests.bot_world import (
    CREATE_OPTIONS,
    BotWorld,
    create_digest,
    start_bot,
)
from tests.discord_fake import InteractionRecord, ReplyMessage
from tests.log_checks import is_plain, token_never_logged  # noqa: F401

NAME = str(CREATE_OPTIONS["name"])
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MARKER = st.from_regex(r"zq[a-z0-9]{3,6}", fullmatch=True)
# Markdown, mentions of real members ({member} is replaced by a member's id) and quotes.
MARKUP = st.sampled_from(
    [
        "**bold**",
        "__underline__",
        "`code`",
        "```block```",
        "||spoiler||",
        "> quote",
        "\n# heading",
        "\n- item",
        "[link](https://example.com)",
        "@everyone",
        "@here",
        "<@{member}>",
        "<@&{member}>",
        '"quoted, phrase"',
        "\\",
        "AND",
        "OR",
        "ti:",
    ]
)
CONTROL = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Mn"]), max_size=8)
NOISE = st.one_of(
    st.text(max_size=30),
    MARKUP,
    CONTROL,
    st.text(min_size=1000, max_size=3000),
)
TAIL = st.lists(NOISE, max_size=3).map("".join)


@st.composite
def hostile_values(draw: st.DrawFn) -> tuple[str, str | None]:
    """Draw `(value, marker)`: hostile text, led by a marker word unless the example is bare."""
    tail = draw(TAIL)
    if draw(st.booleans()):
        return tail, None
    marker = draw(MARKER)
    return marker + tail, marker


@pytest.fixture
async def running(world: BotWorld) -> AsyncIterator[DigestBot]:
    """One bot for every example of a test, with the default digest already created."""
    async with start_bot(world) as bot:
        await create_digest(world)
        yield bot


def with_members(world: BotWorld, value: str) -> str:
    """Replace the {member} placeholders of a drawn value with a real member's id."""
    return value.replace("{member}", str(world.member_id))


def names_value(message: str, option: str, value: str, marker: str | None) -> bool:
    """Tell whether a rejection names the value: its marker, or for a list, one of its lines.

    A keyword list is rejected for its first bad line, which need not be the one that
    starts with the marker, so naming any line's start counts.
    """
    if marker is None or marker in message:
        return True
    if option not in ("keywords", "exclusions"):
        return False
    for line in split_rule_lines(value):
        if line[:12] in message or repr(line)[1:13] in message:
            return True
    return False


def check_private_plain(reply: ReplyMessage | None) -> ReplyMessage:
    """Check what every reply must be: ephemeral, plain, and without mentions."""
    assert reply is not None
    assert reply.ephemeral
    assert is_plain(reply.content)
    assert reply.payload["mentions"] == []
    assert reply.payload["mention_roles"] == []
    assert reply.payload["mention_everyone"] is False
    return reply


async def run(world: BotWorld, name: str, options: dict[str, Any]) -> InteractionRecord:
    """Run a slash command as the main guild's admin and wait for the reply."""
    record = await world.discord.invoke(
        world.guild_id, world.papers_channel, world.admin_id, name, options
    )
    await record.wait_for_reply(timeout=3)
    return record


def handler_lines(records: list[logging.LogRecord], start: int) -> list[str]:
    """Return the error handler's log lines among the records captured since `start`."""
    return [r.getMessage() for r in records[start:] if r.name == "cogs.errors"]


NAME_COMMANDS = ("digest remove", "digest preview", "digest post", "digest pause", "digest resume")


@PROPERTY_SETTINGS
@given(drawn=hostile_values())
async def test_name_options_reject_unknown(
    world: BotWorld,
    running: DigestBot,
    caplog: pytest.LogCaptureFixture,
    drawn: tuple[str, str | None],
) -> None:
    value, marker = drawn
    value = with_members(world, value)
    assume(" ".join(value.split()).casefold() != NAME.casefold())
    for command in NAME_COMMANDS:
        before = await running.store.dump()
        start = len(caplog.records)
        record = await run(world, command, {"name": value})
        after = await running.store.dump()

        reply = check_private_plain(record.reply)
        logged = handler_lines(caplog.records, start)
        assert "No digest named" in reply.content
        assert marker is None or marker in reply.content
        assert after == before
        assert world.posted() == []
        assert len(logged) == 1
        assert f"guild {world.guild_id} for user {world.admin_id}" in logged[0]


CREATE_TEXT_OPTIONS = ("name", "categories", "keywords", "exclusions", "post_time", "timezone")


@PROPERTY_SETTINGS
@given(option=st.sampled_from(CREATE_TEXT_OPTIONS), drawn=hostile_values())
async def test_create_text_options(
    world: BotWorld, running: DigestBot, option: str, drawn: tuple[str, str | None]
) -> None:
    value, marker = drawn
    value = with_members(world, value)
    # A fresh name for every example, unless the name itself is under test.
    fresh_name = f"Digest {len(await running.store.list_digests())}"
    options = {**CREATE_OPTIONS, "name": fresh_name, "channel": world.papers_channel}
    options[option] = value
    before = await running.store.dump()
    record = await run(world, "digest create", options)
    after = await running.store.dump()

    reply = check_private_plain(record.reply)
    if reply.content.startswith("Created digest"):
        assert len(after["digests"]) == len(before["digests"]) + 1
    else:
        assert after == before
        assert names_value(reply.content, option, value, marker)


@PROPERTY_SETTINGS
@given(
    option=st.sampled_from(["max_papers", "abstract_length"]),
    number=st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=MAX_ABSTRACT_LENGTH + 1, max_value=2**53),
    ),
)
async def test_create_numbers_out_of_range(
    world: BotWorld, running: DigestBot, option: str, number: int
) -> None:
    options = {**CREATE_OPTIONS, "name": "Numbers", "channel": world.papers_channel}
    options[option] = number
    before = await running.store.dump()
    record = await run(world, "digest create", options)
    after = await running.store.dump()

    reply = check_private_plain(record.reply)
    assert str(number) in reply.content
    assert after == before


@given(number=st.integers(min_value=-(2**53), max_value=2**53))
def test_max_papers_range_checked(number: int) -> None:
    if 1 <= number <= MAX_PAPERS_LIMIT:
        assert parse_max_papers(number) == number
        return
    with pytest.raises(DigestConfigError, match=f"Invalid max_papers {number}\\."):
        parse_max_papers(number)


@given(number=st.integers(min_value=-(2**53), max_value=2**53))
def test_abstract_length_range_checked(number: int) -> None:
    if MIN_ABSTRACT_LENGTH <= number <= MAX_ABSTRACT_LENGTH:
        assert parse_abstract_length(number) == number
        return
    with pytest.raises(DigestConfigError, match=f"Invalid abstract_length {number}\\."):
        parse_abstract_length(number)


@PROPERTY_SETTINGS
@given(option=st.sampled_from(["query", "category"]), drawn=hostile_values())
async def test_search_text_options(
    world: BotWorld, running: DigestBot, option: str, drawn: tuple[str, str | None]
) -> None:
    value, marker = drawn
    value = with_members(world, value)
    options = {"query": "testing", option: value}
    record = await run(world, "arxiv search", options)

    assert record.reply is not None
    if record.reply.ephemeral:
        reply = check_private_plain(record.reply)
        # A query over the length limit is named by its length.
        too_long = option == "query" and "characters long" in reply.content
        assert too_long or names_value(reply.content, option, value, marker)
    else:
        # Only results, or the news that there are none, are shown to the whole channel.
        content = record.reply.content
        assert "arXiv results for" in content or "No arXiv papers found" in content
        assert record.reply.payload["mention_everyone"] is False
        assert record.reply.payload["mentions"] == []


@PROPERTY_SETTINGS
@given(
    count=st.one_of(
        st.integers(min_value=-(2**53), max_value=0),
        st.integers(min_value=MAX_COUNT + 1, max_value=2**53),
    )
)
async def test_search_count_out_of_range(world: BotWorld, running: DigestBot, count: int) -> None:
    requests_before = len(world.arxiv.requests)
    record = await run(world, "arxiv search", {"query": "testing", "count": count})

    reply = check_private_plain(record.reply)
    assert f"Invalid count {count}." in reply.content
    assert len(world.arxiv.requests) == requests_before


@given(sort=st.text(max_size=30), count=st.integers(min_value=-100, max_value=100))
def test_search_options_checked(sort: str, count: int) -> None:
    offered = [choice.value for choice in SORT_CHOICES]
    if sort in offered and 1 <= count <= MAX_COUNT:
        check_search_options(sort, count)
        return
    with pytest.raises(DigestConfigError):
        check_search_options(sort, count)


async def test_search_query_too_long_named(world: BotWorld) -> None:
    async with start_bot(world):
        record = await run(world, "arxiv search", {"query": "word " * 100})

    reply = check_private_plain(record.reply)
    assert "499 characters long" in reply.content
    assert world.arxiv.requests == []


async def test_forum_channel_rejected(world: BotWorld) -> None:
    forum = world.discord.guild(world.guild_id).add_forum_channel("forum")
    async with start_bot(world) as bot:
        before = await bot.store.dump()
        record = await run(world, "digest create", {**CREATE_OPTIONS, "channel": forum})
        after = await bot.store.dump()

    reply = check_private_plain(record.reply)
    assert "#forum" in reply.content
    assert after == before


# The parsers behind /digest create, called directly with many more examples.
ConfigParser = Callable[[str], object]
CONFIG_PARSERS: dict[str, ConfigParser] = {
    "name": parse_name,
    "categories": parse_categories,
    "keywords": lambda text: parse_rule_lines(split_rule_lines(text)),
    "exclusions": lambda text: parse_rule_lines(["robot"], split_rule_lines(text)),
    "post_time": parse_post_time,
    "timezone": parse_timezone,
}


@settings(max_examples=200, deadline=None)
@given(option=st.sampled_from(list(CONFIG_PARSERS)), drawn=hostile_values())
def test_config_parser_names_rejected_value(option: str, drawn: tuple[str, str | None]) -> None:
    value, marker = drawn
    try:
        CONFIG_PARSERS[option](value)
    except DigestConfigError as error:
        message = str(error)
        assert len(message) <= 2000
        assert is_plain(message)
        assert names_value(message, option, value, marker)


@given(drawn=hostile_values())
def test_accepted_name_is_printable(drawn: tuple[str, str | None]) -> None:
    value, _marker = drawn
    try:
        name = parse_name(value)
    except DigestConfigError:
        return
    assert name == " ".join(value.split())
    assert 0 < len(name) <= MAX_NAME_LENGTH
    assert [char for char in name if unicodedata.category(char) == "Cc"] == []


def test_name_with_nul_rejected() -> None:
    with pytest.raises(DigestConfigError, match=r"U\+0000 at position 6"):
        parse_name("Papers\x00")


def test_keyword_with_escape_rejected() -> None:
    with pytest.raises(DigestConfigError, match=r"keyword 'robot\\x1b' contains"):
        parse_rule_lines(split_rule_lines("vision, robot\x1b"))


def test_overlong_keyword_rejected() -> None:
    with pytest.raises(DigestConfigError, match="is 600 characters long"):
        parse_rule_lines(split_rule_lines("a" * 600))
