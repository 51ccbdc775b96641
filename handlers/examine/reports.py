"""对照检查 (/reports): self-examination reports (a Deadline of kind self_exam, handed in
through /deadlines) and the meeting's criticism outlines, reviewed by the main leader:
accepted, or returned with comments — the campaign sends back a report that is not
specific, not deep, or without concrete measures, and an outline that is perfunctory,
untrue or misses the point. The author is told and hands in again through /deadlines."""

from __future__ import annotations

from sqlmodel import col, or_, select

from handlers.context import Context
from handlers.deadlines.common import feature as deadlines
from handlers.deadlines.common import when
from handlers.examine.common import feature, is_main
from handlers.feature import LEADERS, param_id
from handlers.messages import Button, Text, rows
from storage.examine_models import Meeting
from storage.models import Role
from storage.study_models import Deadline, DeadlineKind, Submission

NOTE_LIMIT = 1000
SELF_EXAM_REASONS = ("specific", "deep", "measures")  # 不具体, 不深刻, 无具体整改措施
OUTLINE_REASONS = ("light", "untrue", "essence")  # 轻描淡写, 失真失实, 未指出问题实质
SHOWN = 5  # the latest deadlines listed


async def review_deadlines(ctx: Context, org_id: int) -> list[Deadline]:
    """Self-examination deadlines and the meetings' outline deadlines, latest first."""
    outlines = select(Meeting.outline_deadline_id).where(Meeting.org_id == org_id)
    query = select(Deadline).where(
        Deadline.org_id == org_id,
        ~col(Deadline.cancelled),
        or_(Deadline.kind == DeadlineKind.self_exam, col(Deadline.id).in_(outlines)),
    )
    return list((await ctx.db.session.exec(query.order_by(col(Deadline.due_at).desc()))).all())


def reasons_for(deadline: Deadline) -> tuple[str, ...]:
    return SELF_EXAM_REASONS if deadline.kind == DeadlineKind.self_exam else OUTLINE_REASONS


async def latest(ctx: Context, deadline_id: int) -> dict[int, Submission]:
    """Each member's latest submission for a deadline."""
    query = select(Submission).where(Submission.deadline_id == deadline_id)
    found: dict[int, Submission] = {}
    for row in (await ctx.db.session.exec(query.order_by(col(Submission.id)))).all():
        found[row.member_id] = row
    return found


@feature.command("reports", access=LEADERS, keywords=("对照检查",), menu=False)
async def reports(ctx: Context) -> None:
    me = ctx.member
    assert me is not None and me.id is not None and ctx.org is not None
    found = (await review_deadlines(ctx, me.org_id))[:SHOWN]
    if not found:
        ctx.say("examine.reports_none")
        return
    lines, buttons = [ctx.t("examine.reports_header")], []
    for deadline in found:
        audience = await ctx.db.study.audience(deadline.org_id, deadline.audience)
        handed = await latest(ctx, deadline.id)  # type: ignore[arg-type]
        lines.append(
            ctx.t("examine.reports_line", title=deadline.title, due=when(ctx, deadline.due_at))
        )
        if me.role == Role.leader and not is_main(me):
            mine = handed.get(me.id)
            state = ctx.t(f"examine.state_{mine.status}" if mine else "examine.state_owed")
            note = mine.review_note if mine and mine.status == "returned" else None
            lines.append(ctx.t("examine.reports_mine", state=state, note=note or "—"))
            continue
        counts = {s: sum(1 for x in handed.values() if x.status == s) for s in _STATES}
        owed = [m.name for m in audience if m.id not in handed]
        lines.append(ctx.t("examine.reports_counts", total=len(audience), owed=len(owed), **counts))
        if owed:
            lines.append(ctx.t("examine.reports_owed", names="、".join(owed)))
        if is_main(me):
            for row in handed.values():
                if row.status == "submitted" and row.member_id != me.id:
                    author = await ctx.db.members.get(row.member_id)
                    label = ctx.t("examine.review_button", name=author.name if author else "?")
                    buttons.append(Button(label, feature.payload("rv", row.id)))
    ctx.send(Text("\n".join(lines), rows(*buttons[:12], per_row=2)))


_STATES = ("submitted", "returned", "accepted")


async def _reviewable(ctx: Context) -> tuple[Submission, Deadline] | None:
    """The submission a button names, if this is the main leader and it awaits review."""
    me = ctx.member
    assert me is not None
    raw = ctx.params[0] if ctx.params else ""
    row = await ctx.db.session.get(Submission, param_id(raw))
    deadline = await ctx.db.study.deadline(row.deadline_id) if row and row.deadline_id else None
    if row is None or deadline is None or deadline.org_id != me.org_id:
        ctx.say("examine.report_not_found")
        return None
    if deadline.id not in {d.id for d in await review_deadlines(ctx, me.org_id)}:
        ctx.say("examine.report_not_found")
        return None
    if not is_main(me):
        ctx.say("examine.only_main_reviews")
        return None
    if row.member_id == me.id:
        ctx.say("examine.own_report")
        return None
    newest = await ctx.db.study.submission(deadline.id, row.member_id)  # type: ignore[arg-type]
    if newest is not None and newest.id != row.id:
        ctx.say("examine.superseded")
        return None
    if row.status != "submitted":
        ctx.say("examine.reviewed_before", state=ctx.t(f"examine.state_{row.status}"))
        return None
    return row, deadline


@feature.button("rv", access=LEADERS)
async def view(ctx: Context) -> None:
    found = await _reviewable(ctx)
    if found is None:
        return
    row, deadline = found
    author = await ctx.db.members.get(row.member_id)
    files = "、".join(f.get("name") or f.get("kind", "") for f in row.files) or "—"
    text = ctx.t(
        "examine.review_view",
        title=deadline.title,
        name=author.name if author else "?",
        at=when(ctx, row.submitted_at),
        files=files,
        body=row.text or ctx.t("examine.files_only"),
    )
    buttons = [Button(ctx.t("examine.accept"), feature.payload("ok", row.id))]
    buttons += [
        Button(ctx.t(f"examine.reason_{r}"), feature.payload("ret", row.id, r))
        for r in reasons_for(deadline)
    ]
    buttons.append(
        Button(ctx.t("examine.return_with_note"), feature.payload("ret", row.id, "note"))
    )
    ctx.send(Text(text, rows(*buttons, per_row=1)))


@feature.button("ok", access=LEADERS)
async def accept(ctx: Context) -> None:
    found = await _reviewable(ctx)
    if found is not None:
        await _decide(ctx, *found, "accepted", None)


@feature.button("ret", access=LEADERS)
async def send_back(ctx: Context) -> None:
    found = await _reviewable(ctx)
    if found is None:
        return
    row, deadline = found
    reason = ctx.params[1] if len(ctx.params) > 1 else "note"
    if reason in reasons_for(deadline):
        await _decide(ctx, row, deadline, "returned", ctx.t(f"examine.reason_{reason}_note"))
        return
    ctx.begin(feature.name, "ret_note", {"sub": row.id})
    ctx.say("examine.ask_note", limit=NOTE_LIMIT)


@feature.step("ret_note", access=LEADERS)
async def note_typed(ctx: Context) -> None:
    words = ctx.args.strip()
    if not words or len(words) > NOTE_LIMIT:
        ctx.say("examine.note_invalid", limit=NOTE_LIMIT)
        return
    ctx.params = (str(ctx.dialogue.data.get("sub", "")),)
    ctx.end()
    found = await _reviewable(ctx)
    if found is not None:
        await _decide(ctx, *found, "returned", words)


async def _decide(
    ctx: Context, row: Submission, deadline: Deadline, status: str, note: str | None
) -> None:
    assert ctx.member is not None
    row.status, row.review_note = status, note
    ctx.db.session.add(row)
    await ctx.db.audit.record(
        f"member:{ctx.member.id}",
        f"examine.{status}",
        org_id=deadline.org_id,
        submission=row.id,
    )
    author = await ctx.db.members.get(row.member_id)
    if author is not None and author.active:
        key = "examine.accepted_push" if status == "accepted" else "examine.returned_push"
        text = ctx.text_for(author, key, title=deadline.title, note=note or "")
        again = Button(
            ctx.text_for(author, "examine.hand_in_again"), deadlines.payload("sub", deadline.id)
        )
        buttons = ((again,),) if status == "returned" else ()
        await ctx.push(author, [Text(text, buttons)], kind="report_review")
    ctx.say(f"examine.{status}", name=author.name if author else "?", title=deadline.title)
