"""End to end: /digest import and /digest export with topic files as attachments."""

from __future__ import annotations

import yaml

from tests.bot_world import BotWorld, create_digest, start_bot, store_dump
from tests.paths import REPO

TOPICS = REPO / "tests" / "data" / "topics.yml"


async def import_file(world: BotWorld, data: bytes, **options: object):
    """Upload `data` as a topic file and run /digest import with it."""
    upload = world.discord.upload("config.yml", data)
    arguments = {"file": upload, "channel": world.papers_channel, **options}
    return await world.invoke("digest import", arguments)


async def test_import_creates_digests(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        record = await import_file(world, TOPICS.read_bytes(), timezone="Europe/Berlin")
        digests = await bot.store.list_digests(world.guild_id)
        jobs = {job.id for job in bot.scheduler.scheduler.get_jobs()}

    names = sorted(digest.name for digest in digests)
    by_name = {digest.name: digest for digest in digests}
    assert record.reply is not None
    assert record.reply.ephemeral
    assert "Imported 4 digests" in record.reply.content
    assert names == ["LLM", "Reasoning", "Robot Policies", "Sparse Experts"]
    assert by_name["LLM"].keywords[-1] == "Reinforcement Learning AND Reward"
    assert by_name["LLM"].exclusions == ("survey",)
    assert by_name["LLM"].categories == ("cs.CL", "cs.LG", "cs.CV")
    assert by_name["LLM"].timezone == "Europe/Berlin"
    assert by_name["LLM"].channel_id == world.papers_channel
    assert jobs == {f"digest-{digest.id}" for digest in digests}


async def test_import_invalid_file_saves_nothing(world: BotWorld) -> None:
    async with start_bot(world):
        before = await store_dump(world)
        data = b"category: [cs.CL]\ntopic:\n  Broken:\n    keywords: [[a, [b]]]\n"
        record = await import_file(world, data)
        after = await store_dump(world)

    assert record.reply is not None
    assert record.reply.ephemeral
    assert "config.yml" in record.reply.content
    assert "Broken" in record.reply.content
    assert after == before


async def test_import_duplicate_name_needs_replace(world: BotWorld) -> None:
    async with start_bot(world) as bot:
        await create_digest(world, name="LLM")
        rejected = await import_file(world, TOPICS.read_bytes())
        count_after_rejected = len(await bot.store.list_digests(world.guild_id))
        replaced = await import_file(world, TOPICS.read_bytes(), replace=True)
        digests = await bot.store.list_digests(world.guild_id)

    assert rejected.reply is not None
    assert "'LLM' already exists" in rejected.reply.content
    assert count_after_rejected == 1
    assert replaced.reply is not None
    assert "Imported 4 digests" in replaced.reply.content
    assert len(digests) == 4


async def test_import_binary_file_rejected(world: BotWorld) -> None:
    async with start_bot(world):
        record = await import_file(world, b"\xff\xfe\x00binary")

    assert record.reply is not None
    assert "not a UTF-8 text file" in record.reply.content


async def test_export_round_trip(world: BotWorld) -> None:
    async with start_bot(world):
        await import_file(world, TOPICS.read_bytes())
        record = await world.invoke("digest export", {})

    assert record.reply is not None
    assert record.reply.ephemeral
    attachment = record.reply.attachments[0]
    exported = yaml.safe_load(world.discord.attachments[int(attachment["id"])])
    original = yaml.safe_load(TOPICS.read_bytes())
    assert attachment["filename"] == "config.yml"
    assert set(exported["topic"]) == set(original["topic"])
    assert exported["topic"]["LLM"]["keywords"] == original["topic"]["LLM"]["keywords"]


async def test_export_without_digests(world: BotWorld) -> None:
    async with start_bot(world):
        record = await world.invoke("digest export", {})

    assert record.reply is not None
    assert "no digests to export" in record.reply.content
