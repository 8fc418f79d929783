"""End to end: the real DigestBot against the fake Discord server and the fake arXiv server."""

from __future__ import annotations

import asyncio
import datetime as dt
from xml.etree import ElementTree

import pytest

from bot.arxiv import parse_id, parse_search
from bot.rules import compiled, matches_rule_line
from tests.bot_world import (
    CATEGORIES,
    CREATE_OPTIONS,
    BotWorld,
    create_digest,
    expected_ids,
    posted_paper_ids,
    start_bot,
    store_dump,
    trigger_job,
)
from tests.paths import ARXIV_FIXTURES


async def test_create_saves_digest(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        reply = await create_digest(world)
        digests = await bot.store.list_digests(world.guild_id)

    assert "Created digest" in reply
    assert [digest.name for digest in digests] == ["Vision-language"]
    assert digests[0].categories == CATEGORIES
    assert digests[0].timezone == "Europe/Berlin"
    assert digests[0].channel_id == world.papers_channel


async def test_job_posts_expected_papers(world: BotWorld) -> None:
    expected = expected_ids()
    async with start_bot(world) as bot:
        await create_digest(world)
        digest = (await bot.store.list_digests(world.guild_id))[0]
        assert digest.id is not None
        await trigger_job(bot, digest.id)

    messages = world.posted()
    assert len(expected) > 10
    assert len(messages) > 1
    assert posted_paper_ids(messages) == expected
    assert "Vision-language" in messages[0]["content"]
    assert str(len(expected)) in messages[0]["content"]


async def test_posted_messages_respect_limits(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest = (await bot.store.list_digests(world.guild_id))[0]
        assert digest.id is not None
        await trigger_job(bot, digest.id)

    requests = world.discord.requests_to("POST", rf"/channels/{world.papers_channel}/messages")
    assert requests
    for request in requests:
        payload = request.json
        assert len(payload["embeds"]) <= 10
        assert sum(embed_length(embed) for embed in payload["embeds"]) <= 6000
        assert payload["allowed_mentions"]["parse"] == []
        assert payload["nonce"]
        for embed in payload["embeds"]:
            assert len(embed["title"]) <= 256
            assert len(embed.get("description", "")) <= 4096


def embed_length(embed: dict) -> int:
    """Count an embed's characters the way Discord does for the 6000-character limit."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    for field in embed.get("fields", []):
        total += len(field["name"]) + len(field["value"])
    return total


async def test_second_trigger_posts_nothing(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest = (await bot.store.list_digests(world.guild_id))[0]
        assert digest.id is not None
        await trigger_job(bot, digest.id)
        first_count = len(world.posted())
        await trigger_job(bot, digest.id)

    assert first_count > 0
    assert len(world.posted()) == first_count


async def test_restart_posts_nothing_new(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest = (await bot.store.list_digests(world.guild_id))[0]
        assert digest.id is not None
        await trigger_job(bot, digest.id)
    first_count = len(world.posted())

    async with start_bot(world) as restarted:
        await trigger_job(restarted, digest.id)
        stored = await restarted.store.get_digest_by_id(digest.id)
        assert stored is not None
        result = await restarted.deliverer.deliver(stored, force=True)

    assert first_count > 0
    assert len(world.posted()) == first_count
    assert result is not None
    assert result.posted == 0


async def test_post_command_posts_once(world: BotWorld) -> None:
    async with start_bot(world):
        await create_digest(world)
        first = await world.invoke("digest post", {"name": "vision-LANGUAGE"})
        count = len(world.posted())
        second = await world.invoke("digest post", {"name": "Vision-language"})

    assert first.reply is not None
    assert f"Posted {len(expected_ids())} papers" in first.reply.content
    assert second.reply is not None
    assert "Nothing posted" in second.reply.content
    assert len(world.posted()) == count


async def test_preview_is_ephemeral(world: BotWorld) -> None:
    async with start_bot(world):
        await create_digest(world)
        record = await world.invoke("digest preview", {"name": "Vision-language"})

    assert record.deferred
    assert record.reply is not None
    assert record.reply.ephemeral
    assert record.reply.embeds
    assert world.posted() == []


async def test_list_and_remove(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        listed = await world.invoke("digest list", {})
        removed = await world.invoke("digest remove", {"name": "Vision-language"})
        remaining = await bot.store.list_digests(world.guild_id)
        jobs = bot.scheduler.scheduler.get_jobs()

    assert listed.reply is not None
    assert listed.reply.embeds[0]["title"] == "Vision-language"
    assert removed.reply is not None
    assert "Removed" in removed.reply.content
    assert remaining == []
    assert jobs == []


async def test_search_defers_and_answers(world: BotWorld) -> None:
    async with start_bot(world):
        record = await world.invoke("arxiv search", {"query": "testing", "count": 5})

    assert record.deferred
    assert record.reply is not None
    assert not record.reply.ephemeral
    assert sum(len(message.embeds) for message in record.messages) == 5
    api_requests = world.arxiv.requests_to("/api/query")
    assert api_requests[0].query["search_query"] == "all:testing"
    assert api_requests[0].query["max_results"] == "5"


async def test_member_without_manage_server_rejected(world: BotWorld) -> None:
    async with start_bot(world):
        before = await store_dump(world)
        options = {**CREATE_OPTIONS, "channel": world.papers_channel}
        record = await world.invoke("digest create", options, user_id=world.member_id)
        after = await store_dump(world)

    assert record.reply is not None
    assert record.reply.ephemeral
    assert "Manage Server" in record.reply.content
    assert after == before


@pytest.mark.parametrize(
    ("changes", "expected_text"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Mars/Olympus_Mons"),
        ({"post_time": "25:00"}, "25:00"),
        ({"categories": "cs.CV cs.XYZ"}, "cs.XYZ"),
        ({"keywords": " , ; "}, "No keywords"),
        ({"keywords": "LLM AND"}, "LLM AND"),
    ],
)
async def test_bad_input_rejected(world: BotWorld, changes: dict, expected_text: str) -> None:
    async with start_bot(world):
        before = await store_dump(world)
        reply = await create_digest(world, **changes)
        after = await store_dump(world)

    assert expected_text in reply
    assert after == before


async def test_duplicate_name_rejected(world: BotWorld) -> None:
    async with start_bot(world):
        await create_digest(world)
        before = await store_dump(world)
        reply = await create_digest(world, name="VISION-language")
        after = await store_dump(world)

    assert "already exists" in reply
    assert "VISION-language" in reply
    assert after == before


async def test_channel_of_other_server_rejected(world: BotWorld) -> None:
    async with start_bot(world):
        before = await store_dump(world)
        reply = await create_digest(world, channel=world.other_channel)
        after = await store_dump(world)

    assert "general" in reply
    assert "this server" in reply
    assert after == before


async def test_channel_without_permission_rejected(world: BotWorld) -> None:
    async with start_bot(world):
        before = await store_dump(world)
        reply = await create_digest(world, channel=world.locked_channel)
        after = await store_dump(world)

    assert "announcements" in reply
    assert "Send Messages" in reply
    assert after == before


async def test_autocomplete_suggests_values(world: BotWorld) -> None:
    async with start_bot(world):
        await create_digest(world)
        guild, channel, admin = world.guild_id, world.papers_channel, world.admin_id
        names = await world.discord.autocomplete(
            guild, channel, admin, "digest remove", {"name": "vis"}, "name"
        )
        zones = await world.discord.autocomplete(
            guild, channel, admin, "digest create", {"timezone": "berl"}, "timezone"
        )
        categories = await world.discord.autocomplete(
            guild, channel, admin, "digest create", {"categories": "cs.CV cs.c"}, "categories"
        )

    assert [choice["value"] for choice in names] == ["Vision-language"]
    assert "Europe/Berlin" in [choice["value"] for choice in zones]
    assert "cs.CV cs.CL" in [choice["value"] for choice in categories]


async def test_weekend_feed_posts_nothing(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    weekend = ARXIV_FIXTURES / "rss-cs.AI-2024-03-30-empty-weekend-constructed.xml"
    for category in CATEGORIES:
        world.arxiv.set_feed(category, weekend)
    async with start_bot(world) as bot:
        await create_digest(world)
        digest = (await bot.store.list_digests(world.guild_id))[0]
        assert digest.id is not None
        caplog.set_level("INFO", logger="bot.delivery")
        await trigger_job(bot, digest.id)
        delivered = await bot.store.is_delivered(digest.id, dt.date(2024, 3, 30))

    assert world.posted() == []
    assert not delivered
    assert "/rss/cs.CV" in caplog.text
    assert "lists no papers" in caplog.text


async def test_digests_due_together_share_fetch(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world, name="First", categories="cs.CV")
        await create_digest(world, name="Second", categories="cs.CV cs.CL", keywords="robot")
        digests = await bot.store.list_digests(world.guild_id)
        await asyncio.gather(*(trigger_job(bot, digest.id or 0) for digest in digests))

    assert len(world.arxiv.requests_to("/rss/cs.CV")) == 1
    assert len(world.arxiv.requests_to("/rss/cs.CL")) == 1
    posted = posted_paper_ids(world.posted())
    assert len(posted) == len(set(posted))


async def test_abstract_length_applied(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world, abstract_length=150)
        digest = (await bot.store.list_digests(world.guild_id))[0]
        assert digest.id is not None
        await trigger_job(bot, digest.id)

    embeds = [embed for message in world.posted() for embed in message["embeds"]]
    assert digest.abstract_length == 150
    assert embeds
    visible = [embed["description"].replace("\\", "").replace("**", "") for embed in embeds]
    assert all(len(text) <= 150 for text in visible)
    assert any(len(text) > 100 for text in visible)


async def test_preview_explains_matches(world: BotWorld) -> None:
    async with start_bot(world):
        await create_digest(world)
        record = await world.invoke("digest preview", {"name": "Vision-language"})

    assert record.reply is not None
    embeds = [embed for message in record.messages for embed in message.embeds]
    fields = [
        field["value"]
        for embed in embeds
        for field in embed["fields"]
        if field["name"] == "Why it matched"
    ]
    assert len(fields) == len(embeds)
    assert all("**" in value for value in fields)
    assert any("in title" in value for value in fields)


async def test_why_answers_for_paper(world: BotWorld) -> None:
    paper_id = expected_ids()[0]
    async with start_bot(world):
        await create_digest(world)
        included = await world.invoke("digest why", {"name": "Vision-language", "paper": paper_id})
        await world.invoke("digest post", {"name": "Vision-language"})
        posted = await world.invoke("digest why", {"name": "Vision-language", "paper": paper_id})
        missing = await world.invoke(
            "digest why", {"name": "Vision-language", "paper": "2401.00001"}
        )

    assert included.reply is not None
    assert included.reply.ephemeral
    assert f"arXiv:{paper_id} is in the digest" in included.reply.content
    assert posted.reply is not None
    assert "already posted" in posted.reply.content
    assert missing.reply is not None
    assert "is not in the announcement" in missing.reply.content


async def test_search_drops_locally_rejected(world: BotWorld) -> None:
    # Of these 100 real results, 8 mention only "test", which arXiv's stemming matches.
    # They are moved to the front so that the first ten results include them.
    large_page = ARXIV_FIXTURES / "api-search-all-testing-start0-max100.atom"
    data = rejected_first(large_page.read_bytes(), "testing")
    world.arxiv.set_api_response(data)
    page = parse_search(data, status=200, url="fixture")
    accepted = [paper.id for paper in page.papers if matches_rule_line("testing", paper)]
    async with start_bot(world):
        record = await world.invoke("arxiv search", {"query": "testing", "count": 10})

    shown = posted_paper_ids([message.payload for message in record.messages])
    assert not matches_rule_line("testing", page.papers[0])
    assert shown == accepted[:10]


def rejected_first(data: bytes, rule: str) -> bytes:
    """Reorder an API response so that entries the local rule rejects come first."""
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(data)
    papers = {paper.id: paper for paper in parse_search(data, status=200, url="fixture").papers}
    entries = root.findall(f"{atom}entry")
    for entry in entries:
        root.remove(entry)

    def accepted(entry: ElementTree.Element) -> bool:
        paper_id, _version = parse_id(entry.findtext(f"{atom}id") or "")
        return matches_rule_line(rule, papers[paper_id])

    for entry in sorted(entries, key=accepted):
        root.append(entry)
    return ElementTree.tostring(root, xml_declaration=True, encoding="utf-8")


async def test_search_invalid_rule_rejected(world: BotWorld) -> None:
    async with start_bot(world):
        record = await world.invoke("arxiv search", {"query": "(LLM OR"})

    assert record.reply is not None
    assert record.reply.ephemeral
    assert "position" in record.reply.content
    assert world.arxiv.requests_to("/api/") == []


async def test_rule_index_follows_changes(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world)
        digest = (await bot.store.list_digests(world.guild_id))[0]
        indexed_after_create = digest.id in bot.rule_index
        await world.invoke("digest remove", {"name": "Vision-language"})
        indexed_after_remove = digest.id in bot.rule_index

    assert indexed_after_create
    assert not indexed_after_remove


async def test_scheduled_digests_share_one_match(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    expected = expected_ids()
    caplog.set_level("INFO", logger="bot.shared_matches")
    async with start_bot(world) as bot:
        await create_digest(world)
        await create_digest(world, name="Robots", keywords="robot")
        digests = await bot.store.list_digests(world.guild_id)
        first = next(digest for digest in digests if digest.name == "Vision-language")
        second = next(digest for digest in digests if digest.name == "Robots")
        assert first.id is not None and second.id is not None
        await trigger_job(bot, first.id)
        posted_first = posted_paper_ids(world.posted())
        await trigger_job(bot, second.id)

    matched = [record for record in caplog.records if record.name == "bot.shared_matches"]
    assert len(matched) == 1
    assert "against 2 digests" in matched[0].getMessage()
    assert posted_first == expected


async def test_start_warns_without_extension(
    world: BotWorld, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "_speedups", None)
    caplog.set_level("WARNING", logger="bot.core")
    async with start_bot(world):
        pass

    assert "bot.rules._speedups is not built" in caplog.text


async def test_start_quiet_with_extension(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="bot.core")
    async with start_bot(world):
        pass

    assert compiled.is_built()
    assert "_speedups" not in caplog.text
