"""What the examine stage's modules share: the feature, who may see what, loading safely."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from handlers.context import Context
from handlers.feature import Feature, param_id
from storage.examine_models import Meeting
from storage.models import Member, Role

feature = Feature("ex")
EXAMINE = frozenset({"examine"})


def is_main(member: Member | None) -> bool:
    """The main leader (主要负责同志 / 一把手): reviews reports and criticism outlines."""
    return member is not None and member.is_main_leader and member.role == Role.leader


def oversees(member: Member | None) -> bool:
    """Who sees the unit-wide picture: the campaign office and the main leader."""
    return member is not None and (member.role == Role.admin or is_main(member))


def day(ctx: Context, when: date) -> str:
    return ctx.t("date.short", m=when.month, d=when.day)


def same_step(ctx: Context, step: str) -> bool:
    """Whether a button belongs to the dialogue this person is in now; says so if not."""
    if ctx.dialogue.feature == feature.name and ctx.dialogue.step == step:
        return True
    ctx.say("examine.stale")
    return False


async def colleague(ctx: Context, raw: str) -> Member | None:
    """A member of my own organization named by id (a button); refuses myself and anyone
    outside the organization, saying which."""
    me = ctx.member
    assert me is not None
    other = await ctx.db.members.get(param_id(raw))
    if other is not None and other.id == me.id:
        ctx.say("examine.self_talk")
        return None
    if other is None or other.org_id != me.org_id or not other.active:
        ctx.say("examine.outside_org")
        return None
    return other


async def by_name(ctx: Context, name: str) -> list[Member]:
    """Active members of my organization with this exact name, else containing it."""
    assert ctx.member is not None
    everyone = await ctx.db.members.in_org(ctx.member.org_id)
    exact = [m for m in everyone if m.name == name]
    return exact or [m for m in everyone if name in m.name]


async def meetings(ctx: Context, org_id: int) -> list[Meeting]:
    query = select(Meeting).where(Meeting.org_id == org_id).order_by(col(Meeting.held_at).desc())
    return list((await ctx.db.session.exec(query)).all())


async def load_meeting(ctx: Context, raw: str) -> Meeting | None:
    meeting = await ctx.db.session.get(Meeting, param_id(raw))
    if meeting is None or ctx.member is None or meeting.org_id != ctx.member.org_id:
        ctx.say("examine.meeting_not_found")
        return None
    return meeting


async def names(ctx: Context, ids: list[int]) -> str:
    found = [await ctx.db.members.get(i) for i in ids]
    return "、".join(m.name for m in found if m is not None) or ctx.t("examine.nobody")
