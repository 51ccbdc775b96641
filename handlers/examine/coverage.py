"""The campaign's required heart-to-heart talks (四个必谈) and which of them are done.

The pairs, from the campaign's plans: the main leader with each team member; team members
with each other; each team member with the head of every department they oversee
(Department.leader_id); and each department's head (正职) with its deputies (副职). A head
is the department's cadre whose title has no 副; a deputy is anyone there whose title has
one — the roster has no field for it, so titles decide.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from sqlmodel import select

from handlers.context import Context
from handlers.examine.common import day, feature, oversees
from handlers.feature import LEADERS
from handlers.messages import Button, Text, rows
from handlers.opinions.common import leaders
from storage.examine_models import Talk
from storage.models import Department, Member, Role

GROUPS = ("main", "team", "dept", "middle")
DEPUTY = "副"


@dataclass(frozen=True)
class Pair:
    group: str
    a: Member
    b: Member

    @property
    def key(self) -> frozenset[int]:
        return frozenset((self.a.id or 0, self.b.id or 0))


@dataclass(frozen=True)
class Covered:
    pair: Pair
    state: str  # done (confirmed) | pending (recorded, not confirmed) | missing
    talk: Talk | None

    def other(self, member_id: int) -> Member:
        return self.pair.b if self.pair.a.id == member_id else self.pair.a


def _head(staff: list[Member]) -> Member | None:
    heads = [m for m in staff if m.role == Role.cadre and DEPUTY not in (m.title or "")]
    return heads[0] if heads else None


async def required_pairs(ctx: Context, org_id: int) -> tuple[list[Pair], list[Department]]:
    """The required pairs, and the departments no overseeing leader is set for."""
    team = await leaders(ctx)
    main = team[0] if team and team[0].is_main_leader else None
    others = [m for m in team if m is not main]
    pairs = [Pair("main", main, m) for m in others] if main else []
    pairs += [Pair("team", a, b) for a, b in combinations(others, 2)]
    members = await ctx.db.members.in_org(org_id)
    by_id = {m.id: m for m in members}
    unassigned = []
    for department in await ctx.db.orgs.departments(org_id):
        staff = [m for m in members if m.department_id == department.id]
        head = _head(staff)
        overseer = by_id.get(department.leader_id)
        if overseer is None:
            unassigned.append(department)
        elif head is not None and head.id != overseer.id:
            pairs.append(Pair("dept", overseer, head))
        if head is not None:
            pairs += [
                Pair("middle", head, m)
                for m in staff
                if m is not head and DEPUTY in (m.title or "")
            ]
    unique: dict[frozenset[int], Pair] = {}
    for pair in pairs:
        unique.setdefault(pair.key, pair)
    return list(unique.values()), unassigned


async def coverage(ctx: Context, org_id: int) -> tuple[list[Covered], list[Department]]:
    pairs, unassigned = await required_pairs(ctx, org_id)
    talks = (await ctx.db.session.exec(select(Talk).where(Talk.org_id == org_id))).all()
    held: dict[frozenset[int], list[Talk]] = defaultdict(list)
    for talk in talks:
        held[frozenset((talk.recorded_by, talk.with_member))].append(talk)
    found = []
    for pair in pairs:
        mine = held.get(pair.key, [])
        done = [t for t in mine if t.confirmed_at is not None]
        if done:
            found.append(Covered(pair, "done", max(done, key=lambda t: t.held_on)))
        elif mine:
            found.append(Covered(pair, "pending", max(mine, key=lambda t: t.held_on)))
        else:
            found.append(Covered(pair, "missing", None))
    return found, unassigned


def of_member(covered: list[Covered], member_id: int) -> list[Covered]:
    return [c for c in covered if member_id in c.pair.key]


def _line(ctx: Context, item: Covered) -> str:
    when = day(ctx, item.talk.held_on) if item.talk else ""
    return ctx.t(f"examine.grid_{item.state}", a=item.pair.a.name, b=item.pair.b.name, day=when)


@feature.button("grid", access=LEADERS)
async def grid(ctx: Context) -> None:
    """Who still owes which required talk: for the office and the main leader."""
    if not oversees(ctx.member):
        ctx.say("examine.grid_not_yours")
        return
    assert ctx.org is not None and ctx.org.id is not None
    covered, unassigned = await coverage(ctx, ctx.org.id)
    count = {s: sum(1 for c in covered if c.state == s) for s in ("done", "pending", "missing")}
    lines = [ctx.t("examine.grid_header", total=len(covered), **count)]
    for group in GROUPS:
        items = [c for c in covered if c.pair.group == group]
        if items:
            lines.append(ctx.t(f"examine.group_{group}"))
            lines += [_line(ctx, c) for c in items]
    if not covered:
        lines.append(ctx.t("examine.grid_empty"))
    if unassigned:
        lines.append(ctx.t("examine.grid_unassigned", names="、".join(d.name for d in unassigned)))
    buttons = rows(Button(ctx.t("examine.remind_button"), feature.payload("remind")))
    ctx.send(Text("\n".join(lines), buttons if count["missing"] + count["pending"] else ()))


@feature.button("remind", access=LEADERS)
async def remind(ctx: Context) -> None:
    if not oversees(ctx.member):
        ctx.say("examine.grid_not_yours")
        return
    assert ctx.org is not None and ctx.org.id is not None
    sent = await remind_concerned(ctx, ctx.org.id, ctx.today())
    ctx.say("examine.reminded", count=sent)


async def remind_concerned(ctx: Context, org_id: int, today: date) -> int:
    """Each person who still owes a required talk, or has one to confirm, hears of theirs
    (once a day at most); nobody else does."""
    covered, _ = await coverage(ctx, org_id)
    owed: dict[int, list[str]] = defaultdict(list)
    confirm: dict[int, list[tuple[Talk, str]]] = defaultdict(list)
    people: dict[int, Member] = {}
    for item in covered:
        if item.state == "missing":
            for person in (item.pair.a, item.pair.b):
                people[person.id or 0] = person
                owed[person.id or 0].append(item.other(person.id or 0).name)
        elif item.state == "pending" and item.talk is not None:
            person = item.other(item.talk.recorded_by)
            people[person.id or 0] = person
            confirm[person.id or 0].append((item.talk, item.other(person.id or 0).name))
    for member_id, person in people.items():
        lines, buttons = [], []
        if owed[member_id]:
            lines.append(
                ctx.text_for(person, "examine.remind_owed", names="、".join(owed[member_id]))
            )
        for talk, recorder in confirm[member_id]:
            lines.append(ctx.text_for(person, "examine.remind_confirm", name=recorder))
            label = ctx.text_for(person, "examine.confirm_button_named", name=recorder)
            buttons.append(Button(label, feature.payload("tc", talk.id)))
        await ctx.push(
            person,
            [Text("\n".join(lines), rows(*buttons, per_row=1))],
            kind="talk_reminder",
            dedupe_key=f"ex:talks:{member_id}:{today.isoformat()}",
        )
    return len(people)
