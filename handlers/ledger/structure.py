"""An item's page in chat for the office and leaders — its four specifics, history,
sub-items and milestones — and adding sub-items (whose progress rolls up to the parent,
weighted) and milestones with dates."""

from __future__ import annotations

from datetime import date

from handlers.context import Context
from handlers.feature import ADMINS, LEADERS, param_id
from handlers.ledger.common import day, feature, status_words
from handlers.messages import Button, Text, rows
from handlers.timeparse import TimeParseError, parse_when
from storage.ledger_models import Milestone, RectificationItem
from storage.models import Role

HISTORY = 5
TITLE_LIMIT = 200


@feature.button("iv", access=LEADERS)
async def item_view(ctx: Context) -> None:
    item = await _item(ctx, ctx.params[0] if ctx.params else "")
    if item is None:
        return
    leader = await ctx.db.members.get(item.leader_id)
    person = await ctx.db.members.get(item.person_id)
    lines = [
        ctx.t(
            "ledger.view_head",
            id=item.id,
            content=item.content,
            goal=item.goal,
            measures=item.measures,
            deadline=day(ctx, item.deadline),
            leader=leader.name if leader else "",
            person=person.name if person else "",
            percent=item.percent,
            status=status_words(ctx, item),
        )
    ]
    for child in await ctx.db.ledger.children(item.id):  # type: ignore[arg-type]
        lines.append(
            ctx.t(
                "ledger.view_child",
                id=child.id,
                content=child.content,
                percent=child.percent,
                weight=child.weight,
            )
        )
    for stone in await ctx.db.ledger.milestones(item.id):  # type: ignore[arg-type]
        mark = ctx.t("ledger.milestone_done") if stone.done_on else ""
        lines.append(
            ctx.t("ledger.view_milestone", title=stone.title, due=day(ctx, stone.due), mark=mark)
        )
    for report in (await ctx.db.ledger.history(item.id))[-HISTORY:]:  # type: ignore[arg-type]
        when = report.created_at.astimezone(ctx.zone).date()
        lines.append(
            ctx.t(
                "ledger.view_report",
                day=day(ctx, when),
                percent=report.percent,
                text=report.text or "—",
            )
        )
    buttons = [Button(ctx.t("ledger.view_evidence"), feature.payload("evv", item.id))]
    if ctx.member is not None and ctx.member.role == Role.admin and item.parent_id is None:
        buttons.insert(0, Button(ctx.t("ledger.add_child"), feature.payload("sub", item.id)))
    if ctx.member is not None and ctx.member.role == Role.admin:
        buttons.insert(1, Button(ctx.t("ledger.add_milestone"), feature.payload("ms", item.id)))
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=3)))


@feature.button("sub", access=ADMINS)
async def add_child(ctx: Context) -> None:
    item = await _item(ctx, ctx.params[0] if ctx.params else "")
    if item is None:
        return
    if item.parent_id is not None:
        ctx.say("ledger.child_of_child")
        return
    ctx.begin(feature.name, "child", {"parent": item.id})
    ctx.say("ledger.ask_child", id=item.id)


@feature.step("child", access=ADMINS)
async def child_text(ctx: Context) -> None:
    """One line: the sub-item, its deadline, its responsible person, optionally a weight:
    “核对窗口清单 12月20日 刘洋 2”."""
    parent = await _item(ctx, str(ctx.dialogue.data.get("parent", "")))
    if parent is None:
        ctx.end()
        return
    words = ctx.args.split()
    weight = 1.0
    if words and _number(words[-1]) is not None:
        weight = _number(words.pop()) or 1.0
    if len(words) < 3 or not 0 < weight <= 100:
        ctx.say("ledger.child_format")
        return
    name, when_text, content = words[-1], words[-2], " ".join(words[:-2])[:1000]
    deadline = _date(ctx, when_text)
    if deadline is None:
        return
    if deadline > parent.deadline:
        ctx.say("ledger.child_after_parent", deadline=day(ctx, parent.deadline))
        return
    assert ctx.org is not None
    people = [
        m
        for m in await ctx.db.members.in_org(ctx.org.id)
        if m.name == name and m.role in (Role.cadre, Role.leader, Role.admin)
    ]
    if len(people) != 1:
        ctx.say("ledger.person_unknown" if not people else "ledger.person_ambiguous", name=name)
        return
    child = await ctx.db.ledger.add(
        RectificationItem(
            org_id=parent.org_id,
            parent_id=parent.id,
            content=content,
            goal=parent.goal,
            measures=parent.measures,
            deadline=deadline,
            leader_id=parent.leader_id,
            person_id=people[0].id,
            weight=weight,
            visibility=parent.visibility,
            created_at=ctx.now(),
        )
    )
    ctx.end()
    await _audit(ctx, "ledger.child", child)
    ctx.say("ledger.child_added", id=child.id, parent=parent.id, weight=weight)


@feature.button("ms", access=ADMINS)
async def add_milestone(ctx: Context) -> None:
    item = await _item(ctx, ctx.params[0] if ctx.params else "")
    if item is not None:
        ctx.begin(feature.name, "milestone", {"item": item.id})
        ctx.say("ledger.ask_milestone", id=item.id)


@feature.step("milestone", access=ADMINS)
async def milestone_text(ctx: Context) -> None:
    """One line: the milestone and its date: “清单公示 12月15日”."""
    item = await _item(ctx, str(ctx.dialogue.data.get("item", "")))
    if item is None:
        ctx.end()
        return
    title, _, when_text = ctx.args.strip().rpartition(" ")
    if not title or len(title) > TITLE_LIMIT:
        ctx.say("ledger.milestone_format", limit=TITLE_LIMIT)
        return
    due = _date(ctx, when_text)
    if due is None:
        return
    await ctx.db.ledger.add_milestone(Milestone(item_id=item.id, title=title, due=due))  # type: ignore[arg-type]
    ctx.end()
    await _audit(ctx, "ledger.milestone", item)
    ctx.say("ledger.milestone_added", id=item.id, title=title, due=day(ctx, due))


async def _item(ctx: Context, raw: str) -> RectificationItem | None:
    item = await ctx.db.ledger.get(param_id(raw))
    member = ctx.member
    if item is None or member is None or item.org_id != member.org_id:
        ctx.say("ledger.not_found")
        return None
    if member.role == Role.leader and member.id not in (item.leader_id, item.person_id):
        ctx.say("ledger.not_reviewer", id=item.id)
        return None
    return item


def _date(ctx: Context, text: str) -> date | None:
    try:
        found = parse_when(text, ctx.now(), ctx.zone)
    except TimeParseError as problem:
        ctx.say(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang, now=ctx.now()))
        return None
    return found.start.astimezone(ctx.zone).date()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


async def _audit(ctx: Context, action: str, item: RectificationItem) -> None:
    assert ctx.member is not None
    await ctx.db.audit.record(f"member:{ctx.member.id}", action, org_id=item.org_id, item=item.id)
