"""Command line: `arxiv-digest run` starts the bot, `arxiv-digest preview` prints a digest."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.preview import PreviewOptions, run_preview
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.core import DigestBot

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with the `run` and `preview` subcommands."""
    parser = argparse.ArgumentParser(
        prog="arxiv-digest",
        description="Post daily arXiv digests to Discord, or preview one in the terminal.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument(
        "--sync-global",
        action="store_true",
        help="publish the slash commands to every server before starting (takes up to an "
        "hour to show up in Discord; set DEV_GUILD_ID for instant updates in one server)",
    )

    preview = commands.add_parser(
        "preview",
        help="print the digest of the latest announcement for some keywords, without Discord",
    )
    preview.add_argument(
        "--feed",
        metavar="URL_OR_FILE",
        help="an arXiv RSS/Atom feed URL or a saved feed file (default: the live RSS feed of "
        "--categories)",
    )
    preview.add_argument(
        "--keyword",
        action="append",
        required=True,
        metavar="TEXT",
        help="a keyword line; repeat for more lines (any line may match); use AND inside a "
        "line to need all of its terms",
    )
    preview.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="TEXT",
        help="an exclusion line; papers matching any of them are left out",
    )
    preview.add_argument(
        "--categories",
        nargs="+",
        default=[],
        metavar="CAT",
        help="arXiv categories such as cs.CV cs.CL; required without --feed, and a filter with it",
    )
    preview.add_argument(
        "--cross-lists", action="store_true", help="include papers cross-listed into the categories"
    )
    preview.add_argument(
        "--replacements", action="store_true", help="include new versions of older papers"
    )
    preview.add_argument(
        "--max-papers", type=int, default=None, metavar="N", help="show at most N papers"
    )
    preview.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output format (default: text)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"arxiv-digest: {error}", file=sys.stderr)
        return 2

    if args.command == "run":
        return run_bot(settings, sync_global=args.sync_global)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = PreviewOptions(
        feed=args.feed,
        keywords=tuple(args.keyword),
        exclusions=tuple(args.exclude),
        categories=tuple(args.categories),
        include_cross_lists=args.cross_lists,
        include_replacements=args.replacements,
        max_papers=args.max_papers,
        output_format=args.format,
    )
    try:
        return asyncio.run(run_preview(settings, options))
    except BrokenPipeError:
        # The reader of the output went away (as with `| head`), which is not an error.
        sys.stderr.close()
        return 0


def run_bot(settings: Settings, *, sync_global: bool = False) -> int:
    """Start the bot and block until it stops; return the exit code."""
    try:
        token = settings.require_token()
    except SettingsError as error:
        print(f"arxiv-digest: {error}", file=sys.stderr)
        return 2

    configure_logging(settings.log_level)
    # Imported here so that `preview` does not pay for loading discord.py's client.
    import discord

    from bot.core import DigestBot

    # The bot has no voice features, so discord.py's warnings about voice libraries are noise.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    bot = DigestBot(settings, sync_global=sync_global)
    try:
        asyncio.run(_serve(bot, token))
    except KeyboardInterrupt:
        log.info("Stopped by the user")
    return 0


def configure_logging(level: str) -> None:
    """Send log records at `level` and above to standard error, once for the process."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic lists its plugins at INFO on every start, which buries the bot's own lines.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


async def _serve(bot: DigestBot, token: str) -> None:
    # Leaving the context closes the bot, its store and its HTTP session, also on Ctrl+C.
    async with bot:
        await bot.start(token)


if __name__ == "__main__":
    sys.exit(main())
