"""Surveys and the masses' rating of ledger items in the console over HTTP: opening a
survey from a template (refused beside its fields, nothing written), results sealed until
the window closes unless opened early on purpose (audit log), withheld below k, then
counts, percentages, a chart and free texts — and never who answered what."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from sqlmodel import col, select

from storage.examine_models import Survey, SurveyStatus
from storage.ledger_models import ItemStatus, RatingComment, RatingTally
from storage.models import AuditEntry
from storage.repos import Repos
from tests.console_support import NONCE, Browser, Site, running_site

pytestmark = pytest.mark.asyncio(loop_scope="module")
ERROR = re.compile(r'id="err-(\w+)">([^<]*)<')
SUGGESTIONS = ("会议确实少了,希望坚持下去", "窗口办事比以前快多了", "下基层调研要多听群众意见",
               "文件还可以再精简一些", "希望整改结果及时公开", "建议建立长效机制,防止反弹",
               "审批时限承诺要兑现")  # fmt: skip


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


async def audits(site: Site, action: str) -> list[AuditEntry]:
    async def read(db: Repos) -> list[AuditEntry]:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list((await db.session.exec(query.order_by(col(AuditEntry.id)))).all())

    return list(await site.run(read))


async def surveys(site: Site) -> int:
    return int(await site.run(lambda db: _count(db)))


async def _count(db: Repos) -> int:
    return len((await db.session.exec(select(Survey))).all())


async def answer(site: Site, survey_id: int, people: list[int]) -> None:
    """Responses as the chat's batches write them: grades, a rating and a free text."""

    async def write(db: Repos) -> None:
        questions = await db.surveys.questions(survey_id)
        entries = []
        for n, member in enumerate(people, start=len(await db.surveys.participants(survey_id))):
            answers = [(q.id or 0, [] if q.kind == "text" else [n % 2 + (q.kind == "rating")],
                        SUGGESTIONS[n % len(SUGGESTIONS)] if q.kind == "text" else "")
                       for q in questions]  # fmt: skip
            entries.append((survey_id, member, answers))
        await db.surveys.record(entries, date.today())

    await site.run(write)


async def test_a_survey_from_opening_to_its_results(site: Site, admin: Browser) -> None:
    _, body, _ = await admin.get("/console/surveys")
    form = {"nonce": NONCE.search(body).group(1), "template": "effect",  # type: ignore[union-attr]
            "audience": "leaders", "closes": "下周五下午"}  # fmt: skip
    before = await surveys(site)
    status, body, _ = await admin.post("/console/surveys", form)
    errors = dict(ERROR.findall(body))
    assert status == 400 and errors.keys() == {"audience", "closes"}
    assert "少于 5 人" in errors["audience"] and await surveys(site) == before
    fixed = {**form, "audience": "all", "closes": "下周五18点"}
    status, _, response = await admin.post("/console/surveys", fixed)
    assert status == 303 and await surveys(site) == before + 1
    page = response.headers["Location"]
    _, body, _ = await admin.get(page)
    assert 'id="sealed"' in body and "截止后公布" in body
    await admin.get(page + "/export.xlsx")
    assert "不能导出" in (await admin.get(page))[1]
    assert (await admin.post(page + "/open-early", {"nonce": "early"}))[0] == 303
    _, body, _ = await admin.get(page)
    assert 'id="withheld"' in body and "只收到 0 份" in body and "已提前公布" in body
    early = (await audits(site, "survey.results_early"))[-1]
    assert early.org_id == site.orgs["unit"] and early.detail["via"] == "console"
    number = int(page.rsplit("/", 1)[1])
    members = await site.run(lambda db: db.members.in_org(site.orgs["unit"]))
    ids = [m.id for m in members]
    await answer(site, number, ids[:4])
    assert 'id="withheld"' in (await admin.get(page))[1]  # 4 < k
    await answer(site, number, ids[4:6])
    _, body, _ = await admin.get(page)
    assert 'id="withheld"' not in body and body.count('<svg class="chart share"') == 3
    assert "3 (50%)" in body and "随机顺序" in body and SUGGESTIONS[5] in body
    assert not any(m.name in body for m in members[:6] if m.name != "周敏")  # nobody's name
    async with admin.http.get(page + "/export.xlsx") as got:
        sheet = load_workbook(io.BytesIO(await got.read())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][0] == "共 6 份答卷" and any(r[2] == 3 and r[3] == 0.5 for r in rows[3:])
    assert (await admin.post(page + "/close", {"nonce": "close"}))[0] == 303
    survey = await site.run(lambda db: db.surveys.get(number))
    assert survey.status == SurveyStatus.closed
    assert (await audits(site, "survey.close"))[-1].detail["via"] == "console"
    for who, expected in (("supervisor", 200), ("leader", 403), ("other_admin", 404)):
        browser = Browser(site)
        try:
            await browser.login(who)
            assert (await browser.get(page))[0] == expected, who
        finally:
            await browser.close()


async def test_ratings_sealed_withheld_then_shown_and_the_look_back(
    site: Site, admin: Browser
) -> None:
    number = site.refs["own_item"]
    page = f"/console/ledger/{number}"

    async def rate(db: Repos, closes: date, tally: dict[str, int], flagged: bool) -> None:
        item = await db.ledger.get(number)
        assert item is not None
        item.status, item.rating_closes_on, item.flagged = ItemStatus.done, closes, flagged
        item.finished_on = date.today()
        db.session.add(item)
        for choice, n in tally.items():
            row = await db.session.get(RatingTally, (number, choice))
            row = row or RatingTally(item_id=number, choice=choice)
            row.count = n
            db.session.add(row)
        db.session.add(RatingComment(item_id=number, text="窗口态度明显好转", day=date.today()))

    today = date.today()
    await site.run(lambda db: rate(db, today + timedelta(days=10), {"satisfied": 6}, False))
    _, body, _ = await admin.get(page)
    assert 'id="ratings"' in body and "评价期结束后公布" in body and "窗口态度" not in body
    await site.run(lambda db: rate(db, today - timedelta(days=1), {"satisfied": 3}, False))
    _, body, _ = await admin.get(page)
    assert "少于 5 人" in body and 'id="rating-tally"' not in body
    tally = {"satisfied": 2, "basic": 1, "dissatisfied": 3}
    await site.run(lambda db: rate(db, today - timedelta(days=1), tally, True))
    _, body, _ = await admin.get(page)
    assert 'id="rating-tally"' in body and "共 6 人评价" in body and "50%" in body
    assert 'id="flagged"' in body and "窗口态度明显好转" in body and 'id="reopen"' in body
    assert (await admin.post(page + "/reopen", {"nonce": "look-back"}))[0] == 303
    item = await site.run(lambda db: db.ledger.get(number))
    assert item.status == ItemStatus.reopened and not item.flagged
    entry = (await audits(site, "ledger.reopen"))[-1]
    assert entry.org_id == site.orgs["unit"] and entry.detail["via"] == "console"
