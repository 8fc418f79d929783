"""Tests for arXiv identifier parsing and formatting."""

from __future__ import annotations

import pytest

from bot.arxiv.errors import ArxivError, InvalidArxivIdError
from bot.arxiv.ids import format_id, is_arxiv_id, parse_id

VALID = [
    ("2511.04976", ("2511.04976", None)),
    ("2511.04976v2", ("2511.04976", 2)),
    ("2511.04976v12", ("2511.04976", 12)),
    ("0704.0001", ("0704.0001", None)),
    ("1412.9999v3", ("1412.9999", 3)),
    ("1501.00001", ("1501.00001", None)),
    ("hep-th/9901001", ("hep-th/9901001", None)),
    ("hep-th/9901001v1", ("hep-th/9901001", 1)),
    ("HEP-TH/9901001", ("hep-th/9901001", None)),
    ("math.GT/0309136v1", ("math/0309136", 1)),
    ("cond-mat.str-el/0601001", ("cond-mat/0601001", None)),
    ("astro-ph/0601001", ("astro-ph/0601001", None)),
    ("cs/0703001", ("cs/0703001", None)),
    ("arXiv:2511.04976", ("2511.04976", None)),
    ("ARXIV:2511.04976v2", ("2511.04976", 2)),
    ("arxiv:hep-th/9901001", ("hep-th/9901001", None)),
    ("https://arxiv.org/abs/2511.04976v2", ("2511.04976", 2)),
    ("http://arxiv.org/abs/2511.04976", ("2511.04976", None)),
    ("https://www.arxiv.org/abs/2511.04976", ("2511.04976", None)),
    ("http://www.arxiv.org/abs/2511.04976v1", ("2511.04976", 1)),
    ("https://export.arxiv.org/abs/2511.04976v1", ("2511.04976", 1)),
    ("https://arxiv.org/pdf/2511.04976v2", ("2511.04976", 2)),
    ("https://arxiv.org/pdf/2511.04976v2.pdf", ("2511.04976", 2)),
    ("http://arxiv.org/pdf/hep-th/9901001v1.pdf", ("hep-th/9901001", 1)),
    ("https://arxiv.org/abs/astro-ph/0601001v1", ("astro-ph/0601001", 1)),
    ("https://arxiv.org/abs/math.GT/0309136", ("math/0309136", None)),
    ("https://arxiv.org/abs/2511.04976/", ("2511.04976", None)),
    ("https://arxiv.org/abs/2511.04976?context=cs", ("2511.04976", None)),
    ("oai:arXiv.org:2403.15527v1", ("2403.15527", 1)),
    ("oai:arXiv.org:hep-th/9901001", ("hep-th/9901001", None)),
    ("  2511.04976 \n", ("2511.04976", None)),
]

INVALID = [
    "",
    "abc",
    "2511.4976",
    "1412.12345",
    "0703.0001",
    "2513.00001",
    "2500.00001",
    "2511.04976v0",
    "2511.04976v",
    "hep-th/99010",
    "foo/9901001",
    "hep-th/0801001",
    "hep-th/9913001",
    "https://example.com/abs/2511.04976",
    "2511.04976 2511.04977",
    "0000.0000",
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse_id_valid(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_id(text) == expected


@pytest.mark.parametrize("text", INVALID)
def test_parse_id_invalid(text: str) -> None:
    with pytest.raises(InvalidArxivIdError):
        parse_id(text)


def test_invalid_id_error_names_value() -> None:
    with pytest.raises(InvalidArxivIdError) as caught:
        parse_id("not-an-id")
    assert "'not-an-id'" in str(caught.value)
    assert caught.value.value == "not-an-id"


def test_invalid_id_error_is_value_error() -> None:
    assert issubclass(InvalidArxivIdError, ValueError)
    assert issubclass(InvalidArxivIdError, ArxivError)


def test_is_arxiv_id() -> None:
    assert is_arxiv_id("2511.04976v2")
    assert not is_arxiv_id("2511.4976")


@pytest.mark.parametrize(
    ("canonical", "version", "expected"),
    [
        ("2511.04976", 2, "2511.04976v2"),
        ("2511.04976", None, "2511.04976"),
        ("hep-th/9901001", 1, "hep-th/9901001v1"),
    ],
)
def test_format_id(canonical: str, version: int | None, expected: str) -> None:
    assert format_id(canonical, version) == expected


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_format_id_round_trip(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_id(format_id(*parse_id(text))) == expected
