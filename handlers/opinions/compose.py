"""Writing an opinion: named or anonymous first, then target, category, text, confirm.

The choice of named or anonymous comes first so that everything an anonymous opinion
carries — even its target — is held in memory only from its first step (SPEC §6), while
a named draft is kept in the database and survives a restart.
"""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import MEMBERS, param_id
from handlers.messages import Button, rows
from handlers.opinions.common import (
    STUDY,
    TEXT_LIMIT,
    anonymous_box_open,
    category_buttons,
    feature,
    leaders,
    target_buttons,
    target_label,
)
from storage.anonymity import looks_like_receipt, strip_format_characters
from storage.opinion_models import CATEGORIES
from storage.opinion_models import Target as T

DONE_WORDS = ("完成", "done", "好了")


@feature.command("opinion", access=MEMBERS, keywords=("提意见", "意见"), stages=STUDY)
async def opinion(ctx: Context) -> None:
    buttons = [Button(ctx.t("opinions.mode_named"), feature.payload("m", "n"))]
    if await anonymous_box_open(ctx):
        buttons.append(Button(ctx.t("opinions.mode_anon"), feature.payload("m", "a")))
    ctx.begin(feature.name, "mode")
    ctx.say("opinions.ask_mode", buttons=rows(*buttons))


@feature.command("anon", access=MEMBERS, keywords=("匿名意见",), stages=STUDY)
async def anonymous(ctx: Context) -> None:
    await _start(ctx, anonymous=True)


@feature.button("m", access=MEMBERS)
async def choose_mode(ctx: Context) -> None:
    if not at_step(ctx, "mode"):
        ctx.say("opinions.no_draft")
        return
    await _start(ctx, anonymous=ctx.params[:1] == ("a",))


async def _start(ctx: Context, *, anonymous: bool) -> None:
    if anonymous and not await anonymous_box_open(ctx):
        ctx.end()
        ctx.say("opinions.anon_closed", minimum=ctx.org.anonymous_min_members if ctx.org else 5)
        return
    if anonymous and ctx.services.anon_submissions.blocked((ctx.msg.channel, ctx.msg.user_key)):
        ctx.end()
        ctx.say("opinions.anon_flood")
        return
    ctx.begin(feature.name, "target", {"text": [], "refs": [], "files": []}, anonymous=anonymous)
    if anonymous:
        ctx.say("opinions.promise")
    ctx.say("opinions.ask_target", buttons=target_buttons(ctx, flag(ctx)))


@feature.button("t", access=MEMBERS)
async def choose_target(ctx: Context) -> None:
    if not at_step(ctx, "target"):
        return _lost(ctx)
    target = ctx.params[0] if ctx.params else ""
    if target == T.leader:
        team = await leaders(ctx)
        buttons = [Button(m.name, feature.payload("tl", m.id, flag(ctx))) for m in team]
        ctx.say("opinions.ask_leader", buttons=rows(*buttons, per_row=3))
    elif target == T.department:
        departments = await ctx.db.orgs.departments(ctx.org.id) if ctx.org and ctx.org.id else []
        buttons = [Button(d.name, feature.payload("td", d.id, flag(ctx))) for d in departments]
        ctx.say("opinions.ask_department", buttons=rows(*buttons, per_row=2))
    elif target in (T.team, T.general):
        await _set_target(ctx, target, None)
    else:
        ctx.say("error.stale_button")
    return None


@feature.button("tl", access=MEMBERS)
async def choose_leader(ctx: Context) -> None:
    chosen = _int(ctx.params[0]) if ctx.params else None
    if not at_step(ctx, "target") or chosen not in {m.id for m in await leaders(ctx)}:
        return _lost(ctx)
    return await _set_target(ctx, T.leader, chosen)


@feature.button("td", access=MEMBERS)
async def choose_department(ctx: Context) -> None:
    chosen = _int(ctx.params[0]) if ctx.params else None
    known = {d.id for d in await ctx.db.orgs.departments(ctx.org.id)} if ctx.org else set()
    if not at_step(ctx, "target") or chosen not in known:
        return _lost(ctx)
    return await _set_target(ctx, T.department, chosen)


async def _set_target(ctx: Context, target: str, target_id: int | None) -> None:
    ctx.dialogue.data.update(target=target, target_id=target_id)
    if ctx.dialogue.data.get("category") and ctx.dialogue.data["text"]:
        await _review(ctx)  # the target was chosen again at submission: nothing else changes
        return
    ctx.dialogue.step = "category"
    ctx.say("opinions.ask_category", buttons=category_buttons(ctx, "c", flag(ctx)))


@feature.button("c", access=MEMBERS)
async def choose_category(ctx: Context) -> None:
    category = ctx.params[0] if ctx.params else ""
    if not at_step(ctx, "category") or category not in CATEGORIES:
        return _lost(ctx)
    ctx.dialogue.data["category"] = category
    ctx.dialogue.step = "text"
    key = "opinions.ask_text_anon" if ctx.dialogue.anonymous else "opinions.ask_text"
    ctx.say(key, limit=TEXT_LIMIT)
    return None


@feature.step("text", access=MEMBERS)
async def write_text(ctx: Context) -> None:
    data, words = ctx.dialogue.data, ctx.args
    if words.casefold() in DONE_WORDS:
        return await _review(ctx)
    if ctx.dialogue.anonymous and ctx.msg.ref:
        data["refs"].append(ctx.msg.ref)  # in memory only; deleted from the chat later
    if words and looks_like_receipt(words):
        ctx.say("opinions.is_receipt")
        return None
    if ctx.msg.attachments and ctx.dialogue.anonymous:
        ctx.say("opinions.anon_no_files")
    elif ctx.msg.attachments:
        data["files"].extend(
            {"channel": ctx.msg.channel, "kind": a.kind, "ref": a.ref, "name": a.name}
            for a in ctx.msg.attachments
        )
    if words:
        clean = strip_format_characters(words) if ctx.dialogue.anonymous else words
        used = sum(len(part) for part in data["text"])
        if used + len(clean) > TEXT_LIMIT:
            ctx.say("opinions.text_full", limit=TEXT_LIMIT, used=used, length=len(clean))
            return None
        data["text"].append(clean)
    done = Button(ctx.t("opinions.done"), feature.payload("done", flag(ctx)))
    chars = sum(len(part) for part in data["text"])
    ctx.say("opinions.got_part", chars=chars, files=len(data["files"]), buttons=((done,),))
    return None


@feature.button("done", access=MEMBERS)
async def finish_text(ctx: Context) -> None:
    if not at_step(ctx, "text"):
        return _lost(ctx)
    return await _review(ctx)


@feature.button("more", access=MEMBERS)
async def write_more(ctx: Context) -> None:
    if not at_step(ctx, "confirm"):
        return _lost(ctx)
    ctx.dialogue.step = "text"
    ctx.say("opinions.write_more")
    return None


async def _review(ctx: Context) -> None:
    data = ctx.dialogue.data
    if not data["text"] and not data["files"]:
        ctx.say("opinions.empty")
        return
    ctx.dialogue.step = "confirm"
    text = "\n".join(data["text"])
    summary = ctx.t(
        "opinions.review_anon" if ctx.dialogue.anonymous else "opinions.review_named",
        target=await target_label(ctx, data["target"], data.get("target_id")),
        category=ctx.t(f"category.{data['category']}"),
        chars=len(text),
        files=len(data["files"]),
        preview=text[:300] + ("…" if len(text) > 300 else ""),
    )
    buttons = rows(
        Button(ctx.t("opinions.submit"), feature.payload("send", flag(ctx))),
        Button(ctx.t("opinions.more"), feature.payload("more", flag(ctx))),
    )
    ctx.say("opinions.review", summary=summary, buttons=buttons)


def at_step(ctx: Context, step: str) -> bool:
    return ctx.dialogue.feature == feature.name and ctx.dialogue.step == step


def flag(ctx: Context) -> str:
    return "a" if ctx.dialogue.anonymous else "n"


def _lost(ctx: Context) -> None:
    """A button from a draft that is gone; an anonymous draft dies with a restart."""
    ctx.say("opinions.anon_lost" if ctx.params[-1:] == ("a",) else "opinions.no_draft")


def _int(text: str) -> int | None:
    return param_id(text) or None
