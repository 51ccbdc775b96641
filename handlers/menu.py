"""What this person can do now: the help text and the menu, by role and stage."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import Command
from handlers.messages import Button, Text, rows
from handlers.router import MENU_PREFIX
from storage.models import StagePeriod

MENU_SIZE = 6


async def current_period(ctx: Context) -> StagePeriod | None:
    if ctx.org is None or ctx.org.id is None:
        return None
    if "stage" not in ctx.cache:
        ctx.cache["stage"] = await ctx.db.orgs.current_stage(ctx.org.id, ctx.today())
    return ctx.cache["stage"]


async def current_stage(ctx: Context) -> str | None:
    period = await current_period(ctx)
    return period.stage if period else None


def _available(ctx: Context, stage: str | None) -> list[Command]:
    router = ctx.services.router
    role = ctx.member.role if ctx.member else None
    return router.available(role, stage) if router else []


async def menu_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    """What matters in this stage first, a few of them, and always 帮助 for the rest."""
    if ctx.member is None:
        return ()
    usable = [c for c in _available(ctx, await current_stage(ctx)) if c.menu]
    chosen = [c for c in usable if c.name != "help"][: MENU_SIZE - 1]
    chosen += [c for c in usable if c.name == "help"]
    return rows(*(Button(ctx.t(f"label.{c.name}"), MENU_PREFIX + c.name) for c in chosen))


async def show_menu(ctx: Context) -> None:
    if ctx.member is None:
        ctx.say("help.stranger")
        return
    ctx.send(Text(ctx.t("menu.prompt"), await menu_buttons(ctx)))


def _command_line(ctx: Context, command: Command) -> str:
    description = ctx.t(f"cmd.{command.name}")
    cjk = [k for k in command.keywords if not k.isascii()]
    if cjk and ctx.lang == "zh":
        return ctx.t("help.line_keyword", keyword=cjk[0], command=command.name, text=description)
    return ctx.t("help.line", command=command.name, text=description)


async def help_text(ctx: Context, *, greet: bool = True) -> str:
    member, org = ctx.member, ctx.org
    if member is None or org is None:
        return ctx.t("help.stranger")
    stage = await current_stage(ctx)
    role = ctx.t(f"role.{member.role}")
    lines = [ctx.t("help.header", name=member.name, org=org.name, role=role)] if greet else []
    if stage is not None and org.id is not None:
        period = await current_period(ctx)
        if period is not None:
            lines.append(
                ctx.t(
                    "help.stage",
                    stage=ctx.t(f"stage.{stage}"),
                    starts=ctx.t("date.short", m=period.starts_on.month, d=period.starts_on.day),
                    ends=ctx.t("date.short", m=period.ends_on.month, d=period.ends_on.day),
                )
            )
    else:
        lines.append(ctx.t("help.no_stage"))
    lines.append(ctx.t("help.can_do"))
    lines.extend(_command_line(ctx, c) for c in _available(ctx, stage) if c.name != "start")
    if ctx.dialogue.active:
        lines.append(ctx.t("help.in_dialogue"))
    return "\n".join(lines)
