"""Pushes through the WeCom app-message API: the outbox, the shared access token (expired:
refreshed once, retried), rate limits, people who left, media, text cards and long texts."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import DISPATCHER
from bot.channels import wx_api
from bot.channels.base import ChannelConfigError, RetryLater, Undeliverable
from bot.channels.wecom import WeComChannel
from config.i18n import default_catalog
from handlers.messages import Button, File, Image, Text
from storage.models import OutboxStatus
from tests.fakes.wechat_records import WECOM, WxFault
from tests.telegram_fixtures import eventually
from tests.wechat_fixtures import WxService, running_wx_service

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def _status(service: WxService, row_id: int) -> str | None:
    row = await service.outbox_row(row_id)
    return row.status if row is not None and row.status != OutboxStatus.queued else None


async def test_a_push_goes_out_as_an_app_message(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.wecom_person("zhangsan")
        await service.joined(person)
        row = await service.push("wecom", "zhangsan", [Text("明天 9:00 集中学习。")])
        await person.expect_text("集中学习")
        assert await eventually(lambda: _status(service, row)) == OutboxStatus.sent


async def test_an_expired_token_is_refreshed_once_for_all_sends(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        fake, channel = service.fake, service.wecom
        before = fake.token_calls[WECOM]
        fake.expire_tokens(WECOM)
        users = [f"user{i}" for i in range(6)]
        await asyncio.gather(*(channel.deliver(u, [Text(f"通知 {u}")]) for u in users))
        assert fake.token_calls[WECOM] == before + 1  # six sends saw 42001; one refresh
        refused = [c for c in fake.calls_to(WECOM, "message/send") if c.errcode == 42001]
        assert len(refused) == 6
        for user in users:
            assert fake.inbox(WECOM, user)[-1].text == f"通知 {user}"
        fake.inject(WECOM, "message/send", WxFault.expired_token())  # the API says so itself
        await channel.deliver("user0", [Text("再一次")])
        assert fake.token_calls[WECOM] == before + 2 and fake.inbox(WECOM, "user0")[-1].text


async def test_rate_limit_pauses_the_channel_then_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_wx_service(tmp_path) as service:
        fake = service.fake
        fake.inject(WECOM, "message/send", WxFault.rate_limited())
        with pytest.raises(RetryLater) as raised:
            await service.wecom.deliver("someone", [Text("x")])
        assert str(raised.value) == wx_api.FLOOD and raised.value.delay == wx_api.RATE_PAUSE
        monkeypatch.setattr(wx_api, "RATE_PAUSE", 0.3)
        person = service.wecom_person("lisi")
        await service.joined(person, "李四")
        fake.inject(WECOM, "message/send", WxFault.rate_limited())
        row = await service.push("wecom", "lisi", [Text("月通报已发布。")])
        await person.expect_text("月通报")
        assert await eventually(lambda: _status(service, row)) == OutboxStatus.sent
        tries = fake.calls_to(WECOM, "message/send", to="lisi")[-2:]
        assert [c.errcode for c in tries] == [45009, 0]
        assert tries[1].at - tries[0].at >= 0.3


async def test_someone_who_left_the_app_becomes_unreachable(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.wecom_person("wangwu")
        await service.joined(person, "王五")
        service.fake.gone.add("wangwu")
        row = await service.push("wecom", "wangwu", [Text("提醒")])
        assert await eventually(lambda: _status(service, row)) == OutboxStatus.unreachable
        identity = await service.identity("wecom", "wangwu")
        assert identity is not None and not identity.reachable


async def test_faults_become_the_outboxs_errors(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        fake, channel = service.fake, service.wecom
        fake.inject(
            WECOM,
            "message/send",
            WxFault.server_error(),
            WxFault.busy(),
            WxFault(40008, "invalid message type"),
        )
        with pytest.raises(RetryLater):
            await channel.deliver("u", [Text("x")])
        with pytest.raises(RetryLater):
            await channel.deliver("u", [Text("x")])
        with pytest.raises(Undeliverable):
            await channel.deliver("u", [Text("x")])


async def test_images_and_files_are_uploaded_then_sent(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        fake = service.fake
        replies = [
            Image(PNG, caption="进度图", name="chart.png"),
            File(b"PK\x03\x04ledger", "整改台帐.xlsx"),
        ]
        await service.wecom.deliver("zhaoliu", replies)
        uploads = fake.calls_to(WECOM, "media/upload")
        assert [c.query["type"] for c in uploads] == ["image", "file"]
        image, caption, file = fake.inbox(WECOM, "zhaoliu")
        assert image.msgtype == "image" and image.media is not None and image.media.data == PNG
        assert caption.text == "进度图"
        assert file.msgtype == "file" and file.media is not None
        assert file.media.name == "整改台帐.xlsx" and file.media.data == b"PK\x03\x04ledger"


async def test_link_becomes_a_text_card_and_long_texts_are_split(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        link = Button("查看", url="https://example.org/ledger")
        await service.wecom.deliver("sunqi", [Text("整改公示\n本月完成 3 项。", ((link,),))])
        card = service.fake.inbox(WECOM, "sunqi")[-1]
        assert card.msgtype == "textcard"
        assert card.raw["textcard"] == {
            "title": "整改公示",
            "description": "本月完成 3 项。",
            "url": "https://example.org/ledger",
            "btntxt": "查看",
        }
        text = "\n".join(f"第 {i} 条:群众反映的问题和整改措施。" for i in range(200))
        await service.wecom.deliver("sunqi", [Text(text)])
        parts = service.fake.inbox(WECOM, "sunqi")[1:]
        assert len(parts) > 1 and all(len(p.text.encode()) <= 2048 for p in parts)
        assert "\n".join(p.text for p in parts) == text


async def test_wrong_secret_stops_the_service_with_a_clear_line(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        config = replace(service.wecom.config, secret="wrong")
        channel = WeComChannel(config, service.app[DISPATCHER], default_catalog())
        started = time.monotonic()
        with pytest.raises(ChannelConfigError, match="credentials"):
            await channel.start()
        await channel.stop()
        assert time.monotonic() - started < 2


async def test_a_push_mid_dialogue_leaves_the_numbered_options_alone(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.wecom_person("qianba")
        await service.joined(person, "钱八")
        await person.say("提意见")
        await person.expect_text("实名还是匿名")
        await service.wecom.deliver("qianba", [Text("提醒:明天集中学习。")])
        await person.expect_text("集中学习")
        await person.say("1")  # still the dialogue's first option
        await person.expect_text("提给谁")
