"""The office schedules the democratic life meeting: title, time, place, the participants
(the leadership team, each one a toggle), and when their criticism outlines are due —
a Deadline for the participants, handed in through /deadlines and reviewed by the main
leader before the meeting, so that nobody is criticised by surprise (不搞突然袭击)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from handlers.context import Context
from handlers.deadlines.common import feature as deadlines
from handlers.deadlines.common import parse_time, when
from handlers.examine.common import feature, same_step
from handlers.examine.meeting import show
from handlers.feature import ADMINS, param_id
from handlers.messages import Button, Text, rows
from handlers.opinions.common import leaders
from handlers.timeparse import TimeParseError, parse_when
from storage.examine_models import Meeting
from storage.models import Role
from storage.study_models import Deadline, DeadlineKind

TITLE_LIMIT = 200
PLACE_LIMIT = 300
DUE_DAYS = (1, 3)  # the outlines due this many days before, at the end of the working day
DUE_TIME = time(18, 0)
MIN_PEOPLE = 2


@feature.button("mnew", access=ADMINS)
async def new(ctx: Context) -> None:
    ctx.begin(feature.name, "m_title")
    default = Button(ctx.t("examine.default_title"), feature.payload("mdt"))
    ctx.say("examine.ask_meeting_title", limit=TITLE_LIMIT, buttons=((default,),))


@feature.button("mdt", access=ADMINS)
async def default_title(ctx: Context) -> None:
    if same_step(ctx, "m_title"):
        _ask_when(ctx, ctx.t("examine.default_title"))


@feature.step("m_title", access=ADMINS)
async def title_typed(ctx: Context) -> None:
    words = " ".join(ctx.args.split())
    if not words or len(words) > TITLE_LIMIT:
        ctx.say("examine.title_invalid", limit=TITLE_LIMIT)
        return
    _ask_when(ctx, words)


def _ask_when(ctx: Context, title: str) -> None:
    ctx.dialogue.data["title"] = title
    ctx.dialogue.step = "m_when"
    ctx.say("examine.ask_meeting_when")


@feature.step("m_when", access=ADMINS)
async def when_typed(ctx: Context) -> None:
    try:
        found = parse_when(ctx.args, ctx.now(), ctx.zone)
    except TimeParseError as problem:
        ctx.say(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang, now=ctx.now()))
        return
    if found.date_only:
        ctx.say("examine.meeting_need_time")
        return
    ctx.dialogue.data["held_at"] = found.start.isoformat()
    ctx.dialogue.step = "m_place"
    skip = Button(ctx.t("examine.no_place"), feature.payload("mskip"))
    ctx.say("examine.ask_place", limit=PLACE_LIMIT, buttons=((skip,),))


@feature.button("mskip", access=ADMINS)
async def no_place(ctx: Context) -> None:
    if same_step(ctx, "m_place"):
        await _ask_people(ctx, None)


@feature.step("m_place", access=ADMINS)
async def place_typed(ctx: Context) -> None:
    words = " ".join(ctx.args.split())
    if not words or len(words) > PLACE_LIMIT:
        ctx.say("examine.place_invalid", limit=PLACE_LIMIT)
        return
    await _ask_people(ctx, words)


async def _ask_people(ctx: Context, place: str | None) -> None:
    team = await leaders(ctx)
    ctx.dialogue.data.update(place=place, people=[m.id for m in team])
    ctx.dialogue.step = "m_people"
    await _people_buttons(ctx)


async def _people_buttons(ctx: Context) -> None:
    chosen = ctx.dialogue.data["people"]
    buttons = [
        Button(("✓ " if m.id in chosen else "□ ") + m.name, feature.payload("mp", m.id))
        for m in await leaders(ctx)
    ]
    buttons.append(Button(ctx.t("examine.people_done"), feature.payload("mok")))
    ctx.send(Text(ctx.t("examine.ask_people", count=len(chosen)), rows(*buttons, per_row=2)))


@feature.step("m_people", access=ADMINS)
async def people_typed(ctx: Context) -> None:
    await _people_buttons(ctx)


@feature.button("mp", access=ADMINS)
async def toggle(ctx: Context) -> None:
    raw = ctx.params[0] if ctx.params else ""
    if not same_step(ctx, "m_people"):
        return
    team = {m.id for m in await leaders(ctx)}
    if param_id(raw) not in team:
        ctx.say("examine.not_team")
        return
    chosen: list[int] = ctx.dialogue.data["people"]
    if param_id(raw) in chosen:
        chosen.remove(param_id(raw))
    else:
        chosen.append(param_id(raw))
    await _people_buttons(ctx)


@feature.button("mok", access=ADMINS)
async def people_done(ctx: Context) -> None:
    if not same_step(ctx, "m_people"):
        return
    if len(ctx.dialogue.data["people"]) < MIN_PEOPLE:
        ctx.say("examine.too_few_people", min=MIN_PEOPLE)
        return
    ctx.dialogue.step = "m_due"
    buttons = [
        Button(ctx.t("examine.due_days", days=d), feature.payload("mdue", d)) for d in DUE_DAYS
    ]
    ctx.say("examine.ask_outline_due", buttons=rows(*buttons))


@feature.button("mdue", access=ADMINS)
async def due_button(ctx: Context) -> None:
    raw = ctx.params[0] if ctx.params else ""
    if not same_step(ctx, "m_due"):
        return
    if param_id(raw) not in DUE_DAYS:
        ctx.say("examine.stale")
        return
    held_at = datetime.fromisoformat(ctx.dialogue.data["held_at"])
    local = held_at.astimezone(ctx.zone).date() - timedelta(days=param_id(raw))
    await _create(ctx, datetime.combine(local, DUE_TIME, tzinfo=ctx.zone))


@feature.step("m_due", access=ADMINS)
async def due_typed(ctx: Context) -> None:
    moment = parse_time(ctx, ctx.args)
    if moment is not None:
        await _create(ctx, moment)


async def _create(ctx: Context, due: datetime) -> None:
    data, member = ctx.dialogue.data, ctx.member
    assert member is not None and member.id is not None
    held_at = datetime.fromisoformat(data["held_at"])
    if due <= ctx.now():
        ctx.say("examine.due_past", due=when(ctx, due))
        return
    if due >= held_at:
        ctx.say("examine.due_after_meeting", at=when(ctx, held_at))
        return
    if held_at <= ctx.now():
        ctx.end()
        ctx.say("examine.meeting_past")
        return
    people = [m for m in await leaders(ctx) if m.id in data["people"]]
    title = ctx.t("examine.outline_title", title=data["title"])
    deadline = await ctx.db.study.add(
        Deadline(
            org_id=member.org_id,
            kind=DeadlineKind.other,
            title=title[:200],
            due_at=due,
            # "roles" alone until deadlines read "members" (then exactly the participants)
            audience={"roles": [Role.leader], "members": [m.id for m in people]},
            created_by=member.id,
            created_at=ctx.now(),
        )
    )
    meeting = Meeting(
        org_id=member.org_id,
        title=data["title"],
        held_at=held_at,
        place=data.get("place"),
        participants=[m.id for m in people],
        outline_deadline_id=deadline.id,
        created_by=member.id,
        created_at=ctx.now(),
    )
    ctx.db.session.add(meeting)
    await ctx.db.session.flush()
    ctx.end()
    await ctx.db.audit.record(
        f"member:{member.id}", "meeting.create", org_id=member.org_id, meeting=meeting.id
    )
    for person in people:
        text = ctx.text_for(
            person,
            "examine.meeting_push",
            title=meeting.title,
            at=when(ctx, held_at),
            place=meeting.place or "—",
            due=when(ctx, due),
        )
        label = ctx.text_for(person, "examine.outline_hand_in")
        button = Button(label, deadlines.payload("sub", deadline.id))
        await ctx.push(person, [Text(text, ((button,),))], kind="meeting_notice")
    ctx.say("examine.meeting_created", count=len(people))
    await show(ctx, meeting)
