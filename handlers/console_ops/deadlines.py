"""Deadlines for the web console: the form (a title, a kind, a time typed as people say
it, an audience) checked field by field, then created, exported and cancelled through
the chat's own handlers (handlers/deadlines/organizer.py); who handed in and who still
owes, as the chat and the dashboard count it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from handlers.console_ops.context import OpContext, audit_detail, finish
from handlers.console_ops.forms import Form, choice, text
from handlers.deadlines import organizer
from handlers.deadlines.common import feature
from handlers.deadlines.export import owed_workbook
from handlers.timeparse import TimeParseError, parse_when
from storage.models import Member
from storage.study_models import Deadline, Submission

FIELDS = ("title", "kind", "due", "audience")
KINDS = tuple(sorted(organizer.KINDS))
AUDIENCES = tuple(organizer.AUDIENCES)


@dataclass(frozen=True)
class Owed:
    member: Member
    handed: Submission | None  # the latest that stands; None: still owed


async def check(ctx: OpContext, values: dict[str, str]) -> Form:
    assert ctx.org is not None and ctx.org.id is not None
    form = Form.of(values, FIELDS)
    text(ctx, form, "title", organizer.TITLE_LIMIT, label=ctx.t("console.f_deadline_title"))
    choice(ctx, form, "kind", KINDS)
    typed, now = form.values["due"], ctx.now()
    if not typed:
        form.fail("due", ctx.t("console.err_required", field=ctx.t("console.f_due")))
    else:
        try:
            found = parse_when(typed, now, ctx.zone)
        except TimeParseError as problem:
            form.fail("due", ctx.t(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang,
                                                                             now=now)))  # fmt: skip
        else:  # a day alone means its end, as in chat
            end = found.start + timedelta(days=1, minutes=-1) if found.date_only else found.start
            form.clean["due"] = end
    if choice(ctx, form, "audience", AUDIENCES) is not None:
        spec = organizer.AUDIENCES[form.clean["audience"]]
        if not await ctx.db.study.audience(ctx.org.id, spec):
            form.fail("audience", ctx.t("deadlines.audience_empty"))
    return form


async def create(ctx: OpContext, form: Form) -> tuple[int, list[str]]:
    """Through the chat's last step, with what the form says in its dialogue."""
    assert ctx.org is not None and form.ok
    data = {"title": form.clean["title"], "kind": form.clean["kind"],
            "due": form.clean["due"].isoformat()}  # fmt: skip
    ctx.begin(feature.name, "audience", data)
    ctx.params = (form.clean["audience"],)
    await organizer.audience(ctx)
    made = audit_detail(ctx, "deadline.create") or {}
    said = await finish(ctx, "deadlines.created", org_id=ctx.org.id, action="deadline.create")
    return int(str(made.get("deadline", 0))), said


async def owed(ctx: OpContext, deadline: Deadline) -> list[Owed]:
    """Everyone the deadline asks, in roster order, with what they handed in."""
    members = await ctx.db.study.audience(deadline.org_id, deadline.audience)
    standing = await ctx.db.study.submitted_members(deadline.id or 0)
    rows = []
    for member in members:
        handed = None
        if member.id in standing:
            handed = await ctx.db.study.submission(deadline.id or 0, member.id or 0)
        rows.append(Owed(member, handed))
    return rows


async def workbook(ctx: OpContext, deadline: Deadline) -> bytes:
    return await owed_workbook(ctx, deadline)


async def cancel(ctx: OpContext, deadline: Deadline) -> list[str]:
    ctx.params = (str(deadline.id),)
    await organizer.drop(ctx)
    return await finish(ctx, "deadlines.cancelled", org_id=deadline.org_id,
                        action="deadline.cancel")  # fmt: skip
