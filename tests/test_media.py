"""Photos and files members attach reach the people who must read them, fetched back from
the channel they came through (here Telegram, through the fake Bot API)."""

from __future__ import annotations

from pathlib import Path

from tests.telegram_fixtures import running_service

PHOTO = b"\x89PNG\r\n\x1a\n" + b"evidence-photo" * 40


async def test_the_office_sees_the_photo_of_a_named_opinion(tmp_path: Path) -> None:
    async with running_service(tmp_path) as service:
        member = await service.joined(7_100_000_001, "张三")
        await member.say("/opinion")
        await member.expect_text("实名还是匿名")
        await member.tap("实名提意见")
        await member.expect_text("提给谁")
        await member.tap("单位整体工作")
        await member.expect_text("哪一类")
        await member.tap("其他")
        await member.expect_text("写下你的意见")
        await member.send_photo(PHOTO, caption="楼道灯坏了一个月")
        await member.expect_text("1 个附件")
        await member.say("完成")
        await member.expect_text("请确认")
        await member.tap("提交")
        await member.expect_text("编号 #1")
        office = await service.joined(7_100_000_002, "周敏", role="admin")
        await office.say("管理")
        await office.expect_text("管理")
        await office.tap("意见箱")
        await office.expect_text("意见箱")
        await office.tap("#1 · 其他 · 待处理 · 0天")
        await office.expect_text("楼道灯坏了一个月")
        await office.tap("看附件")
        sent = await office.expect()
        assert sent.method == "sendPhoto" and sent.upload is not None
        assert sent.upload.data == PHOTO
