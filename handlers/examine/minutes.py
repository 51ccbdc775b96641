"""After the meeting: the office records the minutes, puts the problems raised on the
problem list (问题清单, from where the ledger makes items of them), and opens the
satisfaction rating for the audience it chooses."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.examine.common import feature, load_meeting, same_step
from handlers.examine.rating import fewest_raters, open_rating
from handlers.feature import ADMINS
from handlers.ledger.common import feature as ledger
from handlers.messages import Button, rows
from storage.examine_models import Meeting
from storage.models import Role
from storage.opinion_models import CATEGORIES, Problem

MINUTES_LIMIT = 20_000
PROBLEM_LIMIT = 200
DONE_WORDS = ("完成", "done")
RATERS: dict[str, dict[str, Any]] = {
    "all": {},
    "staff": {"roles": [Role.member, Role.cadre]},  # everyone but the team judged
    "cadres": {"roles": [Role.cadre]},  # middle-level cadres
}


async def _held(ctx: Context, raw: str) -> Meeting | None:
    meeting = await load_meeting(ctx, raw)
    if meeting is not None and meeting.held_at > ctx.now():
        ctx.say("examine.not_held_yet")
        return None
    return meeting


@feature.button("mmin", access=ADMINS)
async def minutes(ctx: Context) -> None:
    meeting = await _held(ctx, ctx.params[0] if ctx.params else "")
    if meeting is not None:
        ctx.begin(feature.name, "m_minutes", {"meeting": meeting.id, "parts": []})
        key = "examine.ask_minutes_again" if meeting.minutes else "examine.ask_minutes"
        ctx.say(key, limit=MINUTES_LIMIT)


@feature.step("m_minutes", access=ADMINS)
async def minutes_part(ctx: Context) -> None:
    parts: list[str] = ctx.dialogue.data["parts"]
    if ctx.args.casefold() in DONE_WORDS:
        await _save_minutes(ctx)
        return
    if not ctx.args:
        ctx.say("examine.minutes_text_only")
        return
    used = sum(len(p) for p in parts)
    if used + len(ctx.args) > MINUTES_LIMIT:
        ctx.say("examine.minutes_too_long", limit=MINUTES_LIMIT, used=used)
        return
    parts.append(ctx.args)
    done = Button(ctx.t("examine.minutes_finish"), feature.payload("mmd"))
    ctx.say("examine.minutes_got", chars=used + len(ctx.args), buttons=((done,),))


@feature.button("mmd", access=ADMINS)
async def minutes_done(ctx: Context) -> None:
    if same_step(ctx, "m_minutes"):
        await _save_minutes(ctx)


async def _save_minutes(ctx: Context) -> None:
    data = ctx.dialogue.data
    if not data["parts"]:
        ctx.say("examine.minutes_empty")
        return
    meeting = await _held(ctx, str(data["meeting"]))
    ctx.end()
    if meeting is None:
        return
    meeting.minutes = "\n".join(data["parts"])
    ctx.db.session.add(meeting)
    assert ctx.member is not None
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "meeting.minutes", org_id=meeting.org_id, meeting=meeting.id
    )
    buttons = rows(
        Button(ctx.t("examine.problem_button"), feature.payload("mprob", meeting.id)),
        Button(ctx.t("examine.rating_button"), feature.payload("msv", meeting.id)),
    )
    ctx.say("examine.minutes_saved", chars=len(meeting.minutes), buttons=buttons)


@feature.button("mprob", access=ADMINS)
async def problem(ctx: Context) -> None:
    meeting = await _held(ctx, ctx.params[0] if ctx.params else "")
    if meeting is not None:
        ctx.begin(feature.name, "m_problem", {"meeting": meeting.id})
        ctx.say("examine.ask_problem", limit=PROBLEM_LIMIT)


@feature.step("m_problem", access=ADMINS)
async def problem_title(ctx: Context) -> None:
    words = " ".join(ctx.args.split())
    if not words or len(words) > PROBLEM_LIMIT:
        ctx.say("examine.problem_invalid", limit=PROBLEM_LIMIT)
        return
    ctx.dialogue.data["title"] = words
    ctx.dialogue.step = "m_category"
    _ask_category(ctx)


def _ask_category(ctx: Context) -> None:
    buttons = [Button(ctx.t(f"category.{c}"), feature.payload("mcat", c)) for c in CATEGORIES]
    ctx.say("examine.ask_category", buttons=rows(*buttons, per_row=3))


@feature.step("m_category", access=ADMINS)
async def category_typed(ctx: Context) -> None:
    _ask_category(ctx)


@feature.button("mcat", access=ADMINS)
async def category(ctx: Context) -> None:
    raw = ctx.params[0] if ctx.params else ""
    if not same_step(ctx, "m_category"):
        return
    if raw not in CATEGORIES:
        ctx.say("examine.stale")
        return
    data = ctx.dialogue.data
    meeting = await _held(ctx, str(data["meeting"]))
    ctx.end()
    if meeting is None:
        return
    found = await ctx.db.opinions.add_problem(
        Problem(org_id=meeting.org_id, title=data["title"], category=raw, created_at=ctx.now())
    )
    buttons = rows(
        Button(ctx.t("examine.problem_to_ledger"), ledger.payload("fpp", found.id)),
        Button(ctx.t("examine.problem_another"), feature.payload("mprob", meeting.id)),
    )
    ctx.say("examine.problem_added", id=found.id, title=found.title, buttons=buttons)


@feature.button("msv", access=ADMINS)
async def rating(ctx: Context) -> None:
    meeting = await _ratable(ctx)
    if meeting is not None:
        buttons = [
            Button(ctx.t(f"examine.raters_{k}"), feature.payload("msa", meeting.id, k))
            for k in RATERS
        ]
        ctx.say("examine.ask_raters", buttons=rows(*buttons, per_row=1))


async def _ratable(ctx: Context) -> Meeting | None:
    meeting = await _held(ctx, ctx.params[0] if ctx.params else "")
    if meeting is None:
        return None
    if not meeting.minutes:
        ctx.say("examine.minutes_first")
        return None
    if meeting.survey_id is not None:
        ctx.say("examine.rating_already")
        return None
    return meeting


@feature.button("msa", access=ADMINS)
async def raters(ctx: Context) -> None:
    meeting = await _ratable(ctx)
    choice = ctx.params[1] if len(ctx.params) > 1 else ""
    if meeting is None:
        return
    if choice not in RATERS:
        ctx.say("examine.stale")
        return
    reach = await ctx.db.study.audience(meeting.org_id, RATERS[choice])
    if len(reach) < fewest_raters():
        ctx.say("examine.raters_too_few", n=len(reach), k=fewest_raters())
        return
    title = ctx.t("examine.rating_title", title=meeting.title)
    survey = await open_rating(ctx, meeting.org_id, RATERS[choice], title)
    meeting.survey_id = survey.id
    ctx.db.session.add(meeting)
    assert ctx.member is not None
    await ctx.db.audit.record(
        f"member:{ctx.member.id}",
        "meeting.rating",
        org_id=meeting.org_id,
        meeting=meeting.id,
        survey=survey.id,
    )
    ctx.say("examine.rating_opened", title=survey.title, count=len(reach))
