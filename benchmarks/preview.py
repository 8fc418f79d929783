"""Time the steps of a preview on a large saved feed: parse, match, render.

Usage: python benchmarks/preview.py [FEED] [--repeat N]

FEED defaults to the 1,550-paper cs feed in ../shared/fixtures/arxiv next to the repository.
Each step runs N times (default 5); the script prints the best and the median time of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.arxiv import parse_feed
from bot.digest import select_papers
from bot.models import Digest
from bot.render import pack_embeds, paper_embed, render_json, render_markdown

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FEED = REPO.parent / "shared" / "fixtures" / "arxiv" / "rss-cs-2026-05-11-constructed.xml"
# The keyword lines of a typical large-language-model digest.
KEYWORDS = (
    "LLM",
    "Large Language Model",
    "GPT",
    "VLM",
    "MLLM",
    "Vision Language Model",
    "reasoning AND benchmark",
)

T = TypeVar("T")


def measure(repeat: int, step: Callable[[], T]) -> tuple[T, list[float]]:
    """Run `step` `repeat` times and return its last result and every duration in seconds."""
    durations = []
    result = step()
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        durations.append(time.perf_counter() - start)
    return result, durations


def report(label: str, durations: list[float]) -> None:
    """Print the best and median duration of a step in milliseconds."""
    best = min(durations) * 1000
    median = statistics.median(durations) * 1000
    print(f"{label:<28} best {best:8.1f} ms   median {median:8.1f} ms")


def main() -> int:
    """Run the benchmark and print one line per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("feed", nargs="?", type=Path, default=DEFAULT_FEED)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    data = args.feed.read_bytes()
    digest = Digest(
        guild_id=0,
        channel_id=0,
        name="benchmark",
        categories=("cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.MA", "cs.RO"),
        keywords=KEYWORDS,
        include_cross_lists=True,
        include_replacements=True,
        max_papers=1_000_000,
    )

    announcement, parse_times = measure(
        args.repeat, lambda: parse_feed(data, source=str(args.feed))
    )
    selected, match_times = measure(args.repeat, lambda: select_papers(digest, announcement.papers))

    def render() -> int:
        embeds = [paper_embed(item.paper, highlight_terms=item.matched_terms) for item in selected]
        messages = pack_embeds(embeds)
        render_markdown(selected, title="benchmark", date=announcement.date)
        render_json(selected)
        return len(messages)

    message_count, render_times = measure(args.repeat, render)

    print(f"feed: {args.feed.name} ({len(data) / 1e6:.1f} MB, {len(announcement.papers)} papers)")
    print(f"matched: {len(selected)} papers in {message_count} Discord messages")
    report("parse (feedparser + clean)", parse_times)
    report("match (select_papers)", match_times)
    report("render (embeds, md, json)", render_times)
    total = [sum(step) for step in zip(parse_times, match_times, render_times, strict=True)]
    report("total", total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
