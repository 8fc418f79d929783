"""Keyword matching on three real days of papers against a public daily digest's topics.

The digest matched a topic when a keyword (or every member of an AND-group) was a
case-insensitive substring of `title + " " + abstract` and no filter was. Our matcher
matches whole words, so it must find every listed paper that contains a keyword as a
word and reject those listed only because a keyword sits inside a longer word. Whether a
keyword occurs as a word is decided here by plain regular expressions, independently of
the matcher.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from bot.rules import CompiledRule, compile_rule
from tests.paths import CORPUS

Entry = str | list[str]


def load_topics() -> list[tuple[str, str, dict]]:
    cases = []
    for path in sorted((CORPUS / "topics").glob("*.json")):
        day = json.loads(path.read_text(encoding="utf-8"))
        for name, topic in day["topics"].items():
            cases.append((day["date"], name, topic))
    return cases


TOPICS = load_topics()


@cache
def day_papers(day: str) -> dict[str, dict]:
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        papers = [json.loads(line) for line in lines]
    return {paper["id"]: paper for paper in papers}


def rule_line(entry: Entry) -> str:
    return " AND ".join(entry) if isinstance(entry, list) else entry


def topic_rule(topic: dict) -> CompiledRule:
    keywords = [rule_line(entry) for entry in topic["keywords"]]
    exclusions = [rule_line(entry) for entry in topic["filters"]]
    return compile_rule(keywords, exclusions)


@cache
def word_pattern(keyword: str) -> re.Pattern[str]:
    # Words of the keyword may be joined by spaces, hyphens, slashes or nothing, the last
    # may take -s or -es, and no letter or digit may touch either end.
    words = [word for word in re.split(r"[\s/-]+", keyword.lower()) if word]
    body = r"[\s/-]*".join(re.escape(word) for word in words)
    return re.compile(rf"(?<![a-z0-9]){body}(?:s|es)?(?![a-z0-9])")


@cache
def folded_texts(day: str, paper_id: str) -> tuple[str, str]:
    # The text in lower case, and the same text with hyphens inside words removed, so
    # that a keyword written as one word ("multimodal") is also found as "multi-modal".
    paper = day_papers(day)[paper_id]
    text = f"{paper['title']} {paper['abstract']}".lower()
    return text, re.sub(r"(?<=[a-z0-9])-(?=[a-z0-9])", "", text)


def has_word(keyword: str, texts: tuple[str, str]) -> bool:
    pattern = word_pattern(keyword)
    return any(pattern.search(text) for text in texts)


def entry_has_words(entry: Entry, texts: tuple[str, str]) -> bool:
    members = entry if isinstance(entry, list) else [entry]
    return all(has_word(member, texts) for member in members)


def listed_as_words(topic: dict, day: str, paper_id: str) -> bool:
    texts = folded_texts(day, paper_id)
    return any(entry_has_words(entry, texts) for entry in topic["keywords"])


def filtered_as_words(topic: dict, day: str, paper_id: str) -> bool:
    texts = folded_texts(day, paper_id)
    return any(entry_has_words(entry, texts) for entry in topic["filters"])


def matched_ids(rule: CompiledRule, papers: dict[str, dict], ids: list[str]) -> set[str]:
    return {
        paper_id
        for paper_id in ids
        if rule.match(papers[paper_id]["title"], papers[paper_id]["abstract"]) is not None
    }


@pytest.mark.parametrize(
    ("day", "name", "topic"), TOPICS, ids=[f"{day}-{name}" for day, name, _ in TOPICS]
)
def test_topic_matches_listed_words(day: str, name: str, topic: dict) -> None:
    papers = day_papers(day)
    rule = topic_rule(topic)
    listed = topic["matched_ids"]
    with_words = [paper_id for paper_id in listed if listed_as_words(topic, day, paper_id)]
    substring_only = [paper_id for paper_id in listed if paper_id not in with_words]
    # A filter such as "2D" also rejects the spelling "2-D", which the substring rule missed.
    filtered = [paper_id for paper_id in with_words if filtered_as_words(topic, day, paper_id)]
    expected = [paper_id for paper_id in with_words if paper_id not in filtered]

    assert sorted(set(expected) - matched_ids(rule, papers, expected)) == []
    assert sorted(matched_ids(rule, papers, substring_only)) == []
    assert sorted(matched_ids(rule, papers, filtered)) == []


@pytest.mark.parametrize(
    ("day", "name", "topic"), TOPICS, ids=[f"{day}-{name}" for day, name, _ in TOPICS]
)
def test_topic_matches_whole_day(day: str, name: str, topic: dict) -> None:
    # Over every paper of the day, not only the listed ones: hyphenated spellings such as
    # "Vision-Language Models" are found although the substring rule missed them.
    papers = day_papers(day)
    rule = topic_rule(topic)
    expected = {
        paper_id
        for paper_id in papers
        if listed_as_words(topic, day, paper_id) and not filtered_as_words(topic, day, paper_id)
    }

    assert matched_ids(rule, papers, list(papers)) == expected


def find_topic(day: str, name: str) -> dict:
    return next(
        topic for topic_day, topic_name, topic in TOPICS if (topic_day, name) == (day, topic_name)
    )


def test_gene_name_not_matched_as_r1() -> None:
    topic = find_topic("2026-05-11", "Test-Time-Scaling")
    paper = day_papers("2026-05-11")["2605.08897"]

    assert "2605.08897" in topic["matched_ids"]
    assert "PIK3R1" in paper["abstract"]
    assert not listed_as_words(topic, "2026-05-11", "2605.08897")
    assert topic_rule(topic).match(paper["title"], paper["abstract"]) is None


def test_mllm_topic_keywords() -> None:
    topic = find_topic("2025-11-09", "MLLM")
    assert topic["keywords"] == [
        "VLM",
        "MLM",
        "MLLM",
        "Multi-Modal Language Model",
        "Multimodal Language Model",
        "Vision Language Model",
    ]


def test_mllm_topic_finds_hyphenated_spelling() -> None:
    topic = find_topic("2025-11-09", "MLLM")
    papers = day_papers("2025-11-09")
    rule = topic_rule(topic)
    unlisted = set(papers) - set(topic["matched_ids"])

    found = matched_ids(rule, papers, sorted(unlisted))

    assert found
    assert all(
        "vision-language model" in folded_texts("2025-11-09", paper_id)[0] for paper_id in found
    )
