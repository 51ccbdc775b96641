"""What bad input gets (SPEC §7): a clear answer in the member's language, nothing lost."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from handlers.messages import Attachment, Incoming
from storage.models import Invite, Member
from storage.repos import Repos
from tests.conftest import Unit
from tests.transcript import make_dispatcher

PHOTO = Attachment("photo", "file-1")


async def members_named(unit: Unit, name: str) -> list[Member]:
    return await unit.db.run(lambda s: _all(s, select(Member).where(Member.name == name)))


async def _all(session: object, query: object) -> list[Member]:
    return list((await session.exec(query)).all())  # type: ignore[attr-defined]


async def test_unknown_command_and_free_text_get_the_menu(unit: Unit) -> None:
    chat = await unit.joined()
    assert "没有“/frobnicate”这个命令" in await chat.say("/frobnicate now")
    assert chat.buttons(), "the menu comes with buttons"
    assert "没看懂" in await chat.say("今天天气不错")
    assert chat.buttons()


async def test_attachment_and_empty_message(unit: Unit) -> None:
    chat = await unit.joined()
    assert "图片或文件" in await chat.send_file(PHOTO)
    assert "空消息" in await chat.say("   ")


async def test_oversized_message_is_refused_whole(unit: Unit) -> None:
    chat = await unit.joined()
    reply = await chat.say("长" * 5000)
    assert "太长" in reply and "5000" in reply and "4096" in reply


async def test_bad_invite_codes_each_say_what_is_wrong(unit: Unit) -> None:
    chat = unit.chat()
    assert "10 位" in await chat.say("/start 12345")
    assert "没有找到" in await chat.say("/start 0000000000")

    async def spoil(session: object) -> None:
        r = Repos(session)  # type: ignore[arg-type]
        for role, change in (("leader", "expire"), ("admin", "revoke"), ("cadre", "use_up")):
            invite = await r.invites.by_code(unit.codes[role])
            if change == "expire":
                invite.expires_at = unit.clock() - timedelta(minutes=1)
            elif change == "revoke":
                invite.revoked = True
            else:
                invite.max_uses, invite.used_count = 1, 1
            r.session.add(invite)

    await unit.db.run(spoil)
    assert "过期" in await chat.say(f"/start {unit.codes['leader']}")
    assert "作废" in await chat.say(f"/start {unit.codes['admin']}")
    assert "用完" in await chat.say(f"/start {unit.codes['cadre']}")
    assert await members_named(unit, "张三") == []


async def test_guessing_codes_is_limited_in_memory(unit: Unit) -> None:
    chat = unit.chat("guesser")
    for n in range(10):
        await chat.say(f"/start {n:010d}")
    assert "次数太多" in await chat.say(f"/start {unit.codes['member']}")
    other = unit.chat("someone-else")
    assert "欢迎" in await other.say(f"/start {unit.codes['member']}")


async def test_already_joined_member_is_told_so(unit: Unit) -> None:
    chat = await unit.joined("member")
    assert "已经以张三的身份加入" in await chat.say(f"/start {unit.codes['admin']}")
    assert len(await members_named(unit, "张三")) == 1


async def test_group_chats_are_refused(unit: Unit) -> None:
    reply = await unit.dispatcher.handle(
        Incoming("test", "g1", text=f"/start {unit.codes['member']}", private=False)
    )
    assert "私聊" in reply[0].text  # type: ignore[union-attr]


async def test_stale_or_forged_button(unit: Unit) -> None:
    chat = await unit.joined()
    assert "失效" in await chat.press("nosuch:thing:1")
    assert "失效" in await chat.press("cmd:nosuchcommand")
    assert "不支持" in await chat.press("core:lang:xx")


async def test_name_dialogue_bad_input_cancel_and_restart(unit: Unit) -> None:
    chat = unit.chat("web-1", name=None)
    await chat.say(f"加入 {unit.codes['member']}")
    assert "用文字" in await chat.send_file(Attachment("sticker", "s1"))
    assert "1 到 30" in await chat.say("张" * 31)
    assert "1 到 30" in await chat.say("12345")
    # A restart: a new dispatcher on the same database resumes the dialogue.
    chat.dispatcher = make_dispatcher(unit.db, unit.services)
    assert "欢迎你,赵六" in await chat.say("赵六")

    quitter = unit.chat("web-2", name=None)
    await quitter.say(f"加入 {unit.codes['member']}")
    assert "已取消" in await quitter.say("取消")
    assert "没有进行中" in await quitter.say("/cancel")
    assert "邀请码" in await quitter.say("赵七")  # no longer in the dialogue: a stranger again
    assert await members_named(unit, "赵七") == []


async def test_name_dialogue_when_invite_runs_out_meanwhile(unit: Unit) -> None:
    chat = unit.chat("web-3", name=None)
    await chat.say(f"/start {unit.codes['member']}")

    async def use_up(session: object) -> None:
        invite = (
            await session.exec(  # type: ignore[attr-defined]
                select(Invite).where(Invite.code == unit.codes["member"])
            )
        ).one()
        invite.max_uses, invite.used_count = 1, 1
        session.add(invite)  # type: ignore[attr-defined]

    await unit.db.run(use_up)
    assert "用完" in await chat.say("孙八")
    assert await members_named(unit, "孙八") == []


async def test_language_switch_for_stranger_carries_into_membership(unit: Unit) -> None:
    chat = unit.chat("en-1", name="Alice")
    assert "界面语言" in await chat.say("/lang")
    assert [b.label for b in chat.buttons()] == ["中文", "English"]
    assert "now English" in await chat.tap("English")
    assert "invite code" in await chat.say("hello")
    assert "Welcome, Alice" in await chat.say(f"/start {unit.codes['member']}")
    assert "isn't supported" in await chat.say("/lang klingon")
    assert "中文" in await chat.say("/lang zh")
    assert "没看懂" in await chat.say("hello")


async def test_telegram_language_hint_is_used_until_chosen(unit: Unit) -> None:
    chat = unit.chat("hint-1", name="Bob", language="en-GB")
    assert "Welcome, Bob" in await chat.say(f"/start {unit.codes['member']}")
    assert "There is no command" in await chat.say("/nope")


async def test_deactivated_member_is_a_stranger_again(unit: Unit) -> None:
    chat = await unit.joined("member", user="gone", name="钱九")

    async def deactivate(session: object) -> None:
        member = (await _all(session, select(Member).where(Member.name == "钱九")))[0]
        member.active = False
        session.add(member)  # type: ignore[attr-defined]

    await unit.db.run(deactivate)
    assert "邀请码" in await chat.say("/help")


async def test_help_follows_the_stage_calendar(unit: Unit) -> None:
    chat = await unit.joined("cadre")
    assert "还没有排定" in await chat.say("/help")
    today = unit.clock().date()

    async def calendar(session: object) -> None:
        r = Repos(session)  # type: ignore[arg-type]
        await r.orgs.set_stage(unit.org_id, "study", today - timedelta(days=5), today)

    await unit.db.run(calendar)
    reply = await chat.say("帮助")
    assert "学习教育、听取意见" in reply and f"{today.month}月{today.day}日" in reply
