"""The office's surveys: open one from the campaign's templates for an audience and a
window, close it, open its results early (recorded in the audit log), read and export."""

from __future__ import annotations

import io
from datetime import timedelta

from handlers.context import Context
from handlers.feature import Access, param_id
from handlers.messages import Button, File, Text, rows
from handlers.surveys.common import TEMPLATES, K, feature, open_survey_from_template
from handlers.surveys.results import may_read, results_replies
from handlers.timeparse import TimeParseError, parse_when
from storage.examine_models import Survey, SurveyStatus
from storage.models import Role

OFFICE: Access = frozenset({Role.admin, Role.supervisor})
AUDIENCES = {
    "all": {},
    "leaders": {"roles": [Role.leader]},
    "cadres": {"roles": [Role.cadre, Role.leader]},
    "members": {"roles": [Role.member, Role.cadre]},
}


@feature.command("surveys", access=OFFICE, keywords=("测评管理",))
async def manage(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None
    orgs = await ctx.db.orgs.subtree_ids(ctx.org.id)
    found = [s for org_id in orgs for s in await ctx.db.surveys.in_org(org_id)]
    lines = [ctx.t("surveys.manage_header")]
    buttons = []
    for survey in found[:12]:
        n = await ctx.db.surveys.response_count(survey.id)  # type: ignore[arg-type]
        lines.append(
            ctx.t(
                "surveys.manage_line",
                id=survey.id,
                title=survey.title,
                n=n,
                status=ctx.t(f"surveys.status_{_status(ctx, survey)}"),
            )
        )
        buttons.append(Button(f"#{survey.id}", feature.payload("v", survey.id)))
    if not found:
        lines.append(ctx.t("surveys.manage_none"))
    if ctx.member.role == Role.admin:
        buttons.insert(0, Button(ctx.t("surveys.new"), feature.payload("new")))
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=4)))


def _status(ctx: Context, survey: Survey) -> str:
    if survey.status == SurveyStatus.open and ctx.now() >= survey.closes_at:
        return SurveyStatus.closed
    return survey.status


@feature.button("new", access=frozenset({Role.admin}))
async def new(ctx: Context) -> None:
    buttons = [Button(ctx.t(f"surveys.template_{t}"), feature.payload("tpl", t)) for t in TEMPLATES]
    ctx.begin(feature.name, "setup", {})
    ctx.say("surveys.ask_template", buttons=rows(*buttons, per_row=1))


@feature.button("tpl", access=frozenset({Role.admin}))
async def template(ctx: Context) -> None:
    chosen = ctx.params[0] if ctx.params else ""
    if ctx.dialogue.step != "setup" or chosen not in TEMPLATES:
        ctx.say("surveys.lost")
        return
    ctx.dialogue.data["template"] = chosen
    buttons = [Button(ctx.t(f"surveys.audience_{a}"), feature.payload("aud", a)) for a in AUDIENCES]
    ctx.say("surveys.ask_audience", buttons=rows(*buttons, per_row=2))


@feature.button("aud", access=frozenset({Role.admin}))
async def audience(ctx: Context) -> None:
    chosen = ctx.params[0] if ctx.params else ""
    if ctx.dialogue.step != "setup" or chosen not in AUDIENCES:
        ctx.say("surveys.lost")
        return
    ctx.dialogue.data["audience"] = chosen
    ctx.dialogue.step = "closes"
    ctx.say("surveys.ask_closes")


@feature.step("closes", access=frozenset({Role.admin}))
async def closes(ctx: Context) -> None:
    try:
        found = parse_when(ctx.args, ctx.now(), ctx.zone)
    except TimeParseError as problem:
        ctx.say(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang, now=ctx.now()))
        return
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None
    data = ctx.dialogue.data
    spec = AUDIENCES[data["audience"]]
    reach = await ctx.db.study.audience(ctx.org.id, spec)
    if len(reach) < K:
        ctx.end()
        ctx.say("surveys.audience_small", k=K, n=len(reach))
        return
    end = found.end or found.start
    if found.date_only:
        end = found.start + timedelta(days=1, minutes=-1)  # the end of that day
    survey = await open_survey_from_template(ctx, ctx.org.id, data["template"], spec, closes_at=end)
    ctx.end()
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "survey.open", org_id=ctx.org.id, survey=survey.id
    )
    ctx.say("surveys.opened", title=survey.title, n=len(reach))


@feature.button("v", access=OFFICE)
async def view(ctx: Context) -> None:
    survey = await _readable(ctx)
    if survey is None:
        return
    for reply in await results_replies(ctx, survey):
        ctx.send(reply)
    if (
        ctx.member is not None
        and ctx.member.role == Role.admin
        and survey.org_id == ctx.member.org_id
    ):
        actions = [Button(ctx.t("surveys.export"), feature.payload("xls", survey.id))]
        if _status(ctx, survey) == SurveyStatus.open:
            actions.append(Button(ctx.t("surveys.close"), feature.payload("end", survey.id)))
            if not survey.results_open:
                actions.append(
                    Button(ctx.t("surveys.open_early"), feature.payload("early", survey.id))
                )
        ctx.send(Text(ctx.t("surveys.actions"), rows(*actions, per_row=3)))


@feature.button("end", access=frozenset({Role.admin}))
async def end_now(ctx: Context) -> None:
    survey = await _readable(ctx)
    if survey is not None and ctx.member is not None:
        await ctx.db.surveys.set(survey, status=SurveyStatus.closed, closes_at=ctx.now())
        await ctx.db.audit.record(
            f"member:{ctx.member.id}", "survey.close", org_id=survey.org_id, survey=survey.id
        )
        ctx.say("surveys.closed_now", title=survey.title)


@feature.button("early", access=frozenset({Role.admin}))
async def open_early(ctx: Context) -> None:
    survey = await _readable(ctx)
    if survey is not None and ctx.member is not None:
        await ctx.db.surveys.set(survey, results_open=True)
        await ctx.db.audit.record(
            f"member:{ctx.member.id}",
            "survey.results_early",
            org_id=survey.org_id,
            survey=survey.id,
        )
        ctx.say("surveys.opened_early", title=survey.title)


@feature.button("xls", access=frozenset({Role.admin}))
async def export(ctx: Context) -> None:
    survey = await _readable(ctx)
    if survey is None:
        return
    replies = await results_replies(ctx, survey)
    from openpyxl import Workbook  # heavy: imported only when used

    book = Workbook()
    sheet = book.active
    sheet.title = "results"
    for reply in replies:
        if isinstance(reply, Text):
            for line in reply.text.splitlines():
                sheet.append([line])
    out = io.BytesIO()
    book.save(out)
    ctx.send(File(out.getvalue(), f"survey-{survey.id}.xlsx"))


async def _readable(ctx: Context) -> Survey | None:
    raw = ctx.params[0] if ctx.params else ""
    survey = await ctx.db.surveys.get(param_id(raw))
    if survey is None or not await may_read(ctx, survey):
        ctx.say("surveys.not_found")
        return None
    return survey
