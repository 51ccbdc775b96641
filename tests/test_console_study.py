"""Study sessions and deadlines in the console over HTTP: a time typed as people say it,
refused beside its field with nothing written; one session for a double submit; moving,
cancelling and the check-in code through the chat's own code, with notices and audit
entries; attendance and deadline spreadsheets; the month calendar."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import col, select

from handlers.study.checkin import code_at
from storage.models import AuditEntry, OutboxMessage
from storage.repos import Repos
from storage.study_models import Deadline, StudySession
from storage.types import utcnow
from tests.console_support import NONCE, Browser, Site, running_site

pytestmark = pytest.mark.asyncio(loop_scope="module")
ERROR = re.compile(r'id="err-(\w+)">([^<]*)<')


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with running_site(tmp_path_factory.mktemp("console")) as found:
        yield found


@pytest_asyncio.fixture(loop_scope="module")
async def admin(site: Site) -> AsyncIterator[Browser]:
    browser = Browser(site)
    assert await browser.login("admin") == 303
    yield browser
    await browser.close()


async def count(site: Site, model: Any, *where: Any) -> int:
    async def read(db: Repos) -> int:
        return len((await db.session.exec(select(model).where(*where))).all())

    return int(await site.run(read))


async def last_audit(site: Site, action: str) -> AuditEntry:
    async def read(db: Repos) -> AuditEntry:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return (await db.session.exec(query.order_by(col(AuditEntry.id).desc()))).first()

    found = await site.run(read)
    assert found is not None, action
    return found


async def nonce(browser: Browser, path: str) -> str:
    _, body, _ = await browser.get(path)
    return NONCE.search(body).group(1)  # type: ignore[union-attr]


async def test_a_session_typed_naturally_refused_beside_the_field(
    site: Site, admin: Browser
) -> None:
    form = {"nonce": await nonce(admin, "/console/sessions/new"), "title": "", "place": "三楼",
            "when": "明天下午", "roles": "nobody"}  # fmt: skip
    before = await count(site, StudySession)
    status, body, _ = await admin.post("/console/sessions/new", form)
    errors = dict(ERROR.findall(body))
    assert status == 400 and errors.keys() == {"title", "when", "audience"}
    assert "请写明几点" in errors["when"] and 'value="明天下午"' in body
    status, body, _ = await admin.post("/console/sessions/new", {**form, "when": "昨天下午3点"})
    assert "已经过去" in dict(ERROR.findall(body))["when"]
    assert await count(site, StudySession) == before  # nothing written
    fixed = {**form, "title": "集中学习:党章", "when": "后天下午3点到5点", "roles": "leader",
             "readings": "《论群众路线》 https://example.cn/a\n党章"}  # fmt: skip
    status, _, response = await admin.post("/console/sessions/new", fixed)
    assert status == 303
    where = response.headers["Location"]
    again = (await admin.post("/console/sessions/new", fixed))[2]  # the same form twice
    assert again.headers["Location"] == where and await count(site, StudySession) == before + 1
    status, body, _ = await admin.get(where)
    assert "集中学习已安排" in body and "15:00" in body and "领导班子成员" in body
    assert 'href="https://example.cn/a"' in body and "党章" in body
    entry = await last_audit(site, "session.create")
    assert entry.org_id == site.orgs["unit"] and entry.detail["via"] == "console"


async def test_moving_a_session_tells_the_people_expected(site: Site, admin: Browser) -> None:
    number = site.refs["own_session"]
    page = f"/console/sessions/{number}/edit"
    _, body, _ = await admin.get(page)
    typed = re.search(r'name="when" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    form = {"nonce": NONCE.search(body).group(1), "when": typed, "place": "会议室"}  # type: ignore[union-attr]
    status, _, response = await admin.post(page, form)
    assert status == 303
    assert "没有改动" in (await admin.get(response.headers["Location"]))[1]
    told = OutboxMessage.kind == "study_change"
    before = await count(site, OutboxMessage, told)
    moved = {"nonce": await nonce(admin, page), "when": "后天上午9点到11点", "place": "党组会议室"}
    status, _, response = await admin.post(page, moved)
    assert status == 303
    _, body, _ = await admin.get(response.headers["Location"])
    assert "09:00" in body and "党组会议室" in body
    assert await count(site, OutboxMessage, told) > before  # everyone expected is told
    for action in ("session.move", "session.place"):
        assert (await last_audit(site, action)).detail["via"] == "console"


async def test_the_check_in_code_and_cancelling(site: Site, admin: Browser) -> None:
    async def running(db: Repos) -> StudySession:
        now = utcnow()
        made = await db.study.add(StudySession(
            org_id=site.orgs["unit"], title="正在进行的学习", starts_at=now + timedelta(minutes=5),
            ends_at=now + timedelta(hours=2), checkin_secret="s" * 64))  # fmt: skip
        return made

    session = await site.run(running)
    status, body, _ = await admin.get(f"/console/sessions/{session.id}/code")
    now = utcnow()
    codes = {f"{c[:3]} {c[3:]}" for c in (code_at("s" * 64, now), code_at("s" * 64, now, 1))}
    shown = re.search(r'class="code-big" data-code[^>]*>([^<]+)<', body).group(1)  # type: ignore[union-attr]
    assert status == 200 and shown in codes and 'data-refresh="30"' in body
    async with admin.http.get(f"/console/sessions/{session.id}/code.json") as got:
        data = await got.json()
    assert data["state"] == "live" and data["code"].replace(" ", "").isdigit()
    async with admin.http.get(f"/console/sessions/{site.refs['own_session']}/code.json") as got:
        assert (await got.json())["state"] == "not_yet"
    leader = Browser(site)
    try:
        await leader.login("leader")
        assert (await leader.get(f"/console/sessions/{session.id}/code"))[0] == 403
    finally:
        await leader.close()
    page = f"/console/sessions/{session.id}"
    status, _, _ = await admin.post(page + "/cancel", {"nonce": await nonce(admin, page)})
    assert status == 303
    _, body, _ = await admin.get(page)
    assert "已取消" in body and 'id="checkin"' in body and "这场学习已取消" in body
    status, _, _ = await admin.post(page + "/cancel", {"nonce": "another"})
    assert status == 303 and "已经取消" in (await admin.get(page))[1]  # the chat's refusal
    entry = await last_audit(site, "session.cancel")
    assert entry.detail == {"session": session.id, "via": "console"}


async def test_attendance_and_the_calendar(site: Site, admin: Browser) -> None:
    async def past(db: Repos) -> StudySession:
        query = select(StudySession).where(StudySession.org_id == site.orgs["unit"],
                                           StudySession.ends_at < utcnow())  # fmt: skip
        return (await db.session.exec(query.order_by(col(StudySession.id)))).first()

    session = await site.run(past)
    status, body, _ = await admin.get(f"/console/sessions/{session.id}")
    assert status == 200 and "请假" in body and "缺席" in body and "签到时间" in body
    assert re.search(r"到省厅参加业务培训|带队现场踏勘|病假", body)  # leave with its reason
    async with admin.http.get(f"/console/sessions/{session.id}/attendance.xlsx") as got:
        assert got.status == 200 and (await got.read())[:2] == b"PK"
    month = f"{session.starts_at:%Y-%m}"
    status, body, _ = await admin.get(f"/console/calendar?month={month}")
    assert status == 200 and session.title in body
    assert f'href="/console/sessions/{session.id}"' in body
    status, body, _ = await admin.get("/console/calendar?month=1999-13")  # falls back to now
    assert status == 200 and f"{utcnow():%Y}年" in body


async def test_a_deadline_from_creation_to_cancelling(site: Site, admin: Browser) -> None:
    form = {"nonce": await nonce(admin, "/console/deadlines/new"), "title": "", "kind": "self_exam",
            "due": "下周五下午", "audience": "leaders"}  # fmt: skip
    before = await count(site, Deadline)
    status, body, _ = await admin.post("/console/deadlines/new", form)
    assert status == 400 and dict(ERROR.findall(body)).keys() == {"title", "due"}
    assert await count(site, Deadline) == before
    form.update(title="班子成员对照检查材料", due="下周五17点")
    status, _, response = await admin.post("/console/deadlines/new", form)
    assert status == 303 and await count(site, Deadline) == before + 1
    page = response.headers["Location"]
    _, body, _ = await admin.get(page)
    assert "已建立" in body and "还没交(4 人)" in body and "王立新" in body
    async with admin.http.get(page + "/export.xlsx") as got:
        assert got.status == 200 and (await got.read())[:2] == b"PK"
    assert (await admin.post(page + "/cancel", {"nonce": await nonce(admin, page)}))[0] == 303
    assert "已取消" in (await admin.get(page))[1]
    status, _, _ = await admin.post(page + "/cancel", {"nonce": "again"})
    assert "已经取消了" in (await admin.get(page))[1]
    entry = await last_audit(site, "deadline.cancel")
    assert entry.org_id == site.orgs["unit"] and entry.detail["via"] == "console"
