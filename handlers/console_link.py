"""/console (控制台): the campaign office, leaders and supervisors get a one-time link to set
their web console password (valid 24 hours, single use; a new link voids the old one)."""

from __future__ import annotations

from handlers.console_ops.logins import CONSOLE_ROLES, LINK_HOURS, new_link
from handlers.context import Context
from handlers.feature import Feature
from handlers.messages import Button, Text

feature = Feature("console")


@feature.command("console", access=CONSOLE_ROLES, keywords=("控制台",), menu=False)
async def console(ctx: Context) -> None:
    assert ctx.member is not None
    link = await new_link(ctx.db, ctx.member, ctx.services.web_url, ctx.now())
    button = Button(ctx.t("console.link_button"), url=link)
    ctx.send(Text(ctx.t("console.link_text", link=link, hours=LINK_HOURS), ((button,),)))
