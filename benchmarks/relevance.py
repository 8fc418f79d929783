"""Compare the bot's keyword matching with the topic lists of a public daily arXiv digest.

Usage: python benchmarks/relevance.py [CORPUS] [--examples N]

CORPUS defaults to ../shared/fixtures/corpus next to the repository. It holds, per day,
the papers of arXiv's cs lists (days/<date>.jsonl) and the topic lists that a public
daily digest made from them with a case-insensitive substring rule (topics/<date>.json).
For each topic and day the script prints:

  word:  listed papers in which a keyword occurs as a whole word (the bot must match all),
  excl:  listed papers of that kind which a filter excludes under the bot's word rules
         but not under the public digest's substring rule (e.g. `2D` and "2-D"),
  sub:   listed papers in which a keyword occurs only inside a longer word (the bot must
         match none of them), with examples,
  extra: papers the bot matches that the list does not contain, with examples.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bot.rules import compile_rule

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "fixtures" / "corpus"
# Characters with a meaning in the rule language; a keyword containing one is quoted.
RULE_SYNTAX = re.compile(r'["()*:]|\b(AND|OR|NOT|ANDNOT)\b')

Keyword = str | list[str]


@dataclass
class TopicReport:
    """The comparison of one topic on one day."""

    day: str
    topic: str
    listed: int
    word: int = 0
    word_matched: int = 0
    excluded: int = 0
    substring_only: int = 0
    substring_matched: int = 0
    extra: int = 0
    examples: list[str] = field(default_factory=list)


@cache
def word_pattern(keyword: str) -> re.Pattern[str]:
    """Return a pattern for `keyword` as whole words, written independently of the bot.

    Spaces, hyphens and slashes between the keyword's words may be any run of those
    characters or nothing, and the last word may take a plural `s` or `es`.
    """
    words = [re.escape(word) for word in re.split(r"[\s/-]+", keyword.strip()) if word]
    body = r"[\s/-]*".join(words)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?:e?s)?(?![A-Za-z0-9])", re.IGNORECASE)


def occurs_as_word(keyword: Keyword, text: str) -> bool:
    """Return whether the keyword (every member of an AND-group) occurs as a word."""
    members = keyword if isinstance(keyword, list) else [keyword]
    return all(word_pattern(member).search(text) for member in members)


def occurs_as_substring(keyword: Keyword, text: str) -> bool:
    """Return whether the public digest's rule finds the keyword: a lowercase substring."""
    members = keyword if isinstance(keyword, list) else [keyword]
    lowered = text.lower()
    return all(member.lower() in lowered for member in members)


def rule_line(keyword: Keyword) -> str:
    """Write a keyword of the topic format as a rule line with the same literal meaning."""
    members = keyword if isinstance(keyword, list) else [keyword]
    quoted = [f'"{member}"' if RULE_SYNTAX.search(member) else member for member in members]
    return " AND ".join(quoted)


def compare_topic(
    day: str, topic: str, spec: dict, papers: dict[str, dict], examples: int
) -> TopicReport:
    """Compare the bot's matches with one topic list of one day."""
    keywords: list[Keyword] = spec["keywords"]
    rule = compile_rule([rule_line(keyword) for keyword in keywords], spec["filters"])
    listed = set(spec["matched_ids"])
    report = TopicReport(day, topic, len(listed))

    for paper_id, paper in papers.items():
        text = f"{paper['title']} {paper['abstract']}"
        matched = rule.match(paper["title"], paper["abstract"]) is not None
        if paper_id in listed:
            if any(occurs_as_word(keyword, text) for keyword in keywords):
                exclusion = rule.excluded_by(paper["title"], paper["abstract"])
                if exclusion is not None:
                    report.excluded += 1
                    report.examples.append(f"excl  {paper_id}: excluded by {exclusion!r}")
                    continue
                report.word += 1
                report.word_matched += matched
                if not matched:
                    report.examples.append(f"MISS  {paper_id}: {paper['title'][:90]}")
            elif any(occurs_as_substring(keyword, text) for keyword in keywords):
                report.substring_only += 1
                report.substring_matched += matched
                if len(report.examples) < examples:
                    report.examples.append(f"sub   {paper_id}: {context(keywords, text)}")
        elif matched:
            report.extra += 1
            if len(report.examples) < 2 * examples:
                report.examples.append(f"extra {paper_id}: {paper['title'][:90]}")
    return report


def context(keywords: Sequence[Keyword], text: str, width: int = 30) -> str:
    """Return the text around the first substring hit of any keyword."""
    lowered = text.lower()
    for keyword in keywords:
        member = keyword[0] if isinstance(keyword, list) else keyword
        index = lowered.find(member.lower())
        if index >= 0:
            start, end = max(index - width, 0), index + len(member) + width
            return f"{member!r} in …{text[start:end]}…"
    return ""


def main() -> int:
    """Run the comparison for every day and topic and print the table and examples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--examples", type=int, default=2, help="examples per topic and kind")
    args = parser.parse_args()

    reports: list[TopicReport] = []
    for topics_file in sorted((args.corpus / "topics").glob("*.json")):
        day = topics_file.stem
        lines = (args.corpus / "days" / f"{day}.jsonl").read_text(encoding="utf-8").splitlines()
        papers = {record["id"]: record for record in map(json.loads, lines)}
        topics = json.loads(topics_file.read_text(encoding="utf-8"))["topics"]
        for topic, spec in topics.items():
            reports.append(compare_topic(day, topic, spec, papers, args.examples))

    header = (
        f"{'day':<10} {'topic':<18} {'listed':>6} {'word':>9} {'excl':>4} {'sub':>7} {'extra':>5}"
    )
    print(header)
    print("-" * len(header))
    for report in reports:
        word = f"{report.word_matched}/{report.word}"
        substring = f"{report.substring_matched}/{report.substring_only}"
        print(
            f"{report.day:<10} {report.topic:<18} {report.listed:>6} {word:>9} "
            f"{report.excluded:>4} {substring:>7} {report.extra:>5}"
        )
    print("\nword and sub: matched by the bot / listed papers of that kind.\n")

    for report in reports:
        for example in report.examples:
            print(f"{report.day} {report.topic}: {example}")

    missed = sum(report.word - report.word_matched for report in reports)
    wrong = sum(report.substring_matched for report in reports)
    print(f"\nlisted word matches missed: {missed}; substring-only papers matched: {wrong}")
    return 1 if missed or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
