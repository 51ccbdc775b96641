"""WeCom end to end: encrypted callbacks into our app, replies out through the fake
WeCom API: URL verification, the same conversation as Telegram with numbered buttons,
the menu, entering the app, attachments, and WeChat's retries."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.fakes.wechat_records import WECOM
from tests.fakes.wechat_users import sha1
from tests.wechat_fixtures import WECOM_TOKEN, running_wx_service


async def test_callback_url_verification_echoes_the_decrypted_echostr(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.wecom_person("anyone")
        echostr = person.envelope.seal("8397412569047651239")  # type: ignore[union-attr]
        ts, nonce = str(int(time.time())), "1597212914"
        query = {
            "msg_signature": sha1(WECOM_TOKEN, ts, nonce, echostr),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }
        async with service.session.get(person.url, params=query) as response:
            assert response.status == 200
            assert await response.text() == "8397412569047651239"
        query["msg_signature"] = sha1("wrong-token", ts, nonce, echostr)
        async with service.session.get(person.url, params=query) as response:
            assert response.status == 403


async def test_transcript_join_help_and_an_opinion_with_numbered_buttons(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.wecom_person("zhangsan")
        answer = await person.say(f"加入 {service.codes['member']}")
        assert (answer.status, answer.text) == (200, "")  # answered at once; replies come later
        await person.expect_text("真实姓名")
        await person.say("张三")
        await person.expect_text(["欢迎你,张三", "测试规划局"])
        await person.say("帮助")
        help_text = await person.expect_text(["张三", "提意见"])
        assert help_text.via == "app" and help_text.raw["agentid"] == service.fake.agent_id
        await person.say("提意见")
        ask = await person.expect_text("实名还是匿名")
        assert ask.options["实名提意见"] == 1  # (a unit this small has no anonymous box)
        assert "回复 1 实名提意见" in ask.text
        await person.say("1")
        target = await person.expect_text("提给谁")
        await person.say(str(target.options["单位整体工作"]))
        await person.expect_text("哪一类")
        await person.choose("形式主义")
        await person.expect_text("写下你的意见")
        await person.say("开会太多,文件太长。")
        await person.expect_text("已记下")
        await person.choose("完成")
        await person.expect_text("开会太多")
        await person.choose("提交")
        await person.expect_text("编号 #1")
        await person.say("我的意见")
        await person.expect_text("#1")


async def test_menu_is_set_on_start_and_a_click_runs_the_command(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        menu = service.fake.menus[WECOM]["button"]
        keys = [b["key"] for top in menu for b in top.get("sub_button", [top])]
        assert "cmd:help" in keys and "cmd:opinion" in keys
        assert service.fake.calls_to(WECOM, "menu/create")[0].query["agentid"] == "1000002"
        person = service.wecom_person("lisi")
        await service.joined(person, "李四")
        await person.click("cmd:opinion")
        await person.expect_text("实名还是匿名")
        await person.click("cmd:help")
        await person.expect_text("李四")


async def test_entering_the_app_greets_strangers_only(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        stranger = service.wecom_person("stranger")
        await stranger.event("enter_agent")
        await stranger.expect_text("加入 邀请码")
        member = service.wecom_person("member1")
        await service.joined(member)
        await member.event("enter_agent")
        await member.expect_nothing()  # no message every time a member opens the app


async def test_attachments_and_stale_numbers(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.wecom_person("wangwu")
        await service.joined(person, "王五")
        await person.send_image()
        await person.expect_text("不需要图片")
        menu = await person.expect_text("想做什么")
        assert menu.options["帮助"] == len(menu.options)
        await person.say(str(len(menu.options) + 1))  # no such option: just text
        await person.expect_text("没看懂")
        menu = await person.expect_text("想做什么")
        await person.say(str(menu.options["帮助"]))
        await person.expect_text("王五")


async def test_a_retried_message_is_handled_once(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        person = service.wecom_person("zhaoliu")
        await service.joined(person, "赵六")
        message = person.text("帮助")
        first = person.request(message)
        again = person.request(message)  # WeChat retrying: same MsgId, a new nonce
        answers = await asyncio.gather(person.post(*first), person.post(*again))
        assert [(a.status, a.text) for a in answers] == [(200, ""), (200, "")]
        await person.expect_text("赵六")
        await person.expect_nothing()
        assert await person.post(*first) == answers[0]  # the very same request once more
        await person.expect_nothing()
