"""Topic files in the `config.yml` format of the public daily arXiv digests on GitHub.

A topic file has a top-level `category:` (a list of arXiv categories, or one string) and
`topic:`, which maps each topic name to `keywords` and `filters`. A keyword entry is a
word or phrase, or a list of them that must all occur (an AND-group). A paper containing
any filter entry is dropped. Each topic becomes one digest named after it, and each term
keeps its literal meaning because text with a meaning in keyword rules is quoted.

The public digests match keywords as case-insensitive substrings, while digests match
whole words with plurals and hyphenation variants, so `r1` no longer matches "PIK3R1".
"""

from bot.topics.convert import (
    check_topic_lines,
    keyword_line,
    quote_term,
    topic_lines,
    topics_to_digests,
)
from bot.topics.errors import NoDigestsError, TopicFileError, TopicsError
from bot.topics.export import digests_to_yaml, split_simple_line
from bot.topics.model import Keyword, Topic, TopicFile
from bot.topics.parse import parse_topics

__all__ = [
    "Keyword",
    "NoDigestsError",
    "Topic",
    "TopicFile",
    "TopicFileError",
    "TopicsError",
    "check_topic_lines",
    "digests_to_yaml",
    "keyword_line",
    "parse_topics",
    "quote_term",
    "split_simple_line",
    "topic_lines",
    "topics_to_digests",
]
