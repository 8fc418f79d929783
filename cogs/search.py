"""Slash commands that search arXiv: /arxiv search."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.arxiv import ArxivError
from bot.arxiv.categories import (
    ARCHIVES,
    CATEGORIES,
    UnknownCategoryError,
    normalize_category,
    search_categories,
)
from bot.digest_config import DigestConfigError
from bot.render import pack_embeds, paper_embed, safe_markdown
from bot.render.escape import fit_text
from bot.rules import matches_rule_line, to_arxiv_query

if TYPE_CHECKING:
    from bot.core import DigestBot

log = logging.getLogger(__name__)

SEARCH_ABSTRACT_LENGTH = 350
MAX_QUERY_LENGTH = 300
MAX_COUNT = 10
SORT_CHOICES = [
    app_commands.Choice(name="Relevance", value="relevance"),
    app_commands.Choice(name="Newest submissions", value="submittedDate"),
    app_commands.Choice(name="Recently updated", value="lastUpdatedDate"),
]


def build_search_query(query: str, category: str | None = None) -> str:
    """Translate a rule in the digest rule language into the arXiv API's `search_query`.

    The query reads as a digest's keyword line does: words side by side are a phrase,
    with `AND`, `OR`, `NOT`, parentheses, prefixes and the fields `ti:`, `abs:`, `au:`,
    `cat:` and `all:`. Raises RuleError with the position for a query that does not parse.
    """
    text = " ".join(query.split())
    if not text:
        raise DigestConfigError("The search query is empty. Type a few words to search for.")
    if len(text) > MAX_QUERY_LENGTH:
        raise DigestConfigError(
            f"The search query is {len(text)} characters long. Use at most {MAX_QUERY_LENGTH}."
        )

    search = to_arxiv_query(text)

    if category:
        search = f"({search}) AND {category_query(category)}"
    return search


def check_search_options(sort: str, count: int) -> None:
    """Raise DigestConfigError for a sort order or result count the command does not offer.

    Discord enforces the command's choices and range, but a command registered by an
    older version of the bot may still offer other values.
    """
    orders = [choice.value for choice in SORT_CHOICES]
    if sort not in orders:
        raise DigestConfigError(f"Unknown sort order {sort!r}. Use one of {', '.join(orders)}.")
    if not 1 <= count <= MAX_COUNT:
        raise DigestConfigError(f"Invalid count {count}. Use a number from 1 to {MAX_COUNT}.")


def category_query(category: str) -> str:
    """Return the `search_query` part that limits a search to a category or archive."""
    try:
        code = normalize_category(category.strip().removesuffix(".*"))
    except UnknownCategoryError as error:
        raise DigestConfigError(str(error)) from None
    if code not in ARCHIVES:
        return f"cat:{code}"
    # An archive is searched as all of its categories, a form the API documents.
    members = [name for name in CATEGORIES if name.startswith(f"{code}.")] or [code]
    return "(" + " OR ".join(f"cat:{name}" for name in members) + ")"


class SearchCog(commands.GroupCog, group_name="arxiv"):
    """Search arXiv from Discord."""

    def __init__(self, bot: DigestBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="search")
    @app_commands.describe(
        query="Words or a phrase to find in titles and abstracts, or arXiv syntax like au:hinton",
        category="Only papers in this arXiv category, e.g. cs.CV",
        sort="Order of the results (default: relevance)",
        count="How many papers to show, 1 to 10 (default 5)",
    )
    @app_commands.choices(sort=SORT_CHOICES)
    async def search(
        self,
        interaction: discord.Interaction,
        query: str,
        category: str | None = None,
        sort: str = "relevance",
        count: app_commands.Range[int, 1, MAX_COUNT] = 5,
    ) -> None:
        """Search arXiv and show the matching papers."""
        check_search_options(sort, count)
        search_query = build_search_query(query, category)
        await interaction.response.defer(thinking=True)

        try:
            page = await self.bot.arxiv.search(
                search_query, start=0, max_results=count, sort_by=sort, sort_order="descending"
            )
        except ArxivError as error:
            log.warning(
                "Search %r in guild %s for user %s failed: %s",
                search_query,
                interaction.guild_id,
                interaction.user.id,
                error,
            )
            # The deferred reply is public; the error concerns only the caller.
            await interaction.delete_original_response()
            await interaction.followup.send(
                f"The arXiv search failed: {error.user_message}", ephemeral=True
            )
            return
        log.info(
            "Search %r in guild %s returned %d of %d",
            search_query,
            interaction.guild_id,
            len(page.papers),
            page.total_results,
        )
        shown_query = fit_text(query, safe_markdown, 200)
        # arXiv matches word stems and searches more fields than the digest rules do, so
        # results the same rule would reject locally are dropped. The API may also return
        # more entries than asked for.
        papers = [paper for paper in page.papers if matches_rule_line(query, paper)][:count]
        if not papers:
            await interaction.followup.send(
                f"No arXiv papers found for {shown_query}. Try fewer or other words.",
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return

        embeds = [paper_embed(paper, abstract_length=SEARCH_ABSTRACT_LENGTH) for paper in papers]
        header = f"{len(papers)} of {page.total_results:,} arXiv results for {shown_query}"
        for index, batch in enumerate(pack_embeds(embeds)):
            await interaction.followup.send(
                content=header if index == 0 else discord.utils.MISSING,
                embeds=batch,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    @search.autocomplete("category")
    async def category_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest arXiv categories whose code or name contains what was typed."""
        return [
            app_commands.Choice(name=f"{code} ({title})"[:100], value=code)
            for code, title in search_categories(current, limit=25)
        ]


async def setup(bot: DigestBot) -> None:
    """Load the search commands."""
    await bot.add_cog(SearchCog(bot))
