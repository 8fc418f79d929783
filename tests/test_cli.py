"""The command line: `preview` on saved and served feeds, and `run` without a token."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.arxiv_server import ArxivFake
from tests.paths import ARXIV_FIXTURES, REPO

EXAMPLE_FEED = REPO / "examples" / "rss-stat-2024-03-26.xml"
CS_FEED = ARXIV_FIXTURES / "rss-cs-2025-11-09-constructed.xml"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run each command in an empty folder with no bot settings in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "ARXIV_RSS_URL", "ARXIV_API_URL"):
        monkeypatch.delenv(name, raising=False)


def run_json(capsys: pytest.CaptureFixture[str], *arguments: str) -> list[dict]:
    """Run `preview --format json` with `arguments` and return the parsed output."""
    assert main(["preview", *arguments, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_preview_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    papers = run_json(capsys, "--feed", str(EXAMPLE_FEED), "--keyword", "Bayesian")
    assert papers
    for paper in papers:
        assert "." in paper["id"]
        assert "v" not in paper["id"]
        assert isinstance(paper["version"], int)
        assert paper["title"]
        assert paper["authors"]
        assert paper["categories"]
        assert paper["announce_type"] == "new"
        assert paper["matched"] == ["Bayesian"]


def test_preview_json_only_matching_papers(capsys: pytest.CaptureFixture[str]) -> None:
    papers = run_json(capsys, "--feed", str(EXAMPLE_FEED), "--keyword", "Bayesian")
    for paper in papers:
        text = f"{paper['title']} {paper['abstract']}".lower()
        assert "bayesian" in text


def test_preview_cross_lists_add_papers(capsys: pytest.CaptureFixture[str]) -> None:
    plain = run_json(capsys, "--feed", str(EXAMPLE_FEED), "--keyword", "model")
    wider = run_json(
        capsys, "--feed", str(EXAMPLE_FEED), "--keyword", "model", "--cross-lists", "--replacements"
    )
    assert {paper["announce_type"] for paper in plain} == {"new"}
    assert {"cross", "replace"} <= {paper["announce_type"] for paper in wider}


def test_preview_exclusion_removes_papers(capsys: pytest.CaptureFixture[str]) -> None:
    papers = run_json(
        capsys, "--feed", str(EXAMPLE_FEED), "--keyword", "Bayesian", "--exclude", "spatial"
    )
    word = re.compile(r"\bspatial\b", re.IGNORECASE)
    assert papers
    assert all(not word.search(paper["title"]) for paper in papers)
    assert all(not word.search(paper["abstract"]) for paper in papers)


def test_preview_categories_filter(capsys: pytest.CaptureFixture[str]) -> None:
    papers = run_json(
        capsys, "--feed", str(CS_FEED), "--keyword", "language model", "--categories", "cs.RO"
    )
    assert papers
    assert all("cs.RO" in paper["categories"] for paper in papers)


def test_preview_max_papers(capsys: pytest.CaptureFixture[str]) -> None:
    papers = run_json(capsys, "--feed", str(CS_FEED), "--keyword", "model", "--max-papers", "3")
    assert len(papers) == 3


def test_preview_markdown_layout(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["preview", "--feed", str(EXAMPLE_FEED), "--keyword", "copula"]
    assert main([*arguments, "--format", "markdown"]) == 0
    output = capsys.readouterr().out
    assert "[Non-monotone dependence modeling with copulas" in output
    assert "(https://arxiv.org/abs/" in output
    assert "arXiv:" in output


def test_preview_text_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--feed", str(EXAMPLE_FEED), "--keyword", "copula"]) == 0
    output = capsys.readouterr().out
    assert "Non-monotone dependence modeling with copulas" in output
    assert "Tue 26 Mar 2024" in output


def test_preview_served_feed_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fetch_through_fake() -> tuple[int, list[str]]:
        async with ArxivFake() as fake:
            fake.set_feed("cs.RO", CS_FEED)
            monkeypatch.setenv("ARXIV_RSS_URL", fake.rss_base_url)
            monkeypatch.setenv("ARXIV_REQUEST_INTERVAL", "0")
            arguments = ["--keyword", "robot", "--categories", "cs.RO", "--format", "json"]
            code = await asyncio.to_thread(main, ["preview", *arguments])
            return code, [request.path for request in fake.requests]

    code, paths = asyncio.run(fetch_through_fake())
    papers = json.loads(capsys.readouterr().out)
    assert code == 0
    assert paths == ["/rss/cs.RO"]
    assert papers


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--keyword", "LLM AND"], "nothing after AND"),
        (["--keyword", "x", "--categories", "cs.FOO"], "cs.FOO"),
        (["--keyword", "x", "--max-papers", "0"], "--max-papers 0"),
        (["--keyword", "   "], "no word to match"),
    ],
)
def test_preview_bad_input(
    capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["preview", "--feed", str(EXAMPLE_FEED), *arguments]) == 2
    assert message in capsys.readouterr().err


def test_preview_missing_feed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--feed", "missing.xml", "--keyword", "x"]) == 2
    assert "missing.xml" in capsys.readouterr().err


def test_preview_needs_feed_or_categories(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--keyword", "x"]) == 2
    assert "--categories" in capsys.readouterr().err


def test_run_without_token_explains(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    error = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in error
    assert "preview" in error


def test_preview_types_follow_categories(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--feed", str(EXAMPLE_FEED), "--keyword", "the", "--categories", "stat.ME"]
    papers = run_json(capsys, *arguments, "--cross-lists")
    new = [paper for paper in papers if paper["announce_type"] == "new"]
    cross = [paper for paper in papers if paper["announce_type"] == "cross"]

    assert new
    assert cross
    assert all(paper["categories"][0] == "stat.ME" for paper in new)
    assert all(paper["categories"][0] != "stat.ME" for paper in cross)


def test_preview_explain_text(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--feed", str(EXAMPLE_FEED), "--keyword", "copula", "--keyword", "au:Sahoo"]
    assert main(["preview", *arguments, "--explain"]) == 0
    output = capsys.readouterr().out
    assert "Why arXiv:2403.15670 matched:" in output
    assert "au:Sahoo (author): Indranil [[Sahoo]]" in output
    assert "copula (title): " in output


def test_preview_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    papers = run_json(capsys, "--feed", str(EXAMPLE_FEED), "--keyword", "copula", "--explain")
    assert papers
    assert all("[[copula" in paper["explanation"].lower() for paper in papers)


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == "arxiv-digest 0.1.0 (rule matching: compiled)"
