"""The examine stage's due moments, to the people concerned only:
- a week and three days before the meeting, each person who still owes a required talk
  (or has one to confirm) hears with whom — not the whole unit;
- the day before the meeting, the main leader hears of outlines still awaiting review;
- a report or outline handed in reaches the main leader with its review button.
Those who owe an outline are reminded by the deadlines' own source (handlers/deadlines)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, or_, select

from handlers.context import Context
from handlers.examine.common import feature
from handlers.examine.coverage import remind_concerned
from handlers.examine.meeting import outlines
from handlers.messages import Button, Text, rows
from handlers.opinions.common import main_leader
from handlers.schedule import Due, FanOut, org_zone
from storage.examine_models import Meeting
from storage.repos import Repos
from storage.study_models import Deadline, DeadlineKind, Submission

MORNING = time(9, 0)
MOMENTS = (("talks7", 7), ("talks3", 3), ("review", 1))  # days before the meeting


def _morning(at: datetime, days: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(at.astimezone(zone).date() - timedelta(days=days), MORNING, tzinfo=zone)


async def examine_reminders(db: Repos, start: datetime, end: datetime) -> list[Due]:
    found: list[Due] = []
    horizon = end + timedelta(days=max(d for _, d in MOMENTS) + 1)
    query = select(Meeting).where(Meeting.held_at > start, Meeting.held_at <= horizon)
    for meeting in (await db.session.exec(query)).all():
        zone = org_zone(await db.orgs.get(meeting.org_id))
        for name, days in MOMENTS:
            moment = _morning(meeting.held_at, days, zone)
            if start < moment <= end and moment > meeting.created_at:
                key = f"meeting:{meeting.id}:{int(meeting.held_at.timestamp())}:{name}"
                found.append(Due(key, moment, _meeting_fan_out(meeting.id, name)))
    outline_ids = select(Meeting.outline_deadline_id)
    handed = (
        select(Submission)
        .join(Deadline, col(Deadline.id) == Submission.deadline_id)
        .where(
            Submission.submitted_at > start,
            Submission.submitted_at <= end,
            Submission.status == "submitted",
            or_(Deadline.kind == DeadlineKind.self_exam, col(Deadline.id).in_(outline_ids)),
        )
    )
    for row in (await db.session.exec(handed)).all():
        found.append(Due(f"review:{row.id}", row.submitted_at, _review_fan_out(row.id or 0)))
    return found


def _meeting_fan_out(meeting_id: int, name: str) -> FanOut:
    async def fan_out(ctx: Context, late: bool) -> int:
        meeting = await ctx.db.session.get(Meeting, meeting_id)
        if meeting is None or meeting.held_at <= ctx.now():
            return 0
        ctx.org = await ctx.db.orgs.get(meeting.org_id)
        if name.startswith("talks"):
            return await remind_concerned(ctx, meeting.org_id, ctx.today())
        return await _outlines_waiting(ctx, meeting)

    return fan_out


async def _outlines_waiting(ctx: Context, meeting: Meeting) -> int:
    main = await main_leader(ctx)
    if main is None:
        return 0
    waiting = [
        row
        for person, row in (await outlines(ctx, meeting)).items()
        if row.status == "submitted" and person != main.id
    ]
    if not waiting:
        return 0
    buttons = []
    for row in waiting:
        author = await ctx.db.members.get(row.member_id)
        label = ctx.text_for(main, "examine.review_button", name=author.name if author else "?")
        buttons.append(Button(label, feature.payload("rv", row.id)))
    text = ctx.text_for(main, "examine.outlines_waiting", title=meeting.title, count=len(waiting))
    await ctx.push(main, [Text(text, rows(*buttons, per_row=2))], kind="review_reminder")
    return 1


def _review_fan_out(submission_id: int) -> FanOut:
    async def fan_out(ctx: Context, late: bool) -> int:
        row = await ctx.db.session.get(Submission, submission_id)
        deadline = await ctx.db.study.deadline(row.deadline_id) if row and row.deadline_id else None
        if row is None or deadline is None or row.status != "submitted":
            return 0
        ctx.org = await ctx.db.orgs.get(deadline.org_id)
        main = await main_leader(ctx)
        author = await ctx.db.members.get(row.member_id)
        if main is None or author is None or main.id == author.id:
            return 0
        text = ctx.text_for(main, "examine.handed_in_push", name=author.name, title=deadline.title)
        label = ctx.text_for(main, "examine.review_button", name=author.name)
        button = Button(label, feature.payload("rv", row.id))
        await ctx.push(main, [Text(text, ((button,),))], kind="report_review")
        return 1

    return fan_out
