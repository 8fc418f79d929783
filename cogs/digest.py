"""Slash commands that configure a server's digests: /digest create, list, remove, preview, post."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.arxiv.categories import search_categories
from bot.delivery import missing_permissions
from bot.digest_config import (
    DEFAULT_ABSTRACT_LENGTH,
    MAX_ABSTRACT_LENGTH,
    MAX_PAPERS_LIMIT,
    MIN_ABSTRACT_LENGTH,
    DigestConfigError,
    normalize_name,
    parse_abstract_length,
    parse_categories,
    parse_max_papers,
    parse_name,
    parse_post_time,
    parse_rule_lines,
    parse_timezone,
    search_timezones,
    split_rule_lines,
)
from bot.models import Digest
from bot.render import neutralize_mentions, safe_markdown
from bot.store import DuplicateDigestError
from bot.topics import NoDigestsError
from bot.why import why_paper
from cogs.digest_files import export_attachment, import_attachment
from cogs.digest_preview import send_preview
from cogs.summary import (
    describe_digest,
    describe_schedule,
    digest_embed,
    send_embeds,
    status_embed,
)

if TYPE_CHECKING:
    from bot.core import DigestBot

log = logging.getLogger(__name__)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DigestCog(commands.GroupCog, group_name="digest"):
    """Configure this server's daily arXiv digests (needs Manage Server)."""

    def __init__(self, bot: DigestBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Check Manage Server at run time too, since server admins can override defaults."""
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="create")
    @app_commands.describe(
        name="A short name for the digest, unique in this server",
        channel="The text channel the digest is posted to",
        categories="arXiv categories separated by spaces, e.g. cs.CV cs.CL",
        keywords="Keywords or phrases separated by commas; use AND inside one to need all",
        exclusions="Papers matching any of these comma-separated keywords are left out",
        post_time="Local post time, 24-hour HH:MM (default 09:00)",
        timezone="IANA time zone of the post time, e.g. Europe/Berlin (default UTC)",
        cross_lists="Also post papers cross-listed into these categories (default off)",
        replacements="Also post new versions of older papers (default off)",
        max_papers="The maximum number of papers per post, 1 to 100 (default 25)",
        abstract_length="Characters of each abstract to show, 100 to 4000 (default 600)",
        role="A role to mention in each post (optional); nobody else is pinged",
    )
    async def create(
        self,
        interaction: discord.Interaction,
        name: str,
        channel: discord.TextChannel,
        categories: str,
        keywords: str,
        exclusions: str | None = None,
        post_time: str = "09:00",
        timezone: str = "UTC",
        cross_lists: bool = False,
        replacements: bool = False,
        max_papers: app_commands.Range[int, 1, MAX_PAPERS_LIMIT] = 25,
        abstract_length: app_commands.Range[
            int, MIN_ABSTRACT_LENGTH, MAX_ABSTRACT_LENGTH
        ] = DEFAULT_ABSTRACT_LENGTH,
        role: discord.Role | None = None,
    ) -> None:
        """Create a daily digest of new arXiv papers matching your keywords."""
        assert interaction.guild is not None
        keyword_lines, exclusion_lines = parse_rule_lines(
            split_rule_lines(keywords), split_rule_lines(exclusions)
        )
        digest = Digest(
            guild_id=interaction.guild.id,
            channel_id=channel.id,
            name=parse_name(name),
            categories=parse_categories(categories),
            keywords=keyword_lines,
            exclusions=exclusion_lines,
            post_time=parse_post_time(post_time),
            timezone=parse_timezone(timezone),
            include_cross_lists=cross_lists,
            include_replacements=replacements,
            max_papers=parse_max_papers(max_papers),
            abstract_length=parse_abstract_length(abstract_length),
            created_by=interaction.user.id,
            role_id=None if role is None else role.id,
        )
        self._check_channel(interaction.guild, channel)
        if role is not None:
            self._check_role(channel, role)

        try:
            digest = await self.bot.store.add_digest(digest)
        except DuplicateDigestError:
            raise DigestConfigError(
                f"A digest named {digest.name!r} already exists in this server. "
                "Choose another name, or remove the old one with /digest remove."
            ) from None

        next_run = self.bot.scheduler.schedule(digest)
        self.bot.rules_changed(digest)
        log.info(
            "Digest %s (id %s) created in guild %s by user %s",
            digest.name,
            digest.id,
            digest.guild_id,
            interaction.user.id,
        )
        await interaction.response.send_message(
            f"Created digest **{safe_markdown(digest.name)}**.\n"
            f"{describe_digest(digest)}\n{describe_schedule(digest, next_run)}",
            ephemeral=True,
        )

    @app_commands.command(name="list")
    async def list_digests(self, interaction: discord.Interaction) -> None:
        """List this server's digests with their channel, keywords and schedule."""
        digests = await self._guild_digests(interaction)
        if not digests:
            return

        embeds = [
            digest_embed(digest, self.bot.scheduler.next_run_time(digest.id or 0))
            for digest in digests
        ]
        await send_embeds(interaction, embeds, f"{len(digests)} digests in this server.")

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show each digest's state, next post time and last delivery."""
        digests = await self._guild_digests(interaction)
        if not digests:
            return

        embeds = []
        for digest in digests:
            assert digest.id is not None
            last_count = None
            if digest.last_announcement is not None:
                last_count = await self.bot.store.delivered_count(
                    digest.id, digest.last_announcement
                )
            next_run = self.bot.scheduler.next_run_time(digest.id)
            embeds.append(status_embed(digest, next_run, last_count))
        await send_embeds(interaction, embeds, f"Status of {len(digests)} digests.")

    @app_commands.command(name="pause")
    @app_commands.describe(name="The digest to pause")
    async def pause(self, interaction: discord.Interaction, name: str) -> None:
        """Stop posting a digest until it is resumed; its settings are kept."""
        digest = await self._get_digest(interaction, name)
        assert digest.id is not None
        reason = f"paused by {interaction.user.display_name}"
        await self.bot.store.set_paused(digest.id, True, reason)
        self.bot.scheduler.unschedule(digest.id)
        log.info(
            "Digest %s (id %s) in guild %s %s", digest.name, digest.id, digest.guild_id, reason
        )
        await interaction.response.send_message(
            f"Paused digest **{safe_markdown(digest.name)}**. Resume it with /digest resume.",
            ephemeral=True,
        )

    @app_commands.command(name="resume")
    @app_commands.describe(name="The digest to resume")
    async def resume(self, interaction: discord.Interaction, name: str) -> None:
        """Resume a paused digest after checking that the bot can post in its channel."""
        assert interaction.guild is not None
        digest = await self._get_digest(interaction, name)
        assert digest.id is not None
        channel = interaction.guild.get_channel(digest.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise DigestConfigError(
                f"The channel of {digest.name!r} no longer exists. Remove the digest and "
                "create it again with another channel."
            )
        self._check_channel(interaction.guild, channel)

        await self.bot.store.set_paused(digest.id, False, None)
        digest.paused, digest.pause_reason = False, None
        next_run = self.bot.scheduler.schedule(digest)
        log.info("Digest %s (id %s) resumed in guild %s", digest.name, digest.id, digest.guild_id)
        await interaction.response.send_message(
            f"Resumed digest **{safe_markdown(digest.name)}**. "
            f"{describe_schedule(digest, next_run)}",
            ephemeral=True,
        )

    @app_commands.command(name="remove")
    @app_commands.describe(name="The digest to remove")
    async def remove(self, interaction: discord.Interaction, name: str) -> None:
        """Remove a digest; papers it already posted stay in the channel."""
        digest = await self._get_digest(interaction, name)
        assert digest.id is not None
        await self.bot.store.remove_digest(digest.guild_id, digest.name)
        self.bot.scheduler.unschedule(digest.id)
        self.bot.rules_removed(digest.id)
        log.info("Digest %s (id %s) removed from guild %s", digest.name, digest.id, digest.guild_id)
        await interaction.response.send_message(
            f"Removed digest **{safe_markdown(digest.name)}**.", ephemeral=True
        )

    @app_commands.command(name="preview")
    @app_commands.describe(name="The digest to preview")
    async def preview(self, interaction: discord.Interaction, name: str) -> None:
        """Show only to you what the digest would post from today's announcement."""
        digest = await self._get_digest(interaction, name)
        await interaction.response.defer(ephemeral=True, thinking=True)

        await send_preview(self.bot, interaction, digest)

    @app_commands.command(name="post")
    @app_commands.describe(name="The digest to post now")
    async def post(self, interaction: discord.Interaction, name: str) -> None:
        """Post the digest now with the papers of the latest announcement not posted yet."""
        digest = await self._get_digest(interaction, name)
        await interaction.response.defer(ephemeral=True, thinking=True)

        result = await self.bot.deliverer.deliver(digest, force=True)
        if result.posted:
            message = f"Posted {result.posted} papers to <#{digest.channel_id}>."
        else:
            message = f"Nothing posted: {result.skipped_reason}."
        await interaction.followup.send(message, ephemeral=True)

    @app_commands.command(name="why")
    @app_commands.describe(
        name="The digest to check",
        paper="An arXiv id or abstract URL, e.g. 2511.04976",
    )
    async def why(self, interaction: discord.Interaction, name: str, paper: str) -> None:
        """Explain why a paper is or is not in the digest of the latest announcement."""
        digest = await self._get_digest(interaction, name)
        await interaction.response.defer(ephemeral=True, thinking=True)

        announcement = await self.bot.announcements.latest(digest.categories)
        ids = [item.id for item in announcement.papers]
        posted_ids = await self.bot.store.posted_paper_ids(digest.channel_id, ids)
        answer = why_paper(digest, announcement, paper, posted_ids)
        await interaction.followup.send(
            neutralize_mentions(answer)[:2000],
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="import")
    @app_commands.describe(
        file="A topic YAML file (the config.yml of a public daily arXiv digest)",
        channel="The text channel the imported digests post to",
        post_time="Local post time of every imported digest, 24-hour HH:MM (default 09:00)",
        timezone="IANA time zone of the post time, e.g. Europe/Berlin (default UTC)",
        replace="Replace digests whose names match a topic (default off)",
    )
    async def import_file(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        channel: discord.TextChannel,
        post_time: str = "09:00",
        timezone: str = "UTC",
        replace: bool = False,
    ) -> None:
        """Create one digest per topic of a topic YAML file."""
        assert interaction.guild is not None
        self._check_channel(interaction.guild, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = await import_attachment(
            self.bot,
            interaction,
            file,
            channel,
            post_time=post_time,
            timezone=timezone,
            replace=replace,
        )
        await interaction.followup.send(message, ephemeral=True)

    @app_commands.command(name="export")
    async def export_file(self, interaction: discord.Interaction) -> None:
        """Download this server's digests as a topic YAML file."""
        assert interaction.guild_id is not None
        try:
            attachment = await export_attachment(self.bot, interaction.guild_id)
        except NoDigestsError:
            raise DigestConfigError(
                "This server has no digests to export. Create one with /digest create."
            ) from None
        await interaction.response.send_message(
            "The digests of this server as a topic file:", file=attachment, ephemeral=True
        )

    @remove.autocomplete("name")
    @why.autocomplete("name")
    @pause.autocomplete("name")
    @resume.autocomplete("name")
    @preview.autocomplete("name")
    @post.autocomplete("name")
    async def digest_name_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest this server's digest names containing what was typed."""
        if interaction.guild_id is None:
            return []
        digests = await self.bot.store.list_digests(interaction.guild_id)
        needle = current.lower()
        names = [digest.name for digest in digests if needle in digest.name.lower()]
        return [app_commands.Choice(name=name[:100], value=name) for name in names[:25]]

    @create.autocomplete("categories")
    async def categories_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Complete the last category of a space-separated list."""
        head, _, last = current.rpartition(" ")
        prefix = f"{head} " if head else ""
        choices = []
        for code, title in search_categories(last, limit=25):
            value = f"{prefix}{code}"
            if len(value) <= 100:
                choices.append(app_commands.Choice(name=f"{value} ({title})"[:100], value=value))
        return choices

    @create.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest IANA time zone names containing what was typed."""
        return [app_commands.Choice(name=name, value=name) for name in search_timezones(current)]

    async def _guild_digests(self, interaction: discord.Interaction) -> list[Digest]:
        """Return the server's digests, or reply that it has none and return an empty list."""
        assert interaction.guild is not None
        digests = await self.bot.store.list_digests(interaction.guild.id)
        if not digests:
            await interaction.response.send_message(
                "This server has no digests yet. Create one with /digest create.", ephemeral=True
            )
        return digests

    async def _get_digest(self, interaction: discord.Interaction, name: str) -> Digest:
        assert interaction.guild_id is not None
        digest = await self.bot.store.get_digest(interaction.guild_id, normalize_name(name))
        if digest is None:
            raise DigestConfigError(
                f"No digest named {name!r} in this server. See /digest list for the names."
            )
        return digest

    def _check_channel(self, guild: discord.Guild, channel: discord.TextChannel) -> None:
        if channel.guild.id != guild.id:
            raise DigestConfigError(
                f"#{channel.name} is not a channel of this server. Pick a channel here."
            )
        missing = missing_permissions(channel)
        if missing:
            raise DigestConfigError(
                f"The bot cannot post in #{channel.name}: it lacks {', '.join(missing)}. "
                "Grant these in the channel's permissions, or pick another channel."
            )

    def _check_role(self, channel: discord.TextChannel, role: discord.Role) -> None:
        if role.is_default():
            raise DigestConfigError(
                "A digest cannot ping @everyone. Pick a role whose members want the digest."
            )
        if not role.mentionable and not channel.permissions_for(channel.guild.me).mention_everyone:
            raise DigestConfigError(
                f"The bot cannot ping the role {safe_markdown(role.name)} because the role is "
                "not mentionable. Allow anyone to mention it in Server Settings > Roles, or "
                "grant the bot Mention @everyone, @here, and All Roles."
            )


async def setup(bot: DigestBot) -> None:
    """Load the digest commands."""
    await bot.add_cog(DigestCog(bot))
