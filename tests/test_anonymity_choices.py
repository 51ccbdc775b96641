"""The anonymity audit (SPEC §6) for surveys and ratings, through the real Telegram path.

tests/test_anonymity_audit.py does it for opinions; here ten members answer a survey and
rate a finished ledger item, each writing a unique marker into the survey's free-text
question and into their rating's comment, with debug logging on. Members get ids no other
number in the database has (from 7,777,000,001), so that an id beside an answer would be
seen. Then the database file, its WAL, the outbox and the logs are searched: no page or
WAL frame holding a marker holds its author's member id, Telegram id or name; the rows
holding markers and their responses hold no member id and no time finer than the day; no
log line, outbox row or traceback holds a marker. A batch that fails to be written must
leave no linking trace either.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.app import DISPATCHER, SETTINGS
from bot.logs import apply_levels
from handlers.schedule import job_context
from handlers.surveys.common import open_survey_from_template
from storage.ledger_models import ItemStatus, RectificationItem, Visibility
from storage.models import Member
from storage.repos import Repos
from tests.fakes import FakeUser
from tests.telegram_fixtures import Service, running_service
from tests.test_anonymity_audit import _chunks

FIRST_ID = 7_777_000_000  # the placeholder's; members who join get the next ones
PEOPLE = 10  # two batches of five
TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")


@dataclass
class Respondent:
    user: FakeUser
    member_id: int
    survey_marker: str
    comment_marker: str

    @property
    def traces(self) -> list[bytes]:
        """What would tie a page to this person: their ids (as text and as SQLite stores
        an integer of this size) and their name."""
        return [
            str(self.member_id).encode(),
            self.member_id.to_bytes(6, "big"),
            str(self.user.id).encode(),
            self.user.who["first_name"].encode(),
        ]


@contextmanager
def debug_log() -> Iterator[io.StringIO]:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    apply_levels("DEBUG")
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        apply_levels("WARNING")


async def _prepare(service: Service) -> tuple[int, int]:
    """A placeholder member that moves every later member id far from other numbers, an
    open satisfaction survey and a finished public item open for rating."""
    services = service.app[DISPATCHER].services

    async def seed(db: Repos) -> tuple[int, int]:
        db.session.add(Member(id=FIRST_ID, org_id=service.org_id, name="占位", active=False))
        survey = await open_survey_from_template(
            job_context(db, services), service.org_id, "satisfaction", {}
        )
        today = services.clock().date()
        item = await db.ledger.add(
            RectificationItem(
                org_id=service.org_id, content="窗口服务态度生硬", goal="满意率 95%",
                measures="培训", deadline=today, leader_id=FIRST_ID, person_id=FIRST_ID,
                status=ItemStatus.done, percent=100, visibility=Visibility.public,
                finished_on=today, rating_closes_on=today + timedelta(days=7),
            )
        )  # fmt: skip
        assert survey.id is not None and item.id is not None
        return survey.id, item.id

    return await service.db.run(lambda session: seed(Repos(session)))


async def _answer_survey(user: FakeUser, marker: str) -> str:
    """Answer the survey, the free text carrying the marker; the bot's last answer."""
    await user.fake.wait_for(  # the survey's push comes when it opens; read it first
        lambda: any("请参加" in s.text for s in user.log.inbox), timeout=10,
        what="the survey's push",
    )  # fmt: skip
    user.log.read = len(user.log.inbox)
    await user.say("测评")
    await user.expect_text("等你参加")
    await user.tap("参加:专题民主生活会满意度测评")
    await user.expect_text("匿名")
    for choice in ("满意", "基本满意", "满意"):
        await user.expect_text("")
        await user.tap(choice)
    await user.expect_text("跳过")
    await user.say(f"建议多听基层意见 {marker}")
    await user.expect_text("确认提交")
    await user.tap("提交答卷")
    return (await user.expect()).text


async def _rate(user: FakeUser, marker: str) -> str:
    """Rate the item and comment with the marker; the bot's last answer (a vote or a
    comment may be the one that completes a batch of five)."""
    await user.say("公示")
    await user.expect_text("整改公示")
    await user.expect_text("窗口服务态度生硬")
    await user.tap("满意")
    said = (await user.expect()).text
    if "已收到你对事项" not in said:
        return said
    await user.tap("加一句意见")
    await user.expect_text("请写下你的意见")
    await user.say(f"态度好多了 {marker}")
    return (await user.expect()).text


async def _respondents(service: Service) -> list[Respondent]:
    people = []
    for n in range(PEOPLE):
        user = await service.joined(7_400_000_000 + n, f"群众{n:02d}号")
        member = await service.member(user)
        assert member is not None and member.id is not None and member.id > FIRST_ID
        people.append(
            Respondent(user, member.id, f"SVMARK{n}X{secrets.token_hex(5)}",
                       f"RTMARK{n}X{secrets.token_hex(5)}")
        )  # fmt: skip
    return people


def _rows(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def _check_rows(db_path: Path, person: Respondent) -> None:
    """The rows holding this person's words, and their survey response: no id of theirs,
    nothing finer than a day."""
    answers = _rows(db_path, "SELECT * FROM survey_answer WHERE text LIKE ?",
                    f"%{person.survey_marker}%")  # fmt: skip
    comments = _rows(db_path, "SELECT * FROM rating_comment WHERE text LIKE ?",
                     f"%{person.comment_marker}%")  # fmt: skip
    assert len(answers) == 1 and len(comments) == 1, (answers, comments)
    responses = _rows(db_path, "SELECT * FROM survey_response WHERE id = ?", answers[0][1])
    for row in (*answers, *comments, *responses):
        values = [str(v) for v in row]
        assert str(person.member_id) not in values and str(person.user.id) not in values, row
        assert not any(TIME_OF_DAY.search(v) for v in values), f"a time of day in {row}"


async def test_survey_answers_and_ratings_keep_no_trace_of_who(tmp_path: Path) -> None:
    with debug_log() as captured:
        async with running_service(tmp_path) as service:
            await _prepare(service)
            people = await _respondents(service)
            for person in people:
                assert "答卷已收到" in await _answer_survey(person.user, person.survey_marker)
                assert "意见已收到" in await _rate(person.user, person.comment_marker)
            db_path = Path(service.app[SETTINGS].sqlite_path() or "")
            wal = Path(f"{db_path}-wal")
            images = {
                "database": _chunks(db_path.read_bytes(), wal=False),
                "wal": _chunks(wal.read_bytes(), wal=True) if wal.exists() else [],
            }
            outbox = _rows(db_path, "SELECT payload FROM outbox")
    logs = captured.getvalue()
    assert logs, "debug logging captured nothing; the audit would prove nothing"
    everything = str(outbox)
    for person in people:
        for marker in (person.survey_marker, person.comment_marker):
            assert marker not in logs, "an anonymous answer reached the log"
            assert marker not in everything, "an anonymous answer reached the outbox"
            seen = 0
            for where, chunks in images.items():
                for chunk in (c for c in chunks if marker.encode() in c):
                    seen += 1
                    close = [t for t in person.traces if t in chunk]
                    assert not close, f"{where}: {marker} beside {close}"
            assert seen, f"{marker} is in no page: the scan is looking in the wrong place"
        _check_rows(db_path, person)
    # Who took part is stored (so nobody answers twice): the scan can see member ids.
    assert any(people[0].traces[1] in c for c in images["database"] + images["wal"])


class Broken(RuntimeError):
    """A failure in the middle of writing a batch (a full disk, a bug)."""


@contextmanager
def failing_once(service: Service, table: str) -> Iterator[list[int]]:
    """The next statement writing ``table`` fails; yields how many failed."""
    failed: list[int] = []
    engine = service.db.engine.sync_engine

    def fail(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if not failed and statement.lstrip().startswith(f"INSERT INTO {table}"):
            failed.append(1)
            raise Broken(f"cannot write {table}")

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield failed
    finally:
        event.remove(engine, "before_cursor_execute", fail)


@pytest.mark.parametrize("table", ["survey_answer", "rating_comment"])
async def test_a_batch_that_fails_leaves_no_trace_of_who(tmp_path: Path, table: str) -> None:
    """Writing a batch fails (here: its first answer or comment row). The person whose
    act completed it is told so; the traceback in the log, and the outbox, hold no
    marker and no id of any of the people in the batch."""
    with debug_log() as captured:
        async with running_service(tmp_path) as service:
            await _prepare(service)
            people = (await _respondents(service))[:5]
            told = []
            with failing_once(service, table) as failed:
                for person in people:
                    if table == "survey_answer":
                        told.append(await _answer_survey(person.user, person.survey_marker))
                    else:
                        told.append(await _rate(person.user, person.comment_marker))
            db_path = Path(service.app[SETTINGS].sqlite_path() or "")
            outbox = str(_rows(db_path, "SELECT payload FROM outbox"))
    logs = captured.getvalue()
    assert failed and "handler failed" in logs and "Broken" in logs, logs[-2000:]
    assert any("出了问题" in words for words in told), told  # the one who completed it
    for person in people:
        for secret in (person.survey_marker, person.comment_marker, str(person.member_id),
                       str(person.user.id)):  # fmt: skip
            assert secret not in logs, f"{secret} in the log after a failed batch"
        assert person.survey_marker not in outbox and person.comment_marker not in outbox


class Locked(OSError):
    """What a transient failure looks like to storage.db: retried."""


# A known defect, proposed for a fix in issue 10's report: a retried transaction hands the
# handler the anonymous dialogue its first attempt already ended (the draft looks gone),
# and the batch the first attempt took from the pool is not given back (four thanked
# members' answers are lost).
@pytest.mark.xfail(strict=True, reason="a retried anonymous batch is lost (see above)")
@pytest.mark.parametrize("table", ["survey_answer", "rating_comment"])
async def test_a_retried_batch_loses_nobodys_answer(tmp_path: Path, table: str) -> None:
    """A transient failure while writing a batch is retried (storage/db.py): every member
    who was thanked for their answer, or comment, must have it counted."""
    async with running_service(tmp_path) as service:
        await _prepare(service)
        people = (await _respondents(service))[:5]
        engine = service.db.engine.sync_engine
        failed: list[int] = []

        def hiccup(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
            if not failed and statement.lstrip().startswith(f"INSERT INTO {table}"):
                failed.append(1)
                raise Locked("database is locked")

        event.listen(engine, "before_cursor_execute", hiccup)
        try:
            if table == "survey_answer":
                told = [await _answer_survey(p.user, p.survey_marker) for p in people]
            else:
                told = [await _rate(p.user, p.comment_marker) for p in people]
        finally:
            event.remove(engine, "before_cursor_execute", hiccup)
        db_path = Path(service.app[SETTINGS].sqlite_path() or "")
        if table == "survey_answer":
            stored = _rows(db_path, "SELECT count(*) FROM survey_response")[0][0]
        else:
            stored = _rows(db_path, "SELECT count(*) FROM rating_comment WHERE text LIKE ?",
                           "%RTMARK%")[0][0]  # fmt: skip
    thanks = "答卷已收到" if table == "survey_answer" else "意见已收到"
    assert failed and all(thanks in words for words in told), told
    assert stored == 5, f"{stored} of the 5 the members were thanked for"
