"""Command line: run the bot, preview a digest, import and export topic files."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.preview import PreviewOptions, run_preview
from bot.rules import compiled
from bot.settings import BOT_VERSION, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.core import DigestBot
    from bot.models import Digest
    from bot.store import Store
    from bot.topics_store import SavedDigest

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with the `run`, `preview`, `import` and `export` subcommands."""
    parser = argparse.ArgumentParser(
        prog="arxiv-digest",
        description="Post daily arXiv digests to Discord, or preview one in the terminal.",
    )
    matching = "compiled" if compiled.is_built() else "Python only"
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {BOT_VERSION} (rule matching: {matching})"
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
        "--explain",
        action="store_true",
        help="show for each paper which line matched and where each term was found",
    )
    preview.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output format (default: text)",
    )
    add_topic_commands(commands)
    return parser


def add_topic_commands(commands: argparse._SubParsersAction) -> None:
    """Add the `import` and `export` subcommands for topic files."""
    topic_import = commands.add_parser(
        "import",
        help="create one digest per topic of a topic file (the config.yml of the public daily "
        "arXiv digests) in the database of DATABASE_URL",
    )
    topic_import.add_argument("file", metavar="FILE", help="the topic file; - reads standard input")
    topic_import.add_argument("--guild", required=True, metavar="ID", help="the server id")
    topic_import.add_argument(
        "--channel", required=True, metavar="ID", help="the id of the channel to post to"
    )
    topic_import.add_argument(
        "--post-time", default="09:00", metavar="HH:MM", help="local post time (default: 09:00)"
    )
    topic_import.add_argument(
        "--timezone", default="UTC", metavar="ZONE", help="IANA time zone (default: UTC)"
    )
    topic_import.add_argument(
        "--replace",
        action="store_true",
        help="replace the server's digests that have the name of a topic (default: stop)",
    )

    topic_export = commands.add_parser("export", help="write a server's digests as a topic file")
    topic_export.add_argument("--guild", required=True, metavar="ID", help="the server id")
    topic_export.add_argument(
        "--output", metavar="FILE", help="the file to write (default: standard output)"
    )


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
    if args.command in ("import", "export"):
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        run_topics = run_import if args.command == "import" else run_export
        return run_topics(settings, args)

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
        explain=args.explain,
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


class CommandLineError(Exception):
    """A command-line value or file is invalid. The message names it and the fix."""


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import a topic file into the database, all topics or none, and return the exit code."""
    from bot.digest_config import DigestConfigError, parse_post_time, parse_timezone
    from bot.topics import TopicFileError, parse_topics, topics_to_digests

    try:
        guild_id = parse_discord_id(args.guild, "--guild", "server")
        channel_id = parse_discord_id(args.channel, "--channel", "channel")
        post_time = parse_post_time(args.post_time)
        timezone = parse_timezone(args.timezone)
        topic_file = parse_topics(read_topic_file(args.file))
        digests = topics_to_digests(
            topic_file,
            guild_id=guild_id,
            channel_id=channel_id,
            post_time=post_time,
            timezone=timezone,
        )
    except (CommandLineError, DigestConfigError, TopicFileError) as error:
        return fail(str(error))

    for warning in topic_file.warnings:
        print(f"arxiv-digest: warning: {warning}", file=sys.stderr)
    try:
        saved = asyncio.run(_save_digests(settings.database_url, digests, replace=args.replace))
    except CommandLineError as error:
        return fail(str(error))

    for entry in saved:
        print(describe_saved(entry))
    print(
        f"Saved {count(len(saved), 'digest')}. A running bot schedules them at its next start, so "
        "restart it (arxiv-digest run)."
    )
    return 0


async def _save_digests(url: str, digests: list[Digest], *, replace: bool) -> list[SavedDigest]:
    from bot.store import DuplicateDigestError
    from bot.topics_store import save_digests

    try:
        async with _open_store(url) as store:
            return await save_digests(store, digests, replace=replace)
    except DuplicateDigestError as error:
        raise CommandLineError(
            f"{error} Nothing was imported. Rename the topic {error.name!r} in the file, "
            "remove that digest, or add --replace to replace it."
        ) from None


def run_export(settings: Settings, args: argparse.Namespace) -> int:
    """Write a guild's digests as a topic file to --output or standard output."""
    from bot.topics import NoDigestsError

    try:
        guild_id = parse_discord_id(args.guild, "--guild", "server")
        text = asyncio.run(_export_topics(settings.database_url, guild_id))
    except CommandLineError as error:
        return fail(str(error))
    except NoDigestsError as error:
        return fail(f"{error} Check --guild and DATABASE_URL.")

    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as error:
        return fail(f"Could not write {args.output!r}: {error.strerror}. Check the path.")
    print(f"Wrote the digests of guild {guild_id} to {args.output}.")
    return 0


async def _export_topics(url: str, guild_id: int) -> str:
    from bot.topics_store import export_topics

    async with _open_store(url) as store:
        return await export_topics(store, guild_id)


@contextlib.asynccontextmanager
async def _open_store(url: str) -> AsyncIterator[Store]:
    """Open the store at `url`, turning database failures into one-line errors."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import DigestNotFoundError, Store, StoreError

    try:
        store = await Store.open(url)
    except (StoreError, SQLAlchemyError, OSError) as error:
        raise CommandLineError(
            f"Could not open the database of DATABASE_URL: {first_line(error)} Check DATABASE_URL."
        ) from None
    try:
        yield store
    except (DigestNotFoundError, SQLAlchemyError, OSError) as error:
        raise CommandLineError(
            f"The database failed: {first_line(error)} Nothing was changed. Try again."
        ) from None
    finally:
        await store.close()


def parse_discord_id(text: str, option: str, kind: str) -> int:
    """Parse a Discord id (a snowflake) given to `option`, or raise CommandLineError."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**63:
        raise CommandLineError(
            f"Invalid {option} {text!r}: use the numeric {kind} id. In Discord, turn on "
            f"Developer Mode, right-click the {kind} and choose Copy {kind.title()} ID."
        )
    return int(value)


def read_topic_file(name: str) -> str:
    """Return the text of the topic file `name`, or of standard input for `-`."""
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CommandLineError(
            f"The topic file {name!r} is not UTF-8 text. Save it as UTF-8."
        ) from None
    except OSError as error:
        raise CommandLineError(
            f"Could not read the topic file {name!r}: {error.strerror}. Check the path."
        ) from None


def describe_saved(entry: SavedDigest) -> str:
    """Return the line that reports one imported digest."""
    digest = entry.digest
    action = "Replaced" if entry.replaced else "Created"
    return (
        f'{action} digest "{digest.name}" for channel {digest.channel_id}: '
        f"{count(len(digest.keywords), 'keyword line')}, "
        f"{count(len(digest.exclusions), 'exclusion line')}, "
        f"categories {' '.join(digest.categories)}, posted at "
        f"{digest.post_time:%H:%M} {digest.timezone}."
    )


def count(number: int, noun: str) -> str:
    """Return `number` with `noun`, in the plural unless the number is 1."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def first_line(error: BaseException) -> str:
    """Return the first line of an error's message, ending with a period."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0].rstrip(".") + "."


def fail(message: str) -> int:
    """Print a one-line error to standard error and return exit code 2."""
    print(f"arxiv-digest: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
