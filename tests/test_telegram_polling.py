"""Telegram end to end, polling: real python-telegram-bot long-polls the fake Bot API.

The service is built by create_app exactly as ``python -m bot run`` builds it; each test
reads like a transcript of one person's chat with the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import BadRequest

from tests.fakes import Fault
from tests.telegram_fixtures import ORG_NAME, Service, running_service


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(tmp_path) as running:
        yield running


async def test_polling_started_and_commands_registered_in_zh_and_en(service: Service) -> None:
    fake = service.fake
    assert fake.webhook is None and fake.calls_to("deleteWebhook")
    poll = await fake.wait_call("getUpdates", answered=False)
    assert set(poll.params["allowed_updates"]) >= {"message", "callback_query"}
    zh, en = fake.my_commands(), fake.my_commands("en")
    assert [c["command"] for c in zh] == [c["command"] for c in en]
    assert {"start", "help", "cancel", "lang"} <= {c["command"] for c in zh}
    assert {c["command"]: c["description"] for c in zh}["help"] == "现在能做什么"
    assert {c["command"]: c["description"] for c in en}["help"] == "what you can do now"
    through_ptb = await service.channel.app.bot.get_my_commands(language_code="en")
    assert [c.command for c in through_ptb] == [c["command"] for c in en]


async def test_stranger_is_told_how_to_join(service: Service) -> None:
    user = service.fake.user(1001, "路人")
    await user.say("/start")
    reply = await user.expect_text(["邀请码", "加入"])
    assert reply.keyboard == []
    await user.say("你好")
    await user.expect_text("邀请码")
    await user.say("/help")
    await user.expect_text("邀请码")


async def test_deep_link_start_joins_and_welcomes_by_telegram_name(service: Service) -> None:
    user = service.fake.user(1002, "李四", username="lisi")
    await user.say(f"/start {service.codes['cadre']}")
    welcome = await user.expect_text(["欢迎你,李四", ORG_NAME, "干部"])
    assert welcome.button("cmd:help") is not None
    member = await service.member(user)
    assert member is not None and member.name == "李四" and member.role == "cadre"
    await user.say(f"/start {service.codes['member']}")
    await user.expect_text("不需要再加入")


async def test_help_lists_commands_with_the_menu_as_inline_keyboard(service: Service) -> None:
    user = await service.joined(1003, "王五")
    await user.say("/help")
    help_reply = await user.expect_text(["/help", "/lang", "/cancel", "你现在可以"])
    assert {"提意见", "帮助"} <= set(help_reply.buttons) and help_reply.buttons[-1] == "帮助"
    assert all(b["callback_data"].startswith("cmd:") for row in help_reply.keyboard for b in row)


async def test_tapping_buttons_works_and_every_callback_is_answered(service: Service) -> None:
    user = await service.joined(1004)
    await user.say("/lang")
    await user.expect_text("请选择界面语言")
    query = await user.tap("English")
    assert (await user.answered(query))["callback_query_id"] == query
    await user.expect_text("The interface language is now English")
    await user.say("/lang")
    await user.expect_text("Choose the interface language")
    query = await user.tap("中文")
    await user.answered(query)
    await user.expect_text("界面语言已设为中文")
    query = await user.tap("帮助")
    await user.answered(query)
    await user.expect_text("你现在可以")


async def test_a_tap_too_old_to_answer_is_still_handled(service: Service) -> None:
    user = await service.joined(1022)
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    service.fake.inject("answerCallbackQuery", Fault(400, too_old))
    await user.tap("帮助")
    await user.expect_text("你现在可以")


async def test_lang_en_switches_to_english_for_later_replies(service: Service) -> None:
    user = await service.joined(1005)
    await user.say("/lang en")
    switched = await user.expect_text("The interface language is now English")
    assert {"Opinion", "Help"} <= set(switched.buttons)
    await user.say("随便说点什么")
    await user.expect_text("I didn't understand that message")
    await user.expect_text("Tap a button below")
    member = await service.member(user)
    assert member is not None and member.language == "en"
    await user.say("/lang zh")
    await user.expect_text("界面语言已设为中文")


async def test_stranger_can_switch_language_before_joining(service: Service) -> None:
    user = service.fake.user(1006, "Alice", language_code="zh-hans")
    await user.say("/lang en")
    await user.expect_text("English")
    await user.say("/start")
    await user.expect_text("To join, ask your unit's campaign office")
    await user.say(f"/start {service.codes['member']}")
    await user.expect_text("Welcome, Alice!")


async def test_cancel_with_and_without_a_dialogue(service: Service) -> None:
    # A Telegram name with no letters in it: the bot asks for a name, a dialogue begins.
    user = service.fake.user(1007, "🌟🌟")
    await user.say(f"/start {service.codes['member']}")
    await user.expect_text("请发送你的真实姓名")
    await user.send_photo()
    await user.expect_text("请用文字发送你的姓名")
    await user.say("/cancel")
    await user.expect_text("已取消")
    await user.say("/cancel")
    await user.expect_text("现在没有进行中的操作")
    await user.say("王五")  # no longer an answer to anything: nothing half-written
    await user.expect_text("邀请码")
    assert await service.member(user) is None


async def test_unknown_command_and_free_text_get_the_menu(service: Service) -> None:
    user = await service.joined(1008)
    await user.say("/frobnicate now")
    await user.expect_text("没有“/frobnicate”这个命令")
    menu = await user.expect_text("想做什么")
    assert "帮助" in menu.buttons
    await user.say("今天天气不错")
    await user.expect_text("没看懂这条消息")
    assert (await user.expect_text("想做什么")).buttons
    await user.expect_nothing()


async def test_sticker_and_photo_where_text_is_expected(service: Service) -> None:
    user = await service.joined(1009)
    await user.send_sticker()
    await user.expect_text("我现在不需要图片或文件")
    assert (await user.expect()).buttons
    await user.send_photo()
    await user.expect_text("我现在不需要图片或文件")
    await user.expect()


async def test_edited_message_is_explained(service: Service) -> None:
    user = await service.joined(1010)
    sent = await user.say("你好")
    await user.expect_text("没看懂")
    await user.expect()
    await user.edit(sent, "/help")
    await user.expect_text("修改后的内容不会生效")


async def test_a_5000_character_message_gets_the_too_long_message(service: Service) -> None:
    user = await service.joined(1011)
    await user.say("意" * 5000)
    await user.expect_text(["太长", "5000", "4096"])


async def test_invalid_and_used_up_invite_codes(service: Service) -> None:
    user = service.fake.user(1012, "赵六")
    await user.say("/start 12345")
    await user.expect_text("不是有效的邀请码")
    await user.say("/start 7K3F9QXD2M")
    await user.expect_text("没有找到这个邀请码")
    once = await service.invite("member", uses=1)
    await user.say(f"/start {once[:5].lower()}-{once[5:].lower()}")
    await user.expect_text("欢迎你,赵六")
    other = service.fake.user(1013, "钱七")
    await other.say(f"/start {once}")
    await other.expect_text("使用次数已经用完")
    assert await service.member(other) is None


async def test_group_chat_gets_private_only(service: Service) -> None:
    user = await service.joined(1014)
    group = service.fake.group(user, -4001, "学习小组")
    await group.say("/help@massline_test_bot")
    await group.expect_text("私聊")
    await user.expect_nothing(0.1)


async def test_flood_control_is_waited_out_by_the_rate_limiter(service: Service) -> None:
    user = await service.joined(1018)
    service.fake.inject("sendMessage", Fault.flood(retry_after=1, chat_id=user.chat_id))
    await user.say("/help")
    await user.expect_text("你现在可以", timeout=5)
    statuses = [c.status for c in service.fake.calls_to("sendMessage", user.chat_id)]
    assert statuses[-2:] == [429, 200]


async def test_the_fake_answers_the_rest_of_the_api_as_telegram_does(service: Service) -> None:
    user = await service.joined(1021)
    bot, fake = service.channel.app.bot, service.fake
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="core:x")]])
    sent = await bot.send_message(user.chat_id, "原文", reply_markup=markup)
    assert sent.reply_markup == markup and sent.from_user and sent.from_user.is_bot
    assert sent.message_id > user.inbox[0].message_id
    edited = await bot.edit_message_text("改过", chat_id=user.chat_id, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "改过" and edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("改过", chat_id=user.chat_id, message_id=sent.message_id)
    await bot.edit_message_reply_markup(user.chat_id, sent.message_id, reply_markup=markup)
    assert await bot.send_chat_action(user.chat_id, ChatAction.TYPING)
    assert await bot.delete_message(user.chat_id, sent.message_id)
    assert [s.deleted for s in user.inbox if s.message_id == sent.message_id] == [True]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(user.chat_id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "谁?")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    assert await bot.close() and await bot.log_out()
    assert [c.status for c in fake.calls_to("logOut")] == [200]
