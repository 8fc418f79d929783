"""Run the `arxiv-digest` command line with discord.py pointed at a Discord server on loopback.

discord.py has no setting for its REST and gateway URLs, so this launcher sets the two class
attributes that hold them before the command line starts. The bot's own code is unchanged.
Usage: LOOPBACK_DISCORD_API=http://127.0.0.1:PORT/api/v10
LOOPBACK_DISCORD_GATEWAY=ws://127.0.0.1:PORT/gateway python -m tests.loopback_launcher run
"""

import os
import sys

import discord
import yarl

from bot.__main__ import main

discord.http.Route.BASE = os.environ["LOOPBACK_DISCORD_API"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["LOOPBACK_DISCORD_GATEWAY"])

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
