"""A survey's push when it opens and a last reminder the day before it closes — only to
members who have not answered — and writing the answers still waiting in memory."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.context import Context, Services
from handlers.messages import Button, Text
from handlers.schedule import Due, FanOut, job_context, org_zone
from handlers.surveys.common import answered, feature
from storage.repos import Repos

LAST_CALL = timedelta(days=1)


async def survey_dues(db: Repos, start: datetime, end: datetime) -> list[Due]:
    found: list[Due] = []
    for survey in await db.surveys.opening_between(start, end + LAST_CALL):
        for name, moment in (("open", survey.opens_at), ("last", survey.closes_at - LAST_CALL)):
            if start < moment <= end and (name == "open" or moment > survey.opens_at):
                found.append(Due(f"survey:{survey.id}:{name}", moment, _fan_out(survey.id, name)))
    return found


def _fan_out(survey_id: int, name: str) -> FanOut:
    async def fan_out(ctx: Context, late: bool) -> int:
        survey = await ctx.db.surveys.get(survey_id)
        if survey is None or survey.status != "open" or ctx.now() >= survey.closes_at:
            return 0
        sent = 0
        for member in await ctx.db.study.audience(survey.org_id, survey.audience):
            if await answered(ctx, survey, member):
                continue
            text = ctx.text_for(member, f"surveys.push_{name}", title=survey.title)
            button = Button(
                ctx.text_for(member, "surveys.take", title=survey.title[:20]),
                feature.payload("go", survey.id),
            )
            await ctx.push(
                member, [Text(text, ((button,),))], kind="survey", batch=f"survey:{survey.id}"
            )
            sent += 1
        return sent

    return fan_out


async def flush_answers(db: Repos, services: Services, now: datetime) -> dict[str, int]:
    """Answers waiting for a batch are written once the survey closes, or each day at the
    organization's release hour: results must not wait for ever (a documented trade-off)."""
    ctx = job_context(db, services)
    written = 0
    pool = services.surveys
    for scope in pool.scopes():
        survey = await db.surveys.get(int(scope))  # type: ignore[call-overload]
        if survey is None:
            pool.take(scope)
            continue
        org = await db.orgs.get(survey.org_id)
        local = now.astimezone(org_zone(org))
        daily = org is not None and local.hour >= org.anonymous_release_hour
        if now < survey.closes_at and (not daily or pool.flushed_on.get(scope) == local.date()):
            continue
        entries = [e for _, e in pool.take(scope)]
        pool.flushed_on[scope] = local.date()
        written += await db.surveys.record(entries, ctx.today())  # type: ignore[arg-type]
    return {"responses": written}
