"""Load (issue 10): 500 members in the same minute at the start of a study session,
through the real Telegram path (the whole service over HTTP to the fake Bot API).

Every member joins with the unit's invite, checks in with the room's code, and one in
ten also writes a named opinion (every one with ``MASSLINE_LOAD_FULL=1``): all of them at
once, each sending their next message as soon as the last was answered, as people do.
Nothing may go wrong: no error logged, no update lost or answered twice, every member
answered, every check-in and opinion stored. The test prints the figures (throughput,
p50/p99 latency from an update reaching Telegram to the bot's answer reaching it);
``MASSLINE_RELIABILITY_WRITE=1`` (`make reliability`) runs the full version and writes
them into RELIABILITY.md.

    .venv/bin/python -m pytest -s tests/test_load.py                      # as in make test
    MASSLINE_LOAD_FULL=1 .venv/bin/python -m pytest -s tests/test_load.py  # everyone writes
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import statistics
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import func, select

from handlers.study.checkin import code_at, new_secret
from storage.models import Member
from storage.opinion_models import Opinion
from storage.repos import Repos
from storage.study_models import Attendance, StudySession
from tests.fakes import FakeUser
from tests.fakes.telegram_records import ChatLog
from tests.fault_figures import WRITE, write_section
from tests.telegram_fixtures import Service, running_service

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = int(os.environ.get("MASSLINE_LOAD_MEMBERS", "500"))
FULL = bool(os.environ.get("MASSLINE_LOAD_FULL") or os.environ.get(WRITE))
OPINION_EVERY = 1 if FULL else 10
FIRST_USER = 8_100_000_000
PATIENCE = 240.0  # seconds one answer may take before it counts as lost
ERRORS = ("出了问题", "系统正忙", "went wrong", "busy")


@dataclass
class Timed:
    """Arrival times of the bot's messages, per chat, and waiting for the next ones."""

    arrivals: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    waiting: dict[int, asyncio.Event] = field(default_factory=dict)

    def noted(self, chat_id: int) -> None:
        self.arrivals[chat_id].append(time.perf_counter())
        if (event := self.waiting.get(chat_id)) is not None:
            event.set()


def timing(service: Service) -> Timed:
    """Every message the fake takes from the bot is timed as it arrives."""
    fake, timed = service.fake, Timed()
    post = fake._post

    def timed_post(log: ChatLog, *args: Any, **kw: Any) -> Any:
        message = post(log, *args, **kw)
        timed.noted(log.id)
        return message

    fake._post = timed_post  # type: ignore[method-assign]
    return timed


@dataclass
class Person:
    user: FakeUser
    timed: Timed
    latencies: dict[str, list[float]]  # by act: join, check-in, opinion
    read: int = 0

    async def act(self, kind: str, how: str, what: str, answer: str) -> None:
        """Say or tap, then wait for the bot's message holding ``answer``."""
        sent = time.perf_counter()
        await (self.user.say(what) if how == "say" else self.user.tap(what))
        event = self.timed.waiting.setdefault(self.user.chat_id, asyncio.Event())
        deadline = sent + PATIENCE
        while True:
            inbox = self.user.log.inbox
            for message in inbox[self.read :]:
                self.read += 1
                if any(e in message.text for e in ERRORS):
                    raise AssertionError(f"{self.user.id}: {message.text}")
                if answer in message.text:
                    at = self.timed.arrivals[self.user.chat_id][self.read - 1]
                    self.latencies[kind].append(at - sent)
                    return
            event.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise AssertionError(f"{self.user.id}: no {answer!r} after {what!r}")
            await asyncio.wait_for(event.wait(), left)


async def _session(service: Service) -> tuple[str, int]:
    """A group study session that started a minute ago; the room's code now."""
    now = datetime.now(UTC)
    secret = new_secret()

    async def add(session: Any) -> int:
        row = await Repos(session).study.add(
            StudySession(
                org_id=service.org_id,
                title="集中学习:党章",
                place="三楼大会议室",
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(hours=2),
                checkin_secret=secret,
            )
        )
        return int(row.id or 0)

    return code_at(secret, now), await service.db.run(add)


async def _member_morning(person: Person, n: int, invite: str, code: str) -> None:
    await person.act("join", "say", f"/start {invite}", "欢迎")
    await person.act("check-in", "say", f"/checkin {code}", "签到成功")
    if n % OPINION_EVERY == 0:
        steps = [("say", "/opinion", "实名还是匿名"), ("tap", "实名提意见", "提给谁"),
                 ("tap", "单位整体工作", "哪一类"), ("tap", "形式主义", "写下你的意见"),
                 ("say", f"学习安排太密,第{n}号学员建议每周一次。", "已记下"),
                 ("say", "完成", "请确认"), ("tap", "提交", "编号")]  # fmt: skip
        for how, what, answer in steps:
            await person.act("opinion step", how, what, answer)


async def _counts(service: Service, session_id: int) -> tuple[int, int, int]:
    async def count(session: Any) -> tuple[int, int, int]:
        members = await session.exec(select(func.count()).select_from(Member))
        present = await session.exec(
            select(func.count()).select_from(Attendance).where(
                Attendance.session_id == session_id, Attendance.checked_in_at.is_not(None))  # type: ignore[union-attr]
        )  # fmt: skip
        opinions = await session.exec(select(func.count()).select_from(Opinion))
        return members.one(), present.one(), opinions.one()

    return await service.db.run(count)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}")


async def test_500_members_at_the_start_of_a_study_session(tmp_path: Path) -> None:
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        async with running_service(tmp_path) as service:
            timed = timing(service)
            code, session_id = await _session(service)
            latencies: dict[str, list[float]] = defaultdict(list)
            people = [
                Person(service.fake.user(FIRST_USER + n, f"学员{n:03d}"), timed, latencies)
                for n in range(MEMBERS)
            ]
            calls_before = len(service.fake.calls)
            started = time.perf_counter()
            await asyncio.gather(*(
                _member_morning(p, n, service.codes["member"], code) for n, p in enumerate(people)
            ))  # fmt: skip
            elapsed = time.perf_counter() - started
            await asyncio.sleep(0.3)  # anything sent late would be a second answer
            sent = [c for c in service.fake.calls[calls_before:] if c.method == "sendMessage"]
            members, present, opinions = await _counts(service, session_id)
    finally:
        logging.getLogger().removeHandler(errors)
    writers = len(range(0, MEMBERS, OPINION_EVERY))
    updates = 2 * MEMBERS + 7 * writers
    assert sum(map(len, latencies.values())) == updates, "every update answered"
    assert (members, present, opinions) == (MEMBERS, MEMBERS, writers)
    assert all(c.status == 200 for c in sent), "a send the fake refused"
    assert len(sent) == sum(p.read for p in people), "a message nobody waited for"
    assert not errors.records, "\n".join(errors.records[:20])
    figures = _figures(elapsed, latencies, len(sent))
    print("\n" + figures)
    write_section("load", _report(figures))  # under `make reliability` only


def _figures(elapsed: float, latencies: dict[str, list[float]], sent: int) -> str:
    """One row per act, and one for them all."""
    rows = []
    everything = [seconds for found in latencies.values() for seconds in found]
    for kind, found in (*latencies.items(), ("all", everything)):
        ordered = sorted(found)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = f"{len(found) / elapsed:.0f}" if kind == "all" else ""
        messages = f"{sent} in {elapsed:.1f} s" if kind == "all" else ""
        rows.append(f"| {kind} | {len(found)} | {messages} | {rate} | "
                    f"{p50:.0f} | {p99:.0f} | {ordered[-1] * 1000:.0f} |")  # fmt: skip
    return "\n".join(rows)


def _report(row: str) -> str:
    """The figures for RELIABILITY.md's load section (the words around it are by hand)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
        check=False,
    ).stdout.strip()  # fmt: skip
    acts = "join, check in, a named opinion" if FULL else "join, check in; 1 in 10 an opinion"
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit} (with local changes)"
    machine = f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Measured {when}, on {machine}. Load average at the end: {load}.\n\n"
        f"{MEMBERS} members at once, each: {acts}.\n\n"
        "| act | updates | messages sent | updates/s | p50 ms | p99 ms | max ms |\n"
        f"| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n{row}\n"
    )
