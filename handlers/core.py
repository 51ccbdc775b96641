"""Always there: help and the menu, cancel, the interface language, and the catch-all."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import ANYONE, Feature
from handlers.membership import join_with
from handlers.menu import help_text, menu_buttons, show_menu
from handlers.messages import Button, Text, rows
from storage.invites import normalize_code

feature = Feature("core")
LONG_TEXT = 15
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


@feature.command("help", access=ANYONE, keywords=("帮助", "菜单", "help", "menu"))
async def show_help(ctx: Context) -> None:
    ctx.send(Text(await help_text(ctx), await menu_buttons(ctx)))


@feature.command("cancel", access=ANYONE, keywords=("取消", "cancel"), menu=False)
async def cancel(ctx: Context) -> None:
    if ctx.dialogue.active:
        ctx.end()
        ctx.send(Text(ctx.t("cancel.done"), await menu_buttons(ctx)))
    else:
        ctx.send(Text(ctx.t("cancel.nothing"), await menu_buttons(ctx)))


@feature.command("lang", access=ANYONE, keywords=("语言", "language"), menu=False)
async def language(ctx: Context) -> None:
    choice = ctx.args.strip().lower()
    if not choice:
        buttons = rows(
            *(Button(name, feature.payload("lang", code)) for code, name in LANGUAGE_NAMES.items())
        )
        ctx.send(Text(ctx.t("lang.choose"), buttons))
        return
    code = {"中文": "zh", "chinese": "zh", "english": "en", "英文": "en"}.get(choice, choice)
    await _set_language(ctx, code)


@feature.button("lang", access=ANYONE)
async def language_button(ctx: Context) -> None:
    await _set_language(ctx, ctx.params[0] if ctx.params else "")


async def _set_language(ctx: Context, code: str) -> None:
    if code not in LANGUAGE_NAMES:
        ctx.say("lang.unknown", given=code[:20])
        return
    ctx.lang = code
    if ctx.member is not None:
        ctx.member.language = code
        ctx.db.session.add(ctx.member)
    else:
        ctx.dialogue.language = code
    ctx.send(Text(ctx.t("lang.set"), await menu_buttons(ctx)))


@feature.button("edited", access=ANYONE)
async def edited(ctx: Context) -> None:
    """Channels report an edited message this way: we act on messages as first sent."""
    ctx.say("fallback.edited")


async def fallback(ctx: Context) -> None:
    """The catch-all: nothing else wanted this message. Never silence (SPEC §7)."""
    text = ctx.args
    if ctx.member is None:
        if text and normalize_code(text):
            await join_with(ctx, text)
        else:
            ctx.say("help.stranger")
        return
    if text.startswith("/"):
        ctx.say("fallback.unknown_command", command=text[:40])
    elif not text and ctx.msg.attachments:
        ctx.say("fallback.attachment")
    elif not text:
        ctx.say("fallback.empty")
    elif len(text) >= LONG_TEXT:
        ctx.say("fallback.long_text")  # an opinion typed without starting one, or after a restart
    else:
        ctx.say("fallback.unknown")
    await show_menu(ctx)
