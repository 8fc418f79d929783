"""discord.py extensions: slash commands and event handlers."""
