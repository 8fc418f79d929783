"""Parse arXiv category feeds (RSS 2.0, Atom and the legacy RSS 1.0 RDF) into announcements.

feedparser reads every document. Its strict parser handles well-formed feeds, and its loose
parser recovers the entries of a document that is not well-formed, such as a download cut
off mid-entry. feedparser 6.0.14 takes most of the parse time: about 0.8 s of the 0.9 s for
the 3.2 MB feed of 1,550 papers (benchmarks/preview.py, CPython 3.11, one AMD EPYC core).
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import feedparser

from bot.arxiv.errors import ArxivFeedError, InvalidArxivIdError
from bot.arxiv.ids import parse_id
from bot.arxiv.text import clean_text, clean_title, split_announce_prefix
from bot.models import ANNOUNCE_TYPES, Announcement, Paper

log = logging.getLogger(__name__)

ARXIV_TIME_ZONE = ZoneInfo("America/New_York")
# arXiv mails each announcement at 20:00 US Eastern and dates it the following day. Current
# feeds carry that date at midnight. The legacy RDF feed carries the evening build time
# instead (2021-11-02T20:30 for the announcement of 3 November). A feed time at or after noon
# Eastern therefore belongs to the next day's announcement.
_NEXT_DAY_FROM_HOUR = 12

# Legacy RDF titles end with the id and primary category: `Title. (arXiv:2111.01127v1
# [cs.RO])`, plus ` UPDATED` for replacements and ` CROSS LISTED` for some cross-lists.
_RDF_TITLE = re.compile(
    r"^(?P<title>.*?)\.?\s*\(arXiv:(?P<id>\S+?)\s*\[(?P<primary>[^\]\s]+)\]"
    r"(?:\s+(?P<marker>UPDATED|CROSS LISTED))?\)\s*$",
    re.DOTALL,
)
_FEED_TITLE = re.compile(r"^\s*(?P<categories>\S+)\s+updates on arXiv\.org", re.IGNORECASE)
_HTML_LINK_TEXT = re.compile(r"<a\b[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_PARENTHESES = re.compile(r"\([^()]*\)")
_AUTHOR_SEPARATOR = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+")
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_FEED_END_TAGS = (b"</rss>", b"</feed>", b"</rdf:RDF>")
_ENTRY_END_TAGS = (b"</item>", b"</entry>")


@dataclass(frozen=True, slots=True)
class _FeedContext:
    """The feed details that building a paper needs: categories, format and source."""

    categories: tuple[str, ...]
    legacy_rdf: bool
    source: str


def parse_feed(data: bytes, *, source: str = "") -> Announcement:
    """Parse an arXiv category feed into an Announcement.

    An empty feed (weekends, holidays) gives an announcement without papers. Entries
    without an arXiv id, and the partial last entry of a cut-off download, are skipped
    with a warning naming `source`. Raises ArxivFeedError when the document is not a
    feed at all, for example an HTML error page or the text "Rate exceeded.".
    """
    # Given bytes, feedparser first tries to open them as a file name, which a BytesIO
    # prevents. Its HTML sanitizer would read plain-text abstracts as HTML and cut
    # "a<b and c>d" to "a<b>d", and no paper field uses links inside the text, so both
    # HTML passes are off.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    entries = _complete_entries(parsed, data, source)

    version = parsed.get("version", "")
    context = _FeedContext(
        categories=_feed_categories(parsed.feed.get("title")),
        legacy_rdf=version.startswith("rss1") or version == "rss090",
        source=source,
    )
    papers = []
    for entry in entries:
        paper = _build_paper(entry, context)
        if paper is not None:
            papers.append(paper)

    published = _published(parsed.feed, entries)
    date = announcement_date(published) if published else None
    return Announcement(date=date, papers=tuple(papers), source=source)


def load_feed_file(path: str | os.PathLike[str]) -> Announcement:
    """Parse a saved feed file. Raises ArxivFeedError when the file cannot be read."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise ArxivFeedError(str(path), error.strerror or str(error)) from error
    return parse_feed(data, source=str(path))


def announcement_date(moment: dt.datetime) -> dt.date:
    """Return the announcement date for a feed's publication time.

    The time is converted to America/New_York (a naive time is taken as UTC). Times at or
    after noon there belong to that evening's mailing, which arXiv dates the next day.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ARXIV_TIME_ZONE)
    if local.hour >= _NEXT_DAY_FROM_HOUR:
        return local.date() + dt.timedelta(days=1)
    return local.date()


def split_authors(text: str) -> tuple[str, ...]:
    """Split an author list written as one string (`A, B and C`) into names.

    Parenthesized affiliations are dropped, and `Jr.`-style suffixes stay with their name.
    """
    previous = None
    while previous != text:
        previous, text = text, _PARENTHESES.sub(" ", text)

    names: list[str] = []
    for part in _AUTHOR_SEPARATOR.split(text):
        name = clean_text(part)
        if not name:
            continue
        if names and name.lower() in _NAME_SUFFIXES:
            names[-1] = f"{names[-1]} {name}"
        else:
            names.append(name)
    return tuple(names)


def _complete_entries(parsed: Any, data: bytes, source: str) -> list[Any]:
    problem = parsed.get("bozo_exception")
    reason = f" ({problem})" if problem else ""
    if not parsed.get("version"):
        raise ArxivFeedError(source, f"the document is not an RSS or Atom feed{reason}")

    entries: list[Any] = parsed.entries
    if not parsed.get("bozo"):
        if not entries and not parsed.feed:
            raise ArxivFeedError(source, "the feed has neither a channel nor entries")
        return entries

    # On a document that is not well-formed, feedparser's loose parser also returns the
    # entry that the end of the data cut short, so only entries with an end tag count.
    complete = sum(data.count(tag) for tag in _ENTRY_END_TAGS)
    partial = len(entries) - complete
    entries = entries[:complete]
    if not entries and not any(tag in data for tag in _FEED_END_TAGS):
        # A feed cut off before its first entry looks the same as an empty feed.
        raise ArxivFeedError(source, f"the feed is incomplete and has no entries{reason}")
    if partial > 0:
        log.warning(
            "Feed %s is cut off%s: kept %d complete entries, skipped %d partial",
            source,
            reason,
            complete,
            partial,
        )
    return entries


def _published(feed: Any, entries: Sequence[Any]) -> dt.datetime | None:
    # Early 2024 RSS feeds date only the channel, and later ones also date each item. The
    # RDF feed's dc:date and Atom's <updated> arrive as `updated_parsed`.
    stamps = [feed.get("published_parsed"), feed.get("updated_parsed")]
    stamps += [entry.get("published_parsed") for entry in entries[:1]]
    stamp = next(filter(None, stamps), None)
    if stamp is None:
        return None
    # feedparser converts every date to a UTC struct_time.
    return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC)


def _build_paper(entry: Any, feed: _FeedContext) -> Paper | None:
    title = entry.get("title", "")
    categories = [tag.get("term") or "" for tag in entry.get("tags", ())]
    identifiers = [entry.get("id") or "", entry.get("link") or ""]
    announce_type = entry.get("arxiv_announce_type")
    prefix_id, prefix_type, abstract = split_announce_prefix(entry.get("summary", ""))

    if feed.legacy_rdf:
        match = _RDF_TITLE.match(title)
        if match:
            title = match["title"]
            categories = [match["primary"]]
            identifiers.insert(0, match["id"])
            announce_type = _rdf_announce_type(match["marker"], match["primary"], feed.categories)
    if prefix_id:
        identifiers.insert(0, prefix_id)

    identity = _first_id(identifiers)
    if identity is None:
        log.warning("Skipped an entry without an arXiv id in feed %s: %.80r", feed.source, title)
        return None

    return Paper(
        id=identity[0],
        version=identity[1],
        title=clean_title(title),
        abstract=clean_text(abstract, html=feed.legacy_rdf),
        authors=_authors(entry, html=feed.legacy_rdf),
        categories=_unique(category.strip() for category in categories),
        announce_type=_announce_type(announce_type or prefix_type),
    )


def _first_id(candidates: Iterable[str]) -> tuple[str, int | None] | None:
    # A versioned candidate wins, because RSS links omit the version that the guid carries.
    found: tuple[str, int | None] | None = None
    for candidate in candidates:
        try:
            parsed = parse_id(candidate)
        except InvalidArxivIdError:
            continue
        if parsed[1] is not None:
            return parsed
        found = found or parsed
    return found


def _authors(entry: Any, *, html: bool) -> tuple[str, ...]:
    # Current feeds put all names in one dc:creator, which feedparser reports as a single
    # author. Only several <author> (or dc:creator) elements give a real list.
    names = [author.get("name") or "" for author in entry.get("authors", ())]
    if len(names) > 1:
        return tuple(name for name in (clean_text(n, html=html) for n in names) if name)

    creator = entry.get("author", "")
    if not html:
        return split_authors(creator)
    linked = _HTML_LINK_TEXT.findall(creator)
    if linked:
        return tuple(name for name in (clean_text(n, html=True) for n in linked) if name)
    return split_authors(clean_text(creator, html=True))


def _rdf_announce_type(marker: str | None, primary: str, feed_categories: Sequence[str]) -> str:
    # The legacy feed marks replacements UPDATED. A paper whose primary category lies
    # outside the feed's categories was listed there as a cross-list.
    inside = not feed_categories or any(
        primary == category or primary.startswith(f"{category}.") for category in feed_categories
    )
    if marker == "CROSS LISTED":
        return "cross"
    if marker == "UPDATED":
        return "replace" if inside else "replace-cross"
    return "new" if inside else "cross"


def _announce_type(value: str | None) -> str | None:
    if value is None:
        return None
    normalized = value.strip().lower()
    return normalized if normalized in ANNOUNCE_TYPES else None


def _feed_categories(title: str | None) -> tuple[str, ...]:
    # Channel titles read `cs.AI+cs.CL updates on arXiv.org`.
    match = _FEED_TITLE.match(title or "")
    return tuple(match["categories"].split("+")) if match else ()


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
