"""Console forms and operations over HTTP: server-side validation that keeps what was typed
and writes nothing, one record for a double submit, triage and review through the chat's
own handlers with audit entries, exports, invites with a QR code, a roster upload, and
every word on the pages from the catalogs in both languages."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlmodel import col, select

from storage.ledger_models import ItemStatus, Milestone, RectificationItem
from storage.models import AuditEntry, Member, OutboxMessage, Role
from storage.opinion_models import AnonThread, Problem, Side, Status
from storage.repos import Repos
from tests.console_support import NONCE, Browser, Site, running_site

pytestmark = pytest.mark.asyncio(loop_scope="module")


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


async def _count(site: Site, model: Any, *where: Any) -> int:
    async def count(db: Repos) -> int:
        return len((await db.session.exec(select(model).where(*where))).all())

    return int(await site.run(count))


async def _audit(site: Site, action: str) -> list[AuditEntry]:
    async def read(db: Repos) -> list[AuditEntry]:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list((await db.session.exec(query.order_by(col(AuditEntry.id)))).all())

    return list(await site.run(read))


async def test_item_form_checks_every_specific_and_keeps_what_was_typed(
    site: Site, admin: Browser
) -> None:
    status, body, _ = await admin.get("/console/ledger/new")
    nonce = NONCE.search(body).group(1)  # type: ignore[union-attr]
    before = await _count(site, RectificationItem)
    typed = {"nonce": nonce, "content": "  窗口午休无人值守  ", "goal": "", "measures": "",
             "deadline": (date.today() - timedelta(days=1)).isoformat(), "leader": "",
             "person": str(site.members["member"]), "visibility": "public"}  # fmt: skip
    status, body, _ = await admin.post("/console/ledger/new", typed)
    assert status == 400
    for field, words in (("goal", "请填写整改目标"), ("measures", "请填写整改措施"),
                         ("deadline", "不能早于今天"), ("leader", "领导班子成员中选择"),
                         ("person", "选择责任人")):  # fmt: skip
        assert re.search(rf'id="err-{field}">[^<]*{words}', body), field
    assert 'id="err-content"' not in body and "窗口午休无人值守" in body
    assert 'value="public" checked' in body
    assert await _count(site, RectificationItem) == before  # nothing written
    leader, person = site.members["leader"], site.members["cadre"]
    fixed = {**typed, "goal": "午休时间窗口有人", "measures": "实行轮岗值守",
             "deadline": (date.today() + timedelta(days=30)).isoformat(),
             "leader": str(leader), "person": str(person)}  # fmt: skip
    status, _, response = await admin.post("/console/ledger/new", fixed)
    assert status == 303
    where = response.headers["Location"]
    status, _, again = await admin.post("/console/ledger/new", fixed)  # the same form twice
    assert status == 303 and again.headers["Location"] == where
    assert await _count(site, RectificationItem) == before + 1
    status, body, _ = await admin.get(where)
    assert "已建立" in body and "窗口午休无人值守" in body and "实行轮岗值守" in body
    created = await _audit(site, "ledger.create")
    assert created[-1].org_id == site.orgs["unit"] and created[-1].detail["via"] == "console"
    told = OutboxMessage.member_id == person, OutboxMessage.kind == "ledger_news"
    assert await _count(site, OutboxMessage, *told) >= 1  # the person is told, via the outbox


async def test_editing_an_item_is_audited(site: Site, admin: Browser) -> None:
    number = site.refs["own_item"]
    status, body, _ = await admin.get(f"/console/ledger/{number}/edit")
    assert status == 200 and "文山会海" in body
    values = dict(re.findall(r'<textarea id="f-(\w+)" name="\w+"[^>]*>([^<]*)</textarea>', body))
    for field in ("leader", "person"):
        values[field] = re.search(rf'name="{field}".*?value="(\d+)" selected', body, re.S).group(1)  # type: ignore[union-attr]
    values["deadline"] = re.search(r'name="deadline" type="date" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    values.update(visibility="public", measures="合并同类会议;推行视频会议;每月通报会议数量")
    status, _, _ = await admin.post(f"/console/ledger/{number}/edit", values)
    assert status == 303
    edits = await _audit(site, "ledger.edit")
    assert edits and edits[-1].detail["fields"] == ["measures"]


async def test_triage_of_an_anonymous_thread(site: Site, admin: Browser) -> None:
    async def first_thread(db: Repos) -> AnonThread:
        return (await db.opinions.anon_inbox(site.orgs["unit"]))[0]

    thread = await site.run(first_thread)
    page = f"/console/opinions/a{thread.id}"
    status, body, _ = await admin.get(page)
    assert status == 200 and thread.pseudonym in body
    status, body, _ = await admin.post(page + "/reply", {"reply": ""})
    assert status == 400 and 'id="err-reply"' in body
    assert (await admin.post(page + "/reply", {"reply": "已责成窗口整改。"}))[0] == 303
    leader = str(site.members["leader"])
    assert (await admin.post(page + "/assign", {"leader": leader}))[0] == 303
    assert (await admin.post(page + "/category", {"category": "formalism"}))[0] == 303
    assert (await admin.post(page + "/merge", {"problem": "", "title": "窗口服务态度"}))[0] == 303
    named = f"/console/opinions/{site.refs['own_opinion']}"
    assert (await admin.post(named + "/close", {"reason": "已整改到位"}))[0] == 303
    status, body, _ = await admin.post(named + "/reply", {"reply": "再答复一次"})
    assert status == 409 and "已经办结" in body  # refused by the chat's own handler

    async def after(db: Repos) -> tuple[AnonThread, list[str], Problem | None]:
        found = await db.opinions.thread(thread.id)
        assert found is not None
        posts = [p.text for p in await db.opinions.posts(thread.id) if p.side == Side.office]
        return found, posts, await db.opinions.problem(found.problem_id or 0)

    found, posts, problem = await site.run(after)
    assert found.status == Status.replied and found.category == "formalism"
    assert "已责成窗口整改。" in posts and problem is not None and problem.title == "窗口服务态度"
    for action in ("opinion.reply", "opinion.assign", "opinion.category", "opinion.merge",
                   "opinion.close"):  # fmt: skip
        entry = (await _audit(site, action))[-1]
        assert entry.org_id == site.orgs["unit"], action
        assert entry.detail.get("via") == "console", action
    status, body, _ = await admin.get("/console/audit")
    for words in ("答复意见", "分派意见", "更正意见类别", "意见并入问题清单", "办结意见", "周敏"):
        assert words in body


async def test_review_by_the_responsible_leader(site: Site) -> None:
    async def awaiting(db: Repos) -> int:
        item = (await db.ledger.items([site.orgs["unit"]]))[1]
        item.status, item.percent = ItemStatus.awaiting_review, 100
        db.session.add(item)
        return item.id or 0

    number = await site.run(awaiting)
    leader = Browser(site)
    try:
        assert await leader.login("leader") == 303
        status, body, _ = await leader.get(f"/console/ledger/{number}")
        assert 'id="approve"' in body and 'id="reopen"' not in body
        status, body, _ = await leader.post(f"/console/ledger/{number}/return", {"reason": ""})
        assert status == 400 and 'id="err-reason"' in body
        assert (await leader.post(f"/console/ledger/{number}/approve", {}))[0] == 303
        status, body, _ = await leader.get(f"/console/ledger/{number}")
        assert "已通过验收" in body and "通过验收" in body
        status, _, _ = await leader.post(f"/console/ledger/{number}/approve", {})
        assert status == 303  # refused (no longer awaiting review), said on the page
        status, body, _ = await leader.get(f"/console/ledger/{number}")
        assert "不在待验收状态" in body
    finally:
        await leader.close()
    item = await site.run(lambda db: db.ledger.get(number))
    assert item.status == ItemStatus.done
    entry = (await _audit(site, "ledger.approve"))[-1]
    assert entry.org_id == site.orgs["unit"] and entry.detail["item"] == number


async def test_an_item_with_sub_items_and_milestones(site: Site, admin: Browser) -> None:
    async def grow(db: Repos) -> int:
        parent = (await db.ledger.items([site.orgs["unit"]]))[0]
        fields = {**parent.model_dump(exclude={"id", "seq"}), "parent_id": parent.id}
        child = RectificationItem(**{**fields, "content": "合并三类例会"})
        await db.ledger.add(child)
        db.session.add(Milestone(item_id=parent.id or 0, title="方案印发", due=date.today()))
        return parent.id or 0

    number = await site.run(grow)
    status, body, _ = await admin.get(f"/console/ledger/{number}")
    assert status == 200 and "合并三类例会" in body and "方案印发" in body
    status, body, _ = await admin.get("/console/ledger")
    assert "1.1" in body


async def test_exports(admin: Browser) -> None:
    status, _, response = await admin.get("/console/ledger/export.csv")
    assert status == 200 and "attachment" in response.headers["Content-Disposition"]
    async with admin.http.get("/console/ledger/export.csv") as got:
        text = (await got.read()).decode("utf-8-sig")
    assert text.startswith("序号,整改事项") and "文山会海" in text
    async with admin.http.get("/console/ledger/export.xlsx") as got:
        assert got.status == 200 and (await got.read())[:2] == b"PK"


async def test_invite_with_qr_code_and_roster_import(site: Site, admin: Browser) -> None:
    await admin.get("/console/members")
    status, body, _ = await admin.post("/console/invites", {"role": "member", "uses": "abc"})
    assert status == 400 and "正整数" in body and 'value="abc"' in body
    status, _, response = await admin.post("/console/invites", {"role": "cadre", "uses": "3"})
    assert status == 303
    status, body, _ = await admin.get(response.headers["Location"])
    assert 'id="new-invite"' in body and "<svg" in body and "/?join=" in body
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "手机", "部门"])
    book.active.append(["新同志", "13900001111", "办公室"])
    book.active.append(["", "13900002222", "办公室"])
    data = io.BytesIO()
    book.save(data)
    form = aiohttp.FormData()
    form.add_field("csrf", admin.csrf)
    form.add_field("roster", data.getvalue(), filename="干部花名册.xlsx")
    async with admin.http.post("/console/members/import", data=form, allow_redirects=False) as got:
        assert got.status == 303
    status, body, _ = await admin.get("/console/members")
    assert "导入完成:1 人成功,1 行有问题" in body and "第 3 行" in body and "新同志" in body
    assert await _count(site, Member, Member.name == "新同志", Member.role == Role.member) == 1
