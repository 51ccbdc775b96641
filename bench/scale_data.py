"""A city-wide campaign's database after a year: 100,000 members in 500 organizations, with
their opinions (named and anonymous), study sessions and attendance, self-study, deadlines
and what was handed in, the rectification ledger and its progress, surveys, talks, a
year of pushes in the outbox, the audit log and everyone's dialogue row.

``python -m bench.scale_data URL [--members N]`` makes it (or keeps it, when the database
already holds it). Rows go in through SQLAlchemy Core in large batches, with explicit ids so
that rows can point at each other; the columns left out take the models' defaults.
Deterministic (a seeded random), so every run measures the same data.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlmodel import SQLModel

import storage.all_models  # noqa: F401  (every table)
from storage.db import Database
from storage.migrate import upgrade

ORGS = 500
VERSION = 3  # in the kept databases' names: a change to what is generated makes them anew
BATCH = 5_000
TELEGRAM_BASE = 800_000_000
WEB_SHARE = 10  # every tenth member chats on the web chat (the RSS load drives those)
MINIMUMS = (("county", 40.0), ("section", 32.0), ("staff", 24.0), ("other", 16.0))
ROLES = ["member"] * 85 + ["cadre"] * 8 + ["leader"] * 4 + ["admin"] * 2 + ["supervisor"]
RANKS = ["staff", "staff", "staff", "section", "section", "county", "other"]
WINDS = ["formalism", "bureaucratism", "hedonism", "extravagance"]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
YEAR_AGO = NOW - timedelta(days=365)


def web_token(member_id: int) -> str:
    """The web chat cookie of a generated member (its SHA-256 is the stored account)."""
    return f"bench-web-chat-{member_id:08d}"


def _user_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


class Generator:
    def __init__(self, db: Database, members: int) -> None:
        self.db, self.members = db, members
        self.rng = random.Random(9)
        self.per_org = members // ORGS
        self.counts: dict[str, int] = {}

    def when(self, start: datetime = YEAR_AGO, end: datetime = NOW) -> datetime:
        return start + (end - start) * self.rng.random()

    async def put(self, name: str, rows: Iterator[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        started, count = time.perf_counter(), 0
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                await self._write(name, batch)
                count, batch = count + len(batch), []
        if batch:
            await self._write(name, batch)
            count += len(batch)
        self.counts[name] = count
        print(f"     {name}: {count:,} rows in {time.perf_counter() - started:.1f} s", flush=True)

    async def _write(self, name: str, rows: list[dict[str, Any]]) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(insert(table(name)), rows)

    def member_ids(self, org: int) -> range:
        first = (org - 1) * self.per_org + 1
        return range(first, first + self.per_org)

    async def run(self) -> None:
        rng, orgs = self.rng, range(1, ORGS + 1)
        await self.put("organization", (
            {"id": o, "name": "全市" if o == 1 else f"单位{o}", "timezone": "Asia/Shanghai",
             "kind": "city" if o == 1 else ("county" if o <= 25 else "unit"),
             "parent_id": None if o == 1 else (1 if o <= 25 else 2 + o % 24)}
            for o in orgs))  # fmt: skip
        await self.put("department", (
            {"id": (o - 1) * 5 + d, "org_id": o, "name": f"第{d}科"}
            for o in orgs for d in range(1, 6)))  # fmt: skip
        stages = [("study", 0, 120), ("examine", 120, 240), ("rectify", 240, 400)]
        await self.put("stage_period", (
            {"org_id": o, "stage": s, "starts_on": (YEAR_AGO + timedelta(days=a)).date(),
             "ends_on": (YEAR_AGO + timedelta(days=b)).date()}
            for o in orgs for s, a, b in stages))  # fmt: skip
        await self.put("study_minimum", (
            {"org_id": o, "rank": r, "hours": h} for o in orgs
            for r, h in MINIMUMS))  # fmt: skip
        self.roles = {m: ("admin" if m % self.per_org == 1 else rng.choice(ROLES))
                      for m in range(1, self.members + 1)}  # fmt: skip
        await self.put("member", (
            {"id": m, "org_id": o, "name": f"成员{m}", "role": self.roles[m],
             "rank": rng.choice(RANKS), "department_id": (o - 1) * 5 + rng.randint(1, 5),
             "phone": f"139{m:08d}", "last_channel": self._channel(m),
             "is_main_leader": m % self.per_org == 2, "created_at": YEAR_AGO}
            for o in orgs for m in self.member_ids(o)))  # fmt: skip
        await self.put("channel_identity", (
            {"id": m, "channel": self._channel(m), "external_id": self._external(m),
             "member_id": m, "created_at": YEAR_AGO, "last_seen_at": self.when()}
            for m in range(1, self.members + 1)))  # fmt: skip
        await self.put("dialogue_state", (
            {"channel": self._channel(m), "user_key": self._external(m), "data": {},
             "updated_at": self.when()} for m in range(1, self.members + 1)))  # fmt: skip
        await self._activity(orgs)

    def _channel(self, m: int) -> str:
        return "webchat" if m % WEB_SHARE == 0 else ("wechat" if m % 5 == 1 else "telegram")

    def _external(self, m: int) -> str:
        channel = self._channel(m)
        if channel == "webchat":
            return _user_key(web_token(m))
        return f"o{m:010d}" if channel == "wechat" else str(TELEGRAM_BASE + m)

    def _staff(self, org: int, role: str) -> list[int]:
        found = [m for m in self.member_ids(org) if self.roles[m] == role]
        return found or [self.member_ids(org)[0]]

    async def _activity(self, orgs: range) -> None:
        rng, when = self.rng, self.when
        authors = rng.sample(range(1, self.members + 1), self.members * 2 // 5)
        await self.put("opinion", (
            {"id": i, "org_id": (a - 1) // self.per_org + 1, "author_id": a, "target": "general",
             "category": rng.choice(WINDS), "status": rng.choice(["new", "replied", "closed",
             "replied", "closed", "assigned"]), "created_at": when(), "assignee_id": None,
             "reminded": 2}  # a year on, the open ones were reminded long ago
            for i, a in enumerate(authors, 1)))  # fmt: skip
        opinions = self.counts["opinion"]
        await self.put("opinion_message", (
            {"opinion_id": i, "side": side, "text": "建议简化报销流程，减少跑腿。",
             "sender_id": 1, "attachments": [], "created_at": when()}
            for i in range(1, opinions + 1)
            for side in ("author", "office")[: 1 + i % 2]))  # fmt: skip
        await self.put("anon_thread", (
            {"id": i, "org_id": rng.randint(1, ORGS), "receipt_hash": f"h{i:020d}",
             "pseudonym": f"匿名{i}", "target": "general", "category": rng.choice(WINDS),
             "received_on": when().date(), "status": rng.choice(["new", "replied"])}
            for i in range(1, self.members // 10 + 1)))  # fmt: skip
        await self.put("anon_post", (
            {"id": t * 3 + p, "thread_id": t, "position": p, "side": "author",
             "text": "食堂浪费现象严重。", "received_on": NOW.date(), "released": True}
            for t in range(1, self.members // 10 + 1) for p in range(2)))  # fmt: skip
        sessions = [(s, o, YEAR_AGO + timedelta(days=30 * k + 10)) for s, (o, k) in
                    enumerate(((o, k) for o in orgs for k in range(13)), 1)]  # fmt: skip
        await self.put("study_session", (
            {"id": s, "org_id": o, "title": f"第{s % 13 + 1}专题集中学习", "place": "三楼会议室",
             "starts_at": at, "ends_at": at + timedelta(hours=2), "audience": {}, "readings": [],
             "checkin_secret": f"{s:032x}"} for s, o, at in sessions))  # fmt: skip
        await self.put("attendance", (
            {"session_id": s, "member_id": m, "rsvp": "yes",
             "checked_in_at": at + timedelta(minutes=rng.randint(-10, 20))}
            for s, o, at in sessions if at < NOW
            for m in self.member_ids(o) if rng.random() < 0.8))  # fmt: skip
        await self.put("self_study", (
            {"member_id": m, "hours": rng.choice([0.5, 1.0, 1.5, 2.0]), "topic": "学习党章",
             "studied_on": when().date(), "created_at": when()}
            for m in range(1, self.members + 1) for _ in range(3)))  # fmt: skip
        deadlines = [(d, o, YEAR_AGO + timedelta(days=60 * k + 45)) for d, (o, k) in
                     enumerate(((o, k) for o in orgs for k in range(7)), 1)]  # fmt: skip
        await self.put("deadline", (
            {"id": d, "org_id": o, "kind": "reflection", "title": "心得体会", "due_at": at,
             "audience": {}} for d, o, at in deadlines))  # fmt: skip
        await self.put("submission", (
            {"deadline_id": d, "member_id": m, "kind": "reflection", "text": "学习体会……",
             "files": [], "submitted_at": at - timedelta(days=1)}
            for d, o, at in deadlines if at < NOW
            for m in self.member_ids(o) if rng.random() < 0.85))  # fmt: skip
        await self._ledger(orgs)

    async def _ledger(self, orgs: range) -> None:
        rng, when = self.rng, self.when
        items = [(i, o, rng.choice(self._staff(o, "cadre")), rng.choice(self._staff(o, "leader")))
                 for i, o in enumerate((o for o in orgs for _ in range(20)), 1)]  # fmt: skip
        await self.put("problem", (
            {"id": i, "org_id": o, "title": "审批环节多", "category": rng.choice(WINDS),
             "created_at": when()} for i, o, _, _ in items[::2]))  # fmt: skip
        await self.put("rectification_item", (
            {"id": i, "org_id": o, "parent_id": i - 1 if i % 10 == 0 else None,
             "content": "精简审批事项", "goal": "办理时限压缩一半",
             "measures": "梳理流程，合并环节",
             "deadline": (NOW + timedelta(days=rng.randint(-90, 120))).date(),
             "leader_id": lead, "person_id": person, "status": rng.choice(
                 ["not_started", "in_progress", "in_progress", "done"]),
             "percent": rng.choice([0, 25, 50, 75, 100]), "reminded": {}, "created_at": when()}
            for i, o, person, lead in items))  # fmt: skip
        await self.put("problem_item", ({"problem_id": i, "item_id": i} for i, *_ in items[::2]))
        await self.put("progress_report", (
            {"item_id": i, "member_id": person, "percent": 25 * k, "text": "已完成流程梳理",
             "files": [], "created_at": when()}
            for i, _, person, _ in items for k in range(1, 5)))  # fmt: skip
        await self.put("milestone", (
            {"item_id": i, "title": "阶段目标", "due": when(NOW, NOW + timedelta(days=90)).date()}
            for i, *_ in items for _ in range(2)))  # fmt: skip
        surveys = [(s, o) for s, o in enumerate((o for o in orgs for _ in range(3)), 1)]
        await self.put("survey", (
            {"id": s, "org_id": o, "title": "满意度测评", "template": "satisfaction",
             "audience": {}, "opens_at": YEAR_AGO + timedelta(days=120 * (s % 3)),
             "closes_at": YEAR_AGO + timedelta(days=120 * (s % 3) + 150),
             "status": "open" if s % 3 == 2 else "closed"} for s, o in surveys))  # fmt: skip
        await self.put("survey_question", (
            {"id": s, "survey_id": s, "position": 1, "kind": "single", "text": "总体评价",
             "options": ["满意", "基本满意", "不满意"]} for s, _ in surveys))  # fmt: skip
        answered = [(s, m) for s, o in surveys for m in self.member_ids(o) if rng.random() < 0.6]
        await self.put(
            "survey_participation", ({"survey_id": s, "member_id": m} for s, m in answered)
        )
        await self.put("survey_response", (
            {"id": n, "survey_id": s, "day": when().date()}
            for n, (s, _) in enumerate(answered, 1)))  # fmt: skip
        await self.put("survey_answer", (
            {"id": n, "response_id": n, "question_id": s, "choices": [rng.randint(0, 2)]}
            for n, (s, _) in enumerate(answered, 1)))  # fmt: skip
        await self.put("talk", (
            {"org_id": o, "recorded_by": self._staff(o, "leader")[0], "with_member": m,
             "held_on": when().date(), "created_at": when()}
            for o in orgs for m in list(self.member_ids(o))[:20]))  # fmt: skip
        await self.put("bulletin", (
            {"org_id": o, "month": f"{(YEAR_AGO + timedelta(days=31 * k)):%Y-%m}",
             "text": "本月共收到意见……", "published": True, "created_at": when()}
            for o in orgs for k in range(12)))  # fmt: skip
        await self.put("outbox", (
            {"member_id": m, "kind": rng.choice(["study_reminder", "deadline_reminder",
             "broadcast", "opinion_news"]), "payload": [{"type": "text", "text": "提醒"}],
             "status": "sent", "channel": self._channel(m), "not_before": at, "created_at": at,
             "sent_at": at} for m in range(1, self.members + 1) for at in
            sorted(when() for _ in range(10))))  # fmt: skip
        await self.put("audit_entry", (
            {"at": when(), "actor": "cli", "org_id": rng.randint(1, ORGS),
             "action": "opinion.reply", "detail": {}} for _ in range(self.members)))  # fmt: skip


async def holds(db: Database, members: int) -> bool:
    """Whether the database already holds the generated campaign."""
    try:
        async with db.engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(table("member")))).one()
            done = (
                await conn.execute(select(func.count()).select_from(table("audit_entry")))
            ).one()
    except Exception:
        return False
    return count[0] == members and done[0] >= members


async def generate(db: Database, members: int, log: Callable[[str], None] = print) -> bool:
    """Make the campaign in a migrated, empty database; False if it was there already."""
    await upgrade(db)
    if await holds(db, members):
        return False
    started = time.perf_counter()
    await Generator(db, members).run()
    if not db.is_sqlite:  # explicit ids: move each table's sequence past them
        async with db.engine.begin() as conn:
            for name, tbl in SQLModel.metadata.tables.items():
                if "id" in tbl.c and tbl.c.id.autoincrement is not False and not _random(tbl):
                    await conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608  (our own table names)
                        f"coalesce((SELECT max(id) FROM \"{name}\"), 1))"))  # fmt: skip
            await conn.execute(text("ANALYZE"))
    else:
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    log(f"   generated in {time.perf_counter() - started:.0f} s")
    return True


def _random(tbl: Table) -> bool:
    return tbl.c.id.default is not None and callable(getattr(tbl.c.id.default, "arg", None))


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_data", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    db = Database(args.url)
    try:
        made = await generate(db, args.members)
        print("generated" if made else "already there")
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
