"""Reading topic files: the YAML, its shape, the categories and the topic names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from bot.digest_config import DigestConfigError, parse_categories, parse_name
from bot.topics.convert import check_topic_lines
from bot.topics.errors import TopicFileError
from bot.topics.model import Keyword, Topic, TopicFile

KNOWN_KEYS = ("category", "topic")
TOPIC_KEYS = ("keywords", "filters")
# A phrase in a rule line ends at the first of these, so no rule can match them as written.
CLOSING_QUOTES = frozenset('"\u201c\u201d')


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in a mapping is an error.

    The plain safe loader keeps the last of two equal keys, which would silently drop a
    topic written twice.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in seen:
                line = key_node.start_mark.line + 1
                raise TopicFileError(
                    f"The key {key_node.value!r} appears twice in the same section of the "
                    f"topic file (line {line}). Merge the two entries or rename one."
                )
            seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def parse_topics(text: str) -> TopicFile:
    """Parse and check a topic file; raise TopicFileError naming the first problem.

    Besides the shape of the file, this checks the categories, the topic names (unique in
    any case, at most the digest name length) and that every topic gives valid rule lines.
    """
    data = _load_yaml(text)
    if not isinstance(data, dict):
        raise TopicFileError(
            f"The topic file is {_describe(data)}, not a mapping. Start it with "
            '"category:" and "topic:" lines as in the config.yml of the public digests.'
        )

    warnings = [
        f"Ignored the top-level key {key!r}: topic files use only category and topic."
        for key in data
        if key not in KNOWN_KEYS
    ]
    categories = _read_categories(data.get("category"))
    topics = _read_topics(data.get("topic"), warnings)
    for topic in topics:
        check_topic_lines(topic)
    return TopicFile(categories=categories, topics=topics, warnings=tuple(warnings))


def _load_yaml(text: str) -> Any:
    try:
        # The loader is a subclass of SafeLoader, so it builds only plain data as safe_load does.
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise TopicFileError(
            f"Invalid YAML in the topic file{where}: {error.problem}. Check the indentation, "
            'and put text that contains ": " or starts with [ { # & * ! in quotes.'
        ) from None
    except yaml.YAMLError as error:
        raise TopicFileError(f"Invalid YAML in the topic file: {error}.") from None


def _read_categories(value: Any) -> tuple[str, ...]:
    if value is None:
        raise TopicFileError(
            'The topic file has no "category:" key. Add the arXiv categories every topic '
            "follows, for example: category: [cs.CV, cs.CL]"
        )
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not entries:
        raise TopicFileError(
            f'"category:" is {_describe(value)}. Write a list of arXiv categories, for '
            "example: category: [cs.CV, cs.CL]"
        )

    categories: list[str] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, str):
            raise TopicFileError(
                f'Entry {number} of "category:" is {_describe(entry)}. Write an arXiv '
                "category such as cs.CV."
            )
        try:
            parsed = parse_categories(entry)
        except DigestConfigError as error:
            raise TopicFileError(f'In "category:": {error}') from None
        categories.extend(code for code in parsed if code not in categories)
    return tuple(categories)


def _read_topics(value: Any, warnings: list[str]) -> tuple[Topic, ...]:
    if value is None:
        raise TopicFileError(
            'The topic file has no "topic:" key. Add one that maps each topic name to its '
            "keywords, for example: topic: {LLM: {keywords: [LLM, GPT]}}"
        )
    if not isinstance(value, dict) or not value:
        raise TopicFileError(
            f'"topic:" is {_describe(value)}. Map each topic name to its keywords and filters.'
        )

    topics: list[Topic] = []
    names: dict[str, str] = {}
    for raw_name, body in value.items():
        topic = _read_topic(raw_name, body, warnings)
        earlier = names.setdefault(topic.name.casefold(), topic.name)
        if earlier != topic.name:
            raise TopicFileError(
                f'Topics "{earlier}" and "{topic.name}" differ only in case, but digest '
                "names must be unique in any case. Rename or merge one of them.",
                topic=topic.name,
            )
        topics.append(topic)
    return tuple(topics)


def _read_topic(raw_name: Any, body: Any, warnings: list[str]) -> Topic:
    if not isinstance(raw_name, str):
        raise TopicFileError(
            f"The topic name {raw_name!r} is {_describe(raw_name)}. Put it in quotes to "
            "use it as a name."
        )
    try:
        name = parse_name(raw_name)
    except DigestConfigError as error:
        raise TopicFileError(f"Invalid topic name: {error}", topic=raw_name) from None

    if isinstance(body, list):
        raise TopicFileError(
            f'Topic "{name}" is a list. Put the list under "keywords:", one level deeper.',
            topic=name,
        )
    if not isinstance(body, dict) or not body.get("keywords"):
        raise TopicFileError(
            f'Topic "{name}" has no keywords. Give it a "keywords:" list with at least one '
            "word or phrase, or remove the topic.",
            topic=name,
        )
    warnings.extend(
        f'Ignored the key {key!r} of topic "{name}": topics have only keywords and filters.'
        for key in body
        if key not in TOPIC_KEYS
    )

    keywords = _read_list(body["keywords"], f'"keywords:" of topic "{name}"', name)
    filters = _read_list(body.get("filters") or [], f'"filters:" of topic "{name}"', name)
    return Topic(
        name=name,
        keywords=tuple(
            _read_keyword(entry, f'Keyword {number} of topic "{name}"', name)
            for number, entry in enumerate(keywords, start=1)
        ),
        filters=tuple(
            _read_term(entry, f'Filter {number} of topic "{name}"', name, grouped=False)
            for number, entry in enumerate(filters, start=1)
        ),
    )


def _read_list(value: Any, place: str, topic: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise TopicFileError(
            f"{place} is {_describe(value)}. Write a list of words or phrases.", topic=topic
        )
    return value


def _read_keyword(value: Any, place: str, topic: str) -> Keyword:
    if not isinstance(value, list):
        return _read_term(value, place, topic, grouped=False)
    if not value:
        raise TopicFileError(
            f"{place} is an empty AND-group. Put the words that must all occur in it, or "
            "remove it.",
            topic=topic,
        )
    return tuple(
        _read_term(member, f"Item {number} of {place[0].lower()}{place[1:]}", topic, grouped=True)
        for number, member in enumerate(value, start=1)
    )


def _read_term(value: Any, place: str, topic: str, *, grouped: bool) -> str:
    if isinstance(value, list):
        fix = (
            "An AND-group is one list of words or phrases, such as [LLM, Reasoning]."
            if grouped
            else "Filters are words or phrases, and a paper containing any of them is dropped."
        )
        raise TopicFileError(f"{place} is a list, which is not allowed here. {fix}", topic=topic)
    if not isinstance(value, str):
        raise TopicFileError(
            f"{place} is {_describe(value)}, not text. Write the word or phrase, in quotes "
            "if YAML would read it otherwise (for example '1.5' or 'yes').",
            topic=topic,
        )

    term = " ".join(value.split())
    if not term:
        raise TopicFileError(
            f"{place} is empty. Write a word or phrase, or remove it.", topic=topic
        )
    if not CLOSING_QUOTES.isdisjoint(term):
        raise TopicFileError(
            f"{place} ({term}) contains a double quote, which keyword rules cannot match as "
            "written. Remove the quote characters.",
            topic=topic,
        )
    return term


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the true/false value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"a {type(value).__name__}"
