"""Locations of the saved arXiv feeds and the paper corpus used by the tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"
ARXIV_FIXTURES = FIXTURES / "arxiv"
CORPUS = FIXTURES / "corpus"
