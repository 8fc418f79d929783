"""Group embeds into as few Discord messages as the per-message limits allow."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.render.escape import RenderError

MESSAGE_EMBED_LIMIT = 10
MESSAGE_EMBED_TOTAL_LIMIT = 6000


class EmbedTooLargeError(RenderError):
    """An embed is longer on its own than a message may carry across all its embeds."""

    def __init__(self, index: int, length: int, max_total: int) -> None:
        super().__init__(
            f"embed {index} has {length} characters, more than the {max_total} a message may carry"
        )
        self.index = index
        self.length = length
        self.max_total = max_total


def pack_embeds(
    embeds: Sequence[discord.Embed],
    *,
    max_embeds: int = MESSAGE_EMBED_LIMIT,
    max_total: int = MESSAGE_EMBED_TOTAL_LIMIT,
) -> list[list[discord.Embed]]:
    """Split `embeds`, in order, into messages of at most `max_embeds` embeds each.

    The embeds of one message add up to at most `max_total` characters as `len(embed)`
    counts them. Each message is filled before the next starts. Raises EmbedTooLargeError
    when one embed alone is longer than `max_total`.
    """
    if max_embeds < 1 or max_total < 1:
        raise RenderError(
            f"max_embeds and max_total must be 1 or more, got {max_embeds} and {max_total}"
        )

    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    current_total = 0
    for index, embed in enumerate(embeds):
        length = len(embed)
        if length > max_total:
            raise EmbedTooLargeError(index, length, max_total)

        if current and (len(current) == max_embeds or current_total + length > max_total):
            messages.append(current)
            current, current_total = [], 0

        current.append(embed)
        current_total += length

    if current:
        messages.append(current)
    return messages
