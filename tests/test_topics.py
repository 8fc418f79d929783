"""Topic files: parsing, conversion to digests, matching on real papers, export, the CLI."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import main
from bot.digest_config import DigestConfigError, parse_rule_lines
from bot.models import Digest
from bot.rules import compile_rule
from bot.store import DuplicateDigestError, Store
from bot.topics import (
    NoDigestsError,
    Topic,
    TopicFile,
    TopicFileError,
    digests_to_yaml,
    parse_topics,
    quote_term,
    split_simple_line,
    topics_to_digests,
)
from bot.topics_store import export_topics, import_topics, save_digests
from tests.paths import CORPUS, REPO

TOPICS_FILE = REPO / "tests" / "data" / "topics.yml"
DAYS = ("2025-07-13", "2025-11-09", "2026-05-11")
CORPUS_CATEGORIES = ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.MA", "cs.RO"]
GUILD = 111
CHANNEL = 222


def load_day(day: str) -> list[dict[str, Any]]:
    """Return the papers of one corpus day."""
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def load_topics(day: str) -> dict[str, dict[str, Any]]:
    """Return the real topics of one corpus day, with their keywords, filters and matches."""
    return json.loads((CORPUS / "topics" / f"{day}.json").read_text(encoding="utf-8"))["topics"]


def to_digests(text: str) -> list[Digest]:
    """Parse a topic file and build its digests for the test guild and channel."""
    return topics_to_digests(
        parse_topics(text),
        guild_id=GUILD,
        channel_id=CHANNEL,
        post_time=dt.time(9, 0),
        timezone="UTC",
    )


def topic_yaml(categories: Any, topics: dict[str, Any]) -> str:
    """Write a topic file with `categories` and `topics`, in the order given."""
    return yaml.safe_dump({"category": categories, "topic": topics}, sort_keys=False)


def terms_of(entry: str | list[str] | tuple[str, ...]) -> list[str]:
    """Return the terms of a keyword entry: the string itself or an AND-group's members."""
    return [entry] if isinstance(entry, str) else list(entry)


def substring_rule(keywords: list[Any], filters: list[str], content: str) -> bool:
    """Match as the public digests do: case-insensitive substrings of title + abstract."""
    text = content.lower()
    hit = any(all(term.lower() in text for term in terms_of(entry)) for entry in keywords)
    return hit and not any(term.lower() in text for term in filters)


def reads_alike(term: str, paper: dict[str, Any]) -> bool:
    """Return whether `term` occurs in the paper in all three readings or in none of them.

    The readings are a substring, a whole word (plural allowed) and a keyword rule term.
    """
    content = f"{paper['title']} {paper['abstract']}".lower()
    substring = term.lower() in content
    word = rf"(?<![^\W_]){re.escape(term.lower())}(?:e?s)?(?![^\W_])"
    whole_word = re.search(word, content) is not None
    rule_term = compile_rule([quote_term(term)]).match(paper["title"], paper["abstract"])
    return substring == whole_word == (rule_term is not None)


def agreeing_papers(
    papers: list[dict[str, Any]], keywords: list[Any], filters: list[str]
) -> Iterator[dict[str, Any]]:
    """Yield the papers on which every term of a topic reads alike under both rules."""
    terms = {term for entry in keywords for term in terms_of(entry)} | set(filters)
    for paper in papers:
        if all(reads_alike(term, paper) for term in terms):
            yield paper


def matches(digest: Digest, paper: dict[str, Any]) -> bool:
    """Return whether the digest's rule lines match the paper's title and abstract."""
    rule = compile_rule(digest.keywords, digest.exclusions)
    return rule.match(paper["title"], paper["abstract"]) is not None


# Parsing


def test_parse_categories() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    assert parsed.categories == ("cs.CL", "cs.LG", "cs.CV")


def test_parse_topic_names_in_order() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    names = [topic.name for topic in parsed.topics]
    assert names == ["LLM", "Reasoning", "Sparse Experts", "Robot Policies"]


def test_parse_keywords_and_groups() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    llm = parsed.topics[0]
    assert llm.keywords == (
        "LLM",
        "Large Language Model",
        ("Reinforcement Learning", "Reward"),
    )
    assert llm.filters == ("survey",)


def test_parse_flow_lists() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    robots = parsed.topics[3]
    assert robots.keywords == ("Vision-Language-Action", "VLA")
    assert robots.filters == ("survey", "2D")


def test_parse_no_warnings_for_clean_file() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    assert parsed.warnings == ()


def test_parse_single_category_string() -> None:
    parsed = parse_topics("category: cs.CV\ntopic:\n  A: {keywords: [x]}\n")
    assert parsed.categories == ("cs.CV",)


def test_parse_archive_category() -> None:
    parsed = parse_topics("category: [cs.*, cs.CV]\ntopic:\n  A: {keywords: [x]}\n")
    assert parsed.categories == ("cs", "cs.CV")


def test_parse_collapses_whitespace() -> None:
    parsed = parse_topics("category: cs.CV\ntopic:\n  ' A  B ': {keywords: ['  x   y ']}\n")
    assert parsed.topics[0].name == "A B"
    assert parsed.topics[0].keywords == ("x y",)


def test_parse_warns_unknown_keys() -> None:
    text = "category: cs.CV\nlanguage: en\ntopic:\n  A: {keywords: [x], color: red}\n"
    parsed = parse_topics(text)
    assert len(parsed.warnings) == 2
    assert "'language'" in parsed.warnings[0]
    assert "'color'" in parsed.warnings[1]
    assert 'topic "A"' in parsed.warnings[1]


INVALID_FILES = [
    ("category: [cs.CV\ntopic: {}\n", ["Invalid YAML", "line 2"]),
    ("- cs.CV\n- cs.CL\n", ["not a mapping"]),
    ("", ["empty", "not a mapping"]),
    ("topic:\n  A: {keywords: [x]}\n", ['no "category:"']),
    ("category: [cs.XX]\ntopic:\n  A: {keywords: [x]}\n", ["cs.XX", "category"]),
    ("category: [42]\ntopic:\n  A: {keywords: [x]}\n", ['Entry 1 of "category:"', "42"]),
    ("category: []\ntopic:\n  A: {keywords: [x]}\n", ['"category:"', "empty list"]),
    ("category: cs.CV\n", ['no "topic:"']),
    ("category: cs.CV\ntopic: [A, B]\n", ['"topic:"', "a list"]),
    ("category: cs.CV\ntopic:\n  A: {keywords: [LLM, 42]}\n", ['Keyword 2 of topic "A"', "42"]),
    ("category: cs.CV\ntopic:\n  A: {keywords: [yes]}\n", ['Keyword 1 of topic "A"', "true"]),
    ("category: cs.CV\ntopic:\n  A: {keywords: [~]}\n", ['Keyword 1 of topic "A"', "empty"]),
    (
        "category: cs.CV\ntopic:\n  A: {keywords: [[LLM, [x, y]]]}\n",
        ['Item 2 of keyword 1 of topic "A"', "AND-group"],
    ),
    ("category: cs.CV\ntopic:\n  A: {keywords: [[]]}\n", ['Keyword 1 of topic "A"', "empty AND"]),
    ("category: cs.CV\ntopic:\n  A:\n", ['Topic "A" has no keywords']),
    ("category: cs.CV\ntopic:\n  A: {keywords: []}\n", ['Topic "A" has no keywords']),
    ("category: cs.CV\ntopic:\n  A: {filters: [x]}\n", ['Topic "A" has no keywords']),
    ("category: cs.CV\ntopic:\n  A: [x, y]\n", ['Topic "A" is a list', "keywords:"]),
    (
        "category: cs.CV\ntopic:\n  A: {keywords: [x], filters: [[a, b]]}\n",
        ['Filter 1 of topic "A"', "is a list"],
    ),
    ("category: cs.CV\ntopic:\n  A: {keywords: [x], filters: 3}\n", ['"filters:"', "3"]),
    ("category: cs.CV\ntopic:\n  A: {keywords: ['  ']}\n", ['Keyword 1 of topic "A"', "empty"]),
    (
        "category: cs.CV\ntopic:\n  A: {keywords: ['say \"hi\"']}\n",
        ['Keyword 1 of topic "A"', "double quote"],
    ),
    ("category: cs.CV\ntopic:\n  A: {keywords: ['++']}\n", ['Topic "A"', "no word to match"]),
    ("category: cs.CV\ntopic:\n  " + "N" * 51 + ": {keywords: [x]}\n", ["longer than 50"]),
    ("category: cs.CV\ntopic:\n  2025: {keywords: [x]}\n", ["2025", "quotes"]),
    (
        "category: cs.CV\ntopic:\n  LLM: {keywords: [x]}\n  llm: {keywords: [y]}\n",
        ['"LLM"', '"llm"', "differ only in case"],
    ),
    (
        "category: cs.CV\ntopic:\n  A: {keywords: [x]}\n  A: {keywords: [y]}\n",
        ["'A'", "twice", "line 4"],
    ),
    (
        "category: cs.CV\ntopic:\n  A: {keywords: [" + ", ".join(["w"] * 51) + "]}\n",
        ['Topic "A"', "Too many"],
    ),
]


@pytest.mark.parametrize(("text", "fragments"), INVALID_FILES)
def test_parse_invalid_file_message(text: str, fragments: list[str]) -> None:
    with pytest.raises(TopicFileError) as caught:
        parse_topics(text)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_parse_error_names_topic_attribute() -> None:
    with pytest.raises(TopicFileError) as caught:
        parse_topics("category: cs.CV\ntopic:\n  Good: {keywords: [x]}\n  Bad: {keywords: [1]}\n")
    assert caught.value.topic == "Bad"


# Conversion to digests


def test_digests_one_per_topic() -> None:
    digests = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))
    assert [digest.name for digest in digests] == [
        "LLM",
        "Reasoning",
        "Sparse Experts",
        "Robot Policies",
    ]


def test_digests_share_settings() -> None:
    for digest in to_digests(TOPICS_FILE.read_text(encoding="utf-8")):
        assert digest.guild_id == GUILD
        assert digest.channel_id == CHANNEL
        assert digest.categories == ("cs.CL", "cs.LG", "cs.CV")
        assert digest.post_time == dt.time(9, 0)
        assert digest.timezone == "UTC"


def test_digest_lines_from_groups_and_filters() -> None:
    llm = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))[0]
    assert llm.keywords == ("LLM", "Large Language Model", "Reinforcement Learning AND Reward")
    assert llm.exclusions == ("survey",)


def test_digest_lines_quote_special_terms() -> None:
    reasoning, experts = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))[1:3]
    assert reasoning.keywords == (
        '"Chain-of-Thought (CoT)"',
        "LLM AND Reasoning",
        "test-time scaling",
    )
    assert experts.keywords == ('"Mixture-of-Experts (MoE)"', '"text:image"')


def test_digest_lines_pass_validation() -> None:
    for digest in to_digests(TOPICS_FILE.read_text(encoding="utf-8")):
        assert parse_rule_lines(digest.keywords, digest.exclusions) == (
            digest.keywords,
            digest.exclusions,
        )


def test_digests_canonical_timezone() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    digests = topics_to_digests(
        parsed, guild_id=1, channel_id=2, post_time=dt.time(7, 30), timezone="europe/berlin"
    )
    assert digests[0].timezone == "Europe/Berlin"
    assert digests[0].post_time == dt.time(7, 30)


def test_digests_unknown_timezone() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    with pytest.raises(DigestConfigError, match="Mars/Olympus"):
        topics_to_digests(
            parsed, guild_id=1, channel_id=2, post_time=dt.time(9), timezone="Mars/Olympus"
        )


def test_digests_check_hand_built_file() -> None:
    built = TopicFile(categories=("cs.CV",), topics=(Topic("Odd", ("++",)),))
    with pytest.raises(TopicFileError, match='Topic "Odd"'):
        topics_to_digests(built, guild_id=1, channel_id=2, post_time=dt.time(9), timezone="UTC")


@pytest.mark.parametrize(
    ("term", "line"),
    [
        ("vision language model", "vision language model"),
        ("Research and Development", "Research and Development"),
        ("multi-modal", "multi-modal"),
        ("R AND D", '"R AND D"'),
        ("LLM OR VLM", '"LLM OR VLM"'),
        ("NOT ALL", '"NOT ALL"'),
        ("x ANDNOT y", '"x ANDNOT y"'),
        ("f(x)", '"f(x)"'),
        ("diffus*", '"diffus*"'),
        ("ti:model", '"ti:model"'),
        ("a, b", '"a, b"'),
        ("a; b", '"a; b"'),
        ("\u201equote", '"\u201equote"'),
    ],
)
def test_quote_term(term: str, line: str) -> None:
    assert quote_term(term) == line


@pytest.mark.parametrize(
    ("term", "present", "absent"),
    [
        ("LLM OR VLM", "We compare LLM or VLM backbones.", "We train a VLM."),
        ("NOT ALL", "Not all tokens matter.", "All tokens matter."),
        ("diffus*", "The diffus* operator.", "A diffusion model."),
        ("ti:model", "The ti:model baseline.", "A model of ti."),
        ("Chain-of-Thought (CoT)", "Chain-of-Thought (CoT) prompting.", "Chain-of-Thought only."),
    ],
)
def test_quoted_term_literal_meaning(term: str, present: str, absent: str) -> None:
    rule = compile_rule([quote_term(term)])
    assert rule.match(present, "") is not None
    assert rule.match(absent, "") is None


# Matching on real papers


def test_file_rules_agree_with_public_rule() -> None:
    parsed = parse_topics(TOPICS_FILE.read_text(encoding="utf-8"))
    digests = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))
    matched = 0
    for day in DAYS:
        papers = load_day(day)
        for topic, digest in zip(parsed.topics, digests, strict=True):
            keywords: list[Any] = [terms_of(entry) for entry in topic.keywords]
            filters = list(topic.filters)
            for paper in agreeing_papers(papers, keywords, filters):
                content = f"{paper['title']} {paper['abstract']}"
                expected = substring_rule(keywords, filters, content)
                assert matches(digest, paper) == expected, (day, digest.name, paper["id"])
                matched += expected
    assert matched > 100


def test_colon_term_matches_real_paper() -> None:
    experts = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))[2]
    papers = {paper["id"]: paper for paper in load_day("2026-05-11")}
    assert "text:image" in papers["2512.19219"]["abstract"]
    assert matches(experts, papers["2512.19219"])


def test_parenthesis_term_matches_real_papers() -> None:
    experts = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))[2]
    papers = load_day("2025-11-09")
    with_term = [paper for paper in papers if "Mixture-of-Experts (MoE)" in paper["abstract"]]
    assert with_term
    for paper in with_term:
        assert matches(experts, paper), paper["id"]


def test_filter_drops_real_papers() -> None:
    llm = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))[0]
    unfiltered = dataclasses.replace(llm, exclusions=())
    surveys = [
        paper
        for day in DAYS
        for paper in load_day(day)
        if re.search(r"\bsurveys?\b", f"{paper['title']} {paper['abstract']}", re.IGNORECASE)
    ]
    matched_without_filter = [paper for paper in surveys if matches(unfiltered, paper)]
    assert matched_without_filter
    for paper in matched_without_filter:
        assert not matches(llm, paper), paper["id"]


def test_real_day_lines() -> None:
    topics = load_topics("2025-11-09")
    text = topic_yaml(
        CORPUS_CATEGORIES,
        {name: {"keywords": t["keywords"], "filters": t["filters"]} for name, t in topics.items()},
    )
    digests = to_digests(text)
    assert [digest.name for digest in digests] == list(topics)
    for digest, topic in zip(digests, topics.values(), strict=True):
        expected = tuple(" AND ".join(terms_of(entry)) for entry in topic["keywords"])
        assert digest.keywords == expected
        assert digest.exclusions == tuple(topic["filters"])
        assert digest.categories == tuple(CORPUS_CATEGORIES)


def test_real_day_test_time_scaling_groups() -> None:
    topics = load_topics("2025-11-09")
    text = topic_yaml(
        CORPUS_CATEGORIES, {"TTS": {"keywords": topics["Test-Time-Scaling"]["keywords"]}}
    )
    digest = to_digests(text)[0]
    assert digest.keywords[:3] == (
        "LLM AND Reasoning",
        "VLM AND Reasoning",
        "System 2 AND Thinking",
    )


def test_real_day_matches_recorded_ids() -> None:
    topics = load_topics("2025-11-09")
    papers = load_day("2025-11-09")
    text = topic_yaml(
        CORPUS_CATEGORIES,
        {name: {"keywords": t["keywords"], "filters": t["filters"]} for name, t in topics.items()},
    )
    for digest, topic in zip(to_digests(text), topics.values(), strict=True):
        recorded = set(topic["matched_ids"])
        agreeing = list(agreeing_papers(papers, topic["keywords"], topic["filters"]))
        for paper in agreeing:
            assert matches(digest, paper) == (paper["id"] in recorded), (digest.name, paper["id"])
        assert any(paper["id"] in recorded for paper in agreeing), digest.name


def test_real_day_whole_words_differ() -> None:
    # The public rule counts "Bench" inside "benchmark"; a digest matches whole words only.
    topics = load_topics("2025-11-09")
    papers = {paper["id"]: paper for paper in load_day("2025-11-09")}
    text = topic_yaml(CORPUS_CATEGORIES, {"Benchmark": {"keywords": ["Bench"]}})
    digest = to_digests(text)[0]
    only_inside = [
        papers[paper_id]
        for paper_id in topics["Benchmark"]["matched_ids"]
        if not re.search(
            r"\bbench(es)?\b",
            f"{papers[paper_id]['title']} {papers[paper_id]['abstract']}",
            re.IGNORECASE,
        )
    ]
    assert only_inside
    for paper in only_inside:
        assert not matches(digest, paper), paper["id"]


# Export


def test_export_round_trip_file() -> None:
    digests = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))
    again = to_digests(digests_to_yaml(digests))
    assert again == digests_with_times(digests, again)


def digests_with_times(digests: list[Digest], like: list[Digest]) -> list[Digest]:
    """Return `digests` with the creation times of `like`, which differ by construction."""
    return [
        dataclasses.replace(digest, created_at=other.created_at)
        for digest, other in zip(digests, like, strict=True)
    ]


def test_export_round_trip_awkward_text() -> None:
    topics = {
        "yes": {"keywords": ["null", "2D", ["a, b", "R AND D"]]},
        "a: b": {"keywords": ["#tag", "- dash", "it's"], "filters": ["f(x)", "\u201elow"]},
        "Ünïcode naïve": {"keywords": ["Schrödinger equation", "ti:model", "diffus*"]},
        "[brackets]": {"keywords": ["{braces}", "%percent", "@at", "`tick`"]},
    }
    digests = to_digests(topic_yaml(["cs.LG", "physics"], topics))
    again = to_digests(digests_to_yaml(digests))
    assert again == digests_with_times(digests, again)


def test_export_uses_strings_and_lists() -> None:
    digests = to_digests(TOPICS_FILE.read_text(encoding="utf-8"))
    exported = yaml.safe_load(digests_to_yaml(digests))
    assert exported["topic"]["LLM"]["keywords"] == [
        "LLM",
        "Large Language Model",
        ["Reinforcement Learning", "Reward"],
    ]
    assert exported["topic"]["Sparse Experts"]["keywords"] == [
        "Mixture-of-Experts (MoE)",
        "text:image",
    ]
    assert exported["topic"]["Robot Policies"]["filters"] == ["survey", "2D"]


def make_digest(name: str, keywords: tuple[str, ...], **changes: Any) -> Digest:
    """Build a digest of the test guild with the given keyword lines."""
    settings: dict[str, Any] = {"channel_id": CHANNEL, "categories": ("cs.CL",), **changes}
    return Digest(guild_id=GUILD, name=name, keywords=keywords, **settings)


def test_export_raw_rule_with_comment() -> None:
    digest = make_digest("Mixed", ("LLM OR VLM", "robot AND grasp"), exclusions=("a AND b",))
    text = digests_to_yaml([digest])
    lines = text.splitlines()
    raw = lines.index("      - LLM OR VLM")
    assert lines[raw - 1].lstrip().startswith("#")
    assert "plain text" in lines[raw - 1]
    exported = yaml.safe_load(text)["topic"]["Mixed"]
    assert exported["keywords"] == ["LLM OR VLM", ["robot", "grasp"]]
    assert exported["filters"] == ["a AND b"]
    assert lines[lines.index("      - a AND b") - 1].lstrip().startswith("#")


def test_export_category_union_comment() -> None:
    first = make_digest("One", ("x",), categories=("cs.CL", "cs.LG"))
    second = make_digest("Two", ("y",), categories=("cs.CV", "cs.CL"))
    text = digests_to_yaml([first, second])
    assert yaml.safe_load(text)["category"] == ["cs.CL", "cs.LG", "cs.CV"]
    assert "#   One: cs.CL cs.LG" in text
    assert "#   Two: cs.CV cs.CL" in text


def test_export_same_categories_no_comment() -> None:
    first = make_digest("One", ("x",), categories=("cs.CL", "cs.LG"))
    second = make_digest("Two", ("y",), categories=("cs.LG", "cs.CL"))
    assert "#   One" not in digests_to_yaml([first, second])


@pytest.mark.parametrize(
    ("line", "terms"),
    [
        ("LLM", ("LLM",)),
        ("vision  language model", ("vision language model",)),
        ("LLM AND robot", ("LLM", "robot")),
        ('"text:image" AND "f(x)"', ("text:image", "f(x)")),
        ('"vision" language', ("vision language",)),
        ("\u201cvision language\u201d", ("vision language",)),
        ("research and development", ("research and development",)),
        ("a, b", ("a, b",)),
        ("LLM OR VLM", None),
        ("LLM NOT survey", None),
        ("LLM ANDNOT survey", None),
        ("(LLM)", None),
        ("diffus*", None),
        ("ti:model", None),
        ('"unclosed', None),
        ("AND x", None),
        ("x AND", None),
    ],
)
def test_split_simple_line(line: str, terms: tuple[str, ...] | None) -> None:
    assert split_simple_line(line) == terms


# Store functions


async def open_store(tmp_path: Path) -> Store:
    """Open a fresh SQLite store in `tmp_path`."""
    return await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'topics.db'}")


async def test_import_topics_saves_all(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        saved = await import_topics(
            store,
            TOPICS_FILE.read_text(encoding="utf-8"),
            guild_id=GUILD,
            channel_id=CHANNEL,
            post_time=dt.time(8, 15),
            timezone="Asia/Tokyo",
            created_by=5,
        )
        stored = await store.list_digests(GUILD)
    finally:
        await store.close()
    assert len(saved) == 4
    assert all(digest.id is not None for digest in saved)
    assert sorted(digest.name for digest in stored) == sorted(digest.name for digest in saved)
    assert {digest.created_by for digest in stored} == {5}
    assert {digest.timezone for digest in stored} == {"Asia/Tokyo"}


async def test_import_topics_duplicate_saves_nothing(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        await store.add_digest(make_digest("reasoning", ("old",)))
        with pytest.raises(DuplicateDigestError) as caught:
            await import_topics(
                store,
                TOPICS_FILE.read_text(encoding="utf-8"),
                guild_id=GUILD,
                channel_id=CHANNEL,
                post_time=dt.time(9),
                timezone="UTC",
                created_by=None,
            )
        stored = await store.list_digests(GUILD)
    finally:
        await store.close()
    assert caught.value.name == "Reasoning"
    assert [digest.name for digest in stored] == ["reasoning"]


async def test_save_digests_undoes_partial_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await open_store(tmp_path)
    try:
        await store.add_digest(make_digest("Taken", ("old",)))

        # Another writer takes the name after the check, so the check finds no digests.
        async def no_digests(guild_id: int | None = None) -> list[Digest]:
            return []

        monkeypatch.setattr(store, "list_digests", no_digests)
        batch = [make_digest("First", ("x",)), make_digest("Taken", ("y",))]
        with pytest.raises(DuplicateDigestError):
            await save_digests(store, batch)
        monkeypatch.undo()
        stored = await store.list_digests(GUILD)
    finally:
        await store.close()
    assert [(digest.name, digest.keywords) for digest in stored] == [("Taken", ("old",))]


async def test_save_digests_replace_keeps_other_settings(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        old = await store.add_digest(
            make_digest("LLM", ("old",), max_papers=7, include_cross_lists=True)
        )
        saved = await save_digests(
            store, [make_digest("llm", ("new",), channel_id=9)], replace=True
        )
        stored = await store.list_digests(GUILD)
    finally:
        await store.close()
    assert saved[0].replaced
    assert len(stored) == 1
    assert stored[0].id == old.id
    assert stored[0].name == "llm"
    assert stored[0].keywords == ("new",)
    assert stored[0].channel_id == 9
    assert stored[0].max_papers == 7
    assert stored[0].include_cross_lists


async def test_export_topics_round_trip(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        saved = await import_topics(
            store,
            TOPICS_FILE.read_text(encoding="utf-8"),
            guild_id=GUILD,
            channel_id=CHANNEL,
            post_time=dt.time(9),
            timezone="UTC",
            created_by=None,
        )
        text = await export_topics(store, GUILD)
    finally:
        await store.close()
    again = {digest.name: digest.keywords for digest in to_digests(text)}
    assert again == {digest.name: digest.keywords for digest in saved}


async def test_export_topics_no_digests(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        with pytest.raises(NoDigestsError, match="Guild 999"):
            await export_topics(store, 999)
    finally:
        await store.close()


# Command line


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point DATABASE_URL at a SQLite file in `tmp_path` and run in that folder."""
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def stored_digests(path: Path, guild_id: int = GUILD) -> list[Digest]:
    """Return the digests of a guild in the SQLite file at `path`."""

    async def read() -> list[Digest]:
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        try:
            return await store.list_digests(guild_id)
        finally:
            await store.close()

    return asyncio.run(read())


def import_args(file: Path | str, *extra: str) -> list[str]:
    """Return the arguments of `import` for the test guild and channel."""
    return ["import", str(file), "--guild", str(GUILD), "--channel", str(CHANNEL), *extra]


def test_cli_import_creates_digests(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(import_args(TOPICS_FILE, "--post-time", "07:45", "--timezone", "europe/paris"))
    output = capsys.readouterr()
    assert code == 0
    assert output.err == ""
    lines = output.out.splitlines()
    assert len(lines) == 5
    assert lines[0].startswith('Created digest "LLM" for channel 222: 3 keyword lines')
    assert "07:45 Europe/Paris" in lines[0]
    assert "next start" in lines[-1]
    stored = {digest.name: digest for digest in stored_digests(database)}
    assert set(stored) == {"LLM", "Reasoning", "Sparse Experts", "Robot Policies"}
    assert stored["Sparse Experts"].keywords == ('"Mixture-of-Experts (MoE)"', '"text:image"')
    assert stored["LLM"].post_time == dt.time(7, 45)


def test_cli_import_bad_topic_saves_nothing(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = TOPICS_FILE.read_text(encoding="utf-8") + "  Broken:\n    keywords: [[LLM, [x]]]\n"
    file = tmp_path / "bad.yml"
    file.write_text(text, encoding="utf-8")
    code = main(import_args(file))
    output = capsys.readouterr()
    assert code == 2
    assert output.out == ""
    assert len(output.err.splitlines()) == 1
    assert 'topic "Broken"' in output.err
    assert stored_digests(database) == []


def test_cli_import_duplicate_saves_nothing(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(import_args(TOPICS_FILE)) == 0
    capsys.readouterr()
    before = stored_digests(database)
    code = main(import_args(TOPICS_FILE, "--post-time", "10:00"))
    output = capsys.readouterr()
    assert code == 2
    assert len(output.err.splitlines()) == 1
    assert "'LLM'" in output.err
    assert "--replace" in output.err
    assert stored_digests(database) == before


def test_cli_import_replace(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(import_args(TOPICS_FILE)) == 0
    before = {digest.name: digest.id for digest in stored_digests(database)}
    code = main(
        ["import", str(TOPICS_FILE), "--guild", str(GUILD), "--channel", "333", "--replace"]
    )
    output = capsys.readouterr()
    assert code == 0
    assert output.out.count("Replaced digest") == 4
    after = stored_digests(database)
    assert {digest.name: digest.id for digest in after} == before
    assert {digest.channel_id for digest in after} == {333}


def test_cli_import_other_guild_independent(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(import_args(TOPICS_FILE)) == 0
    code = main(["import", str(TOPICS_FILE), "--guild", "444", "--channel", "555"])
    assert code == 0
    assert len(stored_digests(database, 444)) == 4
    assert len(stored_digests(database)) == 4


def test_cli_import_warnings_on_stderr(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "extra.yml"
    file.write_text("category: cs.CV\nlanguage: en\ntopic:\n  A: {keywords: [x]}\n", "utf-8")
    code = main(import_args(file))
    output = capsys.readouterr()
    assert code == 0
    assert "warning" in output.err
    assert "'language'" in output.err


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["import", "missing.yml", "--guild", "1", "--channel", "2"], "missing.yml"),
        (["import", "{topics}", "--guild", "abc", "--channel", "2"], "'abc'"),
        (["import", "{topics}", "--guild", "1", "--channel", "-5"], "'-5'"),
        (["import", "{topics}", "--guild", "1", "--channel", "2", "--post-time", "25:00"], "25:00"),
        (["import", "{topics}", "--guild", "1", "--channel", "2", "--timezone", "Mars"], "Mars"),
        (["export", "--guild", "x"], "'x'"),
        (["export", "--guild", "999"], "Guild 999"),
    ],
)
def test_cli_errors_one_line(
    database: Path, arguments: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [str(TOPICS_FILE) if argument == "{topics}" else argument for argument in arguments]
    code = main(filled)
    output = capsys.readouterr()
    assert code == 2
    assert len(output.err.splitlines()) == 1
    assert fragment in output.err
    assert "Traceback" not in output.err


def test_cli_import_not_utf8(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "latin1.yml"
    file.write_bytes("category: cs.CV\ntopic:\n  Caf\u00e9: {keywords: [x]}\n".encode("latin-1"))
    assert main(import_args(file)) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_cli_bad_database_url(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://localhost/db")
    code = main(import_args(TOPICS_FILE))
    output = capsys.readouterr()
    assert code == 2
    assert len(output.err.splitlines()) == 1
    assert "DATABASE_URL" in output.err


def test_cli_export_stdout(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(import_args(TOPICS_FILE)) == 0
    capsys.readouterr()
    code = main(["export", "--guild", str(GUILD)])
    output = capsys.readouterr()
    assert code == 0
    exported = yaml.safe_load(output.out)
    assert exported["category"] == ["cs.CL", "cs.LG", "cs.CV"]
    assert exported["topic"]["Reasoning"]["keywords"] == [
        "Chain-of-Thought (CoT)",
        ["LLM", "Reasoning"],
        "test-time scaling",
    ]


def test_cli_export_file_reimports(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(import_args(TOPICS_FILE)) == 0
    out = tmp_path / "exported.yml"
    assert main(["export", "--guild", str(GUILD), "--output", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    assert main(["import", str(out), "--guild", "777", "--channel", str(CHANNEL)]) == 0
    first = {
        digest.name: (digest.keywords, digest.exclusions) for digest in stored_digests(database)
    }
    second = {
        digest.name: (digest.keywords, digest.exclusions)
        for digest in stored_digests(database, 777)
    }
    assert second == first
