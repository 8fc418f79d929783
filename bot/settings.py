"""Settings read from the environment and an optional `.env` file."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/arxiv-digest.db"
DEFAULT_RSS_URL = "https://rss.arxiv.org/rss"
DEFAULT_API_URL = "https://export.arxiv.org/api/query"
# arXiv asks automated clients for at most one request every three seconds.
DEFAULT_REQUEST_INTERVAL = 3.0
# At start, a digest that missed announcements while the bot was down posts at most this
# many of them, the newest ones.
DEFAULT_CATCH_UP_LIMIT = 3

BOT_NAME = "arxiv-digest"
BOT_VERSION = "0.1.0"


class SettingsError(Exception):
    """A setting is missing or has an invalid value."""


@dataclass(frozen=True)
class Settings:
    """Configuration of one bot process.

    The token is excluded from `repr` so that logging a Settings object never shows it.
    """

    discord_token: str | None = field(default=None, repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    arxiv_rss_url: str = DEFAULT_RSS_URL
    arxiv_api_url: str = DEFAULT_API_URL
    arxiv_contact: str | None = None
    arxiv_request_interval: float = DEFAULT_REQUEST_INTERVAL
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    catch_up_limit: int = DEFAULT_CATCH_UP_LIMIT

    @property
    def user_agent(self) -> str:
        """Build the User-Agent sent to arXiv, naming the bot and the operator's contact."""
        contact = self.arxiv_contact or "no contact configured"
        return f"{BOT_NAME}/{BOT_VERSION} (Discord digest bot; {contact})"

    def require_token(self) -> str:
        """Return the Discord token or raise SettingsError explaining how to get one."""
        if self.discord_token:
            return self.discord_token
        raise SettingsError(
            "DISCORD_TOKEN is not set. Create an application at "
            "https://discord.com/developers/applications, open Bot > Reset Token, and put "
            "DISCORD_TOKEN=<token> in the environment or in a .env file (see .env.example). "
            "To try the digest without Discord, run: arxiv-digest preview --help"
        )


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read settings from the environment, after loading `env_file` if it exists.

    Variables already set in the environment win over the file.
    """
    if env_file is not None and Path(env_file).is_file():
        load_dotenv(env_file, override=False)

    return Settings(
        discord_token=os.environ.get("DISCORD_TOKEN") or None,
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        arxiv_rss_url=(os.environ.get("ARXIV_RSS_URL") or DEFAULT_RSS_URL).rstrip("/"),
        arxiv_api_url=os.environ.get("ARXIV_API_URL") or DEFAULT_API_URL,
        arxiv_contact=os.environ.get("ARXIV_CONTACT") or None,
        arxiv_request_interval=_read_float("ARXIV_REQUEST_INTERVAL", DEFAULT_REQUEST_INTERVAL),
        dev_guild_id=_read_int("DEV_GUILD_ID"),
        log_level=_read_log_level(),
        catch_up_limit=_read_count("CATCH_UP_LIMIT", DEFAULT_CATCH_UP_LIMIT),
    )


def _read_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise SettingsError(f"{name}={raw!r} is not a Discord id. Use the numeric server id.")
    return int(raw)


def _read_count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SettingsError(f"{name}={raw!r} is not a whole number. Use 0 or more, e.g. 3.")
    return int(raw)


def _read_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number of seconds.") from None
    if not math.isfinite(value) or value < 0:
        raise SettingsError(f"{name}={raw!r} is not a valid number of seconds. Use e.g. 3.")
    return value


def _read_log_level() -> str:
    level = (os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(
            f"LOG_LEVEL={level!r} is not a logging level. Use DEBUG, INFO, WARNING or ERROR."
        )
    return level
