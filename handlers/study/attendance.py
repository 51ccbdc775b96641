"""Who came: present, late, on leave (with reasons) and — once the session is over —
absent; on screen and as a spreadsheet. Listed in the roster's order, never by time."""

from __future__ import annotations

import io
from dataclasses import dataclass

from handlers.context import Context
from handlers.feature import ADMINS
from handlers.messages import File, Text
from handlers.study.common import ended, feature, own_session
from handlers.study.ops import expected
from handlers.study.when import format_day
from storage.models import Member
from storage.study_models import Attendance, StudySession

STATES = ("present", "late", "leave", "absent", "pending")


@dataclass(frozen=True)
class Row:
    member: Member
    answer: Attendance | None
    state: str


async def attendance_rows(ctx: Context, session: StudySession) -> list[Row]:
    answers = {a.member_id: a for a in await ctx.db.study.attendance_for(session.id or 0)}
    people = {m.id: m for m in await expected(ctx, session)}
    for member_id in answers.keys() - people.keys():  # checked in, then left the audience
        member = await ctx.db.members.get(member_id)
        if member is not None and answers[member_id].checked_in_at is not None:
            people[member_id] = member
    over = ended(session, ctx.now())
    found = []
    for member_id in sorted(k for k in people if k is not None):
        answer = answers.get(member_id)
        if answer is not None and answer.checked_in_at is not None:
            state = "late" if answer.late else "present"
        elif answer is not None and answer.rsvp == "leave":
            state = "leave"
        else:
            state = "absent" if over else "pending"
        found.append(Row(people[member_id], answer, state))
    return found


@feature.button("at", access=ADMINS)
async def attendance(ctx: Context) -> None:
    session = await own_session(ctx)
    if session is None:
        return
    found = await attendance_rows(ctx, session)
    lines = [ctx.t("study.attendance_header", title=session.title,
                   day=format_day(session.starts_at, ctx.zone, ctx.lang))]  # fmt: skip
    for state in STATES:
        group = [r for r in found if r.state == state]
        if state == "pending":
            if group:
                lines.append(ctx.t("study.attendance_pending", count=len(group)))
            continue
        if state == "absent" and not ended(session, ctx.now()):
            continue
        names = [_name(ctx, r) for r in group] or [ctx.t("study.nobody")]
        lines.append(ctx.t(f"study.attendance_{state}", count=len(group),
                           names=ctx.t("study.sep").join(names)))  # fmt: skip
    ctx.send(Text("\n".join(lines)))


def _name(ctx: Context, row: Row) -> str:
    if row.state == "leave" and row.answer is not None and row.answer.leave_reason:
        return ctx.t("study.name_reason", name=row.member.name, reason=row.answer.leave_reason)
    return row.member.name


@feature.button("xl", access=ADMINS)
async def export(ctx: Context) -> None:
    session = await own_session(ctx)
    if session is None:
        return
    from openpyxl import Workbook  # only when someone asks for a spreadsheet
    from openpyxl.styles import Font

    departments = {d.id: d.name for d in await ctx.db.orgs.departments(session.org_id)}
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = ctx.t("study.xl_sheet")
    sheet.append([ctx.t(f"study.xl_{c}") for c in ("name", "department", "role", "state",
                                                  "checked_in", "reason")])  # fmt: skip
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in await attendance_rows(ctx, session):
        answer = row.answer
        checked = answer.checked_in_at if answer is not None else None
        sheet.append([
            row.member.name,
            departments.get(row.member.department_id, ""),
            ctx.t(f"role.{row.member.role}"),
            ctx.t(f"study.state_{row.state}"),
            f"{checked.astimezone(ctx.zone):%Y-%m-%d %H:%M}" if checked else "",
            (answer.leave_reason or "") if answer is not None and row.state == "leave" else "",
        ])  # fmt: skip
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed text stays text, even if it starts with "="
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEF", (12, 16, 14, 10, 18, 40), strict=True):
        sheet.column_dimensions[column].width = width
    data = io.BytesIO()
    book.save(data)
    day = session.starts_at.astimezone(ctx.zone).date().isoformat()
    caption = ctx.t("study.xl_caption", title=session.title)
    ctx.send(File(data.getvalue(), f"attendance-{session.id}-{day}.xlsx", caption))
