"""Build arXiv API query URLs and parse the API's Atom responses into search pages.

Both response formats arXiv has used are read: the legacy one (until late 2025:
namespaces declared on each element, hard-wrapped titles and summaries) and the current
one (namespaces on <feed>, https links, one-line summaries).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

from bot.arxiv.errors import (
    ArxivApiError,
    ArxivFeedError,
    ArxivHTTPError,
    ArxivRateLimitedError,
    InvalidArxivIdError,
)
from bot.arxiv.ids import parse_id
from bot.arxiv.text import clean_abstract, clean_text, clean_title, collapse_whitespace
from bot.models import Paper, SearchPage

log = logging.getLogger(__name__)

SORT_BY = ("relevance", "lastUpdatedDate", "submittedDate")
SORT_ORDER = ("ascending", "descending")
# The API returns at most 2,000 results per call.
MAX_RESULTS_PER_CALL = 2000
RATE_EXCEEDED = b"Rate exceeded."

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_ERROR_ID_MARKER = "/api/errors"


def build_query_url(
    base: str,
    search_query: str = "",
    *,
    id_list: Sequence[str] = (),
    start: int = 0,
    max_results: int = 10,
    sort_by: str = "relevance",
    sort_order: str = "descending",
) -> str:
    """Build an API query URL with `search_query` percent-encoded once (spaces as `%20`).

    Raises ValueError for a negative start, a page size outside 1-2000, or a sort
    option the API does not know.
    """
    if start < 0:
        raise ValueError(f"start must be 0 or more, not {start}")
    if not 1 <= max_results <= MAX_RESULTS_PER_CALL:
        raise ValueError(f"max_results must be 1 to {MAX_RESULTS_PER_CALL}, not {max_results}")
    if sort_by not in SORT_BY:
        raise ValueError(f"sort_by must be one of {', '.join(SORT_BY)}, not {sort_by!r}")
    if sort_order not in SORT_ORDER:
        raise ValueError(f"sort_order must be ascending or descending, not {sort_order!r}")

    parameters = {
        "search_query": search_query,
        "id_list": ",".join(id_list),
        "start": str(start),
        "max_results": str(max_results),
        "sortBy": sort_by,
        "sortOrder": sort_order,
    }
    return f"{base}?{urlencode(parameters, quote_via=quote)}"


def parse_search(data: bytes, *, status: int, url: str) -> SearchPage:
    """Parse an API response body into a SearchPage.

    Raises ArxivApiError for the API's `Error` entry (HTTP 400 or 200),
    ArxivRateLimitedError for the plain text "Rate exceeded.", ArxivHTTPError for another
    non-200 status, and ArxivFeedError for a body that is not an Atom feed.
    """
    if data.strip().startswith(RATE_EXCEEDED):
        raise ArxivRateLimitedError(url, status, attempts=1, reason='"Rate exceeded."')
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        if status != 200:
            raise ArxivHTTPError(url, status) from error
        raise ArxivFeedError(url, f"the API response is not valid XML ({error})") from error
    if root.tag != f"{_ATOM}feed":
        raise ArxivFeedError(url, "the API response is not an Atom feed", status=status)

    entries = root.findall(f"{_ATOM}entry")
    _raise_for_error_entry(entries, url=url, status=status)
    if status != 200:
        raise ArxivHTTPError(url, status)

    papers = []
    for entry in entries:
        paper = _parse_entry(entry, url)
        if paper is not None:
            papers.append(paper)

    return SearchPage(
        papers=tuple(papers),
        total_results=_int(root, "totalResults", len(papers)),
        start=_int(root, "startIndex", 0),
        items_per_page=_int(root, "itemsPerPage", len(papers)),
    )


def _raise_for_error_entry(entries: list[ElementTree.Element], *, url: str, status: int) -> None:
    for entry in entries:
        entry_id = entry.findtext(f"{_ATOM}id") or ""
        title = (entry.findtext(f"{_ATOM}title") or "").strip()
        if title == "Error" and _ERROR_ID_MARKER in entry_id:
            message = collapse_whitespace(entry.findtext(f"{_ATOM}summary") or entry_id)
            raise ArxivApiError(message, url=url, status=status)


def _parse_entry(entry: ElementTree.Element, url: str) -> Paper | None:
    entry_id = entry.findtext(f"{_ATOM}id") or ""
    try:
        canonical, version = parse_id(entry_id)
    except InvalidArxivIdError:
        log.warning("Skipped an API entry with the unreadable id %r from %s", entry_id, url)
        return None

    primary = entry.find(f"{_ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [category.get("term", "") for category in entry.findall(f"{_ATOM}category")]

    return Paper(
        id=canonical,
        version=version,
        title=clean_title(entry.findtext(f"{_ATOM}title")),
        abstract=clean_abstract(entry.findtext(f"{_ATOM}summary")),
        authors=_authors(entry),
        categories=tuple(dict.fromkeys(term.strip() for term in terms if term.strip())),
        comment=_optional_text(entry, f"{_ARXIV}comment"),
        journal_ref=_optional_text(entry, f"{_ARXIV}journal_ref"),
        doi=collapse_whitespace(entry.findtext(f"{_ARXIV}doi") or "") or None,
        published=_datetime(entry.findtext(f"{_ATOM}published")),
        updated=_datetime(entry.findtext(f"{_ATOM}updated")),
    )


def _authors(entry: ElementTree.Element) -> tuple[str, ...]:
    names = (clean_text(name.text) for name in entry.iter(f"{_ATOM}name"))
    return tuple(name for name in names if name)


def _optional_text(entry: ElementTree.Element, tag: str) -> str | None:
    return clean_text(entry.findtext(tag)) or None


def _int(root: ElementTree.Element, name: str, default: int) -> int:
    text = root.findtext(f"{_OPENSEARCH}{name}")
    try:
        return int(text.strip()) if text else default
    except ValueError:
        return default


def _datetime(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
