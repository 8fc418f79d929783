"""The digests that each paper of an announcement matches, worked out once for all digests.

Scheduled deliveries run one digest at a time. Matching every paper of an announcement
against the shared `RuleIndex` once, and keeping the result, lets each of those runs
look up its own papers instead of matching the whole announcement against its rules.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from bot.models import Digest, Paper
from bot.rules import PreparedText, prepare_paper
from bot.rules.index import RuleIndex

log = logging.getLogger(__name__)

# Announcements kept: the latest one for each of a few category sets is enough, since the
# digests due on one day share few feeds.
_CACHE_SIZE = 8


@dataclass(frozen=True)
class _Matched:
    revision: int
    digest_papers: dict[Hashable, frozenset[str]]
    texts: dict[str, PreparedText]


class SharedMatches:
    """Matches of recent announcements against every indexed digest, by announcement."""

    def __init__(self, index: Callable[[], RuleIndex | None]) -> None:
        # The index is read through a callable because the bot builds it after startup.
        self._index = index
        self._cache: OrderedDict[tuple[str, ...], _Matched] = OrderedDict()

    def candidates(
        self, digest: Digest, papers: Sequence[Paper]
    ) -> tuple[list[Paper], dict[str, PreparedText]] | None:
        """Return the papers whose text `digest`'s lines select, and their prepared texts.

        Returns None when the index does not hold the digest's current lines, and the
        caller then matches the papers itself. The papers keep their order; category,
        announce type and posted papers are for the caller to filter.
        """
        index = self._index()
        if index is None or digest.id is None:
            return None
        if not index.contains_rule(digest.id, digest.keywords, digest.exclusions):
            return None
        matched = self._matched(index, papers)
        selected = matched.digest_papers.get(digest.id, frozenset())
        return [paper for paper in papers if paper.id in selected], matched.texts

    def _matched(self, index: RuleIndex, papers: Sequence[Paper]) -> _Matched:
        key = tuple(paper.id for paper in papers)
        matched = self._cache.get(key)
        if matched is not None and matched.revision == index.revision:
            self._cache.move_to_end(key)
            return matched
        # NOTE: this runs in the event loop; for 10,000 digests and a 3,000-paper
        # announcement it takes about a second (benchmarks/match.py), once per announcement.
        texts = {paper.id: prepare_paper(paper) for paper in papers}
        by_digest: dict[Hashable, set[str]] = {}
        for paper_id, text in texts.items():
            for digest_id in index.match_keys(text):
                by_digest.setdefault(digest_id, set()).add(paper_id)
        matched = _Matched(
            index.revision,
            {digest_id: frozenset(ids) for digest_id, ids in by_digest.items()},
            texts,
        )
        log.info(
            "Matched %d papers against %d digests: %d digests select a paper",
            len(texts),
            len(index),
            len(by_digest),
        )
        self._cache[key] = matched
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return matched
