"""Errors raised while parsing a digest's keyword and exclusion lines."""

from __future__ import annotations


class RuleError(ValueError):
    """Raise for a keyword or exclusion line that cannot be parsed.

    `line` is the line as written, `position` the 0-based character offset of the problem
    in it, `reason` what is wrong and `hint` what to do about it. `kind` is "keyword",
    "exclusion" or "search", and `index` is the 0-based place of the line in its list
    when known.
    The message is written for the server admin who typed the line.
    """

    def __init__(
        self,
        line: str,
        position: int,
        reason: str,
        hint: str,
        *,
        kind: str = "keyword",
        index: int | None = None,
    ) -> None:
        self.line = line
        self.position = position
        self.reason = reason
        self.hint = hint
        self.kind = kind
        self.index = index
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-paragraph message to show the user."""
        problem = f"{self.reason} at position {self.position}"
        return f'Invalid {self.kind} "{self.line}": {problem}. {self.hint}'

    def with_context(self, *, kind: str, index: int | None) -> RuleError:
        """Return a copy of this error that names the line's kind and its place in the list."""
        return RuleError(self.line, self.position, self.reason, self.hint, kind=kind, index=index)

    def __str__(self) -> str:
        return self.message
