"""End-to-end checks of the fake Discord server with a real discord.py bot running in-process."""

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_fake import FakeDiscord, FakeGuild, running_bot

MANAGE_GUILD = 0x20


class ProbeBot(commands.Bot):
    """A minimal bot with one slash command group, used only to exercise the fake."""

    def __init__(self, intents: discord.Intents | None = None, ready_timeout: float = 0.0) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or discord.Intents.default(),
            guild_ready_timeout=ready_timeout,
        )
        self.errors: list[Exception] = []
        self.error_seen = asyncio.Event()

    async def setup_hook(self) -> None:
        """Register the commands and sync them, as a bot does at start."""
        self.tree.add_command(build_group())
        self.tree.on_error = self.record_error
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify again at once, where discord.py 2.7 waits 5 s by default."""

    async def record_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Keep command errors for the assertions."""
        self.errors.append(error)
        self.error_seen.set()


class CountView(discord.ui.View):
    """A view with one button that updates its message."""

    @discord.ui.button(label="more", custom_id="probe:more")
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Handle a press by editing the message."""
        await interaction.response.edit_message(content="pressed")


class RenameModal(discord.ui.Modal, title="Rename"):
    """A modal with one text input."""

    new_name: discord.ui.TextInput = discord.ui.TextInput(label="name", custom_id="probe:name")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Echo the submitted value."""
        await interaction.response.send_message(f"renamed to {self.new_name.value}")


def build_group() -> app_commands.Group:
    """Build the /probe group."""
    group = app_commands.Group(name="probe", description="Probe commands")

    @group.command(name="create", description="Create something")
    async def create(interaction: discord.Interaction, name: str, channel: discord.TextChannel):
        await interaction.response.send_message(f"{name} in #{channel.name}", ephemeral=True)

    @group.command(name="where", description="Resolve a channel")
    async def where(interaction: discord.Interaction, channel: app_commands.AppCommandChannel):
        found = channel.resolve()
        await interaction.response.send_message("unknown" if found is None else found.name)

    @group.command(name="slow", description="Defer, then follow up")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(embed=discord.Embed(title="done"))

    @group.command(name="edit", description="Defer, then edit the original response")
    async def edit(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="edited")

    @group.command(name="buttons", description="Send a button")
    async def buttons(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("count", view=CountView())

    @group.command(name="rename", description="Open a modal")
    async def rename(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(RenameModal())

    @group.command(name="pick", description="Autocomplete a category")
    async def pick(interaction: discord.Interaction, category: str) -> None:
        await interaction.response.send_message(category)

    @pick.autocomplete("category")
    async def pick_category(interaction: discord.Interaction, current: str):
        names = ["hep-th", "hep-ph", "math.AG"]
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    return group


@dataclass
class World:
    """The guilds, channels and members a test runs in."""

    fake: FakeDiscord
    guild: FakeGuild
    channel_id: int
    blocked_id: int
    no_embed_id: int
    admin_id: int
    other_guild: FakeGuild
    other_channel_id: int
    forum_id: int


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    """Create two guilds with an open channel, restricted channels and an admin."""
    guild = fake_discord.add_guild("Physics", system_channel="general")
    other = fake_discord.add_guild("Maths")
    return World(
        fake=fake_discord,
        guild=guild,
        channel_id=guild.add_text_channel("papers"),
        blocked_id=guild.add_text_channel("announcements", bot_can_post=False),
        no_embed_id=guild.add_text_channel("plain", bot_can_embed=False),
        admin_id=guild.add_member(name="admin", permissions=MANAGE_GUILD),
        other_guild=other,
        other_channel_id=other.add_text_channel("algebra"),
        forum_id=guild.add_forum_channel("daily"),
    )


@pytest.fixture
async def bot(fake_discord: FakeDiscord, world: World) -> AsyncIterator[ProbeBot]:
    """Run the probe bot against the fake until the test ends."""
    async with running_bot(ProbeBot(), fake_discord) as running:
        yield running


def text_channel(bot: commands.Bot, channel_id: int) -> discord.TextChannel:
    """Return a cached text channel."""
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_login_reads_user_and_application(bot: ProbeBot, world: World) -> None:
    paths = [(r.method, r.path) for r in world.fake.requests]
    assert ("GET", "/users/@me") in paths
    assert ("GET", "/oauth2/applications/@me") in paths
    assert bot.user is not None and bot.user.id == world.fake.bot_user_id
    assert bot.application_id == world.fake.application_id


async def test_login_wrong_token_fails(fake_discord: FakeDiscord, world: World) -> None:
    with pytest.raises(discord.LoginFailure):
        async with running_bot(ProbeBot(), fake_discord, token="wrong"):
            pass
    assert fake_discord.requests[0].status == 401


async def test_guilds_cached_at_ready(bot: ProbeBot, world: World) -> None:
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    assert guild.me is not None
    assert guild.default_role.id == world.guild.id
    assert guild.system_channel is not None and guild.system_channel.name == "general"
    assert {g.id for g in bot.guilds} == {world.guild.id, world.other_guild.id}


async def test_permissions_match_overwrites(bot: ProbeBot, world: World) -> None:
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    open_perms = text_channel(bot, world.channel_id).permissions_for(guild.me)
    blocked = text_channel(bot, world.blocked_id).permissions_for(guild.me)
    no_embed = text_channel(bot, world.no_embed_id).permissions_for(guild.me)
    assert open_perms.send_messages and open_perms.embed_links
    assert not blocked.send_messages
    assert blocked.view_channel
    assert no_embed.send_messages
    assert not no_embed.embed_links


async def test_sync_records_group(bot: ProbeBot, world: World) -> None:
    [command] = world.fake.registered_commands
    subcommands = {option["name"] for option in command["options"]}
    assert command["name"] == "probe"
    assert {"create", "slow", "pick"} <= subcommands
    assert world.fake.requests_to("PUT", rf"/applications/{world.fake.application_id}/commands")


async def test_subcommand_replies_ephemeral(bot: ProbeBot, world: World) -> None:
    options = {"name": "weekly", "channel": world.channel_id}
    record = await world.fake.invoke(
        world.guild.id, world.channel_id, world.admin_id, "probe create", options
    )
    reply = await record.wait_for_reply()
    assert record.response_type == 4
    assert reply.content == "weekly in #papers"
    assert reply.ephemeral
    assert world.fake.messages(world.channel_id) == []


async def test_invocation_sends_member_permissions(bot: ProbeBot, world: World) -> None:
    options = {"name": "x", "channel": world.channel_id}
    record = await world.fake.invoke(
        world.guild.id, world.channel_id, world.admin_id, "probe create", options
    )
    await record.wait_for_reply()
    assert int(record.payload["member"]["permissions"]) & MANAGE_GUILD
    assert record.payload["data"]["options"][0]["type"] == 1


async def test_channel_of_other_guild_resolves_none(bot: ProbeBot, world: World) -> None:
    options = {"channel": world.other_channel_id}
    record = await world.fake.invoke(
        world.guild.id, world.channel_id, world.admin_id, "probe where", options
    )
    reply = await record.wait_for_reply()
    resolved = record.payload["data"]["resolved"]["channels"][str(world.other_channel_id)]
    assert resolved["guild_id"] == str(world.other_guild.id)
    assert reply.content == "unknown"


async def test_deferred_followup_recorded(bot: ProbeBot, world: World) -> None:
    record = await world.fake.invoke(world.guild.id, world.channel_id, world.admin_id, "probe slow")
    reply = await record.wait_for_reply()
    assert record.response_type == 5
    assert record.deferred
    assert [m.embeds[0]["title"] for m in record.followups] == ["done"]
    assert reply.ephemeral
    assert not reply.loading


async def test_deferred_edit_replaces_placeholder(bot: ProbeBot, world: World) -> None:
    record = await world.fake.invoke(world.guild.id, world.channel_id, world.admin_id, "probe edit")
    reply = await record.wait_for_reply()
    [stored] = world.fake.messages(world.channel_id)
    assert reply.content == "edited"
    assert not reply.ephemeral
    assert stored["id"] == str(reply.id)
    assert stored["flags"] == 0
    assert [edit["content"] for edit in record.edits] == ["edited"]


async def test_autocomplete_returns_choices(bot: ProbeBot, world: World) -> None:
    choices = await world.fake.autocomplete(
        world.guild.id,
        world.channel_id,
        world.admin_id,
        "probe pick",
        {"category": "hep"},
        focused="category",
    )
    assert [choice["value"] for choice in choices] == ["hep-th", "hep-ph"]


async def test_button_click_updates_message(bot: ProbeBot, world: World) -> None:
    record = await world.fake.invoke(
        world.guild.id, world.channel_id, world.admin_id, "probe buttons"
    )
    sent = await record.wait_for_reply()
    click = await world.fake.click(sent.id, "probe:more", world.admin_id)
    await click.wait_for_reply()
    assert click.response_type == 7
    assert world.fake.messages(world.channel_id)[-1]["content"] == "pressed"


async def test_modal_submit_reaches_bot(bot: ProbeBot, world: World) -> None:
    record = await world.fake.invoke(
        world.guild.id, world.channel_id, world.admin_id, "probe rename"
    )
    await record.wait_for_response()
    submitted = await world.fake.submit_modal(record, {"probe:name": "astro"})
    reply = await submitted.wait_for_reply()
    assert record.response_type == 9
    assert reply.content == "renamed to astro"


async def test_channel_send_embed_stored(bot: ProbeBot, world: World) -> None:
    channel = text_channel(bot, world.channel_id)
    sent = await channel.send(embed=discord.Embed(title="New papers", description="3 today"))
    [stored] = world.fake.messages(world.channel_id)
    assert stored["id"] == str(sent.id)
    assert stored["embeds"][0]["title"] == "New papers"
    assert sent.author.id == world.fake.bot_user_id


async def test_history_newest_first(bot: ProbeBot, world: World) -> None:
    channel = text_channel(bot, world.channel_id)
    for text in ("one", "two", "three"):
        await channel.send(text)
    history = [message.content async for message in channel.history(limit=2)]
    assert history == ["three", "two"]


async def test_send_without_permission_forbidden(bot: ProbeBot, world: World) -> None:
    with pytest.raises(discord.Forbidden) as raised:
        await text_channel(bot, world.blocked_id).send("hello")
    assert raised.value.code == 50013
    assert world.fake.messages(world.blocked_id) == []


async def test_embed_without_embed_links_rejected(bot: ProbeBot, world: World) -> None:
    with pytest.raises(discord.HTTPException) as raised:
        await text_channel(bot, world.no_embed_id).send(embed=discord.Embed(title="x"))
    assert raised.value.code == 50006


async def test_unknown_channel_not_found(bot: ProbeBot, world: World) -> None:
    with pytest.raises(discord.NotFound) as raised:
        await bot.fetch_channel(world.fake.snowflakes.next())
    assert raised.value.code == 10003


async def test_long_embed_title_invalid(bot: ProbeBot, world: World) -> None:
    with pytest.raises(discord.HTTPException) as raised:
        await text_channel(bot, world.channel_id).send(embed=discord.Embed(title="x" * 257))
    assert raised.value.code == 50035
    assert "embeds.0.title" in raised.value.text


async def test_nonce_returns_same_message(bot: ProbeBot, world: World) -> None:
    channel = text_channel(bot, world.channel_id)
    first = await channel.send("digest", nonce="2511-hep-th")
    second = await channel.send("digest", nonce="2511-hep-th")
    assert second.id == first.id
    assert len(world.fake.messages(world.channel_id)) == 1


async def test_role_ping_follows_allowed_mentions(bot: ProbeBot, world: World) -> None:
    role_id = world.guild.add_role("readers")
    await world.fake.settle()
    channel = text_channel(bot, world.channel_id)
    await channel.send(f"<@&{role_id}>", allowed_mentions=discord.AllowedMentions.none())
    allowed = discord.AllowedMentions(roles=[discord.Object(role_id)])
    await channel.send(f"<@&{role_id}>", allowed_mentions=allowed)
    silent, pinged = world.fake.messages(world.channel_id)
    assert silent["mention_roles"] == []
    assert pinged["mention_roles"] == [str(role_id)]


async def test_file_upload_recorded(bot: ProbeBot, world: World) -> None:
    channel = text_channel(bot, world.channel_id)
    await channel.send("export", file=discord.File(io.BytesIO(b"# Digest"), "digest.md"))
    [request] = world.fake.requests_to("POST", rf"/channels/{world.channel_id}/messages")
    [attachment] = world.fake.messages(world.channel_id)[0]["attachments"]
    assert request.files[0].data == b"# Digest"
    assert attachment["filename"] == "digest.md"


async def test_thread_create_and_post(bot: ProbeBot, world: World) -> None:
    channel = text_channel(bot, world.channel_id)
    thread = await channel.create_thread(name="2025-11-07", type=discord.ChannelType.public_thread)
    await thread.send("paper")
    assert world.fake.channel(thread.id).parent_id == world.channel_id
    assert [m["content"] for m in world.fake.messages(thread.id)] == ["paper"]


async def test_thread_from_message_takes_its_id(bot: ProbeBot, world: World) -> None:
    message = await text_channel(bot, world.channel_id).send("digest")
    thread = await message.create_thread(name="discussion")
    assert thread.id == message.id
    assert world.fake.channel(thread.id).name == "discussion"


async def test_forum_post_has_first_message(bot: ProbeBot, world: World) -> None:
    forum = bot.get_channel(world.forum_id)
    assert isinstance(forum, discord.ForumChannel)
    post = await forum.create_thread(name="2025-11-07", content="12 new papers")
    assert post.message.content == "12 new papers"
    assert [m["content"] for m in world.fake.messages(post.thread.id)] == ["12 new papers"]


async def test_rate_limit_with_via_retried(bot: ProbeBot, world: World) -> None:
    path = rf"/channels/{world.channel_id}/messages"
    world.fake.rate_limit_next("POST", path, retry_after=0.2)
    await text_channel(bot, world.channel_id).send("after a wait")
    first, second = world.fake.requests_to("POST", path)
    assert first.status == 429
    assert second.status == 200
    assert second.time - first.time >= 0.2


async def test_rate_limit_without_via_raises(bot: ProbeBot, world: World) -> None:
    world.fake.fail_next("POST", rf"/channels/{world.channel_id}/messages", 429, headers={})
    with pytest.raises(discord.HTTPException) as raised:
        await text_channel(bot, world.channel_id).send("x")
    assert raised.value.status == 429


async def test_global_rate_limit_retried(bot: ProbeBot, world: World) -> None:
    path = rf"/channels/{world.channel_id}/messages"
    world.fake.rate_limit_next("POST", path, retry_after=0.1, is_global=True)
    await text_channel(bot, world.channel_id).send("x")
    assert [r.status for r in world.fake.requests_to("POST", path)] == [429, 200]


async def test_service_unavailable_raises(bot: ProbeBot, world: World) -> None:
    world.fake.fail_next("POST", rf"/channels/{world.channel_id}/messages", 503)
    with pytest.raises(discord.DiscordServerError) as raised:
        await text_channel(bot, world.channel_id).send("x")
    assert raised.value.status == 503


async def test_late_response_unknown_interaction(bot: ProbeBot, world: World) -> None:
    world.fake.interaction_deadline = 0.0
    record = await world.fake.invoke(world.guild.id, world.channel_id, world.admin_id, "probe slow")
    await asyncio.wait_for(bot.error_seen.wait(), 5.0)
    error = bot.errors[0]
    assert isinstance(error, app_commands.CommandInvokeError)
    assert isinstance(error.original, discord.NotFound)
    assert error.original.code == 10062
    assert record.callbacks == []


async def test_reconnect_resumes_session(bot: ProbeBot, world: World) -> None:
    await world.fake.send_reconnect()
    await world.fake.wait_until_resumed()
    record = await world.fake.invoke(world.guild.id, world.channel_id, world.admin_id, "probe slow")
    await record.wait_for_reply()
    assert world.fake.gateway.identify_count == 1
    assert not bot.is_closed()


async def test_invalid_session_identifies_again(bot: ProbeBot, world: World) -> None:
    await world.fake.send_invalid_session(False)
    await world.fake.wait_until_identified(count=2)
    await world.fake.settle()
    assert bot.is_ready()
    assert bot.get_guild(world.guild.id) is not None


async def test_channel_added_after_ready(bot: ProbeBot, world: World) -> None:
    channel_id = world.guild.add_text_channel("late")
    await world.fake.settle()
    assert text_channel(bot, channel_id).name == "late"


async def test_bot_closes_cleanly(fake_discord: FakeDiscord, world: World) -> None:
    bot = ProbeBot()
    async with running_bot(bot, fake_discord):
        pass
    gateway = fake_discord.gateway
    await gateway.changed.wait_until(lambda: not gateway.connections, 5.0, "the websocket close")
    assert bot.is_closed()


async def test_guild_create_and_member_chunks() -> None:
    fake = FakeDiscord(guilds_in_ready=False)
    guild = fake.add_guild("Chunked")
    member_id = guild.add_member(name="reader")
    intents = discord.Intents.default()
    intents.members = True
    await fake.start()
    try:
        with fake.redirect_discordpy():
            async with running_bot(ProbeBot(intents, ready_timeout=0.05), fake) as bot:
                cached = bot.get_guild(guild.id)
                assert cached is not None
                assert cached.get_member(member_id) is not None
                members = await cached.chunk()
                assert member_id in {member.id for member in members}
                assert any(frame.get("op") == 8 for frame in fake.gateway.received)
    finally:
        await fake.close()


async def test_fatal_close_stops_bot(bot: ProbeBot, world: World) -> None:
    await world.fake.close_gateway(4004, "Authentication failed.")
    async with asyncio.timeout(5):
        while not bot.is_closed():
            await asyncio.sleep(0.01)
    assert world.fake.gateway.identify_count == 1
