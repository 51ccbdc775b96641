"""Joining: an invite code binds a chat account to a member of an organization."""

from __future__ import annotations

import unicodedata

from handlers.context import Context
from handlers.feature import ANYONE, Feature
from handlers.menu import help_text, menu_buttons
from handlers.messages import Text
from storage.invites import InviteProblem, display_code, normalize_code
from storage.models import Invite, Member

feature = Feature("join")
NAME_LIMIT = 30


@feature.command("start", access=ANYONE, keywords=("加入", "join"), menu=False)
async def start(ctx: Context) -> None:
    if ctx.member is not None:
        if ctx.args:
            ctx.say("join.already", name=ctx.member.name, org=_org_name(ctx))
            return
        ctx.send(Text(await help_text(ctx), await menu_buttons(ctx)))
        return
    if not ctx.args:
        ctx.say("help.stranger")
        return
    await join_with(ctx, ctx.args)


async def join_with(ctx: Context, text: str) -> None:
    guesses = ctx.services.invite_guesses
    key = (ctx.msg.channel, ctx.msg.user_key)
    if guesses.blocked(key):
        ctx.say("join.too_many_tries")
        return
    code = normalize_code(text.split()[0] if text.split() else "")
    if code is None:
        guesses.hit(key)
        ctx.say("join.bad_format", example=display_code("7K3F9QXD2M"))
        return
    check = await ctx.db.invites.check(code, ctx.now())
    if check.problem is not None or check.invite is None:
        guesses.hit(key)
        ctx.say(f"join.{check.problem or InviteProblem.unknown}")
        return
    invite = check.invite
    if invite.member_id is not None:
        member = await ctx.db.members.get(invite.member_id)
        if member is None or not member.active:
            ctx.say("join.revoked")
            return
        await _bind(ctx, invite, member)
        return
    name = clean_name(ctx.msg.display_name or "")
    if name:
        await _bind(ctx, invite, await _new_member(ctx, invite, name))
        return
    org = await ctx.db.orgs.get(invite.org_id)
    ctx.begin(feature.name, "name", {"invite": invite.id})
    ctx.say("join.ask_name", org=org.name if org else "")


@feature.step("name", access=ANYONE)
async def name_step(ctx: Context) -> None:
    if ctx.member is not None:
        ctx.end()
        ctx.say("join.already", name=ctx.member.name, org=_org_name(ctx))
        return
    name = clean_name(ctx.args)
    if not name:
        key = "join.name_text_only" if ctx.msg.attachments else "join.name_invalid"
        ctx.say(key, limit=NAME_LIMIT)
        return
    invite = await ctx.db.session.get(Invite, ctx.dialogue.data.get("invite"))
    check = await ctx.db.invites.check(invite.code, ctx.now()) if invite else None
    if check is None or check.invite is None or check.problem is not None:
        ctx.end()
        ctx.say(f"join.{check.problem if check and check.problem else InviteProblem.unknown}")
        return
    ctx.end()
    await _bind(ctx, check.invite, await _new_member(ctx, check.invite, name))


def clean_name(text: str) -> str:
    """A person's name as typed: control and format characters out, spaces folded."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "C")
    name = " ".join(kept.split())
    if not name or len(name) > NAME_LIMIT or not any(ch.isalpha() for ch in name):
        return ""
    return name


async def _new_member(ctx: Context, invite: Invite, name: str) -> Member:
    member = Member(
        org_id=invite.org_id,
        name=name,
        role=invite.role,
        rank=invite.rank,
        language=ctx.dialogue.language,
    )
    return await ctx.db.members.add(member)


async def _bind(ctx: Context, invite: Invite, member: Member) -> None:
    await ctx.db.members.bind(ctx.msg.channel, ctx.msg.user_key, member)
    await ctx.db.invites.use(invite)
    ctx.member = member
    ctx.org = await ctx.db.orgs.get(member.org_id)
    if member.language is None and ctx.dialogue.language is not None:
        member.language = ctx.dialogue.language
    ctx.lang = member.language or ctx.lang
    ctx.identity = await ctx.db.members.identity(ctx.msg.channel, ctx.msg.user_key)
    welcome = ctx.t(
        "join.welcome", name=member.name, org=_org_name(ctx), role=ctx.t(f"role.{member.role}")
    )
    ctx.send(Text(f"{welcome}\n{await help_text(ctx, greet=False)}", await menu_buttons(ctx)))


def _org_name(ctx: Context) -> str:
    return ctx.org.name if ctx.org else ""
