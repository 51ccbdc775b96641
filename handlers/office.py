"""/admin (管理): the campaign office's quick actions in one place, and for a leader what
waits for them — opinions assigned to them and items awaiting their review."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import LEADERS, Feature
from handlers.ledger.common import feature as ledger
from handlers.messages import Button, Text, rows
from handlers.opinions.common import feature as opinions
from handlers.opinions.inbox import show_inbox
from handlers.router import MENU_PREFIX
from storage.models import Role

feature = Feature("office")
# (label key, payload): what the office reaches from /admin; commands that are not
# registered (a feature switched off) are left out.
OFFICE_ACTIONS = (
    ("opinions.inbox", opinions.payload("ib", 0)),
    ("opinions.problems", opinions.payload("pl")),
    ("opinions.stats", opinions.payload("st")),
    ("label.items", MENU_PREFIX + "items"),
    ("label.duedates", MENU_PREFIX + "duedates"),
    ("label.sessions", MENU_PREFIX + "sessions"),
    ("label.broadcast", MENU_PREFIX + "broadcast"),
    ("label.surveys", MENU_PREFIX + "surveys"),
    ("label.meeting", MENU_PREFIX + "meeting"),
    ("label.reports", MENU_PREFIX + "reports"),
)


@feature.command("admin", access=LEADERS, keywords=("管理",))
async def admin(ctx: Context) -> None:
    if ctx.member is not None and ctx.member.role == Role.admin:
        router = ctx.services.router
        buttons = [
            Button(ctx.t(key), payload)
            for key, payload in OFFICE_ACTIONS
            if not payload.startswith(MENU_PREFIX)
            or (router is not None and payload.removeprefix(MENU_PREFIX) in router.commands)
        ]
        ctx.send(Text(ctx.t("office.menu"), rows(*buttons, per_row=3)))
        return
    await show_inbox(ctx)
    await _awaiting_review(ctx)


async def _awaiting_review(ctx: Context) -> None:
    assert ctx.member is not None and ctx.member.id is not None
    waiting = await ctx.db.ledger.awaiting_review_by(ctx.member.id)
    for item in waiting:
        buttons = rows(
            Button(ctx.t("ledger.approve"), ledger.payload("ok", item.id)),
            Button(ctx.t("ledger.return"), ledger.payload("ret", item.id)),
        )
        ctx.send(Text(ctx.t("office.awaiting", id=item.id, content=item.content), buttons))
