"""Explaining a rule's decision on one paper: which lines matched, and where each term was found."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.match import CompiledLine, CompiledRule, Seen
from bot.rules.nodes import Field, iter_terms
from bot.rules.normalize import PreparedText
from bot.rules.terms import TermHit, compile_term

# Characters of abstract shown on each side of a match in the terminal output.
SNIPPET_CONTEXT = 40
# Places shown per term and field in the terminal output. The rest are counted.
MAX_HITS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class LineExplanation:
    """The outcome of one keyword or exclusion line on a paper.

    `kind` is "keyword" or "exclusion", and `index` the line's 0-based place in its list.
    `hits` lists every place where a term of the line was found, grouped by term in
    written order. Terms under NOT are included with `negated` set, because finding one
    is why the line failed. `missing` lists the terms, as written, that were not found.
    """

    line: str
    kind: str
    index: int
    matched: bool
    hits: tuple[TermHit, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """A rule's decision on one paper, with the outcome of each line.

    `matched` is the rule's decision, the same as `CompiledRule.match_prepared` makes.
    """

    matched: bool
    keywords: tuple[LineExplanation, ...]
    exclusions: tuple[LineExplanation, ...]

    @property
    def excluded_by(self) -> str | None:
        """The first exclusion line that hit the paper, or None."""
        return next((line.line for line in self.exclusions if line.matched), None)

    @property
    def matched_lines(self) -> tuple[str, ...]:
        """The keyword lines that matched, in the digest's order."""
        return tuple(line.line for line in self.keywords if line.matched)


def explain(rule: CompiledRule, prepared: PreparedText) -> Explanation:
    """Explain a compiled rule's decision on a prepared paper, line by line."""
    seen: Seen = {}
    keywords = tuple(
        _explain_line(line, "keyword", index, prepared, seen)
        for index, line in enumerate(rule.keywords)
    )
    exclusions = tuple(
        _explain_line(line, "exclusion", index, prepared, seen)
        for index, line in enumerate(rule.exclusions)
    )

    excluded = any(line.matched for line in exclusions)
    selected = not keywords or any(line.matched for line in keywords)
    return Explanation(matched=selected and not excluded, keywords=keywords, exclusions=exclusions)


def _explain_line(
    line: CompiledLine, kind: str, index: int, prepared: PreparedText, seen: Seen
) -> LineExplanation:
    hits: list[TermHit] = []
    missing: list[str] = []
    for term, negated in dict.fromkeys(iter_terms(line.tree)):
        found = compile_term(term).locate(prepared, negated=negated)
        hits.extend(found)
        if not found:
            missing.append(term.text)
    matched = line.occurs_in(prepared, seen)
    return LineExplanation(line.text, kind, index, matched, tuple(hits), tuple(missing))


def format_explanation(explanation: Explanation) -> str:
    """Format an explanation for a terminal, with each match in [[double brackets]]."""
    lines = [_verdict(explanation)]
    for line in (*explanation.keywords, *explanation.exclusions):
        lines.append(_line_heading(line))
        lines.extend(_hit_lines(line.hits))
        lines.extend(f"  {term}: not found" for term in dict.fromkeys(line.missing))
    return "\n".join(lines)


def _verdict(explanation: Explanation) -> str:
    if explanation.matched:
        return "Matched."
    if explanation.excluded_by is not None:
        return f'Not matched: excluded by "{explanation.excluded_by}".'
    return "Not matched: no keyword line matched."


def _line_heading(line: LineExplanation) -> str:
    if line.kind == "keyword":
        outcome = "matched" if line.matched else "not matched"
    else:
        outcome = "hit" if line.matched else "not hit"
    return f'{line.kind.capitalize()} {line.index + 1} "{line.line}": {outcome}'


def _hit_lines(hits: tuple[TermHit, ...]) -> list[str]:
    groups: dict[tuple[str, bool, Field], list[TermHit]] = {}
    for hit in hits:
        groups.setdefault((hit.term, hit.negated, hit.field), []).append(hit)

    lines: list[str] = []
    for (term, negated, field), group in groups.items():
        label = f"NOT {term} ({field.label})" if negated else f"{term} ({field.label})"
        lines.extend(f"  {label}: {_snippet(hit)}" for hit in group[:MAX_HITS_SHOWN])
        if len(group) > MAX_HITS_SHOWN:
            lines.append(f"  {label}: {len(group) - MAX_HITS_SHOWN} more")
    return lines


def _snippet(hit: TermHit) -> str:
    # Titles, names and codes are short enough to show whole, but an abstract is cut
    # around the match.
    start, end = 0, len(hit.source)
    if hit.field is Field.ABSTRACT:
        start = max(hit.start - SNIPPET_CONTEXT, 0)
        end = min(hit.end + SNIPPET_CONTEXT, len(hit.source))
    before = hit.source[start : hit.start]
    after = hit.source[hit.end : end]
    lead = "..." if start > 0 else ""
    tail = "..." if end < len(hit.source) else ""
    return f"{lead}{before}[[{hit.text}]]{after}{tail}"
