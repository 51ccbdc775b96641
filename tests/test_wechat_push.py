"""Pushes to the Official Account: the customer-service API inside the 48-hour window;
outside it (45015) or past its quota (45047), a template message when one is configured
for that kind of message, else the member is unreachable there and the admin sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels import wx_api
from bot.channels.base import Blocked, RetryLater
from handlers.messages import File, Text
from storage.models import OutboxStatus
from tests.fakes.wechat_records import MP, WxFault
from tests.telegram_fixtures import eventually
from tests.wechat_fixtures import WxService, running_wx_service


async def _status(service: WxService, row_id: int) -> str | None:
    row = await service.outbox_row(row_id)
    return row.status if row is not None and row.status != OutboxStatus.queued else None


async def test_inside_the_window_a_push_is_a_customer_service_message(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.mp_person("oIn")
        await service.joined(person)
        row = await service.push("wechat", "oIn", [Text("本周五前提交对照检查材料。")])
        pushed = await person.expect_text("对照检查材料")
        assert pushed.via == "custom"
        assert await eventually(lambda: _status(service, row)) == OutboxStatus.sent


async def test_outside_the_window_with_no_template_the_member_is_unreachable(
    tmp_path: Path,
) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.mp_person("oAway")
        await service.joined(person)
        service.fake.close_window("oAway")
        row = await service.push("wechat", "oAway", [Text("提醒:明天集中学习。")])
        assert await eventually(lambda: _status(service, row)) == OutboxStatus.unreachable
        identity = await service.identity("wechat", "oAway")
        assert identity is not None and not identity.reachable  # what the admin sees
        await person.say("帮助")  # writing again makes them reachable again
        await person.expect_text("张三")
        identity = await service.identity("wechat", "oAway")
        assert identity is not None and identity.reachable


async def test_outside_the_window_a_template_is_sent_instead(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        service.templates({"*": "TPL_DEFAULT", "deadline_reminder": "TPL_DEADLINE:thing2"})
        person = service.mp_person("oTpl")
        await service.joined(person)
        service.fake.close_window("oTpl")
        row = await service.push(
            "wechat", "oTpl", [Text("提醒:明天上午九点集中学习,地点三楼会议室。")]
        )
        sent = await person.expect()
        assert sent.via == "template" and sent.raw["template_id"] == "TPL_DEFAULT"
        value = sent.raw["data"]["thing1"]["value"]
        assert value.startswith("提醒:明天上午九点") and len(value) <= 20
        assert await eventually(lambda: _status(service, row)) == OutboxStatus.sent
        await service.wechat.deliver(
            "oTpl", [Text("对照检查材料明天截止")], kind="deadline_reminder"
        )
        by_kind = await person.expect()
        assert by_kind.raw["template_id"] == "TPL_DEADLINE"
        assert by_kind.raw["data"] == {"thing2": {"value": "对照检查材料明天截止"}}


async def test_quota_used_up_waits_or_falls_back(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        channel, fake = service.wechat, service.fake
        fake.inject(MP, "message/custom/send", WxFault.quota())
        with pytest.raises(RetryLater) as raised:
            await channel.deliver("oQuota", [Text("x")])
        assert str(raised.value) != wx_api.FLOOD  # this person's row waits, not the channel
        fake.inject(MP, "message/custom/send", WxFault.window_closed())
        with pytest.raises(Blocked):
            await channel.deliver("oQuota", [Text("x")])
        service.templates({"*": "TPL"})
        fake.inject(MP, "message/custom/send", WxFault.quota())
        await channel.deliver("oQuota", [Text("第二批整改事项已公示")])
        assert fake.inbox(MP, "oQuota")[-1].via == "template"


async def test_files_cannot_go_through_the_official_account_and_it_says_so(
    tmp_path: Path,
) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.mp_person("oFile")
        service.fake.wrote("oFile")
        await service.wechat.deliver("oFile", [File(b"PK", "整改台帐.xlsx", caption="台帐")])
        notice = await person.expect_text(["整改台帐.xlsx", "企业微信"])
        assert notice.via == "custom"
        await person.expect_text("台帐")
