"""Conversions between topics and digests: topic entries to rule lines and back."""

from __future__ import annotations

import datetime as dt

from bot.digest_config import DigestConfigError, parse_rule_lines, parse_timezone
from bot.models import Digest
from bot.topics.errors import TopicFileError
from bot.topics.model import Keyword, Topic, TopicFile

# Characters and words with a meaning in keyword rules. A term containing any of them is
# quoted so that it is matched as written. Commas and semicolons separate rule lines in a
# slash command, so a quoted term also survives being typed back into one.
_SPECIAL_CHARACTERS = frozenset("()*:,;\u201e")
_OPERATOR_WORDS = frozenset(("AND", "OR", "NOT", "ANDNOT"))


def quote_term(term: str) -> str:
    """Return `term` as it must be written in a rule line to be matched as written.

    A term with parentheses, `*`, `:`, a comma, a semicolon, a low double quote or a whole
    word AND, OR, NOT or ANDNOT is put in double quotes. Any other term is left as is.
    """
    special = not _SPECIAL_CHARACTERS.isdisjoint(term)
    if special or not _OPERATOR_WORDS.isdisjoint(term.split()):
        return f'"{term}"'
    return term


def keyword_line(keyword: Keyword) -> str:
    """Return the rule line of a keyword entry: the term, or an AND-group's terms joined by AND."""
    terms = (keyword,) if isinstance(keyword, str) else keyword
    return " AND ".join(quote_term(term) for term in terms)


def topic_lines(topic: Topic) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return a topic's keyword lines and exclusion lines."""
    keywords = tuple(keyword_line(keyword) for keyword in topic.keywords)
    exclusions = tuple(quote_term(term) for term in topic.filters)
    return keywords, exclusions


def check_topic_lines(topic: Topic) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check a topic's rule lines and return them, or raise TopicFileError naming the topic."""
    keywords, exclusions = topic_lines(topic)
    try:
        return parse_rule_lines(keywords, exclusions)
    except DigestConfigError as error:
        raise TopicFileError(f'Topic "{topic.name}": {error}', topic=topic.name) from None


def topics_to_digests(
    file: TopicFile,
    *,
    guild_id: int,
    channel_id: int,
    post_time: dt.time,
    timezone: str,
    created_by: int | None = None,
) -> list[Digest]:
    """Build one digest per topic, posting to `channel_id` at `post_time` in `timezone`.

    Raises DigestConfigError for an unknown time zone and TopicFileError for a topic
    whose rule lines do not parse.
    """
    zone = parse_timezone(timezone)
    digests: list[Digest] = []
    for topic in file.topics:
        keywords, exclusions = check_topic_lines(topic)
        digests.append(
            Digest(
                guild_id=guild_id,
                channel_id=channel_id,
                name=topic.name,
                categories=file.categories,
                keywords=keywords,
                exclusions=exclusions,
                post_time=post_time,
                timezone=zone,
                created_by=created_by,
            )
        )
    return digests
