"""民主生活会 (/meeting): the democratic life meeting at a glance — when and where, who
takes part, whose criticism outline is in and reviewed, the minutes and the satisfaction
rating — with the next thing each person can do as a button."""

from __future__ import annotations

from handlers.context import Context
from handlers.deadlines.common import feature as deadlines
from handlers.deadlines.common import when
from handlers.examine.common import EXAMINE, feature, is_main, meetings, names, oversees
from handlers.examine.reports import latest
from handlers.feature import LEADERS
from handlers.messages import Button, Text, rows
from storage.examine_models import Meeting
from storage.models import Role
from storage.study_models import Submission


@feature.command("meeting", access=LEADERS, keywords=("民主生活会", "生活会"), stages=EXAMINE)
async def meeting(ctx: Context) -> None:
    assert ctx.member is not None
    found = await meetings(ctx, ctx.member.org_id)
    if not found:
        new = Button(ctx.t("examine.meeting_new"), feature.payload("mnew"))
        office = ctx.member.role == Role.admin
        ctx.say("examine.meeting_none", buttons=((new,),) if office else ())
        return
    await show(ctx, found[0])


async def outlines(ctx: Context, meeting: Meeting) -> dict[int, Submission]:
    if meeting.outline_deadline_id is None:
        return {}
    handed = await latest(ctx, meeting.outline_deadline_id)
    return {k: v for k, v in handed.items() if k in meeting.participants}


async def show(ctx: Context, meeting: Meeting) -> None:
    me = ctx.member
    assert me is not None and me.id is not None
    held = meeting.held_at <= ctx.now()
    lines = [
        ctx.t("examine.meeting_title", title=meeting.title),
        ctx.t("examine.meeting_when", at=when(ctx, meeting.held_at), place=meeting.place or "—"),
        ctx.t("examine.meeting_people", names=await names(ctx, meeting.participants)),
    ]
    handed = await outlines(ctx, meeting)
    deadline = (
        await ctx.db.study.deadline(meeting.outline_deadline_id)
        if meeting.outline_deadline_id
        else None
    )
    buttons: list[Button] = []
    if deadline is not None:
        lines.append(ctx.t("examine.outline_due", due=when(ctx, deadline.due_at)))
        for person_id in meeting.participants:
            person = await ctx.db.members.get(person_id)
            row = handed.get(person_id)
            state = _state(ctx, row, main=is_main(person))
            lines.append(
                ctx.t("examine.outline_line", name=person.name if person else "?", state=state)
            )
            if is_main(me) and row and row.status == "submitted" and person_id != me.id:
                label = ctx.t("examine.review_button", name=person.name if person else "?")
                buttons.append(Button(label, feature.payload("rv", row.id)))
        mine = handed.get(me.id)
        if (
            me.id in meeting.participants
            and not held
            and (mine is None or mine.status == "returned")
        ):
            label = ctx.t("examine.outline_hand_in")
            buttons.append(Button(label, deadlines.payload("sub", deadline.id)))
    lines.append(ctx.t("examine.minutes_done" if meeting.minutes else "examine.minutes_none"))
    lines.append(ctx.t("examine.rating_open" if meeting.survey_id else "examine.rating_none"))
    if oversees(me) and not held:
        buttons.append(Button(ctx.t("examine.grid_button"), feature.payload("grid")))
    if me.role == Role.admin and held:
        buttons += _after(ctx, meeting)
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=2)))


def _state(ctx: Context, row: Submission | None, *, main: bool) -> str:
    """An outline's state; the main leader's own goes to no one here for review."""
    if row is None:
        return ctx.t("examine.state_owed")
    return ctx.t("examine.state_handed" if main else f"examine.state_{row.status}")


def _after(ctx: Context, meeting: Meeting) -> list[Button]:
    """The office's work once the meeting is over: minutes, problems, the rating."""
    found = [
        Button(ctx.t("examine.minutes_button"), feature.payload("mmin", meeting.id)),
        Button(ctx.t("examine.problem_button"), feature.payload("mprob", meeting.id)),
    ]
    if meeting.minutes and meeting.survey_id is None:
        found.append(Button(ctx.t("examine.rating_button"), feature.payload("msv", meeting.id)))
    if meeting.minutes:
        found.append(Button(ctx.t("examine.meeting_new"), feature.payload("mnew")))
    return found
