"""Explanations of whether a paper made a digest, as `/digest why` reports them."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot.arxiv import InvalidArxivIdError, parse_id
from bot.digest import CategoryFilter, effective_announce_type, select_papers
from bot.models import Announcement, Digest
from bot.rules import compile_rule, explain, prepare_paper
from bot.rules.explain import Explanation

ANNOUNCE_LABELS = {
    "new": "new",
    "cross": "a cross-list",
    "replace": "a replacement",
    "replace-cross": "a replaced cross-list",
}


def why_paper(
    digest: Digest, announcement: Announcement, text: str, posted_ids: Collection[str]
) -> str:
    """Explain in a few lines whether and why the paper `text` (an id or URL) is in the digest.

    The checks follow the order of selection: the announcement, the categories, the
    announce type, the rule, earlier posts, and the digest's cap.
    """
    try:
        paper_id, _version = parse_id(text.strip())
    except InvalidArxivIdError:
        return f"{text.strip()[:60]!r} is not an arXiv id. Use an id such as 2511.04976."

    paper = next((item for item in announcement.papers if item.id == paper_id), None)
    date = announcement.date or "today"
    if paper is None:
        return (
            f"arXiv:{paper_id} is not in the announcement of {date} for "
            f"{' '.join(digest.categories)}, so the digest cannot post it."
        )

    categories = CategoryFilter.from_codes(digest.categories)
    if not categories.matches(paper):
        return (
            f"arXiv:{paper_id} is listed in {', '.join(paper.categories)}, none of which the "
            f"digest follows ({' '.join(digest.categories)})."
        )

    announce_type = effective_announce_type(paper, categories)
    type_reason = _announce_type_reason(digest, announce_type)
    if type_reason:
        label = ANNOUNCE_LABELS.get(announce_type or "", announce_type)
        return f"arXiv:{paper_id} is {label} for this digest, and {type_reason}."

    explanation = explain(compile_rule(digest.keywords, digest.exclusions), prepare_paper(paper))
    if not explanation.matched:
        return f"arXiv:{paper_id} does not match: {_rule_reason(explanation)}"

    matched = f"It matches {_quote_lines(explanation.matched_lines)}."
    if paper_id in posted_ids:
        return f"arXiv:{paper_id} was already posted to this channel. {matched}"

    selected = select_papers(digest, announcement.papers, posted_ids=posted_ids)
    if paper_id not in {item.paper.id for item in selected}:
        return (
            f"arXiv:{paper_id} matches, but the digest posts at most {digest.max_papers} "
            f"papers per announcement and this one came later. {matched}"
        )
    return f"arXiv:{paper_id} is in the digest of {date}. {matched}"


def _announce_type_reason(digest: Digest, announce_type: str | None) -> str | None:
    if announce_type in ("cross", "replace-cross") and not digest.include_cross_lists:
        return "the digest leaves cross-lists out (set cross_lists to include them)"
    if announce_type in ("replace", "replace-cross") and not digest.include_replacements:
        return "the digest leaves replacements out (set replacements to include them)"
    return None


def _rule_reason(explanation: Explanation) -> str:
    if explanation.excluded_by is not None:
        return f"the exclusion {explanation.excluded_by!r} hit it."
    lines = _quote_lines(line.line for line in explanation.keywords)
    return f"none of the keyword lines {lines} matches it."


def _quote_lines(lines: Iterable[str]) -> str:
    quoted = [f"`{line}`" for line in lines]
    return ", ".join(quoted[:10]) + (" …" if len(quoted) > 10 else "")
