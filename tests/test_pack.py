"""Tests of packing embeds into Discord messages."""

from __future__ import annotations

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Paper
from bot.render import EmbedTooLargeError, RenderError, pack_embeds, paper_embed
from tests.test_render import assert_within_limits, corpus_papers, highlight_terms, papers


def embed_of_length(length: int) -> discord.Embed:
    """Build an embed whose `len()` is `length`, all of it in the description."""
    return discord.Embed(description="x" * length)


def assert_packed(embeds: list[discord.Embed], messages: list[list[discord.Embed]]) -> None:
    """Assert the message limits, that order and every embed are kept, and greedy filling."""
    for message in messages:
        assert 1 <= len(message) <= 10
        assert sum(len(embed) for embed in message) <= 6000

    flattened = [embed for message in messages for embed in message]
    assert len(flattened) == len(embeds)
    assert all(packed is original for packed, original in zip(flattened, embeds, strict=True))

    # Greedy: the first embed of each message did not fit in the message before it.
    for previous, message in zip(messages, messages[1:], strict=False):
        total = sum(len(embed) for embed in previous) + len(message[0])
        assert len(previous) == 10 or total > 6000


def test_pack_empty() -> None:
    assert pack_embeds([]) == []


def test_pack_ten_per_message() -> None:
    embeds = [embed_of_length(1) for _ in range(23)]
    sizes = [len(message) for message in pack_embeds(embeds)]
    assert sizes == [10, 10, 3]


def test_pack_total_per_message() -> None:
    embeds = [embed_of_length(2500) for _ in range(5)]
    sizes = [len(message) for message in pack_embeds(embeds)]
    assert sizes == [2, 2, 1]


def test_pack_exact_total_fits() -> None:
    embeds = [embed_of_length(3000), embed_of_length(3000), embed_of_length(1)]
    sizes = [len(message) for message in pack_embeds(embeds)]
    assert sizes == [2, 1]


def test_pack_custom_limits() -> None:
    embeds = [embed_of_length(10) for _ in range(7)]
    sizes = [len(message) for message in pack_embeds(embeds, max_embeds=3, max_total=25)]
    assert sizes == [2, 2, 2, 1]


def test_pack_oversized_embed_rejected() -> None:
    embeds = [embed_of_length(10), embed_of_length(6001)]
    with pytest.raises(EmbedTooLargeError) as caught:
        pack_embeds(embeds)
    assert caught.value.index == 1
    assert caught.value.length == 6001


def test_pack_invalid_limits_rejected() -> None:
    with pytest.raises(RenderError):
        pack_embeds([embed_of_length(1)], max_embeds=0)


def test_pack_corpus_day() -> None:
    embeds = [paper_embed(paper, abstract_length=4096) for paper in corpus_papers()]
    messages = pack_embeds(embeds)
    assert_packed(embeds, messages)
    assert len(messages) < len(embeds)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(papers, max_size=25),
    abstract_length=st.integers(0, 6000),
    terms=highlight_terms,
)
def test_pack_paper_embeds_property(
    batch: list[Paper], abstract_length: int, terms: list[str]
) -> None:
    embeds = [paper_embed(p, abstract_length=abstract_length, highlight_terms=terms) for p in batch]
    for embed in embeds:
        assert_within_limits(embed)
    assert_packed(embeds, pack_embeds(embeds))


@settings(max_examples=300)
@given(lengths=st.lists(st.integers(0, 6000), max_size=60))
def test_pack_lengths_property(lengths: list[int]) -> None:
    embeds = [embed_of_length(length) for length in lengths]
    assert_packed(embeds, pack_embeds(embeds))
