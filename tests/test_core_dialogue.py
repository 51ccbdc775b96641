"""The core's own guarantees, proven with a small feature written for the test:
anonymous dialogues stay in memory, named ones survive a restart, access is checked."""

from __future__ import annotations

from sqlalchemy import text

from config.i18n import LANGUAGES, Catalog
from handlers.context import Context
from handlers.core import fallback
from handlers.dispatcher import Dispatcher
from handlers.feature import ADMINS, MEMBERS, Feature
from handlers.menu import show_menu
from handlers.messages import Text
from handlers.registry import FEATURES
from handlers.router import Router
from tests.conftest import Unit
from tests.transcript import Chat

probe = Feature("probe")


@probe.command("secret", access=MEMBERS)
async def secret(ctx: Context) -> None:
    ctx.begin(probe.name, "words", {"parts": []}, anonymous=True)
    ctx.replies.append(_text("say it"))


@probe.step("words", access=MEMBERS, anonymous=True)
async def words(ctx: Context) -> None:
    parts = [*ctx.dialogue.data["parts"], ctx.args]
    if ctx.args == "done":
        ctx.end()
        ctx.replies.append(_text(f"got {len(parts) - 1}"))
        return
    ctx.dialogue.data["parts"] = parts
    ctx.replies.append(_text("more"))


@probe.command("office", access=ADMINS)
async def office(ctx: Context) -> None:
    ctx.replies.append(_text("office work"))


def _text(words: str) -> Text:
    return Text(words)


def _dispatcher(unit: Unit) -> Dispatcher:
    base = unit.services.catalog
    extra = {"cmd.secret": "p", "cmd.office": "p", "label.secret": "p", "label.office": "p"}
    unit.services.catalog = Catalog(
        {lang: {**{k: base.raw(lang, k) for k in base.keys(lang)}, **extra} for lang in LANGUAGES}
    )
    router = Router((*FEATURES, probe), fallback=fallback, menu=show_menu)
    return Dispatcher(unit.db, unit.services, router)


async def _dialogue_rows(unit: Unit) -> list[tuple[object, ...]]:
    async def read(session: object) -> list[tuple[object, ...]]:
        result = await session.exec(  # type: ignore[attr-defined]
            text("SELECT feature, step, data FROM dialogue_state")
        )
        return [tuple(row) for row in result.all()]

    return await unit.db.run(read)


async def test_anonymous_dialogue_lives_in_memory_only(unit: Unit) -> None:
    chat = Chat(_dispatcher(unit), user="a1", name="张三")
    await chat.say(f"/start {unit.codes['member']}")
    assert await chat.say("/secret") == "say it"
    assert await chat.say("第一句很敏感的话") == "more"
    for feature, step, data in await _dialogue_rows(unit):
        assert feature is None and step is None
        assert "敏感" not in str(data)
    assert await chat.say("done") == "got 1"


async def test_anonymous_dialogue_is_gone_after_a_restart(unit: Unit) -> None:
    chat = Chat(_dispatcher(unit), user="a2", name="张三")
    await chat.say(f"/start {unit.codes['member']}")
    await chat.say("/secret")
    unit.services.memory.drop("test", "a2")  # what a restart does to memory
    chat.dispatcher = _dispatcher(unit)
    assert "没看懂" in await chat.say("done")


async def test_access_is_checked_for_every_entry(unit: Unit) -> None:
    dispatcher = _dispatcher(unit)
    stranger = Chat(dispatcher, user="s1")
    assert "还没有加入" in await stranger.say("/office")
    member = Chat(dispatcher, user="m1", name="李四")
    await member.say(f"/start {unit.codes['member']}")
    assert "不对你的身份开放" in await member.say("/office")
    admin = Chat(dispatcher, user="ad1", name="王五")
    await admin.say(f"/start {unit.codes['admin']}")
    assert await admin.say("/office") == "office work"
