"""The campaign office sets deadlines (e.g. each leader's self-examination report), sees
who still owes one, exports it, and cancels it."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.deadlines.common import feature, parse_time, when
from handlers.deadlines.export import owed_workbook
from handlers.feature import ADMINS, param_id
from handlers.messages import Button, File, Text, rows
from storage.models import Role
from storage.study_models import Deadline, DeadlineKind

TITLE_LIMIT = 200
KINDS = {kind.value for kind in DeadlineKind}
AUDIENCES = {
    "all": {},
    "leaders": {"roles": [Role.leader]},
    "cadres": {"roles": [Role.cadre, Role.leader]},
}


@feature.command("duedates", access=ADMINS, keywords=("截止管理",))
async def manage(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    found = await ctx.db.study.open_deadlines(ctx.org.id, ctx.now())
    lines = [ctx.t("deadlines.manage_header")]
    buttons = [Button(ctx.t("deadlines.new"), feature.payload("new"))]
    for deadline in found:
        handed, owed = await _tally(ctx, deadline)
        lines.append(
            ctx.t(
                "deadlines.manage_line",
                id=deadline.id,
                title=deadline.title,
                due=when(ctx, deadline.due_at),
                handed=handed,
                owed=len(owed),
            )
        )
        buttons.append(Button(f"#{deadline.id}", feature.payload("view", deadline.id)))
    if not found:
        lines.append(ctx.t("deadlines.manage_none"))
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=4)))


@feature.button("new", access=ADMINS)
async def new(ctx: Context) -> None:
    ctx.begin(feature.name, "title")
    ctx.say("deadlines.ask_title", limit=TITLE_LIMIT)


@feature.step("title", access=ADMINS)
async def title(ctx: Context) -> None:
    words = " ".join(ctx.args.split())
    if not words or len(words) > TITLE_LIMIT:
        ctx.say("deadlines.title_invalid", limit=TITLE_LIMIT)
        return
    ctx.dialogue.data["title"] = words
    ctx.dialogue.step = "kind"
    buttons = rows(
        *(Button(ctx.t(f"deadlines.kind_{k}"), feature.payload("kind", k)) for k in DeadlineKind),
        per_row=3,
    )
    ctx.say("deadlines.ask_kind", buttons=buttons)


@feature.button("kind", access=ADMINS)
async def kind(ctx: Context) -> None:
    if ctx.dialogue.step != "kind" or not ctx.params or ctx.params[0] not in KINDS:
        ctx.say("deadlines.nothing_to_save")
        return
    ctx.dialogue.data["kind"] = ctx.params[0]
    ctx.dialogue.step = "due"
    ctx.say("deadlines.ask_due")


@feature.step("due", access=ADMINS)
async def due(ctx: Context) -> None:
    moment = parse_time(ctx, ctx.args)
    if moment is None:
        return
    ctx.dialogue.data["due"] = moment.isoformat()
    ctx.dialogue.step = "audience"
    buttons = rows(
        *(Button(ctx.t(f"deadlines.audience_{a}"), feature.payload("aud", a)) for a in AUDIENCES),
        per_row=3,
    )
    ctx.say("deadlines.ask_audience", buttons=buttons)


@feature.button("aud", access=ADMINS)
async def audience(ctx: Context) -> None:
    choice = ctx.params[0] if ctx.params else ""
    if ctx.dialogue.step != "audience" or choice not in AUDIENCES:
        ctx.say("deadlines.nothing_to_save")
        return
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None
    reach = await ctx.db.study.audience(ctx.org.id, AUDIENCES[choice])
    if not reach:
        ctx.say("deadlines.audience_empty")
        return
    data = ctx.dialogue.data
    deadline = await ctx.db.study.add(
        Deadline(
            org_id=ctx.org.id,
            kind=data["kind"],
            title=data["title"],
            due_at=datetime.fromisoformat(data["due"]),
            audience=AUDIENCES[choice],
            created_by=ctx.member.id,
            created_at=ctx.now(),
        )
    )
    ctx.end()
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "deadline.create", org_id=ctx.org.id, deadline=deadline.id
    )
    ctx.say(
        "deadlines.created", title=deadline.title, due=when(ctx, deadline.due_at), count=len(reach)
    )


@feature.button("view", access=ADMINS)
async def view(ctx: Context) -> None:
    deadline = await _mine(ctx)
    if deadline is None:
        return
    handed, owed = await _tally(ctx, deadline)
    names = "、".join(m.name for m in owed) or ctx.t("deadlines.nobody")
    text = ctx.t(
        "deadlines.view",
        title=deadline.title,
        due=when(ctx, deadline.due_at),
        handed=handed,
        owed=len(owed),
        names=names,
    )
    buttons = rows(
        Button(ctx.t("deadlines.export"), feature.payload("xls", deadline.id)),
        Button(ctx.t("deadlines.cancel"), feature.payload("drop", deadline.id)),
    )
    ctx.send(Text(text, buttons))


@feature.button("xls", access=ADMINS)
async def export(ctx: Context) -> None:
    deadline = await _mine(ctx)
    if deadline is not None:
        data = await owed_workbook(ctx, deadline)
        ctx.send(File(data, f"deadline-{deadline.id}.xlsx", ctx.t("deadlines.export_caption")))


@feature.button("drop", access=ADMINS)
async def drop(ctx: Context) -> None:
    deadline = await _mine(ctx)
    if deadline is None:
        return
    deadline.cancelled = True
    ctx.db.session.add(deadline)
    assert ctx.member is not None
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "deadline.cancel", org_id=deadline.org_id, deadline=deadline.id
    )
    ctx.say("deadlines.cancelled", title=deadline.title)


async def _mine(ctx: Context) -> Deadline | None:
    raw = ctx.params[0] if ctx.params else ""
    deadline = await ctx.db.study.deadline(param_id(raw))
    if deadline is None or ctx.org is None or deadline.org_id != ctx.org.id:
        ctx.say("deadlines.not_found")
        return None
    return deadline


async def _tally(ctx: Context, deadline: Deadline) -> tuple[int, list]:
    members = await ctx.db.study.audience(deadline.org_id, deadline.audience)
    handed = await ctx.db.study.submitted_members(deadline.id)  # type: ignore[arg-type]
    return len(handed), [m for m in members if m.id not in handed]
