"""Broadcasts for the web console: the compose form checked field by field (the time read
as the chat and the command line read it, in the organization's zone), then stored and
handed to the outbox by the operations the chat and the command line share
(handlers/broadcasts/ops.py); cancelling one through the same operation.

Broadcasts carry text only, as in the chat (an image or a file goes online, with a link
in the text). The audience is the viewer's own organization, everyone or some roles."""

from __future__ import annotations

from datetime import date, datetime

from handlers.admin_ops import OpError
from handlers.broadcasts.common import (
    REPEATS,
    TEXT_LIMIT,
    audience_counts,
    counts_by_role,
    number,
    parse_send_time,
    parse_until,
    refusal,
)
from handlers.broadcasts.ops import ACTIVE, SLACK, cancel, create_broadcast, start_now
from handlers.console_ops.context import OpContext, Refused, actor, stamp
from handlers.console_ops.forms import Form, choice
from handlers.timeparse import TimeParseError
from storage.models import Role
from storage.study_models import Broadcast

FIELDS = ("text", "when", "at", "repeat", "until")
WHENS = ("now", "later")
REPEAT_CHOICES = ("once", *REPEATS)
ROLES = tuple(Role)
FIELD_OF = {  # where a refusal from create_broadcast belongs on the form
    "broadcasts.at_past": "at",
    "broadcasts.audience_empty": "audience",
    "broadcasts.repeat_wrong": "repeat",
}


def fresh() -> Form:
    return Form({"when": "now", "repeat": "once"})


def chosen_roles(raw: list[str]) -> list[str] | None:
    """The roles ticked, in the catalog's order; None when one is not a role."""
    if any(r not in ROLES for r in raw):
        return None
    return [r for r in ROLES if r in raw]


async def reach(ctx: OpContext, roles: list[str]) -> tuple[int, int]:
    """(members, of whom bound to a chat account) an audience of the viewer's unit has."""
    assert ctx.org is not None and ctx.org.id is not None
    return await audience_counts(ctx.db, ctx.org.id, roles)


async def role_counts(ctx: OpContext) -> dict[str, int]:
    assert ctx.org is not None and ctx.org.id is not None
    return await counts_by_role(ctx.db, ctx.org.id)


def reach_text(ctx: OpContext, members: int, reachable: int) -> str:
    return ctx.t("console.bc_reach", members=number(members), reachable=number(reachable))


async def check(ctx: OpContext, values: dict[str, str], raw_roles: list[str]) -> Form:
    """Every field checked; what was typed stays in ``values`` for the form to show."""
    form = Form.of(values, FIELDS)
    form.values["text"] = values.get("text", "").replace("\r\n", "\n").strip()
    _text(ctx, form)
    await _audience(ctx, form, raw_roles)
    _when(ctx, form)
    return form


def _text(ctx: OpContext, form: Form) -> None:
    words = form.values["text"]
    if not words:
        form.fail("text", ctx.t("console.err_required", field=ctx.t("console.f_bc_text")))
    elif len(words) > TEXT_LIMIT:
        form.fail("text", ctx.t("broadcasts.text_too_long", limit=TEXT_LIMIT, length=len(words)))
    form.clean["text"] = words


async def _audience(ctx: OpContext, form: Form, raw_roles: list[str]) -> None:
    roles = chosen_roles(raw_roles)
    form.clean["roles"] = roles or []
    if roles is None:
        form.fail("audience", ctx.t("console.err_choice"))
        return
    members, reachable = await reach(ctx, roles)
    form.clean["members"], form.clean["reachable"] = members, reachable
    if members == 0:
        form.fail("audience", ctx.t("broadcasts.audience_empty"))


def _when(ctx: OpContext, form: Form) -> None:
    now = ctx.now()
    form.clean["send_at"], form.clean["until"], form.clean["now"] = now, None, True
    if choice(ctx, form, "when", WHENS) == "later":
        typed = form.values["at"]
        if not typed:
            form.fail("at", ctx.t("console.err_required", field=ctx.t("console.f_bc_at")))
        else:
            try:
                moment = parse_send_time(typed, now, ctx.zone)
            except TimeParseError as problem:
                form.fail("at", refusal(ctx, problem))
            else:
                if moment < now - SLACK:
                    form.fail("at", ctx.t("broadcasts.at_past"))
                form.clean["send_at"], form.clean["now"] = moment, moment == now
    repeat = choice(ctx, form, "repeat", REPEAT_CHOICES)
    form.clean["repeat"] = None if repeat in (None, "once") else repeat
    if form.clean["repeat"] is None or "at" in form.errors:
        return
    if not form.values["until"]:
        form.fail("until", ctx.t("console.err_required", field=ctx.t("console.f_bc_until")))
        return
    try:
        form.clean["until"] = parse_until(form.values["until"], form.clean["send_at"], now,
                                          ctx.zone)  # fmt: skip
    except TimeParseError as problem:
        form.fail("until", refusal(ctx, problem))


async def create(ctx: OpContext, form: Form) -> tuple[Broadcast, int]:
    """Stored as the chat stores it; one sent now goes to the outbox in this transaction.
    Returns it and how many messages were queued. OpError if it became wrong meanwhile."""
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None and form.ok
    until: date | None = form.clean["until"]
    send_at: datetime = form.clean["send_at"]
    row = await create_broadcast(
        ctx.db, org_id=ctx.org.id, text=form.clean["text"], roles=form.clean["roles"],
        send_at=send_at, now=ctx.now(), repeat=form.clean["repeat"], until=until,
        sender_id=ctx.member.id, actor=actor(ctx.member),
    )  # fmt: skip
    queued = await start_now(ctx, row) if form.clean["now"] else 0
    stamp(ctx, ctx.org.id)
    return row, queued


def refused_field(form: Form, ctx: OpContext, problem: OpError) -> Form:
    form.fail(FIELD_OF.get(problem.key, "text"), ctx.t(problem.key, **problem.params))
    return form


async def cancel_one(ctx: OpContext, row: Broadcast) -> list[str]:
    """What is still queued is not sent, and no later occurrence goes out."""
    assert ctx.member is not None and row.id is not None
    if row.status not in ACTIVE:
        status = ctx.t(f"broadcasts.status_{row.status}")
        raise Refused([ctx.t("broadcasts.not_active", id=row.id, status=status)])
    found = await cancel(ctx.db, row, actor(ctx.member))
    stamp(ctx, row.org_id)
    return [ctx.t("broadcasts.cancelled", id=row.id, **{k: number(v) for k, v in found.items()})]
