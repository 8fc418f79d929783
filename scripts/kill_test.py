"""Kill the bot during deliveries again and again, and check that no paper is lost or doubled.

Usage, from the repository root: python -m scripts.kill_test [--rounds 20] [--seed 1]

Each round runs the real `arxiv-digest run` process against the fake Discord and fake arXiv
servers on 127.0.0.1 with five digests of 43 to 85 papers in five channels. It sends
SIGKILL at a random message during their delivery, then restarts the bot and posts the
digests again (see tests/kill_harness.py). The script prints one table row per round and exits with
status 1 when any channel is missing a paper or holds one twice.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from pathlib import Path

from tests.kill_harness import TABLE_HEADER, RoundResult, format_row, run_round


def build_parser() -> argparse.ArgumentParser:
    """Build the command line parser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds to run (default 20)")
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the random kill points (default 1)"
    )
    parser.add_argument(
        "--nonce-window",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="how long the fake Discord returns the earlier message for a repeated nonce "
        "(default 0, so only the bot's own reconciliation prevents reposts; Discord's is "
        "a few minutes)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep each round's database and bot log in this folder (default: a temporary "
        "folder, deleted at the end)",
    )
    return parser


async def run(rounds: int, seed: int, nonce_window: float, workdir: Path) -> list[RoundResult]:
    """Run the rounds one after another, printing each row as it finishes."""
    rng = random.Random(seed)
    print(TABLE_HEADER, flush=True)
    results = []
    for index in range(1, rounds + 1):
        folder = workdir / f"round-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        result = await run_round(index, rng, folder, nonce_window=nonce_window)
        print(format_row(result), flush=True)
        results.append(result)
    return results


def main() -> int:
    """Run the kill test and return the exit status."""
    args = build_parser().parse_args()
    with tempfile.TemporaryDirectory(prefix="kill-test-") as temporary:
        workdir = args.workdir or Path(temporary)
        results = asyncio.run(run(args.rounds, args.seed, args.nonce_window, workdir))

    failed = [result.index for result in results if not result.ok]
    during = sum(result.killed_during_delivery for result in results)
    print(
        f"\n{len(results)} rounds, {during} killed during delivery, "
        f"{len(failed)} failed{': ' + ', '.join(map(str, failed)) if failed else ''}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
