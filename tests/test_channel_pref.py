"""/channel (渠道) as transcripts against the core (no channel): a member bound on several
channels picks where pushes go, by button or by typing; wrong choices are explained; and
the outbox's claim hands the deliverer the chosen channel first, then the one used last."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.record import claim
from handlers.admin_ops import create_invite
from handlers.messages import Text, to_json
from storage.models import Member
from storage.repos import Repos
from storage.types import utcnow
from tests.conftest import Unit
from tests.transcript import Chat


async def _member(unit: Unit, channel: str, user: str) -> Member:
    async def look(session: AsyncSession) -> Member | None:
        repos = Repos(session)
        identity = await repos.members.identity(channel, user)
        return await repos.members.get(identity.member_id) if identity else None

    found = await unit.db.run(look)
    assert found is not None
    return found


async def _also_on(unit: Unit, channel: str, user: str, member: Member) -> Chat:
    """The same member binds an account on another channel with a personal invite."""

    async def make(session: AsyncSession) -> str:
        repos = Repos(session)
        invite = await create_invite(repos, unit.org_id, member.role, member=member, actor="t")
        return invite.code

    chat = Chat(unit.dispatcher, user=user, channel=channel, name=None)
    assert "欢迎你,张三" in await chat.say(f"加入 {await unit.db.run(make)}")
    return chat


async def _on_two(unit: Unit) -> tuple[Chat, Chat]:
    telegram = Chat(unit.dispatcher, user="7001", channel="telegram", name="张三")
    assert "欢迎" in await telegram.say(f"/start {unit.codes['member']}")
    member = await _member(unit, "telegram", "7001")
    return telegram, await _also_on(unit, "wecom", "zhangsan", member)


async def test_one_channel_only_says_where_pushes_go_and_how_to_add_one(unit: Unit) -> None:
    chat = Chat(unit.dispatcher, user="7001", channel="telegram", name="张三")
    await chat.say(f"/start {unit.codes['member']}")
    reply = await chat.say("渠道")
    assert "你只在Telegram上加入了" in reply and "专属邀请码" in reply
    assert chat.buttons() == []


async def test_buttons_choose_a_channel_and_back_to_automatic(unit: Unit) -> None:
    telegram, wecom = await _on_two(unit)
    reply = await wecom.say("渠道")
    assert "现在:自动(发到你最近使用的企业微信)" in reply
    assert [b.label for b in wecom.buttons()] == ["Telegram", "企业微信", "✓ 自动(最近使用的渠道)"]
    assert "先发到Telegram" in await wecom.tap("Telegram")
    assert (await _member(unit, "wecom", "zhangsan")).push_channel == "telegram"
    assert "现在:Telegram" in await telegram.say("/channel")
    assert "✓ Telegram" in [b.label for b in telegram.buttons()]
    assert "现在是Telegram" in await telegram.tap("自动(最近使用的渠道)")
    assert (await _member(unit, "telegram", "7001")).push_channel is None


async def test_typed_choices_in_either_language(unit: Unit) -> None:
    telegram, _ = await _on_two(unit)
    assert "先发到企业微信" in await telegram.say("渠道 企业微信")
    assert "先发到Telegram" in await telegram.say("/channel TELEGRAM")
    assert "最近使用的渠道" in await telegram.say("渠道 自动")
    await telegram.say("/lang en")
    assert "go to WeCom first" in await telegram.say("/channel wecom")
    assert "the channel you used last" in await telegram.say("/channel automatic")


async def test_a_channel_they_are_not_on_is_explained_and_nothing_changes(unit: Unit) -> None:
    telegram, _ = await _on_two(unit)
    await telegram.say("渠道 企业微信")
    reply = await telegram.say("渠道 微信公众号")
    assert "没有“微信公众号”这个渠道" in reply and "Telegram、企业微信" in reply
    assert [b.label for b in telegram.buttons()][:2] == ["Telegram", "✓ 企业微信"]
    reply = await telegram.press("channel:set:webchat")  # a forged or stale button
    assert "没有“webchat”这个渠道" in reply
    assert (await _member(unit, "telegram", "7001")).push_channel == "wecom"


async def test_strangers_are_asked_to_join_first(unit: Unit) -> None:
    assert "请先向活动办要邀请码" in await unit.chat(name=None).say("渠道")


async def test_the_claim_lists_the_chosen_channel_first_then_the_last_used(unit: Unit) -> None:
    _, wecom = await _on_two(unit)
    member = await _member(unit, "telegram", "7001")
    await _also_on(unit, "webchat", "browser1", member)  # used last now
    await wecom.say("渠道 Telegram")  # wecom is used last now; telegram chosen
    assert member.id is not None

    async def queue_and_claim(session: AsyncSession) -> list[str]:
        await Repos(session).outbox.enqueue(member.id, "test", to_json([Text("提醒")]))
        (work,) = await claim(session, 10, utcnow() + timedelta(seconds=5), set())
        return [identity.channel for identity in work[1]]

    async def order() -> list[str]:
        return await unit.db.run(queue_and_claim)

    assert await order() == ["telegram", "wecom", "webchat"]
    await wecom.say("渠道 自动")
    assert await order() == ["wecom", "webchat", "telegram"]  # then by recent use
