"""The digests that each paper of an announcement matches, worked out once for all digests.

Scheduled deliveries run one digest at a time. Matching every paper of an announcement
against the shared `RuleIndex` once, and keeping the result, lets each of those runs
look up its own papers instead of matching the whole announcement against its rules.

The match runs in the event loop in chunks of papers, giving way to other tasks between
chunks, so that the gateway heartbeat and commands are not held up. Runs that ask for
the same announcement while it is being matched wait for that one match.
"""

from __future__ import annotations

import asyncio
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
# Papers matched between two yields to the event loop: about 60 ms of work with 10,000
# digests (see benchmarks/match.py).
_CHUNK_SIZE = 200
# Matches started again when a digest is added or removed part way; after that the
# digests match on their own.
_MATCH_ATTEMPTS = 3

AnnouncementKey = tuple[str, ...]


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
        self._cache: OrderedDict[AnnouncementKey, _Matched] = OrderedDict()
        self._pending: dict[AnnouncementKey, asyncio.Future[_Matched | None]] = {}

    async def candidates(
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
        matched = await self._matched(index, papers)
        # The index may have changed while this run waited.
        if matched is None or matched.revision != index.revision:
            return None
        selected = matched.digest_papers.get(digest.id, frozenset())
        return [paper for paper in papers if paper.id in selected], matched.texts

    async def _matched(self, index: RuleIndex, papers: Sequence[Paper]) -> _Matched | None:
        key = tuple(paper.id for paper in papers)
        matched = self._cache.get(key)
        if matched is not None and matched.revision == index.revision:
            self._cache.move_to_end(key)
            return matched
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._match(index, papers, key))
            self._pending[key] = pending
        # A cancelled run must not cancel the match that other runs wait for.
        return await asyncio.shield(pending)

    async def _match(
        self, index: RuleIndex, papers: Sequence[Paper], key: AnnouncementKey
    ) -> _Matched | None:
        try:
            for _ in range(_MATCH_ATTEMPTS):
                matched = await self._match_once(index, papers)
                if matched.revision == index.revision:
                    self._store(key, matched)
                    return matched
            log.warning(
                "Digests changed during %d matches of a %d-paper announcement; "
                "each digest due now matches on its own",
                _MATCH_ATTEMPTS,
                len(papers),
            )
            return None
        finally:
            del self._pending[key]

    async def _match_once(self, index: RuleIndex, papers: Sequence[Paper]) -> _Matched:
        revision = index.revision
        texts: dict[str, PreparedText] = {}
        by_digest: dict[Hashable, set[str]] = {}
        for start in range(0, len(papers), _CHUNK_SIZE):
            for paper in papers[start : start + _CHUNK_SIZE]:
                text = texts[paper.id] = prepare_paper(paper)
                for digest_id in index.match_keys(text):
                    by_digest.setdefault(digest_id, set()).add(paper.id)
            await asyncio.sleep(0)
        log.info(
            "Matched %d papers against %d digests: %d digests select a paper",
            len(texts),
            len(index),
            len(by_digest),
        )
        papers_by_digest = {digest_id: frozenset(ids) for digest_id, ids in by_digest.items()}
        return _Matched(revision, papers_by_digest, texts)

    def _store(self, key: AnnouncementKey, matched: _Matched) -> None:
        self._cache[key] = matched
        self._cache.move_to_end(key)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
