"""One error handler for every slash command: a short ephemeral message, never a traceback."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.arxiv import ArxivError
from bot.digest_config import DigestConfigError
from bot.rules import RuleError

log = logging.getLogger(__name__)

USER_ERRORS = (DigestConfigError, RuleError)
# Discord rejects a longer message, and the user would then get no reply at all.
MAX_MESSAGE_LENGTH = 2000


def describe_error(error: app_commands.AppCommandError) -> str:
    """Return the message shown to the user for an error raised by a slash command."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error

    if isinstance(original, USER_ERRORS):
        return str(original)
    if isinstance(original, app_commands.MissingPermissions):
        return "You need the Manage Server permission to change this server's digests."
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command works only inside a server."
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"This command is cooling down. Try again in {original.retry_after:.0f} s."
    if isinstance(original, ArxivError):
        return original.user_message
    if isinstance(original, app_commands.TransformerError):
        return describe_transformer_error(original)
    return "Something went wrong while running this command. The error was logged."


def describe_transformer_error(error: app_commands.TransformerError) -> str:
    """Describe an option value that discord.py could not convert to the expected type."""
    if error.type is discord.AppCommandOptionType.channel:
        # discord.py resolves a channel option only against the invoking server's channels,
        # so a channel of another server or a non-text channel ends up here.
        name = getattr(error.value, "name", error.value)
        return f"#{name} is not a text channel of this server. Pick a text channel here."
    return f"Invalid value {error.value!r}. Check the option and try again."


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Send `message` to the caller only, whether or not the interaction was answered yet.

    A message longer than Discord allows is cut, with an ellipsis at the end.
    """
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException as error:
        log.warning("Could not send an error message for interaction %s: %s", interaction.id, error)


class ErrorHandler(commands.Cog):
    """Install the command tree's error handler while loaded."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        """Route every slash-command error of the tree to `on_app_command_error`."""
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        """Restore the tree's previous error handler."""
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Log the error with its ids and answer the caller ephemerally."""
        command = interaction.command.qualified_name if interaction.command else "unknown"
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        handled = (*USER_ERRORS, app_commands.CheckFailure, app_commands.TransformerError)
        if isinstance(original, ArxivError):
            # arXiv's failures are outside problems, logged with the URL and status.
            log.warning(
                "Command /%s failed in guild %s for user %s: %s",
                command,
                interaction.guild_id,
                interaction.user.id,
                original,
            )
        elif isinstance(original, handled):
            log.info(
                "Command /%s rejected in guild %s for user %s: %s",
                command,
                interaction.guild_id,
                interaction.user.id,
                original,
            )
        else:
            log.error(
                "Command /%s failed in guild %s for user %s",
                command,
                interaction.guild_id,
                interaction.user.id,
                exc_info=original,
            )
        await send_ephemeral(interaction, describe_error(error))


async def setup(bot: commands.Bot) -> None:
    """Load the error handler."""
    await bot.add_cog(ErrorHandler(bot))
