"""What the ledger's chat modules share: the feature, loading an item safely, words."""

from __future__ import annotations

from datetime import date

from handlers.context import Context
from handlers.feature import Feature, param_id
from storage.ledger_models import ItemStatus, ProgressReport, RectificationItem
from storage.models import Role

feature = Feature("lg")
RECTIFY = frozenset({"rectify"})
STEPS = (25, 50, 75)  # the one-tap progress buttons; "done" asks for review
OPEN = (ItemStatus.not_started, ItemStatus.in_progress, ItemStatus.reopened)


def overdue(item: RectificationItem, today: date) -> bool:
    return item.status in OPEN and item.deadline < today


def status_words(ctx: Context, item: RectificationItem) -> str:
    if overdue(item, ctx.today()):
        return ctx.t("ledger.status_overdue")
    return ctx.t(f"ledger.status_{item.status}")


def day(ctx: Context, when: date) -> str:
    return ctx.t("date.short", m=when.month, d=when.day)


async def load(ctx: Context, raw: str, *, as_person: bool = False) -> RectificationItem | None:
    """The item a button or command names, if this member may see it; else says why."""
    item = await ctx.db.ledger.get(param_id(raw))
    member = ctx.member
    if item is None or member is None or item.org_id != member.org_id:
        ctx.say("ledger.not_found")
        return None
    if as_person and item.person_id != member.id:
        ctx.say("ledger.not_yours", id=item.id)
        return None
    return item


def is_office(ctx: Context) -> bool:
    return ctx.member is not None and ctx.member.role == Role.admin


async def latest(ctx: Context, item: RectificationItem) -> ProgressReport | None:
    history = await ctx.db.ledger.history(item.id)  # type: ignore[arg-type]
    reports = [r for r in history if r.text]
    return reports[-1] if reports else None


async def roll_up(ctx: Context, item: RectificationItem) -> None:
    """A parent's percent is its sub-items' weighted average; called after a sub-item moves."""
    if item.parent_id is None:
        return
    parent = await ctx.db.ledger.get(item.parent_id)
    if parent is None:
        return
    children = await ctx.db.ledger.children(parent.id)  # type: ignore[arg-type]
    total = sum(c.weight for c in children) or 1.0
    parent.percent = round(sum(c.percent * c.weight for c in children) / total)
    if all(c.status == ItemStatus.done for c in children):
        parent.status, parent.finished_on = ItemStatus.done, ctx.today()
    elif parent.percent > 0 and parent.status == ItemStatus.not_started:
        parent.status = ItemStatus.in_progress
    ctx.db.session.add(parent)
