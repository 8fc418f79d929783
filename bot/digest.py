"""Digest selection: which papers of an announcement a digest posts, and in what order."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Hashable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass

from bot.arxiv.categories import CATEGORY_ALIASES
from bot.models import Digest, Paper, SelectedPaper
from bot.rules import CompiledRule, PreparedText, RuleError, compile_rule, prepare_paper
from bot.rules.index import RuleIndex

log = logging.getLogger(__name__)

# Sections of a digest, in posting order: new papers, then cross-lists, then
# replacements (including replaced cross-lists).
_NEW, _CROSS, _REPLACEMENT = 0, 1, 2


def select_papers(
    digest: Digest,
    papers: Iterable[Paper],
    *,
    posted_ids: Collection[str] = (),
    rule: CompiledRule | None = None,
    texts: MutableMapping[str, PreparedText] | None = None,
) -> list[SelectedPaper]:
    """Select the papers of an announcement that a digest posts, in posting order.

    A paper is kept when it is the first with its id, has a category the digest follows,
    has an announce type the digest includes, matches the digest's rule and is not in
    `posted_ids`. Each selected paper carries its announce type as seen from the digest's
    categories (see `effective_announce_type`). New papers come first, then cross-lists,
    then replacements, each in feed order, and the list is cut at `digest.max_papers`.
    `rule` defaults to the one compiled from the digest's lines (raising RuleError when
    they are invalid). `texts` is an optional cache of prepared paper texts by paper id,
    shared between digests that select from the same announcement.
    """
    if rule is None:
        rule = compile_rule(digest.keywords, digest.exclusions)
    categories = CategoryFilter.from_codes(digest.categories)
    posted = posted_ids if isinstance(posted_ids, set | frozenset) else set(posted_ids)

    sections: tuple[list[SelectedPaper], ...] = ([], [], [])
    seen: set[str] = set()
    for paper in papers:
        if paper.id in seen:
            continue
        seen.add(paper.id)

        announce_type = effective_announce_type(paper, categories)
        section = _section(paper, digest, announce_type)
        if section is None or paper.id in posted or not categories.matches(paper):
            continue
        match = rule.match_prepared(_prepared_text(paper, texts))
        if match is None:
            continue
        if announce_type != paper.announce_type:
            paper = dataclasses.replace(paper, announce_type=announce_type)
        sections[section].append(SelectedPaper(paper, match.lines, match.terms))

    ordered = [selected for section_papers in sections for selected in section_papers]
    selected = ordered[: max(digest.max_papers, 0)]
    log.debug(
        "Digest %r (id %s): %d of %d papers match, %d kept by the cap of %d",
        digest.name,
        digest.id,
        len(ordered),
        len(seen),
        len(selected),
        digest.max_papers,
    )
    return selected


def select_for_digests(
    digests: Sequence[Digest],
    papers: Iterable[Paper],
    posted_ids_by_channel: Mapping[int, Collection[str]] | None = None,
    *,
    index: RuleIndex | None = None,
) -> dict[int, list[SelectedPaper]]:
    """Select the papers of one announcement for many digests, reading each paper once.

    Returns, for each digest id, what `select_papers` returns for that digest with the
    posted ids of its channel. The rules are matched with `index` where it contains a
    digest's current lines, and with an index built here for the others. Only the papers
    a digest keeps after its cap are matched with its own `CompiledRule`, for the lines
    and terms. A digest without an id is an error (ValueError); one whose lines do not
    parse is left out of the result with a warning.
    """
    if any(digest.id is None for digest in digests):
        raise ValueError("select_for_digests needs stored digests, which have ids")
    index = _index_for(digests, index)
    first_by_id: dict[str, Paper] = {}
    for paper in papers:
        first_by_id.setdefault(paper.id, paper)
    unique = list(first_by_id.values())
    texts = {paper.id: prepare_paper(paper) for paper in unique}
    selecting: dict[Hashable, set[str]] = {}
    for paper in unique:
        for key in index.match_keys(texts[paper.id]):
            selecting.setdefault(key, set()).add(paper.id)

    posted_by_channel = posted_ids_by_channel or {}
    result: dict[int, list[SelectedPaper]] = {}
    for digest in digests:
        assert digest.id is not None
        if digest.id not in index:
            continue
        matching = selecting.get(digest.id, set())
        candidates = [paper for paper in unique if paper.id in matching]
        posted = posted_by_channel.get(digest.channel_id, ())
        result[digest.id] = select_papers(digest, candidates, posted_ids=posted, texts=texts)
    return result


def _index_for(digests: Sequence[Digest], index: RuleIndex | None) -> RuleIndex:
    # Uses `index` when it contains every digest's current lines; otherwise indexes the
    # digests here, leaving out (with a warning) those whose lines do not parse.
    if index is not None and all(
        index.contains_rule(digest.id, digest.keywords, digest.exclusions) for digest in digests
    ):
        return index
    local = RuleIndex()
    for digest in digests:
        try:
            local.add(digest.id, digest.keywords, digest.exclusions)
        except RuleError as error:
            log.warning("Digest %r (id %s) has an invalid rule: %s", digest.name, digest.id, error)
    return local


@dataclass(frozen=True, slots=True)
class CategoryFilter:
    """A digest's categories, compared in lower case.

    An archive (`cs`) or a pattern (`cs.*`) covers every category of that archive. A
    filter without codes covers every paper, as for a preview of a whole saved feed.
    """

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def from_codes(cls, codes: Iterable[str]) -> CategoryFilter:
        """Build the filter from category codes, archive codes and `archive.*` patterns."""
        exact: set[str] = set()
        prefixes: list[str] = []
        for raw in codes:
            code = raw.strip().lower()
            archive = code.removesuffix(".*")
            if archive != code or "." not in code:
                prefixes.append(archive + ".")
            exact.add(archive)
        return cls(frozenset(exact), tuple(prefixes))

    def covers(self, category: str) -> bool:
        """Return whether the filter covers one category code."""
        code = category.lower()
        return code in self.exact or code.startswith(self.prefixes)

    def matches(self, paper: Paper) -> bool:
        """Return whether any of the paper's categories is covered."""
        if not self.exact:
            return True
        return any(self.covers(category) for category in paper.categories)


def effective_announce_type(paper: Paper, categories: CategoryFilter) -> str | None:
    """Return the paper's announce type as seen from the digest's categories.

    A feed calls a paper a cross-list when the paper's primary category is not the feed's.
    The digest's categories decide instead: a paper whose primary category the digest
    follows is new (or a replacement) whichever feed listed it, and one whose primary
    category it does not follow is a cross-list, as in that category's own feed. Without
    categories the feed's type stands.
    """
    announce_type = paper.announce_type
    primary = paper.primary_category
    if announce_type is None or primary is None or not categories.exact:
        return announce_type

    alias = CATEGORY_ALIASES.get(primary)
    if categories.covers(primary) or (alias is not None and categories.covers(alias)):
        return {"cross": "new", "replace-cross": "replace"}.get(announce_type, announce_type)
    return {"new": "cross", "replace": "replace-cross"}.get(announce_type, announce_type)


def _section(paper: Paper, digest: Digest, announce_type: str | None) -> int | None:
    """Return the section a paper goes in, or None when the digest skips its announce type."""
    if announce_type is None or announce_type == "new":
        return _NEW
    if announce_type == "cross":
        return _CROSS if digest.include_cross_lists else None
    if announce_type == "replace":
        return _REPLACEMENT if digest.include_replacements else None
    if announce_type == "replace-cross":
        both = digest.include_cross_lists and digest.include_replacements
        return _REPLACEMENT if both else None
    log.debug("Skipping paper %s with unknown announce type %r", paper.id, announce_type)
    return None


def _prepared_text(paper: Paper, texts: MutableMapping[str, PreparedText] | None) -> PreparedText:
    if texts is None:
        return prepare_paper(paper)
    text = texts.get(paper.id)
    if text is None:
        text = texts[paper.id] = prepare_paper(paper)
    return text
