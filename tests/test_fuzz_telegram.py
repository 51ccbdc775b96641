"""Bad input through the real Telegram path (issue 10): Hypothesis sends arbitrary texts
(some over Telegram's 4096 characters, which users cannot send but we must survive),
arbitrary callback data up to 64 bytes, stickers and captioned photos, from strangers and
members, through the fake Bot API server to the real python-telegram-bot and back.

Every input gets a message back; every tap is answered; every Bot API call the bot makes
succeeds (the fake refuses empty and over-long texts as Telegram does); nothing is logged at
ERROR by the ``bot``, ``handlers`` or ``telegram`` loggers. ``make fuzz`` runs more.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from tests.fakes import FakeUser, Sent
from tests.fakes.telegram_objects import now
from tests.fuzz_harness import ROUTER, is_cjk
from tests.telegram_fixtures import Service, running_service
from tests.test_fuzz_core import COMMANDS, KEYWORDS, NASTY, budget

LOGGERS = ("bot", "handlers", "telegram")
SENDS = {"sendmessage", "sendphoto", "senddocument", "editmessagetext", "deletemessage"}
utf8 = st.characters(exclude_categories=("Cs",))  # Telegram carries UTF-8: no lone surrogates
fragments = st.one_of(
    st.sampled_from([n for n in NASTY if all(not "\ud800" <= c <= "\udfff" for c in n)]),
    st.text(utf8, max_size=12),
    st.sampled_from(KEYWORDS),
    st.sampled_from([f"/{c}" for c in COMMANDS]),
)


def _long(sizes: list[int]) -> st.SearchStrategy[str]:
    return st.builds(lambda chunk, n: (chunk * n)[:n], st.text(utf8, min_size=1, max_size=5),
                     st.sampled_from(sizes))  # fmt: skip


texts = st.one_of(st.lists(fragments, min_size=1, max_size=6).map("".join), _long([4095, 4096]))
too_long = _long([4097, 5000, 12_000])  # more than users can send: the bot must still answer


def _fit(data: str) -> str:
    while len(data.encode()) > 64:
        data = data[:-1]
    return data or "x"


callback_data = st.one_of(
    st.text(utf8, min_size=1, max_size=64).map(_fit),
    st.builds(lambda fa, ps: _fit(":".join([*fa, *ps])), st.sampled_from(sorted(ROUTER.buttons)),
              st.lists(st.text(utf8, max_size=8) | st.integers(-1, 40).map(str), max_size=3)),
    st.sampled_from([f"cmd:{c}" for c in COMMANDS]),
)  # fmt: skip
actions = st.one_of(
    texts.map(lambda t: ("say", t)),
    too_long.map(lambda t: ("say", t)),
    callback_data.map(lambda d: ("tap", d)),
    callback_data.map(lambda d: ("tap", d)),
    st.sampled_from(["member", "cadre", "admin"]).map(lambda role: ("code", role)),
    st.just(("sticker", "")),
    texts.map(lambda t: ("photo", t[:1024])),
)
_ids = itertools.count(7_100_000)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(tmp_path) as running:
        yield running


@pytest.fixture
def errors() -> AsyncIterator[_Errors]:
    handler = _Errors()
    for name in LOGGERS:
        logging.getLogger(name).addHandler(handler)
    yield handler  # type: ignore[misc]
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(handler)


async def _tap(service: Service, user: FakeUser, data: str) -> str:
    """A tap on a button under a message of the bot's (one is made if the chat has none)."""
    log, fake = user.log, service.fake
    log.started = True
    shown = [s for s in log.inbox if not s.deleted]
    message = log.messages[shown[-1].message_id] if shown else None
    if message is None:
        message = {"message_id": log.new_id(), "from": fake.bot, "chat": log.chat,
                   "date": now(), "text": "菜单"}  # fmt: skip
        log.messages[message["message_id"]] = message
    query_id = fake.new_callback_id()
    query = {"id": query_id, "from": user.who, "message": message, "data": data,
             "chat_instance": f"ci{user.chat_id}"}  # fmt: skip
    await fake.push("callback_query", query)
    return query_id


async def _act(service: Service, user: FakeUser, action: tuple[str, str]) -> str | None:
    kind, value = action
    if kind == "tap":
        return await _tap(service, user, value)
    if kind == "code":
        await user.say(f"/start {service.codes[value]}")
    elif kind == "sticker":
        await user.send_sticker()
    elif kind == "photo":
        await user.send_photo(caption=value or None)
    else:
        await user.say(value)
    return None


@budget(50)
@given(role=st.sampled_from([None, "member", "admin"]),
       language=st.sampled_from(["zh-hans", "en", None]),
       name=st.one_of(st.just("张三"), st.text(utf8, min_size=1, max_size=64)),
       steps=st.lists(actions, min_size=1, max_size=2))  # fmt: skip
@example(role="member", language="zh-hans", name="张三", steps=[("say", "长" * 5000)])
@example(role=None, language="en", name="Ann", steps=[("say", "/start " + "7" * 4090)])
@example(role="admin", language=None, name="👨\u200d👩\u200d👧", steps=[("tap", "é" * 32)])
@example(role="member", language="zh-hans", name="张三", steps=[("sticker", ""), ("tap", "op:v:1")])
async def test_every_telegram_update_is_answered(
    service: Service, errors: _Errors, role: str | None, language: str | None, name: str,
    steps: list[tuple[str, str]],
) -> None:  # fmt: skip
    user = service.fake.user(next(_ids), name, language_code=language)
    if role is not None:
        await user.say(f"/start {service.codes[role]}")
        await user.expect()  # the welcome is one message
    for action in steps:
        kind, value = action
        event(f"{kind}{' over 4096' if len(value) > 4096 else ''}")
        query = await _act(service, user, action)
        answer = await user.expect(timeout=10)
        if query is not None:
            await user.answered(query)
        for sent in [answer, *await _settle(user)]:
            assert sent.text.strip() and len(sent.text) <= 4096, sent.text[:300]
        if language == "zh-hans" and role is not None:
            assert any(is_cjk(ch) for ch in answer.text), answer.text[:300]
        _no_failures(service, errors)


async def _settle(user: FakeUser) -> list[Sent]:
    """The rest of an answer that comes in several messages: wait until none follows."""
    count = -1
    while count != len(user.log.inbox):
        count = len(user.log.inbox)
        await asyncio.sleep(0.04)
    rest, user.log.read = user.log.inbox[user.log.read : count], count
    return rest


def _no_failures(service: Service, errors: _Errors) -> None:
    failed: list[Any] = [(c.method, c.error) for c in service.fake.calls
                         if c.method.lower() in SENDS and c.status not in (None, 200)]  # fmt: skip
    assert not failed, f"Bot API calls the bot got wrong: {failed}"
    assert not errors.seen, errors.seen
