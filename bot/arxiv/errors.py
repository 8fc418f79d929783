"""Exceptions raised by the arXiv layer, each with the URL and HTTP status involved."""

from __future__ import annotations


class ArxivError(Exception):
    """Base class of every arXiv error, with the request URL and HTTP status when known."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status

    @property
    def user_message(self) -> str:
        """The message for a Discord user: what failed and what to do, without the URL."""
        return str(self)


class ArxivHTTPError(ArxivError):
    """arXiv returned an HTTP status that retrying cannot fix, such as 404."""

    def __init__(self, url: str, status: int) -> None:
        hint = "Check the category or the base URL in the settings."
        if status != 404:
            hint = "Check the request and try again later."
        super().__init__(f"arXiv returned HTTP {status} for {url}. {hint}", url=url, status=status)

    @property
    def user_message(self) -> str:
        """The message for a Discord user: the status and what to do, without the URL."""
        return f"arXiv answered with HTTP {self.status}. Try again later."


class ArxivUnavailableError(ArxivError):
    """arXiv kept failing (429, 5xx, timeouts or dropped connections) until retries ran out."""

    def __init__(self, url: str, status: int | None, attempts: int, reason: str = "") -> None:
        failure = reason or (f"HTTP {status}" if status is not None else "no response")
        super().__init__(
            f"arXiv is unavailable: {failure} for {url} after {attempts} attempts. "
            "Try again in a few minutes.",
            url=url,
            status=status,
        )
        self.attempts = attempts
        self.reason = failure

    @property
    def user_message(self) -> str:
        """The message for a Discord user: the failure and what to do, without the URL."""
        return (
            f"arXiv is not responding ({self.reason}, {self.attempts} attempts). "
            "Try again in a few minutes."
        )


class ArxivRateLimitedError(ArxivUnavailableError):
    """arXiv rate-limited the requests (HTTP 429 or the plain text "Rate exceeded.")."""

    @property
    def user_message(self) -> str:
        """The message for a Discord user: the failure and what to do, without the URL."""
        return f"arXiv is limiting requests right now ({self.reason}). Try again in a few minutes."


class ArxivFeedError(ArxivError):
    """A document could not be read as an arXiv feed (garbage, an HTML page, cut off)."""

    def __init__(self, source: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(
            f"Could not read the arXiv feed {source or '(unnamed)'}: {reason}. "
            "Check the URL or file, or try again later.",
            url=source,
            status=status,
        )
        self.source = source
        self.reason = reason

    @property
    def user_message(self) -> str:
        """The message for a Discord user, without the URL and the parser's details."""
        return "arXiv sent a response that could not be read. Try again in a few minutes."


class ArxivApiError(ArxivError):
    """The arXiv API rejected a query and explained why in an `Error` entry."""

    def __init__(self, api_message: str, *, url: str, status: int | None) -> None:
        super().__init__(
            f"The arXiv API rejected the query: {api_message} ({url}). Fix the query and retry.",
            url=url,
            status=status,
        )
        self.api_message = api_message

    @property
    def user_message(self) -> str:
        """The message for a Discord user: arXiv's reason, without the URL."""
        return f"arXiv rejected the query: {self.api_message}. Fix the query and try again."


class InvalidArxivIdError(ArxivError, ValueError):
    """A string is not an arXiv identifier in any known form."""

    def __init__(self, value: str) -> None:
        super().__init__(
            f"{value!r} is not a valid arXiv id. Use a form like 2511.04976, 2511.04976v2, "
            "hep-th/9901001 or an arxiv.org/abs/ link."
        )
        self.value = value


class UnknownCategoryError(ArxivError, ValueError):
    """A string is not a known arXiv category code. `suggestions` lists close codes."""

    def __init__(self, value: str, suggestions: tuple[str, ...] = ()) -> None:
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        # A long value is cut, so that the message fits in a Discord message.
        quoted = repr(value) if len(value) <= 60 else f"{value[:60]!r}…"
        super().__init__(
            f"Unknown arXiv category {quoted}.{hint} "
            "See https://arxiv.org/category_taxonomy for the codes."
        )
        self.value = value
        self.suggestions = suggestions
