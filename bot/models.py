"""Records shared by every part of the bot: papers, announcements and digests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")


@dataclass(frozen=True, slots=True)
class Paper:
    """One arXiv paper as listed in an announcement or returned by a search.

    `id` is the canonical identifier without version (`2511.04976`, `hep-th/9901001`).
    `title` and `abstract` are already cleaned: LaTeX converted, entities decoded and
    whitespace collapsed. `categories` lists the primary category first.
    """

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    version: int | None = None
    announce_type: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    published: dt.datetime | None = None
    updated: dt.datetime | None = None

    @property
    def primary_category(self) -> str | None:
        """The paper's primary category, or None when the source listed none."""
        return self.categories[0] if self.categories else None

    @property
    def versioned_id(self) -> str:
        """The id with its version suffix (`2511.04976v2`) when the version is known."""
        return f"{self.id}v{self.version}" if self.version else self.id

    @property
    def abs_url(self) -> str:
        """The paper's abstract page on arxiv.org."""
        return f"https://arxiv.org/abs/{self.versioned_id}"

    @property
    def pdf_url(self) -> str:
        """The paper's PDF on arxiv.org."""
        return f"https://arxiv.org/pdf/{self.versioned_id}"

    @property
    def html_url(self) -> str:
        """The paper's HTML rendering on arxiv.org (not every paper has one)."""
        return f"https://arxiv.org/html/{self.versioned_id}"


@dataclass(frozen=True, slots=True)
class Announcement:
    """One arXiv mailing as read from a category feed.

    `date` is the announcement date in America/New_York, taken from the feed's
    publication date. An empty `papers` tuple is a normal result: feeds stay empty on
    weekends and holidays.
    """

    date: dt.date | None
    papers: tuple[Paper, ...]
    source: str = ""


@dataclass(frozen=True, slots=True)
class SelectedPaper:
    """A paper chosen for a digest, with the keyword lines and terms that matched it."""

    paper: Paper
    matched_lines: tuple[str, ...] = ()
    matched_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of arXiv API search results with the API's opensearch totals."""

    papers: tuple[Paper, ...]
    total_results: int
    start: int
    items_per_page: int


@dataclass(slots=True)
class Digest:
    """A server's configured digest: what to select from each announcement and where to post.

    `keywords` are rule lines of which any may match; `exclusions` are rule lines of which
    none may match. `post_time` is local time in `timezone` (an IANA name). `role_id` is
    the role mentioned in each post's header, if any. `last_error` and `last_error_at`
    describe the latest failed delivery until a delivery succeeds.
    """

    guild_id: int
    channel_id: int
    name: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...]
    exclusions: tuple[str, ...] = ()
    post_time: dt.time = dt.time(9, 0)
    timezone: str = "UTC"
    include_cross_lists: bool = False
    include_replacements: bool = False
    max_papers: int = 25
    abstract_length: int = 600
    created_by: int | None = None
    id: int | None = None
    paused: bool = False
    pause_reason: str | None = None
    last_announcement: dt.date | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    role_id: int | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
