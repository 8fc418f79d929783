"""Tests for API query URLs and for parsing every saved API response."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest

from bot.arxiv.api import build_query_url, parse_search
from bot.arxiv.errors import ArxivApiError, ArxivFeedError, ArxivHTTPError, ArxivRateLimitedError
from bot.models import SearchPage
from tests.paths import ARXIV_FIXTURES

API_FILES = sorted(ARXIV_FIXTURES.glob("api-*.atom"))
ERROR_FILE = ARXIV_FIXTURES / "api-error-malformed-id-abc-http400.atom"
RESULT_FILES = [path for path in API_FILES if path != ERROR_FILE]
URL = "https://export.arxiv.org/api/query?id_list=x"

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"


def parse_file(name: str) -> SearchPage:
    return parse_search((ARXIV_FIXTURES / name).read_bytes(), status=200, url=URL)


def raw_entries(path: Path) -> list[ElementTree.Element]:
    return ElementTree.parse(path).getroot().findall(f"{_ATOM}entry")


def test_fixture_folder_has_every_api_response() -> None:
    assert len(API_FILES) == 13


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.name)
def test_every_response_entry_parsed(path: Path) -> None:
    page = parse_search(path.read_bytes(), status=200, url=URL)
    assert len(page.papers) == len(raw_entries(path))


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.name)
def test_every_response_primary_category_first(path: Path) -> None:
    page = parse_search(path.read_bytes(), status=200, url=URL)
    for paper, entry in zip(page.papers, raw_entries(path), strict=True):
        primary = entry.find(f"{_ARXIV}primary_category")
        assert primary is not None
        assert paper.categories[0] == primary.get("term"), paper.id


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.name)
def test_every_response_paper_complete(path: Path) -> None:
    for paper in parse_search(path.read_bytes(), status=200, url=URL).papers:
        assert paper.version is not None, paper.id
        assert paper.title, paper.id
        assert paper.abstract == paper.abstract.strip(), paper.id
        assert "\n" not in paper.title, paper.id
        assert paper.authors, paper.id
        assert paper.published is not None, paper.id
        assert paper.published.tzinfo is not None, paper.id
        assert paper.updated is not None, paper.id
        assert paper.updated >= paper.published, paper.id


@pytest.mark.parametrize("status", [400, 200])
def test_error_entry_raises(status: int) -> None:
    with pytest.raises(ArxivApiError) as caught:
        parse_search(ERROR_FILE.read_bytes(), status=status, url=URL)
    assert caught.value.api_message == "incorrect id format for abc"
    assert caught.value.url == URL
    assert caught.value.status == status
    assert "incorrect id format for abc" in str(caught.value)


def test_empty_result_has_totals() -> None:
    page = parse_file("api-idlist-0000.0000-empty.atom")
    assert page.papers == ()
    assert page.total_results == 0
    assert page.start == 0
    assert page.items_per_page == 100


def test_search_totals() -> None:
    page = parse_file("api-search-all-testing-start10-max10.atom")
    assert page.total_results == 214881
    assert page.start == 10
    assert page.items_per_page == 10


def test_current_format_doi_comment_journal() -> None:
    paper = parse_file("api-search-all-testing-start0-max10.atom").papers[0]
    assert paper.id == "2202.12139"
    assert paper.doi == "10.1109/ICSTW55395.2022.00035"
    assert paper.comment == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert paper.journal_ref is not None
    assert paper.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022")
    assert paper.published == dt.datetime(2022, 2, 24, 15, 5, 19, tzinfo=dt.UTC)


def test_utf8_author_names() -> None:
    page = parse_file("api-search-all-testing-start0-max10.atom")
    authors = {name for paper in page.papers for name in paper.authors}
    assert "Aurora Ramírez" in authors


def test_idlist_comment() -> None:
    paper = parse_file("api-idlist-1605.08386.atom").papers[0]
    assert paper.id == "1605.08386"
    assert paper.version == 1
    assert paper.comment == "20 pages, 3 figures"
    assert paper.categories == ("math.CO", "math.ST")
    assert paper.authors == ("Caprice Stanley", "Tobias Windisch")


def test_title_zero_is_kept() -> None:
    paper = parse_file("api-idlist-2104.12255v1-title-0.atom").papers[0]
    assert paper.title == "0"
    assert paper.id == "2104.12255"
    assert "$35,000" in paper.abstract


def test_old_style_id() -> None:
    paper = parse_file("api-idlist-astro-ph_0601001-oldstyle-id.atom").papers[0]
    assert paper.id == "astro-ph/0601001"
    assert paper.version == 1
    assert paper.categories == ("astro-ph",)
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert len(paper.authors) == 4
    assert paper.abstract.startswith("We derive the frequencies of hot Jupiters")


def test_two_ids_one_found() -> None:
    page = parse_file("api-idlist-two-ids-one-found.atom")
    assert [paper.id for paper in page.papers] == ["1707.08567"]
    assert page.total_results == 1


def test_legacy_idlist_fields() -> None:
    paper = parse_file("api-legacy-idlist-1111.2011v2-2016-10-09.atom").papers[0]
    assert paper.id == "1111.2011"
    assert paper.version == 2
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.abstract.startswith("Theoretical description of anisotropic systems, such")
    assert paper.doi == "10.1103/PhysRevB.85.115117"
    assert paper.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert paper.comment == "8 pages, 3 figures. Published version"
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert paper.authors == ("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic")
    assert paper.published == dt.datetime(2011, 11, 8, 18, 48, 36, tzinfo=dt.UTC)
    assert paper.updated == dt.datetime(2012, 4, 2, 12, 38, 54, tzinfo=dt.UTC)


def test_legacy_search_totals_and_wrapped_comment() -> None:
    page = parse_file("api-legacy-search-cat_cs.RO-neural-max2-2025-10-17.atom")
    assert page.total_results == 5619
    assert len(page.papers) == 2
    assert page.papers[0].comment == (
        "39th Conference on Neural Information Processing Systems (NeurIPS 2025); "
        "Project Website: rdd-neurips.github.io"
    )
    assert page.papers[0].categories[-1] == "eess.SY"


def test_legacy_author_search() -> None:
    page = parse_file("api-legacy-search-au_del_maestro-2016-10-09.atom")
    assert page.total_results == 31
    for paper in page.papers:
        assert {"Adrian Del Maestro", "A. Del Maestro"} & set(paper.authors), paper.id


def test_rate_exceeded_text_raises() -> None:
    with pytest.raises(ArxivRateLimitedError) as caught:
        parse_search(b"Rate exceeded.", status=200, url=URL)
    assert caught.value.url == URL


def test_malformed_xml_raises_feed_error() -> None:
    with pytest.raises(ArxivFeedError) as caught:
        parse_search(b"<feed><entry><title>cut", status=200, url=URL)
    assert caught.value.url == URL


def test_html_error_page_raises_http_error() -> None:
    with pytest.raises(ArxivHTTPError) as caught:
        parse_search(b"<html><body><h1>Bad Gateway", status=502, url=URL)
    assert caught.value.status == 502


def test_non_200_feed_without_error_entry_raises() -> None:
    data = (ARXIV_FIXTURES / "api-idlist-0000.0000-empty.atom").read_bytes()
    with pytest.raises(ArxivHTTPError) as caught:
        parse_search(data, status=404, url=URL)
    assert caught.value.status == 404


def test_query_url_encodes_once() -> None:
    url = build_query_url(
        "https://export.arxiv.org/api/query",
        'ti:"vision language" AND cat:cs.*',
        start=20,
        max_results=5,
        sort_by="submittedDate",
        sort_order="ascending",
    )
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    assert parts.path == "/api/query"
    assert query["search_query"] == ['ti:"vision language" AND cat:cs.*']
    assert query["start"] == ["20"]
    assert query["max_results"] == ["5"]
    assert query["sortBy"] == ["submittedDate"]
    assert query["sortOrder"] == ["ascending"]
    assert "%2522" not in url
    assert "+" not in parts.query


def test_query_url_id_list() -> None:
    url = build_query_url("http://h/api/query", id_list=["2511.04976v2", "hep-th/9901001"])
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query["id_list"] == ["2511.04976v2,hep-th/9901001"]
    assert query["search_query"] == [""]


@pytest.mark.parametrize(
    "options",
    [
        {"start": -1},
        {"max_results": 0},
        {"max_results": 2001},
        {"sort_by": "date"},
        {"sort_order": "up"},
    ],
)
def test_query_url_rejects_bad_options(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        build_query_url("http://h/api/query", "all:x", **options)  # type: ignore[arg-type]
