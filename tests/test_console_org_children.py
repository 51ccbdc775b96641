"""The office manages the organization tree below it (issue 8): a child organization it
creates in the console opens from the tree, and the office sets the child's stage
calendar and settings there — refused beside the field with nothing written when wrong,
audited under the child — while a leader, another unit's office and a supervisor cannot
change anything."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio
from sqlmodel import col, select

from handlers.admin_ops import create_org
from storage.models import AuditEntry, Organization
from storage.repos import Repos
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


async def child_named(site: Site, name: str) -> Organization:
    async def read(db: Repos) -> Organization | None:
        query = select(Organization).where(Organization.name == name)
        return (await db.session.exec(query)).first()

    found = await site.run(read)
    assert found is not None, name
    return found


async def test_a_child_created_then_its_stage_calendar_set(site: Site, admin: Browser) -> None:
    _, body, _ = await admin.get("/console/orgs")
    form = {"nonce": NONCE.search(body).group(1), "name": "规划编制科党支部", "kind": "branch"}  # type: ignore[union-attr]
    assert (await admin.post("/console/orgs", form))[0] == 303
    child = await child_named(site, "规划编制科党支部")
    assert child.parent_id == site.orgs["unit"]
    page = f"/console/orgs/{child.id}"
    _, body, _ = await admin.get("/console/orgs")
    assert f'<a href="{page}">规划编制科党支部</a>' in body  # the tree opens it
    status, body, _ = await admin.get(page)
    assert status == 200 and 'id="stage-form"' in body and 'id="settings-form"' in body
    today = date.today()
    wrong = {"nonce": NONCE.search(body).group(1),  # type: ignore[union-attr]
             "study_from": (today + timedelta(days=10)).isoformat(),
             "study_to": today.isoformat(), "examine_from": "明天"}  # fmt: skip
    status, body, _ = await admin.post(page + "/stages", wrong)
    errors = dict(ERROR.findall(body))
    assert status == 400 and errors.keys() == {"study_to", "examine_from", "examine_to"}
    assert f'value="{wrong["study_from"]}"' in body  # what was typed stays
    assert await site.run(lambda db: db.orgs.stages(child.id)) == []  # nothing written
    right = {**wrong, "study_to": (today + timedelta(days=60)).isoformat(),
             "examine_from": "", "nonce": "right"}  # fmt: skip
    status, _, response = await admin.post(page + "/stages", right)
    assert status == 303
    assert "已保存:学习教育、听取意见" in (await admin.get(response.headers["Location"]))[1]
    stages = await site.run(lambda db: db.orgs.stages(child.id))
    assert [(p.stage, p.starts_on.isoformat(), p.ends_on.isoformat()) for p in stages] == [
        ("study", right["study_from"], right["study_to"])
    ]

    async def audited(db: Repos) -> AuditEntry | None:
        query = select(AuditEntry).where(AuditEntry.action == "stage.set")
        return (await db.session.exec(query.order_by(col(AuditEntry.id).desc()))).first()

    entry = await site.run(audited)
    assert entry.org_id == child.id and entry.detail["via"] == "console"
    settings = {"anonymous_min_members": "5", "opinion_reply_days": "3",
                "anonymous_release_hour": "8", "remind_minutes_before": "60", "bulletin_day": "5",
                "remind_day_before_at": "18:00", "nonce": "settings"}  # fmt: skip
    assert (await admin.post(page + "/settings", settings))[0] == 303
    assert (await site.run(lambda db: db.orgs.get(child.id))).opinion_reply_days == 3


async def test_nobody_else_changes_the_child(site: Site) -> None:
    starts = date.today()

    async def make(db: Repos) -> Organization:
        made = await create_org(db, "窗口服务科党支部", kind="branch", parent_id=site.orgs["unit"],
                                actor="test")  # fmt: skip
        await db.orgs.set_stage(made.id or 0, "study", starts, starts + timedelta(days=30))
        return made

    child = await site.run(make)
    page = f"/console/orgs/{child.id}"
    day = starts.isoformat()
    for who, reads in (("leader", False), ("other_admin", False), ("supervisor", True)):
        browser = Browser(site)
        try:
            await browser.login(who)
            status, body, _ = await browser.get(page)
            assert (status == 200) == reads, who
            assert 'id="stage-form"' not in body, who
            status, _, _ = await browser.post(
                page + "/stages", {"study_from": day, "study_to": day}
            )
            assert status in (403, 404), who
        finally:
            await browser.close()
    periods = await site.run(lambda db: db.orgs.stages(child.id))
    assert [(p.starts_on, p.ends_on) for p in periods] == [(starts, starts + timedelta(days=30))]
