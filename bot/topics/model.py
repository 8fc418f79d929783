"""The contents of a topic file: categories, and topics with keywords and filters."""

from __future__ import annotations

from dataclasses import dataclass

# A keyword entry: one term, or a tuple of terms that must all occur (an AND-group).
Keyword = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic of a topic file.

    A keyword is a term, or a tuple of terms that must all occur. Terms have their
    whitespace collapsed and are never empty.
    """

    name: str
    keywords: tuple[Keyword, ...]
    filters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicFile:
    """A parsed topic file.

    `categories` apply to every topic. `warnings` name the keys that were ignored.
    """

    categories: tuple[str, ...]
    topics: tuple[Topic, ...]
    warnings: tuple[str, ...] = ()
