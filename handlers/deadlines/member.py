"""/deadlines (截止): what I still owe, by date, with a button to hand it in right there;
/reflect (心得): a reflection, optional, never nagged for unless a deadline asks for it."""

from __future__ import annotations

from handlers.context import Context
from handlers.deadlines.common import SUBMIT_LIMIT, feature, owed_by, reopened, when
from handlers.feature import MEMBERS, param_id
from handlers.messages import Button, Text, rows
from storage.study_models import DeadlineKind, Submission

DONE_WORDS = ("完成", "done")


@feature.command("deadlines", access=MEMBERS, keywords=("截止",))
async def deadlines(ctx: Context) -> None:
    assert ctx.member is not None
    found = await owed_by(ctx, ctx.member)
    if not found:
        ctx.say("deadlines.none")
        return
    lines, buttons = [ctx.t("deadlines.header")], []
    for deadline, done in found:
        state = ctx.t("deadlines.handed_in" if done else "deadlines.owed")
        lines.append(
            ctx.t(
                "deadlines.line", title=deadline.title, due=when(ctx, deadline.due_at), state=state
            )
        )
        if not done:
            label = ctx.t("deadlines.submit_button", title=deadline.title[:12])
            buttons.append(Button(label, feature.payload("sub", deadline.id)))
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=1)))


@feature.button("sub", access=MEMBERS)
async def start_submission(ctx: Context) -> None:
    raw = ctx.params[0] if ctx.params else ""
    deadline = await ctx.db.study.deadline(param_id(raw))
    member = ctx.member
    assert member is not None
    if deadline is None or deadline.org_id != member.org_id or deadline.cancelled:
        ctx.say("deadlines.not_found")
        return
    if not ctx.db.study.includes(deadline.audience, member):
        ctx.say("deadlines.not_yours")
        return
    if deadline.due_at <= ctx.now() and not await reopened(ctx, deadline, member):
        ctx.say("deadlines.passed", due=when(ctx, deadline.due_at))
        return
    ctx.begin(
        feature.name,
        "write",
        {"deadline": deadline.id, "kind": deadline.kind, "text": [], "files": []},
    )
    ctx.say("deadlines.ask_submission", title=deadline.title, limit=SUBMIT_LIMIT)


@feature.command("reflect", access=MEMBERS, keywords=("心得",))
async def reflect(ctx: Context) -> None:
    assert ctx.member is not None
    owed = [
        d
        for d, done in await owed_by(ctx, ctx.member)
        if d.kind == DeadlineKind.reflection and not done
    ]
    data = {
        "deadline": owed[0].id if owed else None,
        "kind": DeadlineKind.reflection,
        "text": [],
        "files": [],
    }
    ctx.begin(feature.name, "write", data)
    ctx.say("deadlines.ask_reflection", limit=SUBMIT_LIMIT)


@feature.step("write", access=MEMBERS)
async def write(ctx: Context) -> None:
    data = ctx.dialogue.data
    if ctx.args.casefold() in DONE_WORDS:
        await _save(ctx)
        return
    for attachment in ctx.msg.attachments:
        if attachment.kind in ("file", "photo"):
            data["files"].append(
                {
                    "channel": ctx.msg.channel,
                    "kind": attachment.kind,
                    "ref": attachment.ref,
                    "name": attachment.name,
                }
            )
        else:
            ctx.say("deadlines.file_kind")
    if ctx.args:
        used = sum(len(part) for part in data["text"])
        if used + len(ctx.args) > SUBMIT_LIMIT:
            ctx.say("deadlines.too_long", limit=SUBMIT_LIMIT, used=used)
            return
        data["text"].append(ctx.args)
    done = Button(ctx.t("deadlines.done"), feature.payload("done"))
    chars = sum(len(part) for part in data["text"])
    ctx.say("deadlines.got_part", chars=chars, files=len(data["files"]), buttons=((done,),))


@feature.button("done", access=MEMBERS)
async def done(ctx: Context) -> None:
    if ctx.dialogue.feature != feature.name or ctx.dialogue.step != "write":
        ctx.say("deadlines.nothing_to_save")
        return
    await _save(ctx)


async def _save(ctx: Context) -> None:
    data, member = ctx.dialogue.data, ctx.member
    assert member is not None and member.id is not None
    if not data["text"] and not data["files"]:
        ctx.say("deadlines.empty")
        return
    deadline = await ctx.db.study.deadline(data["deadline"]) if data["deadline"] else None
    if deadline is not None and (
        deadline.cancelled
        or (deadline.due_at <= ctx.now() and not await reopened(ctx, deadline, member))
    ):
        ctx.end()
        ctx.say("deadlines.passed", due=when(ctx, deadline.due_at))
        return
    await ctx.db.study.add(
        Submission(
            deadline_id=data["deadline"],
            member_id=member.id,
            kind=data["kind"],
            text="\n".join(data["text"]),
            files=data["files"],
            submitted_at=ctx.now(),
        )
    )
    ctx.end()
    if deadline is not None:
        ctx.say("deadlines.saved", title=deadline.title)
    else:
        ctx.say("deadlines.reflection_saved")
