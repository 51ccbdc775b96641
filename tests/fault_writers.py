"""Members writing through the fake Bot API while the service or its database is made to
fail (no tests here): self-study logs, progress reports, check-ins, named and anonymous
opinions, each text carrying a unique marker, and a record of what each member was told.

A write counts as *confirmed* only when its success reply reached the member; a member
who hears nothing within ``within`` seconds moves on (the write may or may not be there).
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from config.i18n import default_catalog
from handlers.admin_ops import create_org
from handlers.context import Services
from handlers.schedule import job_context
from handlers.study.checkin import code_at
from handlers.study.ops import create_session
from storage.db import Database
from storage.ledger_models import RectificationItem
from storage.repos import Repos
from storage.study_models import StudySession
from storage.types import utcnow
from tests.fakes import FakeTelegram, FakeUser
from tests.test_cli import ROOT
from tests.test_delivery_crash import Service
from tests.test_delivery_support import open_chats, seed_members

BUSY = default_catalog().text("zh", "error.busy")  # transient: "busy, nothing saved"
INTERNAL = default_catalog().text("zh", "error.internal")  # a handler failed
LEAKS = ("locked", "database", "Traceback", "sqlite", "asyncpg", "Error", INTERNAL)
FIRST_WRITER = 6_100_000_000


async def launch(env: dict[str, str], within: float = 90) -> Service:
    """``python -m bot run`` (as Service.start), patient with a loaded machine."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    service = Service(proc)
    try:
        await service.wait_for("telegram: @", within)
    except BaseException:
        if proc.returncode is None:
            await service.kill()  # never leave one behind
        raise
    return service


@dataclass
class Scene:
    """What the writers need: their chats, the session to check in to, the cadres' items."""

    org_id: int
    members: list[int]  # chat ids
    cadres: dict[int, int]  # chat id → their rectification item
    session_id: int
    secret: str


@dataclass
class Told:
    """What the members were told, by marker (or ``checkin:CHAT``) and kind of write."""

    confirmed: dict[str, str] = field(default_factory=dict)
    heard: dict[str, float] = field(default_factory=dict)  # when its answer came
    unanswered: dict[str, str] = field(default_factory=dict)
    busy: dict[str, str] = field(default_factory=dict)  # the clear apology: nothing saved
    failed: dict[str, str] = field(default_factory=dict)  # the internal error apology
    anonymous: dict[str, int] = field(default_factory=dict)  # marker → its author's chat
    tried: Counter[str] = field(default_factory=Counter)

    def every(self) -> dict[str, str]:
        return {**self.confirmed, **self.unanswered, **self.busy, **self.failed}


def shown(fake: FakeTelegram, chats: list[int]) -> list[str]:
    """Everything the bot sent these chats, whatever the test waited for."""
    return [sent.text for chat in chats for sent in fake.chats[chat].inbox]


def leaks(texts: list[str]) -> list[str]:
    """Messages showing an internal error: "database is locked", a traceback, or the
    apology of a handler that failed."""
    return [text for text in texts if any(word in text for word in LEAKS)]


async def build_scene(db: Database, fake: FakeTelegram, members: int, cadres: int) -> Scene:
    org = await db.run(lambda session: create_org(Repos(session), "故障测试局", actor="test"))
    assert org.id is not None
    org_id = org.id
    plain = await seed_members(db, org_id, members, first_chat=FIRST_WRITER)
    leads = await seed_members(db, org_id, cadres, first_chat=FIRST_WRITER + 1000, role="cadre")
    boss = await seed_members(db, org_id, 1, first_chat=FIRST_WRITER + 2000, role="leader")
    open_chats(fake, [*plain.values(), *leads.values()])
    services = Services(catalog=default_catalog(), zone=ZoneInfo("Asia/Shanghai"),
                        default_language="zh", web_url="http://127.0.0.1")  # fmt: skip

    async def prepare(session: object) -> tuple[StudySession, dict[int, int]]:
        repos = Repos(session)  # type: ignore[arg-type]
        now = utcnow()
        found = await repos.orgs.get(org_id)
        assert found is not None
        made, _ = await create_session(
            job_context(repos, services), found, title="集中学习:故障演练",
            starts_at=now + timedelta(minutes=10), ends_at=now + timedelta(hours=2),
            place="三楼大会议室", actor="test",
        )  # fmt: skip
        items = {}
        for member_id, chat in leads.items():
            item = await repos.ledger.add(RectificationItem(
                org_id=org_id, content=f"整改事项{chat}", goal="按期完成", measures="逐项落实",
                deadline=(now + timedelta(days=60)).date(), leader_id=next(iter(boss)),
                person_id=member_id,
            ))  # fmt: skip
            items[chat] = item.id or 0
        return made, items

    made, items = await db.run(prepare)
    return Scene(org_id, list(plain.values()), items, made.id or 0, made.checkin_secret)


Act = Callable[[], Awaitable[object]]


async def said(user: FakeUser, act: Act, words: tuple[str, ...], within: float) -> str | None:
    """Do ``act`` (say or tap), then the first new message holding one of ``words`` or the
    apology; None when nothing of the kind came within ``within`` (or nothing to tap)."""
    start = len(user.log.inbox)
    try:
        await act()
    except AssertionError:  # the button to tap never came
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        for sent in user.log.inbox[start:]:
            if any(w in sent.text for w in (*words, BUSY, INTERNAL)):
                return sent.text
        await asyncio.sleep(0.05)
    return None


class Writer:
    """One member writing, one act after another, until ``stop`` is set."""

    def __init__(self, user: FakeUser, scene: Scene, told: Told, within: float) -> None:
        self.user, self.scene, self.told, self.within = user, scene, told, within
        self.checked_in = False

    async def run(self, stop: asyncio.Event) -> None:
        acts = [self.log, self.named, self.log, self.anonymous]
        if self.user.id in self.scene.cadres:
            acts = [self.progress, self.log, self.progress, self.named]
        turn = 0
        while not stop.is_set():
            if not self.checked_in:
                await self.check_in()
            else:
                await acts[turn % len(acts)]()
                turn += 1

    def _note(self, key: str, kind: str, reply: str | None) -> None:
        self.told.tried[kind] += 1
        if reply is None:
            self.told.unanswered[key] = kind
            return
        failed = self.told.failed if INTERNAL in reply else self.told.confirmed
        (self.told.busy if BUSY in reply else failed)[key] = kind
        self.told.heard[key] = time.monotonic()

    async def log(self) -> None:
        marker = _marker("LOG")
        reply = await said(self.user, self._say(f"/log 0.25 学习党章 {marker}"),
                           ("已记录自学", "今天已记录"), self.within)  # fmt: skip
        if reply is not None and "今天已记录" in reply:
            return  # the day is full: nothing was written, nothing claimed
        self._note(marker, "self_study", reply)

    async def progress(self) -> None:
        marker, item = _marker("PRG"), self.scene.cadres[self.user.id]
        percent = 10 + self.told.tried["progress"] % 80
        reply = await said(self.user, self._say(f"/progress {item} {percent} 推进 {marker}"),
                           ("已记录:事项",), self.within)  # fmt: skip
        self._note(marker, "progress", reply)

    async def check_in(self) -> None:
        code = code_at(self.scene.secret, utcnow())
        reply = await said(self.user, self._say(f"签到 {code}"), ("签到成功", "签到过"),
                           self.within)  # fmt: skip
        self.checked_in = reply is not None and BUSY not in reply
        self._note(f"checkin:{self.user.id}", "check_in", reply)

    def _say(self, text: str) -> Act:
        return lambda: self.user.say(text)

    def _tap(self, label: str) -> Act:
        return lambda: self.user.tap(label)

    async def named(self) -> None:
        marker = _marker("NAMED")
        steps = [(self._say("/opinion"), ("实名还是匿名",)),
                 (self._tap("实名提意见"), ("提给谁",)),
                 (self._tap("领导班子"), ("哪一类",)),
                 (self._tap("形式主义"), ("写下你的意见",)),
                 (self._say(f"会议太多 {marker}"), ("已记下",)),
                 (self._say("完成"), ("请确认",)),
                 (self._tap("提交"), ("编号",))]  # fmt: skip
        await self._dialogue(steps, marker, "named_opinion")

    async def anonymous(self) -> None:
        marker = _marker("ANON")
        steps = [(self._say("匿名意见"), ("提给谁",)),
                 (self._tap("单位整体工作"), ("哪一类",)),
                 (self._tap("官僚主义"), ("写下你的意见",)),
                 (self._say(f"审批太慢 {marker}"), ("已记下",)),
                 (self._tap("完成"), ("请确认",)),
                 (self._tap("提交"), ("回执码",))]  # fmt: skip
        self.told.anonymous[marker] = self.user.id
        await self._dialogue(steps, marker, "anonymous")

    async def _dialogue(self, steps: list[tuple[Act, tuple[str, ...]]], marker: str,
                        kind: str) -> None:  # fmt: skip
        """Each step waits for its answer; a missing one ends the attempt with /cancel
        (after a kill, the service may have lost the draft, or never seen the step)."""
        *leading, (last, words) = steps
        for act, expected in leading:
            reply = await said(self.user, act, expected, self.within)
            if reply is None or BUSY in reply or INTERNAL in reply:
                await said(self.user, self._say("/cancel"), ("已取消", "没有"), self.within)
                return
        self._note(marker, kind, await said(self.user, last, words, self.within))


def _marker(kind: str) -> str:
    return f"{kind}{secrets.token_hex(5).upper()}"


def present(path: Path, told: Told) -> dict[str, int]:
    """How many rows hold each marker the members wrote (a check-in: 0 or 1)."""
    with sqlite3.connect(path) as conn:
        return {key: rows_holding(conn, key, kind) for key, kind in told.every().items()}


async def present_pg(url: str, told: Told) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        found = {}
        for key, kind in told.every().items():
            query, value = holding(key, kind)
            found[key] = int(await conn.fetchval(query.replace("?", "$1"), value))
        return found
    finally:
        await conn.close()


def rows_holding(conn: sqlite3.Connection, key: str, kind: str) -> int:
    query, value = holding(key, kind)
    return int(conn.execute(query, (value,)).fetchone()[0])


def holding(key: str, kind: str) -> tuple[str, str]:
    """The count of rows holding one write, and its one parameter."""
    if kind == "check_in":
        query = ("SELECT count(*) FROM attendance a JOIN channel_identity c "
                 "ON c.member_id = a.member_id WHERE c.external_id = ? "
                 "AND a.checked_in_at IS NOT NULL")  # fmt: skip
        return query, key.split(":")[1]
    table, column = {"self_study": ("self_study", "topic"),
                     "progress": ("progress_report", "text"),
                     "named_opinion": ("opinion_message", "text"),
                     "anonymous": ("anon_post", "text")}[kind]  # fmt: skip
    return f"SELECT count(*) FROM {table} WHERE {column} LIKE ?", f"%{key}%"  # noqa: S608  (fixed names)
