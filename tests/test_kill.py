"""The kill test, reduced: the real bot process killed during delivery and restarted.

`python -m scripts.kill_test` runs the full 20 rounds; see docs/reliability.md.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.kill_harness import KEYWORDS, expected_posts, format_row, run_round

SEED = 7


def test_digests_match_enough_papers() -> None:
    expected = expected_posts()

    assert len(expected) == len(KEYWORDS) == 5
    for ids, messages in expected:
        assert 40 <= len(ids) <= 100
        assert messages > 1


@pytest.mark.parametrize(
    ("index", "mode"), [(1, "in request"), (2, "in request"), (3, "after response")]
)
async def test_kill_round_posts_each_paper_once(index: int, mode: str, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-{index}")

    result = await run_round(index, rng, tmp_path, mode=mode)

    assert result.stored_at_kill >= result.kill_at, format_row(result)
    assert result.kill_at < result.total_messages, format_row(result)
    assert len(result.counts) == 5
    for count in result.counts:
        assert count.duplicates == 0, format_row(result)
        assert count.missing == 0, format_row(result)
        assert count.unexpected == 0, format_row(result)
        assert count.posted == count.expected, format_row(result)
