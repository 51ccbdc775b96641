"""Broadcasts in the console over HTTP: each field refused beside itself with what was
typed kept and nothing written; the audience's count (a JSON answer for the ticks, the
预览 button without JavaScript); sent now through the chat's own operations into the
outbox, once for a double submit, its progress as JSON until the delivery report; a
weekly one scheduled in the organization's zone, then cancelled; each change audited;
leaders and supervisors read, within their scope."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlmodel import col, func, select

from storage.models import AuditEntry, Member, OutboxMessage
from storage.repos import Repos
from storage.study_models import Broadcast
from tests.console_support import NONCE, Browser, Site, running_site
from tests.telegram_fixtures import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")
ERROR = re.compile(r'id="err-(\w+)">([^<]*)<')
NEW = "/console/broadcasts/new"
ZONE = ZoneInfo("Asia/Shanghai")
SENT = OutboxMessage.kind == "broadcast"  # (the scheduler queues reminders meanwhile)


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
        return int(
            (await db.session.exec(select(func.count()).select_from(model).where(*where))).one()
        )

    return await site.run(read)


async def with_roles(site: Site, *roles: str) -> int:
    """Active members of the demo unit with these roles (none: everyone)."""
    where = [Member.org_id == site.orgs["unit"], col(Member.active)]
    return await count(site, Member, *where, *([col(Member.role).in_(roles)] if roles else []))


async def last_audit(site: Site, action: str) -> AuditEntry:
    async def read(db: Repos) -> AuditEntry | None:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return (await db.session.exec(query.order_by(col(AuditEntry.id).desc()))).first()

    found = await site.run(read)
    assert found is not None, action
    return found


async def nonce(browser: Browser, path: str) -> str:
    _, body, _ = await browser.get(path)
    return NONCE.search(body).group(1)  # type: ignore[union-attr]


async def post_pairs(
    browser: Browser, path: str, pairs: list[tuple[str, str]]
) -> tuple[int, str, Any]:
    """A form with a field given several times (several roles ticked)."""
    data = [("csrf", browser.csrf), *pairs]
    async with browser.http.post(path, data=data, allow_redirects=False) as response:
        return response.status, await response.text(), response


async def json_of(browser: Browser, path: str) -> tuple[int, dict[str, Any]]:
    async with browser.http.get(path, allow_redirects=False) as got:
        return got.status, await got.json()


async def test_each_field_refused_beside_itself_with_nothing_written(
    site: Site, admin: Browser
) -> None:
    before = (await count(site, Broadcast), await count(site, OutboxMessage, SENT))
    form = {"nonce": await nonce(admin, NEW), "text": "  ", "roles": "nobody", "when": "later",
            "at": "明天下午", "repeat": "once"}  # fmt: skip
    status, body, _ = await admin.post(NEW, form)
    errors = dict(ERROR.findall(body))
    assert status == 400 and errors.keys() == {"text", "audience", "at"}
    assert "请写明几点" in errors["at"] and 'value="明天下午"' in body
    assert 'value="later" checked' in body  # the choice is kept too
    text = "请各支部于本周五前报送学习心得。\n不要迟交。"
    typed = {**form, "text": text, "roles": "leader", "at": "昨天下午3点"}
    status, body, _ = await admin.post(NEW, typed)
    errors = dict(ERROR.findall(body))
    assert status == 400 and errors.keys() == {"at"} and "已经过去" in errors["at"]
    assert f">{text}</textarea>" in body and 'value="leader" checked' in body
    weekly = {**typed, "at": "明天上午9点", "repeat": "weekly", "until": ""}
    status, body, _ = await admin.post(NEW, weekly)
    assert status == 400 and dict(ERROR.findall(body)).keys() == {"until"}
    status, body, _ = await admin.post(
        NEW, {**weekly, "until": datetime.now(ZONE).date().isoformat()}
    )
    assert "早于第一次发送" in dict(ERROR.findall(body))["until"]
    status, body, _ = await admin.post(NEW, {**weekly, "until": "2099-01-01"})
    assert "最长 366 天" in dict(ERROR.findall(body))["until"]
    status, body, _ = await admin.post(NEW, {**typed, "text": "长" * 2001, "at": "明天上午9点"})
    assert "2001 字" in dict(ERROR.findall(body))["text"]
    assert (await count(site, Broadcast), await count(site, OutboxMessage, SENT)) == before


async def test_the_audience_counted_as_roles_are_ticked(site: Site, admin: Browser) -> None:
    leaders, cadres = await with_roles(site, "leader"), await with_roles(site, "cadre")
    status, data = await json_of(
        admin, "/console/broadcasts/audience.json?roles=leader&roles=cadre"
    )
    assert status == 200 and data["members"] == leaders + cadres
    assert data["text"].startswith(f"将发给 {leaders + cadres} 人")
    status, data = await json_of(admin, "/console/broadcasts/audience.json")
    assert data["members"] == await with_roles(site)  # nothing ticked: everyone
    status, data = await json_of(admin, "/console/broadcasts/audience.json?roles=king")
    assert status == 400 and data["error"]
    before = await count(site, Broadcast)
    pairs = [("nonce", await nonce(admin, NEW)), ("roles", "leader"), ("roles", "cadre"),
             ("text", ""), ("when", "now"), ("repeat", "once"), ("preview", "1")]  # fmt: skip
    status, body, _ = await post_pairs(admin, NEW, pairs)  # the button without JavaScript
    assert status == 200 and f"将发给 {leaders + cadres} 人" in body
    assert not ERROR.findall(body)  # a preview does not nag about the text yet
    assert await count(site, Broadcast) == before


async def test_sent_now_once_for_a_double_submit_then_its_report(
    site: Site, admin: Browser
) -> None:
    leaders = await with_roles(site, "leader")
    before = await count(site, Broadcast)
    form = {"nonce": await nonce(admin, NEW), "text": "今晚八点前请提交对照检查材料。",
            "roles": "leader", "when": "now", "repeat": "once"}  # fmt: skip
    status, _, response = await admin.post(NEW, form)
    assert status == 303
    where = response.headers["Location"]
    again = (await admin.post(NEW, form))[2]  # the same form twice
    assert again.headers["Location"] == where and await count(site, Broadcast) == before + 1
    number = int(where.rsplit("/", 1)[1])
    batch = OutboxMessage.batch == f"broadcast:{number}:{datetime.now(ZONE).date().isoformat()}"
    assert await count(site, OutboxMessage, batch) == leaders
    _, body, _ = await admin.get(where)
    assert f"开始发送,共 {leaders} 条" in body and 'id="progress-bar"' in body
    entry = await last_audit(site, "broadcast.create")
    assert entry.detail == {"broadcast": number, "via": "console"}
    assert entry.org_id == site.orgs["unit"]

    async def finished() -> dict[str, Any] | None:
        """every message's fate is known"""
        data = (await json_of(admin, where + "/progress.json"))[1]
        return data if data["finished"] else None

    data = await eventually(finished, within=10)  # nobody here has a chat account bound
    assert data["done"] == data["total"] == leaders and data["queued"] == 0
    assert data["sent"] + data["blocked"] + data["failed"] == leaders
    assert data["label"] == f"已发送 {leaders} / {leaders}" and data["status"] == "done"
    _, body, _ = await admin.get(where)
    assert 'data-finished="1"' in body and "已发送完毕" in body and "已发完" in body
    assert 'id="cancel-broadcast"' not in body


async def test_scheduled_weekly_in_the_zone_then_cancelled(site: Site, admin: Browser) -> None:
    until = (datetime.now(ZONE).date() + timedelta(days=30)).isoformat()
    pairs = [("nonce", await nonce(admin, NEW)), ("text", "每周一上午例行学习提醒。"),
             ("roles", "cadre"), ("roles", "leader"), ("when", "later"), ("at", "明天上午9点"),
             ("repeat", "weekly"), ("until", until)]  # fmt: skip
    outbox = await count(site, OutboxMessage, SENT)
    status, _, response = await post_pairs(admin, NEW, pairs)
    assert status == 303
    where = response.headers["Location"]
    row = await site.run(lambda db: db.study.broadcast(int(where.rsplit("/", 1)[1])))
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    assert row.send_at == datetime.combine(tomorrow, time(9), tzinfo=ZONE)
    assert (row.repeat, row.repeat_until.isoformat(), row.status) == ("weekly", until, "scheduled")
    assert sorted(row.audience["roles"]) == ["cadre", "leader"]
    assert await count(site, OutboxMessage, SENT) == outbox  # the scheduler sends it, later
    _, body, _ = await admin.get(where)
    assert "待发送" in body and "每周,到" in body and "09:00" in body
    assert "还没开始发送" in body and 'id="cancel-broadcast"' in body
    status, _, _ = await admin.post(where + "/cancel", {"nonce": await nonce(admin, where)})
    assert status == 303
    _, body, _ = await admin.get(where)
    assert "已取消" in body and 'id="cancel-broadcast"' not in body
    await admin.post(where + "/cancel", {"nonce": "again"})
    assert "不能取消" in (await admin.get(where))[1]
    entry = await last_audit(site, "broadcast.cancel")
    assert entry.detail == {"broadcast": row.id, "via": "console"}


async def test_leaders_and_supervisors_read_within_their_scope(site: Site, admin: Browser) -> None:
    form = {"nonce": await nonce(admin, NEW), "text": "本单位的广播:周五大扫除。",
            "when": "later", "at": "后天上午10点", "repeat": "once"}  # fmt: skip
    where = (await admin.post(NEW, form))[2].headers["Location"]
    other = Browser(site)
    try:
        await other.login("other_admin")
        form = {"nonce": await nonce(other, NEW), "text": "外单位的广播:请交材料。",
                "when": "later", "at": "后天上午10点", "repeat": "once"}  # fmt: skip
        elsewhere = (await other.post(NEW, form))[2].headers["Location"]
        assert "本单位的广播" not in (await other.get("/console/broadcasts"))[1]
        assert (await other.get(where))[0] == 404
        assert (await other.post(where + "/cancel", {}))[0] == 404
    finally:
        await other.close()
    for who in ("leader", "supervisor"):
        reader = Browser(site)
        try:
            await reader.login(who)
            _, body, _ = await reader.get("/console/broadcasts")
            assert "本单位的广播" in body and "外单位的广播" not in body, who
            assert "写广播" not in body, who
            status, body, _ = await reader.get(where)
            assert status == 200 and 'id="cancel-broadcast"' not in body, who
            assert (await reader.get(elsewhere))[0] == 404, who
            assert (await reader.get(NEW))[0] == 403, who
        finally:
            await reader.close()


async def test_the_pages_in_english(site: Site) -> None:
    browser = Browser(site)
    try:
        await browser.login("admin")
        await browser.get("/console/lang/en?next=/console/broadcasts")
        _, body, _ = await browser.get("/console/broadcasts")
        assert "Write a broadcast" in body and "Broadcasts" in body and "写广播" not in body
        number = re.search(r'href="/console/broadcasts/(\d+)"', body).group(1)  # type: ignore[union-attr]
        _, body, _ = await browser.get(f"/console/broadcasts/{number}")
        assert f"Broadcast #{number}" in body and "Audience" in body
        _, body, _ = await browser.get(NEW)
        assert "To whom" in body and "Goes to" in body and "tomorrow 9:00" in body
    finally:
        await browser.close()
