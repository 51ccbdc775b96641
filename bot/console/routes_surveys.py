"""Surveys (民主测评 / 满意度测评): the list with response counts, opening one of the
campaign's templates for an audience and a window, and the results — a chart per question
with counts and percentages, free texts in random order — withheld below k responses and
sealed until the window closes unless the office opens them early (audit log entry)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.charts import share_chart
from bot.console.page import XLSX, Page
from bot.console.routing import ADMIN, AUDITORS, RouteTable
from handlers.console_ops import surveys as ops
from handlers.console_ops.context import OpContext, Refused
from handlers.console_ops.forms import Form
from handlers.surveys.common import TEMPLATES, K
from storage.examine_models import Survey, SurveyStatus
from storage.repos import Repos

routes = RouteTable()
BASE = "/console/surveys"
ONE = BASE + r"/{id:\d{1,9}}"


async def _render(page: Page, form: Form, *, status: int = 200) -> web.Response:
    viewer = page.me

    async def read(db: Repos) -> list[dict[str, Any]]:
        ctx = page.ops(db)
        rows = []
        for org in viewer.orgs:
            for survey in await db.surveys.in_org(org.id or 0):
                rows.append({"survey": survey, "org": org, "status": ops.status(ctx, survey),
                             "n": await db.surveys.response_count(survey.id or 0)})  # fmt: skip
        return rows

    rows = await page.run(read)
    return page.render("surveys.html", status=status, rows=rows, form=form, k=K,
                       templates=TEMPLATES, audiences=ops.AUDIENCES,
                       several=len(viewer.orgs) > 1)  # fmt: skip


@routes.get(BASE, roles=AUDITORS)
async def surveys(page: Page) -> web.StreamResponse:
    return await _render(page, Form({"template": "effect", "audience": "all"}))


@routes.post(BASE, roles=ADMIN)
async def open_survey(page: Page) -> web.StreamResponse:
    values = {name: page.field(name) for name in ops.FIELDS}

    async def work(db: Repos) -> tuple[Form, int]:
        ctx = page.ops(db)
        form = await ops.check(ctx, values)
        if not form.ok:
            return form, 0
        return form, (await ops.open_survey(ctx, form)).id or 0

    form, number = await page.run(work, writes=True)
    if not form.ok:
        return await _render(page, form, status=400)
    return page.redirect(f"{BASE}/{number}",
                         page.t("console.survey_opened", n=form.clean["reach"]))  # fmt: skip


async def _load(page: Page, db: Repos) -> tuple[Survey, OpContext] | None:
    survey = await db.surveys.get(int(page.match("id")))
    if survey is None or not page.me.sees(survey.org_id):
        return None
    ctx = page.ops(db)
    ctx.org = await db.orgs.get(survey.org_id)
    return survey, ctx


@routes.get(ONE, roles=AUDITORS)
async def survey_page(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> dict[str, Any] | None:
        found = await _load(page, db)
        if found is None:
            return None
        survey, ctx = found
        if survey.status == SurveyStatus.draft:  # nothing to read yet: its preview
            return {"draft": survey.id}
        office = page.me.is_admin and page.me.member.org_id == survey.org_id
        return {"results": await ops.results(ctx, survey), "phase": ops.status(ctx, survey),
                "office": office, "org": ctx.org}  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    if "draft" in found:
        return page.redirect(f"{BASE}/{found['draft']}/preview")
    charts = {
        a.question.id: share_chart(f"{a.question.position}. {a.question.text}",
                                   [(s.label, s.count, s.percent) for s in a.shares])
        for a in found["results"].questions
        if a.shares
    }  # fmt: skip
    return page.render("survey.html", charts=charts, k=K, open=SurveyStatus.open, **found)


@routes.get(ONE + "/export.xlsx", roles=AUDITORS)
async def export(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> tuple[OpContext, ops.Results] | None:
        found = await _load(page, db)
        return (found[1], await ops.results(found[1], found[0])) if found else None

    found = await page.run(read)
    if found is None:
        return page.not_found()
    ctx, results = found
    if results.state != "shown":
        return page.redirect(f"{BASE}/{page.match('id')}", page.t("console.survey_no_export"),
                             kind="error")  # fmt: skip
    name = f"survey-{results.survey.id}.xlsx"
    return page.download(ops.workbook(ctx, results), name, name, XLSX)


async def _act(page: Page, action: ops.Action) -> web.Response:
    number = int(page.match("id"))

    async def work(db: Repos) -> list[str] | None:
        found = await _load(page, db)
        if found is None:
            return None
        survey, ctx = found
        if survey.org_id != page.me.member.org_id:
            return None
        if ops.status(ctx, survey) != SurveyStatus.open:
            raise Refused([page.t("console.survey_not_open")])
        return await action(ctx, survey)

    try:
        said = await page.run(work, writes=True)
    except Refused as refused:
        return page.redirect(f"{BASE}/{number}", *refused.messages, kind="error")
    if said is None:
        return page.not_found()
    return page.redirect(f"{BASE}/{number}", *said)


@routes.post(ONE + "/close", roles=ADMIN)
async def close(page: Page) -> web.StreamResponse:
    return await _act(page, ops.close_now)


@routes.post(ONE + "/open-early", roles=ADMIN)
async def open_early(page: Page) -> web.StreamResponse:
    return await _act(page, ops.open_early)
