"""Slash commands that search arXiv: /arxiv search."""

from __future__ import annotations

import logging
import re
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

if TYPE_CHECKING:
    from bot.core import DigestBot

log = logging.getLogger(__name__)

SEARCH_ABSTRACT_LENGTH = 350
MAX_QUERY_LENGTH = 300
_FIELD_OR_OPERATOR = re.compile(r"\b(ti|au|abs|cat|all|co|jr|rn|id):|\b(AND|OR|ANDNOT)\b|\"")
SORT_CHOICES = [
    app_commands.Choice(name="Relevance", value="relevance"),
    app_commands.Choice(name="Newest submissions", value="submittedDate"),
    app_commands.Choice(name="Recently updated", value="lastUpdatedDate"),
]


def build_search_query(query: str, category: str | None = None) -> str:
    """Translate the text a user typed into the arXiv API's `search_query` syntax.

    Plain words side by side are searched as one phrase in title and abstract, as in a
    digest's keywords. Text that already uses API fields, quotes or operators is sent as
    typed.
    """
    text = " ".join(query.split())
    if not text:
        raise DigestConfigError("The search query is empty. Type a few words to search for.")
    if len(text) > MAX_QUERY_LENGTH:
        raise DigestConfigError(
            f"The search query is {len(text)} characters long. Use at most {MAX_QUERY_LENGTH}."
        )

    if _FIELD_OR_OPERATOR.search(text):
        search = text
    else:
        words = text.replace("-", " ").replace("/", " ")
        search = f'all:"{words}"' if " " in words.strip() else f"all:{words}"

    if category:
        search = f"({search}) AND {category_query(category)}"
    return search


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
        count: app_commands.Range[int, 1, 10] = 5,
    ) -> None:
        """Search arXiv and show the matching papers."""
        search_query = build_search_query(query, category)
        await interaction.response.defer(thinking=True)

        try:
            page = await self.bot.arxiv.search(
                search_query, start=0, max_results=count, sort_by=sort, sort_order="descending"
            )
        except ArxivError as error:
            log.warning(
                "Search %r in guild %s failed: %s", search_query, interaction.guild_id, error
            )
            # The deferred reply is public; the error concerns only the caller.
            await interaction.delete_original_response()
            await interaction.followup.send(f"The arXiv search failed: {error}", ephemeral=True)
            return
        log.info(
            "Search %r in guild %s returned %d of %d",
            search_query,
            interaction.guild_id,
            len(page.papers),
            page.total_results,
        )
        shown_query = fit_text(query, safe_markdown, 200)
        # The API may return more entries than asked for; show what the user asked for.
        papers = page.papers[:count]
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
