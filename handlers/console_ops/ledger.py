"""The rectification ledger for the web console: the item form with its four specifics
(四明确一承诺) checked field by field, creating through the chat's own handler, editing,
and review decisions through the chat's handlers (handlers/ledger/create.py, review.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from handlers.console_ops.context import OpContext, audit_detail, finish
from handlers.ledger import create, review
from handlers.ledger.common import day
from handlers.ledger.common import feature as ledger
from handlers.messages import Text
from storage.ledger_models import RectificationItem, Visibility
from storage.models import Member

TEXTS = ("content", "goal", "measures", "pledge")
FIELDS = ("content", "goal", "measures", "deadline", "leader", "person", "pledge", "visibility")
REQUIRED = frozenset({"content", "goal", "measures", "deadline", "leader", "person"})
LIMITS = create.LIMITS
REASON_LIMIT = review.REASON_LIMIT
Decision = Callable[[OpContext, RectificationItem], Awaitable[list[str]]]


@dataclass
class ItemForm:
    """What was typed, and what is wrong with it, field by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    clean: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, item: RectificationItem) -> ItemForm:
        values = {name: str(getattr(item, name)) for name in TEXTS}
        values.update(
            deadline=item.deadline.isoformat(),
            leader=str(item.leader_id),
            person=str(item.person_id),
            visibility=item.visibility,
        )
        return cls(values)


async def candidates(ctx: OpContext) -> tuple[list[Member], list[Member]]:
    """Who may be the responsible leader, and who the responsible person (as in chat)."""
    leaders = await create._candidates(ctx, leaders_only=True)
    return leaders, await create._candidates(ctx, leaders_only=False)


async def check(
    ctx: OpContext, values: dict[str, str], *, was: RectificationItem | None = None
) -> ItemForm:
    form = ItemForm({k: values.get(k, "").strip() for k in (*FIELDS, "problem")})
    label = {f: ctx.t(f"console.f_{f}") for f in FIELDS}
    for name in TEXTS:
        text = " ".join(form.values[name].split())
        if not text and name in REQUIRED:
            form.errors[name] = ctx.t("console.err_required", field=label[name])
        elif len(text) > LIMITS[name]:
            form.errors[name] = ctx.t(
                "console.err_too_long", field=label[name], limit=LIMITS[name], length=len(text)
            )
        form.clean[name] = text
    _deadline(ctx, form, was)
    leaders, people = await candidates(ctx)
    for name, pool in (("leader", leaders), ("person", people)):
        chosen = _int(form.values[name])
        if chosen not in {m.id for m in pool}:
            form.errors[name] = ctx.t(f"console.err_{name}")
        form.clean[name] = chosen
    if form.values["visibility"] not in tuple(Visibility):
        form.errors["visibility"] = ctx.t("console.err_choice")
    form.clean["visibility"] = form.values["visibility"]
    if form.values["problem"]:
        problem = await ctx.db.opinions.problem(_int(form.values["problem"]) or 0)
        if problem is None or ctx.org is None or problem.org_id != ctx.org.id:
            form.errors["problem"] = ctx.t("console.err_choice")
        form.clean["problem"] = problem.id if problem else None
    return form


def _deadline(ctx: OpContext, form: ItemForm, was: RectificationItem | None) -> None:
    raw = form.values["deadline"]
    try:
        when = date.fromisoformat(raw)
    except ValueError:
        form.errors["deadline"] = ctx.t("console.err_date")
        return
    unchanged = was is not None and was.deadline == when
    if when < ctx.today() and not unchanged:
        form.errors["deadline"] = ctx.t("console.err_date_past")
    form.clean["deadline"] = when


async def create_item(ctx: OpContext, form: ItemForm) -> tuple[int, list[str]]:
    """Through the chat's own creation: the same record, link to the problem, notices to
    the responsible person and to the problem's authors, and the audit entry."""
    assert ctx.org is not None and not form.errors
    data = {k: v for k, v in form.clean.items() if k != "deadline"}
    data.update(deadline=form.clean["deadline"].isoformat(), field="visibility")  # type: ignore[union-attr]
    ctx.begin(ledger.name, "create", data)
    ctx.params = ("visibility", str(form.clean["visibility"]))
    await create.pick(ctx)
    detail = audit_detail(ctx, "ledger.create") or {}
    messages = await finish(ctx, "ledger.created", org_id=ctx.org.id, action="ledger.create")
    return int(str(detail.get("item", 0))), messages


async def edit_item(ctx: OpContext, item: RectificationItem, form: ItemForm) -> list[str]:
    """The specifics corrected; the history keeps progress, the audit log the change."""
    assert ctx.member is not None and not form.errors
    changed = [f for f in FIELDS if getattr(item, _attr(f)) != form.clean[f]]
    if not changed:
        return [ctx.t("console.ledger_unchanged", id=item.id)]
    new_person = "person" in changed
    for name in changed:
        setattr(item, _attr(name), form.clean[name])
    ctx.db.session.add(item)
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "ledger.edit", org_id=item.org_id, item=item.id, fields=changed
    )
    person = await ctx.db.members.get(item.person_id) if new_person else None
    if person is not None and person.active:
        text = ctx.text_for(person, "ledger.assigned_push", id=item.id, content=item.content,
                            deadline=day(ctx, item.deadline))  # fmt: skip
        await ctx.push(person, [Text(text)], kind="ledger_news")
    ctx.say("console.ledger_saved", id=item.id)
    return await finish(ctx, "console.ledger_saved", org_id=item.org_id, action="ledger.edit")


def _attr(name: str) -> str:
    return {"leader": "leader_id", "person": "person_id"}.get(name, name)


# Review decisions: the chat's handlers, which allow the item's leader and the office.


async def approve(ctx: OpContext, item: RectificationItem) -> list[str]:
    ctx.params = (str(item.id),)
    await review.approve(ctx)
    return await finish(
        ctx, "ledger.approved", org_id=item.org_id, action="ledger.approve", item=item.id
    )


async def send_back(ctx: OpContext, item: RectificationItem, reason: str) -> list[str]:
    ctx.begin(ledger.name, "return_reason", {"item": item.id})
    ctx.args = reason
    await review.return_reason(ctx)
    return await finish(
        ctx, "ledger.returned", org_id=item.org_id, action="ledger.return", item=item.id
    )


async def reopen(ctx: OpContext, item: RectificationItem) -> list[str]:
    ctx.params = (str(item.id),)
    await review.reopen(ctx)
    return await finish(ctx, "ledger.reopened", org_id=item.org_id, action="ledger.reopen")


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
