"""/channel (渠道) end to end: a member bound on Telegram and the web chat chooses where
pushes go, and a broadcast follows the choice — through the fake Bot API, or into the web
chat's mailbox; a chosen channel that refuses, or is still starting, falls back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelIdentity, OutboxMessage, OutboxStatus
from storage.types import utcnow
from tests.fakes import FakeUser
from tests.multi_channel import Browser, World, everything
from tests.telegram_fixtures import eventually

ZHANG = 7001


async def _bound_twice(world: World) -> tuple[FakeUser, Browser]:
    """张三 joins on Telegram, then binds the web chat with his personal invite code; the
    web chat is now the channel he used last."""
    user = await world.telegram.joined(ZHANG, "张三")
    member = await world.member("telegram", str(ZHANG))
    assert member.id is not None
    web = await world.browser()
    assert "欢迎你,张三" in await web.say(f"加入 {await world.personal_invite(member.id)}")
    return user, web


async def _sent(world: World) -> list[OutboxMessage]:
    """every broadcast row has an outcome"""
    rows = await world.outbox("broadcast:")
    return rows if rows and all(r.status != OutboxStatus.queued for r in rows) else []


async def _mail(web: Browser) -> list[str]:
    """the web chat got mail"""
    return await web.mail()


async def test_chosen_telegram_gets_the_broadcast_then_automatic_follows_the_last_used(
    tmp_path: Path,
) -> None:
    async with everything(tmp_path) as world:
        user, web = await _bound_twice(world)
        shown = await web.say("渠道")
        assert "现在:自动(发到你最近使用的网页聊天)" in shown
        assert web.buttons == ["Telegram", "网页聊天", "✓ 自动(最近使用的渠道)"]
        assert "好的,提醒和通知先发到Telegram" in await web.tap("Telegram")
        assert (await world.member("telegram", str(ZHANG))).push_channel == "telegram"

        await world.broadcast("明天下午三点集中学习")
        await user.expect_text(["活动办通知", "明天下午三点集中学习"])
        (row,) = await eventually(lambda: _sent(world))
        assert (row.status, row.channel) == (OutboxStatus.sent, "telegram")
        assert await web.mail() == []  # the web chat, used last, got nothing

        await web.say("渠道")
        assert "✓ Telegram" in web.buttons
        assert "现在是网页聊天" in await web.tap("自动(最近使用的渠道)")
        await world.broadcast("周五前交学习心得")
        assert any("周五前交学习心得" in text for text in await eventually(lambda: _mail(web)))
        await user.expect_nothing(within=0.5)


async def test_a_chosen_channel_that_refuses_falls_back_and_the_member_is_told(
    tmp_path: Path,
) -> None:
    async with everything(tmp_path) as world:
        user, web = await _bound_twice(world)
        await web.say("渠道")
        await web.tap("Telegram")
        world.telegram.fake.block(ZHANG)  # 张三 blocked the bot in Telegram
        await world.broadcast("本周学习材料已发布")
        assert any("本周学习材料已发布" in text for text in await eventually(lambda: _mail(web)))
        (row,) = await eventually(lambda: _sent(world))
        assert (row.status, row.channel) == (OutboxStatus.sent, "webchat")
        identity = await world.telegram.identity(user)
        assert identity is not None and not identity.reachable
        shown = await web.say("渠道")
        assert "Telegram上现在发不出去" in shown and "✓ Telegram" in web.buttons


async def test_a_chosen_channel_still_starting_is_passed_over_and_nobody_is_lost(
    tmp_path: Path,
) -> None:
    # WeCom is configured, but its API cannot be reached: it keeps retrying its start.
    async with everything(tmp_path, wecom_api_url="http://127.0.0.1:9") as world:
        user = await world.telegram.joined(ZHANG, "张三")
        member = await world.member("telegram", str(ZHANG))
        assert member.id is not None
        await _add_account(world, member.id, "wecom", "zhangsan")
        await user.say("渠道")
        await user.expect_text("现在:自动")
        await user.tap("企业微信")
        await user.expect_text("先发到企业微信")
        lisi = await world.telegram.joined(7002, "李四")  # then leaves Telegram for WeCom only
        await _move_to_wecom(world, (await world.member("telegram", "7002")).id or 0)
        await world.broadcast("明天上午九点开会")
        await user.expect_text("明天上午九点开会")

        async def outcomes() -> dict[str, OutboxMessage]:
            """张三's row has an outcome"""
            rows = {r.channel or "waiting": r for r in await world.outbox("broadcast:")}
            return rows if "telegram" in rows else {}

        rows = await eventually(outcomes)
        assert rows["telegram"].status == OutboxStatus.sent
        await lisi.expect_nothing(within=1.0)
        rows = await outcomes()  # 李四's row backs off for WeCom, neither failed nor unreachable
        waiting = rows["waiting"]
        assert (waiting.status, waiting.error) == (OutboxStatus.queued, "channel not running")


async def _move_to_wecom(world: World, member_id: int) -> None:
    async def move(session: AsyncSession) -> None:
        await session.exec(
            update(ChannelIdentity)  # type: ignore[call-overload]
            .where(col(ChannelIdentity.member_id) == member_id)
            .values(channel="wecom", external_id="lisi")
        )

    await world.db.run(move)


async def _add_account(world: World, member_id: int, channel: str, external_id: str) -> None:
    async def add(session: AsyncSession) -> None:
        now = utcnow()
        await session.exec(
            insert(ChannelIdentity).values(  # type: ignore[call-overload]
                channel=channel, external_id=external_id, member_id=member_id,
                reachable=True, created_at=now, last_seen_at=now,
            )
        )  # fmt: skip

    await world.db.run(add)
