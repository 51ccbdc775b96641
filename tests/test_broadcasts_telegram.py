"""A broadcast written in Telegram, end to end (issue 4): from /admin's 广播 button through
the dialogue, out through the outbox to every member exactly once, progress on request
while it goes, and the summary pushed to the sender when it is done."""

from __future__ import annotations

from pathlib import Path

from bot.app import SCHEDULER
from tests.fakes import FakeUser, Sent
from tests.telegram_fixtures import eventually
from tests.test_delivery_support import open_chats, received, seed_members, serving

TEXT = "请各支部于本周五前报送学习心得。"
PUSHED = f"活动办通知:\n{TEXT}"  # the broadcast as members get it (the review quotes TEXT)


async def _said(user: FakeUser, words: str, after: int = 0) -> Sent:
    """The first message to this chat after the first ``after`` holding ``words``."""

    async def look() -> Sent | None:
        """the bot wrote it"""
        return next((s for s in user.inbox[after:] if words in s.text), None)

    return await eventually(look, within=10)


async def _with_button(user: FakeUser, label: str, after: int = 0) -> Sent:
    async def look() -> Sent | None:
        """the bot showed the button"""
        return next((s for s in user.inbox[after:] if label in s.buttons), None)

    return await eventually(look, within=10)


async def _tap(user: FakeUser, label: str) -> int:
    mark = len(user.inbox)
    await user.tap(label)
    return mark


async def test_a_broadcast_from_the_chat_reaches_everyone_once(tmp_path: Path) -> None:
    count = 60
    async with serving(tmp_path, send_rate=20) as service:
        chats = await seed_members(service.db, service.org_id, count)
        open_chats(service.fake, chats.values())
        blocked = next(iter(chats.values()))
        service.fake.block(blocked)
        admin = await service.joined(9001, "周敏", role="admin")
        mark = len(admin.inbox)
        await admin.say("/admin")
        await _with_button(admin, "广播", mark)
        mark = await _tap(admin, "广播")
        await _said(admin, "请写下广播内容", mark)
        mark = len(admin.inbox)
        await admin.say(TEXT)
        everyone = f"全体成员({count + 1} 人)"
        await _with_button(admin, everyone, mark)
        mark = await _tap(admin, everyone)
        await _said(admin, f"共 {count + 1} 人,其中 {count + 1} 人已绑定", mark)
        # (the blocked member still counts as reachable: nobody knows until a send fails)
        await _with_button(admin, "现在发送", mark)
        mark = await _tap(admin, "现在发送")
        await _with_button(admin, "只发一次", mark)
        mark = await _tap(admin, "只发一次")
        await _with_button(admin, "确认发送", mark)
        mark = await _tap(admin, "确认发送")
        await _said(admin, f"开始发送,共 {count + 1} 人", mark)
        await _with_button(admin, "刷新进度", mark)

        async def halfway() -> bool:
            """a third of the members have it"""
            return received(service.fake, chats.values(), PUSHED).total() >= count // 3

        await eventually(halfway, within=10)
        mark = await _tap(admin, "刷新进度")
        progress = (await _said(admin, "已发送", mark)).text
        sent = int(progress.split("已发送 ")[1].split(" /")[0].replace(",", ""))
        assert 0 < sent < count + 1 and f"/ {count + 1}" in progress, progress

        async def all_out() -> bool:
            """every member who can get it has it"""
            got = received(service.fake, [*chats.values(), admin.chat_id], PUSHED)
            return len(got) == count

        await eventually(all_out, within=count / 20 + 10)
        await service.app[SCHEDULER].run_due()  # the next tick would do the same
        summary = await _said(admin, "已发送完毕")
        assert f"送达 {count} 人" in summary.text and "无法送达 1 人" in summary.text
        got = received(service.fake, [*chats.values(), admin.chat_id], PUSHED)
        assert set(got.values()) == {1} and blocked not in got
        assert [c.status for c in service.fake.calls_to("sendMessage", blocked)] == [403]
