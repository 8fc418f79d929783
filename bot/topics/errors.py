"""Errors of topic file import and export. Messages are written for the user."""

from __future__ import annotations


class TopicsError(Exception):
    """Base class of the errors of topic file import and export."""


class TopicFileError(TopicsError, ValueError):
    """A topic file is invalid. The message names the key or entry and what to change.

    `topic` is the name of the topic at fault, or None for a problem outside the topics.
    """

    def __init__(self, message: str, *, topic: str | None = None) -> None:
        super().__init__(message)
        self.topic = topic


class NoDigestsError(TopicsError):
    """A guild has no digests, so there is nothing to export."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(f"Guild {guild_id} has no digests to export.")
        self.guild_id = guild_id
