"""The `preview` command: select and print a digest from a live or saved feed, no Discord."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.arxiv import ArxivClient, ArxivError, load_feed_file
from bot.digest import select_papers
from bot.digest_config import DigestConfigError, parse_categories, parse_rule_lines
from bot.models import Announcement, Digest, SelectedPaper
from bot.render import render_json, render_markdown, render_text
from bot.rules import compile_rule, explain, format_explanation, prepare_paper
from bot.settings import Settings

# Without --max-papers the preview shows every matching paper.
UNLIMITED_PAPERS = 1_000_000


@dataclass(frozen=True)
class PreviewOptions:
    """What to preview: the feed, the rule lines, the filters and the output format."""

    feed: str | None
    keywords: tuple[str, ...]
    exclusions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    include_cross_lists: bool = False
    include_replacements: bool = False
    max_papers: int | None = None
    output_format: str = "text"
    explain: bool = False


async def run_preview(settings: Settings, options: PreviewOptions) -> int:
    """Print the preview to standard output and return the exit code."""
    try:
        digest = build_preview_digest(options)
        announcement = await load_announcement(settings, options, digest.categories)
    except (DigestConfigError, ArxivError, OSError) as error:
        print(f"arxiv-digest preview: {error}", file=sys.stderr)
        return 2
    except aiohttp.InvalidURL as error:
        print(
            f"arxiv-digest preview: invalid feed URL ({error}). Give a full http(s) URL, "
            "a saved feed file, or check ARXIV_RSS_URL.",
            file=sys.stderr,
        )
        return 2

    selected = select_papers(digest, announcement.papers)
    explanations = explain_papers(digest, selected) if options.explain else {}
    if options.output_format == "json":
        output = render_json(selected)
        if explanations:
            entries = json.loads(output)
            for entry in entries:
                entry["explanation"] = explanations[entry["id"]]
            output = json.dumps(entries, ensure_ascii=False, indent=2)
    elif options.output_format == "markdown":
        output = render_markdown(selected, title="arXiv digest", date=announcement.date)
        output += "".join(
            f"\n\n#### Why arXiv:{paper_id} matched\n\n```\n{text}\n```"
            for paper_id, text in explanations.items()
        )
    else:
        output = render_text(selected, date=announcement.date)
        output += "".join(
            f"\n\nWhy arXiv:{paper_id} matched:\n{text}" for paper_id, text in explanations.items()
        )
    print(output)

    if not announcement.papers:
        print(
            "The feed lists no papers: arXiv makes no announcement on Fridays, Saturdays "
            "and some holidays.",
            file=sys.stderr,
        )
    return 0


def build_preview_digest(options: PreviewOptions) -> Digest:
    """Check the options and build the digest they describe."""
    if options.max_papers is not None and options.max_papers < 1:
        raise DigestConfigError(f"--max-papers {options.max_papers} must be 1 or more.")
    if not options.feed and not options.categories:
        raise DigestConfigError(
            "Give --categories (for example --categories cs.CV) to read the live feed, "
            "or --feed with a feed URL or a saved feed file."
        )

    keywords, exclusions = parse_rule_lines(options.keywords, options.exclusions)
    categories = parse_categories(" ".join(options.categories)) if options.categories else ()
    return Digest(
        guild_id=0,
        channel_id=0,
        name="preview",
        categories=categories,
        keywords=keywords,
        exclusions=exclusions,
        include_cross_lists=options.include_cross_lists,
        include_replacements=options.include_replacements,
        max_papers=options.max_papers or UNLIMITED_PAPERS,
    )


async def load_announcement(
    settings: Settings, options: PreviewOptions, categories: tuple[str, ...]
) -> Announcement:
    """Read the announcement from a saved file, a feed URL or the live category feed."""
    feed = options.feed
    if feed and not feed.lower().startswith(("http://", "https://")):
        path = Path(feed)
        if not path.exists():
            raise DigestConfigError(f"Feed file {feed!r} not found. Give a path or a URL.")
        if not path.is_file():
            raise DigestConfigError(f"Feed path {feed!r} is not a file. Give a saved feed file.")
        return load_feed_file(path)

    async with aiohttp.ClientSession() as session:
        client = ArxivClient(
            session,
            rss_base_url=settings.arxiv_rss_url,
            api_base_url=settings.arxiv_api_url,
            user_agent=settings.user_agent,
            min_interval=settings.arxiv_request_interval,
        )
        if feed:
            return await client.fetch_feed_url(feed)
        return await client.fetch_announcement(categories)


def explain_papers(digest: Digest, selected: Sequence[SelectedPaper]) -> dict[str, str]:
    """Return, by paper id, which lines matched each paper and where each term was found."""
    rule = compile_rule(digest.keywords, digest.exclusions)
    return {
        item.paper.id: format_explanation(explain(rule, prepare_paper(item.paper)))
        for item in selected
    }
