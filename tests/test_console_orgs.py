"""The organization tree, the stage calendar and settings, invites and a member's page,
and the monthly bulletin in the console over HTTP: every field checked with nothing
written on error, each change in the audit log, and one unit's office touching nothing
of another's."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio
from sqlmodel import col, select

from storage.models import AuditEntry, ChannelIdentity, Invite, Organization
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


async def last(site: Site, action: str) -> AuditEntry:
    async def read(db: Repos) -> AuditEntry | None:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return (await db.session.exec(query.order_by(col(AuditEntry.id).desc()))).first()

    found = await site.run(read)
    assert found is not None, action
    return found


async def test_the_tree_and_a_child_organization(site: Site, admin: Browser) -> None:
    async def orgs(db: Repos) -> int:
        return len((await db.session.exec(select(Organization))).all())

    before = await site.run(orgs)
    status, body, _ = await admin.post("/console/orgs", {"name": " ", "kind": "galaxy"})
    assert status == 400 and dict(ERROR.findall(body)).keys() == {"name", "kind"}
    assert await site.run(orgs) == before
    status, _, _ = await admin.post("/console/orgs", {"name": "机关第一党支部", "kind": "branch"})
    assert status == 303 and await site.run(orgs) == before + 1
    _, body, _ = await admin.get("/console/orgs")
    assert "机关第一党支部" in body and "支部" in body and "临江县规划局" in body
    entry = await last(site, "org.create")
    assert entry.org_id == site.orgs["unit"] and entry.detail["via"] == "console"
    supervisor = Browser(site)
    try:
        await supervisor.login("supervisor")
        _, body, _ = await supervisor.get("/console/orgs")
        assert re.search(r"临江县委.*临江县规划局.*机关第一党支部", body, re.S)
        counted = r"临江县规划局</a></span>\s*<span[^>]*>[^<]*</span> <span[^>]*>\d+ 人"
        assert re.search(counted, body)
        assert (await supervisor.post(f"/console/orgs/{site.orgs['unit']}/stages", {}))[0] == 403
    finally:
        await supervisor.close()


async def test_the_stage_calendar(site: Site, admin: Browser) -> None:
    page = f"/console/orgs/{site.orgs['unit']}"
    _, body, _ = await admin.get(page)
    values = dict(re.findall(r'name="(\w+_(?:from|to))" type="date" value="([^"]*)"', body))
    assert values["study_from"]  # the demo's calendar
    today = date.today()
    wrong = {**values, "nonce": NONCE.search(body).group(1),  # type: ignore[union-attr]
             "examine_from": (today + timedelta(days=60)).isoformat(),
             "examine_to": (today + timedelta(days=30)).isoformat(),
             "rectify_to": "31/12"}  # fmt: skip
    status, body, _ = await admin.post(page + "/stages", wrong)
    errors = dict(ERROR.findall(body))
    assert status == 400 and errors.keys() == {"examine_to", "rectify_to"}
    assert "不能早于开始" in errors["examine_to"]
    stages = await site.run(lambda db: db.orgs.stages(site.orgs["unit"]))
    assert {p.stage: p.ends_on.isoformat() for p in stages} == {
        k[:-3]: v for k, v in values.items() if k.endswith("_to")
    }  # nothing written
    overlapping = {**wrong, "examine_to": (today + timedelta(days=150)).isoformat(),
                   "rectify_to": values["rectify_to"]}  # fmt: skip
    status, _, response = await admin.post(page + "/stages", overlapping)
    assert status == 303
    assert "已保存:查摆问题、开展批评" in (await admin.get(response.headers["Location"]))[1]
    entry = await last(site, "stage.set")
    assert entry.detail["stage"] == "examine" and entry.detail["via"] == "console"
    assert entry.detail["ends"] == overlapping["examine_to"]


async def test_settings_within_bounds(site: Site, admin: Browser) -> None:
    page = f"/console/orgs/{site.orgs['unit']}"
    good = {"anonymous_min_members": "5", "opinion_reply_days": "7",
            "anonymous_release_hour": "8", "remind_minutes_before": "30", "bulletin_day": "5",
            "remind_day_before_at": "17:30"}  # fmt: skip
    bad = {**good, "anonymous_min_members": "3", "bulletin_day": "31",
           "remind_day_before_at": "25:00", "opinion_reply_days": "x"}  # fmt: skip
    status, body, _ = await admin.post(page + "/settings", bad)
    errors = dict(ERROR.findall(body))
    wanted = {"anonymous_min_members", "bulletin_day", "remind_day_before_at", "opinion_reply_days"}
    assert status == 400 and errors.keys() == wanted
    assert "5 到 1000" in errors["anonymous_min_members"] and 'value="25:00"' in body
    org = await site.run(lambda db: db.orgs.get(site.orgs["unit"]))
    assert org.opinion_reply_days == 5  # nothing written
    status, _, _ = await admin.post(page + "/settings", good)
    org = await site.run(lambda db: db.orgs.get(site.orgs["unit"]))
    assert status == 303 and org.opinion_reply_days == 7 and org.remind_day_before_at == "17:30"
    entry = await last(site, "org.settings")
    assert entry.detail["opinion_reply_days"] == "5→7" and entry.detail["via"] == "console"
    other = f"/console/orgs/{site.orgs['other']}/settings"
    assert (await admin.post(other, good))[0] == 404


async def test_invites_and_a_members_page(site: Site, admin: Browser) -> None:
    member = site.members["member"]

    async def bind(db: Repos) -> None:
        db.session.add(ChannelIdentity(channel="telegram", external_id="tg-9876543210",
                                       member_id=member))  # fmt: skip

    await site.run(bind)
    page = f"/console/members/{member}"
    status, body, _ = await admin.get(page)
    assert status == 200 and "Telegram" in body and "tg-9876543210" not in body
    assert (await admin.post(page + "/invite", {"nonce": "one"}))[0] == 303
    status, _, response = await admin.post(page + "/invite", {"nonce": "two"})
    _, body, _ = await admin.get(response.headers["Location"])
    assert 'id="new-invite"' in body and "<svg" in body and "旧的已作废" in body

    async def personal(db: Repos) -> list[Invite]:
        query = select(Invite).where(Invite.member_id == member)
        return list((await db.session.exec(query.order_by(col(Invite.id)))).all())

    invites = await site.run(personal)
    assert [i.revoked for i in invites][-2:] == [True, False] and invites[-1].max_uses == 1
    own = site.refs["own_invite"]
    form = {"nonce": "revoke", "back": "/console/members"}
    assert (await admin.post(f"/console/invites/{own}/revoke", form))[0] == 303
    assert (await admin.post(f"/console/invites/{own}/revoke", {"nonce": "again"}))[0] == 303
    assert "已经作废" in (await admin.get("/console/members"))[1]
    entry = await last(site, "invite.revoke")
    assert entry.detail["invite"] == own and entry.org_id == site.orgs["unit"]
    other = site.refs["other_invite"]
    assert (await admin.post(f"/console/invites/{other}/revoke", {}))[0] == 404


async def test_the_bulletin_compiled_printed_and_published(site: Site, admin: Browser) -> None:
    _, body, _ = await admin.get("/console/bulletins")
    form = {"nonce": NONCE.search(body).group(1)}  # type: ignore[union-attr]
    status, _, response = await admin.post("/console/bulletins/compile", form)
    assert status == 303
    page = response.headers["Location"]
    assert (await admin.post("/console/bulletins/compile", form))[2].headers["Location"] == page
    _, body, _ = await admin.get(page)
    assert "月通报已编制" in body and 'src="data:image/png;base64,' in body and "data-print" in body
    async with admin.http.get(page + "/bulletin.pdf") as got:
        data = await got.read()
        assert got.status == 200 and data[:5] == b"%PDF-" and got.content_type == "application/pdf"
    async with admin.http.get(page + "/bulletin.xlsx") as got:
        assert got.status == 200 and (await got.read())[:2] == b"PK"
    assert (await admin.post(page + "/publish", {"nonce": "publish"}))[0] == 303
    assert "已公示" in (await admin.get(page))[1]
    assert (await admin.post(page + "/publish", {"nonce": "again"}))[0] == 303
    assert "已经公示了" in (await admin.get(page))[1]
    for action in ("bulletin.compile", "bulletin.publish"):
        entry = await last(site, action)
        assert entry.org_id == site.orgs["unit"] and entry.detail["via"] == "console", action
