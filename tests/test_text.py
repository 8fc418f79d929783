"""Tests for title and abstract cleanup: entities, HTML, LaTeX, whitespace, accents."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.arxiv.text import (
    clean_abstract,
    clean_text,
    clean_title,
    fold_accents,
    latex_to_unicode,
    split_announce_prefix,
)
from tests.paths import ARXIV_FIXTURES

_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_RSS1 = "{http://purl.org/rss/1.0/}"


def rss_item(file_name: str, arxiv_id: str) -> ElementTree.Element:
    """Return the raw <item> of a current RSS fixture whose link ends with `arxiv_id`."""
    root = ElementTree.parse(ARXIV_FIXTURES / file_name).getroot()
    for item in root.iter("item"):
        if (item.findtext("link") or "").endswith(arxiv_id):
            return item
    raise LookupError(f"{arxiv_id} not in {file_name}")


def rdf_description(arxiv_id: str) -> str:
    """Return the raw HTML description of a paper in the legacy RDF fixture."""
    root = ElementTree.parse(ARXIV_FIXTURES / "rdf-cs-2021-11-02.xml").getroot()
    for item in root.iter(f"{_RSS1}item"):
        if (item.findtext(f"{_RSS1}link") or "").endswith(arxiv_id):
            return item.findtext(f"{_RSS1}description") or ""
    raise LookupError(f"{arxiv_id} not in the RDF fixture")


def test_abstract_prefix_removed_from_real_description() -> None:
    raw = rss_item("rss-stat-2024-03-26.xml", "2403.15527").findtext("description") or ""
    cleaned = clean_abstract(raw)
    assert raw.startswith("arXiv:2403.15527v1 Announce Type: new")
    assert cleaned.startswith("Conformal prediction equips machine learning models")


@pytest.mark.parametrize("announce_type", ["new", "cross", "replace", "replace-cross"])
def test_abstract_prefix_removed_for_every_type(announce_type: str) -> None:
    raw = f"arXiv:2403.15527v3 Announce Type: {announce_type} \nAbstract: Text follows."
    assert clean_abstract(raw) == "Text follows."


def test_split_announce_prefix_parts() -> None:
    raw = "arXiv:2306.17667v2 Announce Type: replace-cross \nAbstract: Bias-free."
    assert split_announce_prefix(raw) == ("2306.17667v2", "replace-cross", "Bias-free.")


def test_split_announce_prefix_absent() -> None:
    assert split_announce_prefix("Plain abstract.") == (None, None, "Plain abstract.")


def test_math_from_real_abstract() -> None:
    raw = rss_item("rss-stat-2024-03-26.xml", "2403.15670").findtext("description") or ""
    cleaned = clean_abstract(raw)
    assert "$\\mathcal{O}(n^3)$" in raw
    assert "𝒪(n^3)" in cleaned
    assert "Matérn" in cleaned
    assert "$" not in cleaned


def test_alpha_from_real_abstract() -> None:
    raw = rss_item("rss-cs-2026-05-11-constructed.xml", "2605.09126").findtext("description")
    assert "depends on α alone" in clean_abstract(raw)


def test_author_accents_from_real_creator() -> None:
    raw = rss_item("rss-stat-2024-03-26.xml", "2108.09874").findtext(_DC_CREATOR) or ""
    assert "Garc\\'ia-Portugu\\'es" in raw
    assert clean_text(raw).startswith("Eduardo García-Portugués")


def test_em_group_from_real_rdf_abstract() -> None:
    cleaned = clean_abstract(rdf_description("1805.09719"), html=True)
    assert "{\\em" not in cleaned
    assert "learning convex polyhedra" in cleaned.lower()
    assert "quasi-properly learning" in cleaned


def test_rdf_html_and_double_entities() -> None:
    cleaned = clean_abstract(rdf_description("2111.01127"), html=True)
    assert "<p>" not in cleaned
    assert "(>90%)" in cleaned
    assert cleaned.endswith("fully supervised-learning-based method.")


def test_rdf_escaped_ampersand() -> None:
    assert "(H&N)" in clean_abstract(rdf_description("2111.01544"), html=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$\\alpha$", "α"),
        ("Ren\\'e", "René"),
        ("{\\em x}", "x"),
        ('Schr\\"odinger', "Schrödinger"),
        ("\\v{s}", "š"),
        ("$x \\leq y$", "x ≤ y"),
        ("10\\% of $\\beta$", "10% of β"),
        ("$\\Pr(Y=1)$", "Pr(Y=1)"),
        ("$X = W \\land H$", "X = W ∧ H"),
        ("$\\mathcal{O}\\left(\\log N\\right)$", "𝒪(log N)"),
        ("\\emph{stochastic} bandits", "stochastic bandits"),
        ("\\textbf{80.8\\% pass@1}", "80.8% pass@1"),
    ],
)
def test_latex_converted(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "achieving 10.7% higher accuracy",
        "costs $5 and $10 per run",
        "for all x, x*0 = 0",
        "a<b and c>d",
        "3--5 day periods",
        "http://www.astronomy.ohio-state.edu/~gould/ogle.ps.gz",
        "Eth2 bug bounties awarded $35,000 in total",
    ],
)
def test_ordinary_text_unchanged(raw: str) -> None:
    assert clean_text(raw) == raw


def test_author_macro_kept_readable() -> None:
    assert clean_text("We present \\ours{}, a method") == "We present \\ours, a method"


def test_unbalanced_braces_kept() -> None:
    # \emph loses its unclosed argument, so only the macro goes; the braces stay.
    assert clean_text("unbalanced { brace and \\emph{x") == "unbalanced { brace and {x"


def test_whitespace_collapsed() -> None:
    assert clean_title("Quantum Criticality for Extended Nodes\n  in the Limit") == (
        "Quantum Criticality for Extended Nodes in the Limit"
    )


def test_entities_decoded() -> None:
    assert clean_text("R&amp;D &lt;3 &#x27;quoted&#x27;") == "R&D <3 'quoted'"


def test_plain_text_keeps_angle_brackets() -> None:
    assert clean_text("<p> stays when html is off") == "<p> stays when html is off"


def test_empty_and_none() -> None:
    assert clean_text(None) == ""
    assert clean_abstract("") == ""


def test_latex_to_unicode_leaves_plain_text() -> None:
    text = "No LaTeX here; 50% fewer errors."
    assert latex_to_unicode(text) is text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Müller", "Muller"),
        ("Ramírez", "Ramirez"),
        ("Łukasz Øster", "Lukasz Oster"),
        ("Straße", "Strasse"),
        ("plain", "plain"),
    ],
)
def test_fold_accents(raw: str, expected: str) -> None:
    assert fold_accents(raw) == expected


_LATEX_PIECES = st.sampled_from(
    [*"$\\{}[]()%&^_~'\"`=.-<> #\nabαé", "\\alpha", "\\em", "\\frac", "\\left", "&amp;"]
    + ["$$", "\\(", "\\[", "\\begin{x}", "<p>", "\\'", "Announce Type: new \nAbstract:"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_LATEX_PIECES, max_size=40).map("".join), st.booleans())
def test_cleanup_never_raises_on_latex_fragments(raw: str, html: bool) -> None:
    assert isinstance(clean_abstract(raw, html=html), str)
    assert isinstance(clean_title(raw, html=html), str)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_cleanup_never_raises_on_any_text(raw: str) -> None:
    assert isinstance(clean_text(raw), str)
    assert isinstance(fold_accents(raw), str)
