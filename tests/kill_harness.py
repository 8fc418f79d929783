"""Kill the real bot process during deliveries, restart it, and count what each channel got.

Each round starts a fresh fake Discord, fake arXiv and database and runs `arxiv-digest run`
through `tests.loopback_launcher`. It creates five digests in five channels with `/digest
create` and posts them all at once with `/digest post`. The bot gets SIGKILL when the fake
has stored a randomly chosen message. The kill comes either inside the request that
stored the message, before the bot sees the response, or shortly after it. The bot is then
started again on the same database and every digest is posted again. A round passes when
each channel holds every matching paper exactly once.

By default the fake keeps no nonces (`nonce_window=0`), so only the bot's reconciliation
of its recent messages can prevent a repost; Discord itself would also drop a resend with
the same nonce within a few minutes.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import random
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.arxiv import load_feed_file
from bot.digest import select_papers
from bot.models import Digest
from bot.render import pack_embeds, paper_embed
from tests.arxiv_server import ArxivFake
from tests.bot_world import MANAGE_GUILD, posted_paper_ids
from tests.discord_fake import FakeDiscord, FakeGuild, InteractionRecord
from tests.discord_fake.model import FakeChannel
from tests.paths import ARXIV_FIXTURES, REPO

FEED = ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml"
CATEGORY = "cs"
# One digest per keyword line, each matching between 40 and 100 papers of FEED, so the
# cap of 100 keeps every match.
KEYWORDS = ("language model", "benchmark", "LLM", "learning", "data")
MAX_PAPERS = 100
KILL_MODES = ("in request", "after response")
# Upper bound of the random pause before an "after response" kill.
MAX_KILL_DELAY_SECONDS = 0.05
# Generous bounds for a loaded machine; a healthy round takes a few seconds.
START_TIMEOUT_SECONDS = 30.0
DELIVERY_TIMEOUT_SECONDS = 90.0


@dataclass(frozen=True)
class ChannelCount:
    """The papers in one channel at the end of a round, compared with the expected ones."""

    expected: int
    posted: int
    duplicates: int
    missing: int
    unexpected: int

    @property
    def ok(self) -> bool:
        """Whether the channel contains every expected paper exactly once and nothing else."""
        return self.posted == self.expected and not (
            self.duplicates or self.missing or self.unexpected
        )


@dataclass
class RoundResult:
    """One kill and restart: where the kill came and the papers in each channel afterwards."""

    index: int
    kill_at: int
    total_messages: int
    mode: str
    stored_at_kill: int = 0
    reconciled_messages: int = 0
    counts: list[ChannelCount] = field(default_factory=list)

    @property
    def killed_during_delivery(self) -> bool:
        """Whether the bot died before the first run had posted every message."""
        return self.stored_at_kill < self.total_messages

    @property
    def ok(self) -> bool:
        """Whether every channel holds every matching paper exactly once."""
        return bool(self.counts) and all(count.ok for count in self.counts)


def expected_posts() -> list[tuple[list[str], int]]:
    """Return, per digest, the paper ids it must post and the messages a full post takes."""
    papers = load_feed_file(FEED).papers
    result = []
    for keyword in KEYWORDS:
        digest = Digest(0, 0, keyword, (CATEGORY,), (keyword,), max_papers=MAX_PAPERS)
        selected = select_papers(digest, papers)
        embeds = [
            paper_embed(
                item.paper,
                abstract_length=digest.abstract_length,
                highlight_terms=item.matched_terms,
            )
            for item in selected
        ]
        result.append(([item.paper.id for item in selected], len(pack_embeds(embeds))))
    return result


class BotProcess:
    """The `arxiv-digest run` process, pointed at the fakes, with its output in a file."""

    def __init__(self, environment: dict[str, str], workdir: Path) -> None:
        self.environment = environment
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        """The process id of the running bot."""
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        """Start the bot; its output goes to `bot.log` in the work folder."""
        with self.log_path.open("ab") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.loopback_launcher",
                "run",
                cwd=self.workdir,
                env=self.environment,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def wait_killed(self, timeout: float) -> None:
        """Wait for the process to end; kill it when it is still running after `timeout`."""
        assert self.process is not None
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.kill()
            await self.process.wait()

    def kill(self) -> None:
        """Send SIGKILL, unless the process has ended already."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    async def stop(self) -> None:
        """Stop the bot with SIGINT, as Ctrl+C does, and wait for it."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        await self.wait_killed(START_TIMEOUT_SECONDS)


class KillSwitch:
    """Kill the bot when the fake has stored the `kill_at`-th message in the digest channels."""

    def __init__(
        self, fake: FakeDiscord, channel_ids: set[int], kill_at: int, mode: str, delay: float
    ) -> None:
        self.fake = fake
        self.channel_ids = channel_ids
        self.kill_at = kill_at
        self.mode = mode
        self.delay = delay
        self.stored = 0
        self.stored_at_kill: int | None = None

    def arm(self, kill: Callable[[], None]) -> None:
        """Start counting stored messages, and call `kill` at the chosen one."""
        add = self.fake.store.add

        def counting_add(channel: FakeChannel, message: dict[str, Any], *, ephemeral: bool) -> None:
            add(channel, message, ephemeral=ephemeral)
            if channel.id not in self.channel_ids or ephemeral:
                return
            self.stored += 1
            if self.stored != self.kill_at:
                return
            if self.mode == "in request":
                # The response to this request never reaches the bot.
                self._fire(kill)
            else:
                asyncio.get_running_loop().call_later(self.delay, self._fire, kill)

        # mypy's method-assign rule flags this, but the wrapper shadows the method on this
        # one instance only, and `disarm` deletes it again.
        self.fake.store.add = counting_add  # type: ignore[method-assign]

    def disarm(self) -> None:
        """Stop counting; the store's own method applies again."""
        with contextlib.suppress(AttributeError):
            del self.fake.store.add

    def _fire(self, kill: Callable[[], None]) -> None:
        if self.stored_at_kill is None:
            self.stored_at_kill = self.stored
            kill()


async def run_round(
    index: int,
    rng: random.Random,
    workdir: Path,
    *,
    nonce_window: float = 0.0,
    mode: str | None = None,
) -> RoundResult:
    """Run one kill-and-restart round in `workdir` and return its counts.

    `rng` picks the message to kill at and, unless `mode` is given, one of KILL_MODES.
    """
    expected = expected_posts()
    total = sum(messages for _ids, messages in expected)
    mode = mode or rng.choice(KILL_MODES)
    result = RoundResult(index, rng.randint(1, total - 1), total, mode)
    delay = rng.uniform(0, MAX_KILL_DELAY_SECONDS)

    fake = FakeDiscord(nonce_window=nonce_window)
    await fake.start()
    try:
        async with ArxivFake() as arxiv:
            arxiv.set_feed(CATEGORY, FEED)
            await _run_round_against(fake, arxiv, workdir, result, expected, delay)
    finally:
        await fake.close()
    return result


async def _run_round_against(
    fake: FakeDiscord,
    arxiv: ArxivFake,
    workdir: Path,
    result: RoundResult,
    expected: list[tuple[list[str], int]],
    delay: float,
) -> None:
    guild = fake.add_guild("Kill test")
    channels = [guild.add_text_channel(f"digest-{number}") for number in range(len(KEYWORDS))]
    admin = guild.add_member(name="admin", permissions=MANAGE_GUILD)
    bot = BotProcess(_environment(fake, arxiv, guild, workdir), workdir)
    switch = KillSwitch(fake, set(channels), result.kill_at, result.mode, delay)

    try:
        await bot.start()
        await _wait_ready(fake, identify_count=1)
        for number, (channel, keyword) in enumerate(zip(channels, KEYWORDS, strict=True)):
            options = _create_options(number, channel, keyword)
            created = await fake.invoke(guild.id, channel, admin, "digest create", options)
            await created.wait_for_reply(timeout=START_TIMEOUT_SECONDS)

        switch.arm(bot.kill)
        await _post_all(fake, guild, channels, admin, wait=False)
        await bot.wait_killed(DELIVERY_TIMEOUT_SECONDS)
        switch.disarm()
        result.stored_at_kill = switch.stored_at_kill or switch.stored

        await bot.start()
        await _wait_ready(fake, identify_count=2)
        await _post_all(fake, guild, channels, admin, wait=True)
    finally:
        switch.disarm()
        await bot.stop()

    result.reconciled_messages = bot.log_path.read_text().count("not recorded as posted")
    for channel, (ids, _messages) in zip(channels, expected, strict=True):
        result.counts.append(_count(ids, posted_paper_ids(fake.messages(channel))))


def _environment(fake: FakeDiscord, arxiv: ArxivFake, guild: FakeGuild, workdir: Path) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bot.db'}",
        "ARXIV_RSS_URL": arxiv.rss_base_url,
        "ARXIV_API_URL": arxiv.api_base_url,
        "ARXIV_REQUEST_INTERVAL": "0",
        "ARXIV_CONTACT": "kill-test@example.invalid",
        "DEV_GUILD_ID": str(guild.id),
        "LOG_LEVEL": "INFO",
        "LOOPBACK_DISCORD_API": fake.base_url,
        "LOOPBACK_DISCORD_GATEWAY": fake.gateway_url,
    }


def _create_options(number: int, channel: int, keyword: str) -> dict[str, Any]:
    return {
        "name": f"Digest {number}",
        "channel": channel,
        "categories": CATEGORY,
        "keywords": keyword,
        "max_papers": MAX_PAPERS,
    }


async def _wait_ready(fake: FakeDiscord, *, identify_count: int) -> None:
    await fake.wait_until_identified(count=identify_count, timeout=START_TIMEOUT_SECONDS)
    await fake.settle(timeout=START_TIMEOUT_SECONDS)


async def _post_all(
    fake: FakeDiscord, guild: FakeGuild, channels: list[int], admin: int, *, wait: bool
) -> list[InteractionRecord]:
    records = []
    for number, channel in enumerate(channels):
        options = {"name": f"Digest {number}"}
        records.append(await fake.invoke(guild.id, channel, admin, "digest post", options))
    if wait:
        for record in records:
            await record.wait_for_reply(timeout=DELIVERY_TIMEOUT_SECONDS)
    return records


def _count(expected: list[str], posted: list[str]) -> ChannelCount:
    occurrences = collections.Counter(posted)
    expected_set = set(expected)
    return ChannelCount(
        expected=len(expected),
        posted=len(posted),
        duplicates=sum(count - 1 for count in occurrences.values() if count > 1),
        missing=len(expected_set - occurrences.keys()),
        unexpected=len(occurrences.keys() - expected_set),
    )


def format_row(result: RoundResult) -> str:
    """Format one round as a Markdown table row."""
    counts = " ".join(f"{count.posted}/{count.expected}" for count in result.counts)
    duplicates = sum(count.duplicates for count in result.counts)
    missing = sum(count.missing for count in result.counts)
    return (
        f"| {result.index} | {result.kill_at} of {result.total_messages} | {result.mode} "
        f"| {result.stored_at_kill} | {result.reconciled_messages} | {counts} "
        f"| {duplicates} | {missing} | {'ok' if result.ok else 'FAILED'} |"
    )


TABLE_HEADER = (
    "| round | kill at message | kill | stored before kill | reconciled messages "
    "| posted/expected per channel | duplicates | missing | result |\n"
    "|---:|---|---|---:|---:|---|---:|---:|---|"
)
