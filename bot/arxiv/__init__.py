"""The arXiv layer: identifiers, text cleanup, feed and API parsing, and the HTTP client."""

from bot.arxiv.api import build_query_url, parse_search
from bot.arxiv.categories import (
    ARCHIVES,
    CATEGORIES,
    category_name,
    is_known_category,
    normalize_category,
    search_categories,
)
from bot.arxiv.client import ArxivClient, RequestQueue
from bot.arxiv.errors import (
    ArxivApiError,
    ArxivError,
    ArxivFeedError,
    ArxivHTTPError,
    ArxivRateLimitedError,
    ArxivUnavailableError,
    InvalidArxivIdError,
    UnknownCategoryError,
)
from bot.arxiv.feed import announcement_date, load_feed_file, parse_feed, split_authors
from bot.arxiv.ids import format_id, is_arxiv_id, parse_id
from bot.arxiv.text import (
    clean_abstract,
    clean_text,
    clean_title,
    collapse_whitespace,
    fold_accents,
    latex_to_unicode,
)

__all__ = [
    "ARCHIVES",
    "CATEGORIES",
    "ArxivApiError",
    "ArxivClient",
    "ArxivError",
    "ArxivFeedError",
    "ArxivHTTPError",
    "ArxivRateLimitedError",
    "ArxivUnavailableError",
    "InvalidArxivIdError",
    "RequestQueue",
    "UnknownCategoryError",
    "announcement_date",
    "build_query_url",
    "category_name",
    "clean_abstract",
    "clean_text",
    "clean_title",
    "collapse_whitespace",
    "fold_accents",
    "format_id",
    "is_arxiv_id",
    "is_known_category",
    "latex_to_unicode",
    "load_feed_file",
    "normalize_category",
    "parse_feed",
    "parse_id",
    "parse_search",
    "search_categories",
    "split_authors",
]
