"""Time matching every paper of an announcement against the rules of many digests at once.

Usage: python benchmarks/match.py [--digests N] [--papers N] [--repeat N] [--naive-sample N]
                                  [--seed N] [--python]

The digests are a seeded random mix of 1 to 20 lines each: single words and phrases of
2 to 4 consecutive words from the titles of the corpus days, some AND lines, and a few
OR, NOT and prefix lines. The papers are the real papers of the corpus days
(../shared/fixtures/corpus/days/*.jsonl), repeated under new ids up to the count asked.
The script times:

  build: compiling every digest's lines into one `RuleIndex`;
  match: `RuleIndex.match_keys` on every paper (each paper folded once beforehand), on a
         newly built index so that no word of the papers is cached yet;
  match with lines: `RuleIndex.match` on every paper, once;
  naive: for each digest and paper, a lower-case substring test of each keyword in
         title + " " + abstract, as public daily digests do, timed on a sample of digests
         and scaled to all of them;
  memory: the size of the built index as traced by `tracemalloc`, after it has matched
          one paper, which builds the Bloom filter of the compiled scan.

Build and match run `--repeat` times, each on a new index. The script prints the best
and the median time, because timings on a shared machine vary from run to run.
`--python` turns off the compiled module `bot.rules._speedups` to time the Python steps.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from bot.rules import PreparedText, compiled, prepare
from bot.rules.index import RuleIndex

REPO = Path(__file__).resolve().parents[1]
DAYS = REPO.parent / "shared" / "fixtures" / "corpus" / "days"
# Function words, which no digest follows on their own, so single-word lines skip them.
STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "based", "be", "by", "for", "from", "in", "into"}
    | {"is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "this", "to"}
    | {"toward", "towards", "using", "via", "we", "with", "without"}
)
_TITLE_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT"})


@dataclass(frozen=True)
class BenchDigest:
    """A generated digest: rule lines, and the keywords of each line for the naive method."""

    keywords: tuple[str, ...]
    naive: tuple[tuple[str, ...], ...]


def load_papers(count: int) -> list[dict]:
    """Load the corpus papers, repeated under new ids up to `count` papers."""
    real = []
    for path in sorted(DAYS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            real += [json.loads(line) for line in lines]
    if not real:
        raise SystemExit(f"No corpus papers found in {DAYS}")
    papers = real[:count]
    copy = 0
    while len(papers) < count:
        copy += 1
        for paper in real[: count - len(papers)]:
            papers.append({**paper, "id": f"{paper['id']}-copy{copy}"})
    return papers


def title_words(papers: list[dict]) -> list[list[str]]:
    """Split each distinct title into words, hyphenated compounds kept whole."""
    titles = dict.fromkeys(paper["title"] for paper in papers)
    return [_TITLE_WORD.findall(title) for title in titles]


def quoted(words: list[str]) -> str:
    """Write words as a rule phrase, quoted when one of them is an operator."""
    text = " ".join(words)
    return f'"{text}"' if _OPERATORS & set(words) or len(words) > 1 else text


def make_line(rng: random.Random, titles: list[list[str]], vocabulary: list[str]) -> BenchDigest:
    """Draw one rule line and its naive keywords (returned as a one-line digest)."""
    roll = rng.random()
    word = rng.choice(vocabulary)
    if roll < 0.45:
        return BenchDigest((word,), ((word,),))
    if roll < 0.80:
        title = rng.choice([title for title in titles if len(title) >= 2])
        size = rng.randint(2, min(4, len(title)))
        start = rng.randint(0, len(title) - size)
        phrase = title[start : start + size]
        return BenchDigest((quoted(phrase),), ((" ".join(phrase),),))
    other = rng.choice(vocabulary)
    if roll < 0.92:
        return BenchDigest((f"{word} AND {other}",), ((word, other),))
    if roll < 0.95:
        return BenchDigest((f"{word} OR {other}",), ((word,), (other,)))
    if roll < 0.97:
        return BenchDigest((f"{word} ANDNOT {other}",), ((word,),))
    stem = word[: max(3, len(word) - 3)].rstrip("-")
    return BenchDigest((f"{stem}*",), ((stem,),))


def make_digests(count: int, papers: list[dict], seed: int) -> list[BenchDigest]:
    """Draw `count` digests of 1 to 20 lines each."""
    rng = random.Random(seed)
    titles = title_words(papers)
    vocabulary = sorted(
        {word.lower() for title in titles for word in title if len(word) > 2} - STOPWORDS
    )
    digests = []
    for _ in range(count):
        lines = [make_line(rng, titles, vocabulary) for _ in range(rng.randint(1, 20))]
        digests.append(
            BenchDigest(
                tuple(line.keywords[0] for line in lines),
                tuple(keyword for line in lines for keyword in line.naive),
            )
        )
    return digests


def naive_match(digests: list[BenchDigest], texts: list[str]) -> int:
    """Match by lower-case substrings; return the number of (digest, paper) matches."""
    matches = 0
    for digest in digests:
        keywords = [[part.lower() for part in keyword] for keyword in digest.naive]
        for text in texts:
            lowered = text.lower()
            if any(all(part in lowered for part in keyword) for keyword in keywords):
                matches += 1
    return matches


def build_index(digests: list[BenchDigest]) -> RuleIndex:
    """Index every digest under its position."""
    index = RuleIndex()
    for key, digest in enumerate(digests):
        index.add(key, digest.keywords)
    return index


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digests", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=3_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--python", action="store_true", help="time without the C extension")
    args = parser.parse_args()
    if args.python:
        compiled.enabled = False
    scan = "compiled" if compiled.speedups() is not None else "Python"
    print(f"matching steps: {scan} (bot.rules._speedups built: {compiled.is_built()})")

    papers = load_papers(args.papers)
    digests = make_digests(args.digests, papers, args.seed)
    lines = sum(len(digest.keywords) for digest in digests)
    print(f"{len(digests):,} digests, {lines:,} lines, {len(papers):,} papers")

    texts: list[PreparedText] = [
        prepare(paper["title"], paper["abstract"], paper["authors"], paper["categories"] or ())
        for paper in papers
    ]

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = build_index(digests)
    index.match_keys(texts[0])
    size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"index: {index.term_count:,} distinct terms, {index.line_count:,} lines")
    print(f"memory: {(size - before) / 2**20:.1f} MiB held, {(peak - before) / 2**20:.1f} MiB peak")

    builds, matches = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        index = build_index(digests)
        builds.append(time.perf_counter() - start)
        start = time.perf_counter()
        matched = sum(len(index.match_keys(text)) for text in texts)
        matches.append(time.perf_counter() - start)
    print(f"build: best {min(builds):.2f} s, median {statistics.median(builds):.2f} s")
    elapsed = min(matches)
    print(
        f"match: best {elapsed:.3f} s, median {statistics.median(matches):.3f} s "
        f"of {args.repeat} runs, for {len(texts):,} papers, {matched:,} (digest, paper) matches"
    )
    print(f"       {elapsed / len(texts) * 1e6:.0f} µs per paper at best (match_keys)")

    start = time.perf_counter()
    for text in texts:
        index.match(text)
    with_lines = time.perf_counter() - start
    print(f"match with lines: {with_lines:.3f} s (match)")

    sample = digests[: args.naive_sample]
    plain = [f"{paper['title']} {paper['abstract']}" for paper in papers]
    start = time.perf_counter()
    naive_matched = naive_match(sample, plain)
    naive = (time.perf_counter() - start) * len(digests) / len(sample)
    print(
        f"naive: {naive:.1f} s for all digests, scaled from {len(sample)} digests "
        f"({naive_matched:,} matches in the sample)"
    )
    print(f"speed-up: {naive / elapsed:.0f}x")


if __name__ == "__main__":
    main()
