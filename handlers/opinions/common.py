"""What the opinion box's modules share: the feature, categories, targets, labels."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.context import Context
from handlers.feature import Feature
from handlers.messages import Button, rows
from storage.models import Member, Role
from storage.opinion_models import CATEGORIES, Target

feature = Feature("op")
STUDY = frozenset({"study", "examine"})
TEXT_LIMIT = 3000  # characters of one opinion, across its messages


def category_buttons(ctx: Context, action: str, *suffix: object) -> tuple[tuple[Button, ...], ...]:
    return rows(
        *(Button(ctx.t(f"category.{c}"), feature.payload(action, c, *suffix)) for c in CATEGORIES),
        per_row=3,
    )


def target_buttons(ctx: Context, flag: str) -> tuple[tuple[Button, ...], ...]:
    return rows(
        *(Button(ctx.t(f"opinions.target_{t}"), feature.payload("t", t, flag)) for t in Target),
        per_row=2,
    )


async def leaders(ctx: Context) -> list[Member]:
    """The leadership team of the member's organization, main leader first."""
    assert ctx.org is not None and ctx.org.id is not None
    query = (
        select(Member)
        .where(Member.org_id == ctx.org.id, Member.role == Role.leader, col(Member.active))
        .order_by(col(Member.is_main_leader).desc(), col(Member.id))
    )
    return list((await ctx.db.session.exec(query)).all())


async def main_leader(ctx: Context) -> Member | None:
    team = await leaders(ctx)
    return team[0] if team and team[0].is_main_leader else None


async def admins(ctx: Context, org_id: int) -> list[Member]:
    query = select(Member).where(
        Member.org_id == org_id, Member.role == Role.admin, col(Member.active)
    )
    return list((await ctx.db.session.exec(query)).all())


async def target_label(ctx: Context, target: str, target_id: int | None) -> str:
    if target == Target.leader and target_id is not None:
        leader = await ctx.db.members.get(target_id)
        return ctx.t("opinions.about_leader", name=leader.name if leader else "?")
    if target == Target.department and target_id is not None:
        for department in await ctx.db.orgs.departments(ctx.org.id if ctx.org else 0):
            if department.id == target_id:
                return department.name
    return ctx.t(f"opinions.target_{target}")


async def office_label(ctx: Context, member: Member) -> str:
    """How a reply is signed: the replier's office, not necessarily their name."""
    if member.department_id is not None:
        for department in await ctx.db.orgs.departments(member.org_id):
            if department.id == member.department_id:
                return department.name
    if member.role == Role.leader and member.title:
        return member.title
    return ctx.t(f"role.{member.role}") if member.role != Role.admin else ctx.t("opinions.office")


async def anonymous_box_open(ctx: Context) -> bool:
    """Fewer members than the organization's minimum: no anonymous box (SPEC §6)."""
    if ctx.org is None or ctx.org.id is None:
        return False
    return await ctx.db.members.count_in_org(ctx.org.id) >= ctx.org.anonymous_min_members


def day_label(ctx: Context, day: object) -> str:
    month, dom = getattr(day, "month", 0), getattr(day, "day", 0)
    return ctx.t("date.short", m=month, d=dom)
