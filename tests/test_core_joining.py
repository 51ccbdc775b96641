"""Joining and the first conversation, as transcripts against the core (no channel)."""

from __future__ import annotations

from tests.conftest import Unit


async def test_stranger_is_told_how_to_join(unit: Unit) -> None:
    chat = unit.chat()
    assert "邀请码" in await chat.say("/start")
    assert "邀请码" in await chat.say("你好")


async def test_join_with_code_binds_member_and_shows_help(unit: Unit) -> None:
    chat = unit.chat(name="李四")
    reply = await chat.say(f"/start {unit.codes['cadre']}")
    assert "欢迎你,李四" in reply
    assert "测试规划局" in reply and "干部" in reply
    assert "帮助" in await chat.say("帮助")


async def test_keyword_and_lowercase_dashed_code(unit: Unit) -> None:
    code = unit.codes["member"].lower()
    chat = unit.chat()
    assert "欢迎" in await chat.say(f"加入 {code[:5]}-{code[5:]}")


async def test_web_chat_without_a_name_is_asked_for_one(unit: Unit) -> None:
    chat = unit.chat(name=None)
    assert "姓名" in await chat.say(f"/start {unit.codes['member']}")
    assert "姓名" in await chat.say("   ")
    assert "欢迎你,王五" in await chat.say("王五")
