"""One inbox over both kinds of opinion: named ones and released anonymous threads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.context import Context
from handlers.feature import param_id
from storage.models import Role
from storage.opinion_models import AnonThread, Opinion, Status

OPEN = (Status.new, Status.assigned)


@dataclass
class Item:
    row: Opinion | AnonThread

    @property
    def anonymous(self) -> bool:
        return isinstance(self.row, AnonThread)

    @property
    def ref(self) -> str:
        return f"{'a' if self.anonymous else 'n'}{self.row.id}"

    def label(self, ctx: Context) -> str:
        if isinstance(self.row, AnonThread):
            return ctx.t("opinions.pseudonym", tag=self.row.pseudonym)
        return f"#{self.row.id}"

    def received(self, ctx: Context) -> date:
        """The day the office got it: an anonymous thread's release day, by design."""
        if isinstance(self.row, AnonThread):
            return self.row.released_on or self.row.received_on
        return self.row.created_at.astimezone(ctx.zone).date()

    def age(self, ctx: Context) -> int:
        return (ctx.today() - self.received(ctx)).days

    def overdue(self, ctx: Context, days: int) -> bool:
        return self.row.status in OPEN and self.age(ctx) >= days


def is_office(ctx: Context) -> bool:
    return ctx.member is not None and ctx.member.role == Role.admin


async def open_items(ctx: Context) -> list[Item]:
    """What this person must deal with: the office sees its organization's open opinions,
    a leader those assigned to them; overdue first, then the oldest."""
    assert ctx.member is not None and ctx.org is not None and ctx.org.id is not None
    assignee = None if is_office(ctx) else ctx.member.id
    named = await ctx.db.opinions.named_inbox(ctx.org.id, assignee_id=assignee)
    anon = await ctx.db.opinions.anon_inbox(ctx.org.id, assignee_id=assignee)
    items = [Item(row) for row in (*named, *anon)]
    days = ctx.org.opinion_reply_days
    order = {Status.new: 0, Status.assigned: 1, Status.replied: 2}
    items.sort(key=lambda i: (not i.overdue(ctx, days), order.get(i.row.status, 3), -i.age(ctx)))
    return items


async def load_item(ctx: Context, ref: str) -> Item | None:
    """The opinion a button names, if this person may handle it; None says it to them."""
    kind, digits = ref[:1], ref[1:]
    row: Opinion | AnonThread | None = None
    if kind == "n":
        row = await ctx.db.opinions.get(param_id(digits))
    elif kind == "a":
        row = await ctx.db.opinions.thread(param_id(digits))
        if row is not None and row.released_on is None:
            row = None
    allowed = (
        row is not None
        and ctx.org is not None
        and row.org_id == ctx.org.id
        and ctx.member is not None
        and (is_office(ctx) or row.assignee_id == ctx.member.id)
    )
    if not allowed or row is None:
        ctx.say("opinions.not_found")
        return None
    return Item(row)
