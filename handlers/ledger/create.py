"""The office adds a ledger item in chat, from scratch or from a problem on the problem list
(pre-filled from it), with every one of the four specifics and the pledge (四明确一承诺)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlmodel import col, select

from handlers.context import Context
from handlers.feature import ADMINS, param_id
from handlers.ledger.common import day, feature, overdue, status_words
from handlers.messages import Button, Text, rows
from handlers.opinions.notify import tell_problem_sources
from handlers.timeparse import TimeParseError, parse_when
from storage.ledger_models import RectificationItem, Visibility
from storage.models import Member, Role

LIMITS = {"content": 1000, "goal": 1000, "measures": 2000, "pledge": 1000}
FLOW = ("content", "goal", "measures", "deadline", "leader", "person", "pledge", "visibility")


@feature.command("items", access=ADMINS, keywords=("台帐管理",))
async def items(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    found = await ctx.db.ledger.items([ctx.org.id], top_only=True)
    counts = Counter(status_words(ctx, i) for i in found)
    lines = [ctx.t("ledger.admin_header", total=len(found))]
    lines += [ctx.t("ledger.admin_count", status=s, count=n) for s, n in counts.items()]
    late = [i for i in found if overdue(i, ctx.today())]
    lines += [
        ctx.t(
            "ledger.admin_overdue", id=i.id, content=i.content[:30], deadline=day(ctx, i.deadline)
        )
        for i in late
    ]
    buttons = rows(
        Button(ctx.t("ledger.new_item"), feature.payload("new")),
        Button(ctx.t("ledger.from_problem"), feature.payload("fp")),
    )
    opened = rows(*(Button(f"#{i.id}", feature.payload("iv", i.id)) for i in found[:20]), per_row=5)
    ctx.send(Text("\n".join(lines), (*buttons, *opened)))


@feature.button("new", access=ADMINS)
async def new(ctx: Context) -> None:
    ctx.begin(feature.name, "create", {"field": "content"})
    ctx.say("ledger.ask_content", limit=LIMITS["content"])


@feature.button("fp", access=ADMINS)
async def from_problem(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    problems = await ctx.db.opinions.problems(ctx.org.id)
    if not problems:
        ctx.say("ledger.no_problems")
        return
    buttons = [Button(f"#{p.id} {p.title[:20]}", feature.payload("fpp", p.id)) for p in problems]
    ctx.say("ledger.pick_problem", buttons=rows(*buttons[-10:], per_row=1))


@feature.button("fpp", access=ADMINS)
async def from_problem_picked(ctx: Context) -> None:
    raw = ctx.params[0] if ctx.params else ""
    problem = await ctx.db.opinions.problem(param_id(raw))
    if problem is None or ctx.org is None or problem.org_id != ctx.org.id:
        ctx.say("ledger.not_found")
        return
    ctx.begin(
        feature.name, "create", {"field": "goal", "content": problem.title, "problem": problem.id}
    )
    ctx.say("ledger.prefilled", content=problem.title)
    ctx.say("ledger.ask_goal", limit=LIMITS["goal"])


@feature.step("create", access=ADMINS)
async def create_step(ctx: Context) -> None:
    data, words = ctx.dialogue.data, " ".join(ctx.args.split())
    field = data["field"]
    if field in ("content", "goal", "measures", "pledge"):
        if field == "pledge" and words in ("跳过", "skip"):
            words = ""
        elif not words or len(words) > LIMITS[field]:
            ctx.say(f"ledger.missing_{field}", limit=LIMITS[field])
            return
        data[field] = words
    elif field == "deadline":
        try:
            found = parse_when(words, ctx.now(), ctx.zone)
        except TimeParseError as problem:
            ctx.say(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang, now=ctx.now()))
            return
        data["deadline"] = found.start.astimezone(ctx.zone).date().isoformat()
    elif field in ("leader", "person"):
        chosen = await _named(ctx, words, leaders_only=field == "leader")
        if chosen is None:
            return
        data[field] = chosen.id
    elif field == "visibility":
        data["field"] = "pledge"  # typed instead of tapped: ask again, with the buttons
        await _next(ctx)
        return
    await _next(ctx)


@feature.button("pick", access=ADMINS)
async def pick(ctx: Context) -> None:
    field, raw = (*ctx.params, "", "")[:2]
    if ctx.dialogue.step != "create" or ctx.dialogue.data.get("field") != field:
        ctx.say("ledger.nothing_pending")
        return
    if field == "visibility" and raw in (Visibility.public, Visibility.internal):
        ctx.dialogue.data["visibility"] = raw
        await _save(ctx)
        return
    member = await ctx.db.members.get(param_id(raw))
    if member is None or ctx.org is None or member.org_id != ctx.org.id or not member.active:
        ctx.say("ledger.person_unknown", name=raw)
        return
    ctx.dialogue.data[field] = member.id
    await _next(ctx)


async def _next(ctx: Context) -> None:
    data = ctx.dialogue.data
    field = FLOW[FLOW.index(data["field"]) + 1]
    data["field"] = field
    if field in ("leader", "person"):
        await _ask_person(ctx, field)
    elif field == "visibility":
        buttons = rows(
            *(
                Button(ctx.t(f"ledger.visibility_{v}"), feature.payload("pick", field, v))
                for v in Visibility
            )
        )
        ctx.say("ledger.ask_visibility", buttons=buttons)
    else:
        ctx.say(f"ledger.ask_{field}", limit=LIMITS.get(field, 0))


async def _save(ctx: Context) -> None:
    data = ctx.dialogue.data
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None
    item = await ctx.db.ledger.add(
        RectificationItem(
            org_id=ctx.org.id,
            content=data["content"],
            goal=data["goal"],
            measures=data["measures"],
            deadline=date.fromisoformat(data["deadline"]),
            leader_id=data["leader"],
            person_id=data["person"],
            pledge=data.get("pledge", ""),
            visibility=data["visibility"],
            created_at=ctx.now(),
        )
    )
    ctx.end()
    if data.get("problem"):
        await ctx.db.opinions.link_item(data["problem"], item.id)  # type: ignore[arg-type]
        await tell_problem_sources(
            ctx, data["problem"], "ledger.linked_news", ctx.t("ledger.office"), content=item.content
        )
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "ledger.create", org_id=ctx.org.id, item=item.id
    )
    person = await ctx.db.members.get(item.person_id)
    if person is not None:
        text = ctx.text_for(
            person,
            "ledger.assigned_push",
            id=item.id,
            content=item.content,
            deadline=day(ctx, item.deadline),
        )
        await ctx.push(person, [Text(text)], kind="ledger_news")
    ctx.say("ledger.created", id=item.id, seq=item.seq)


async def _ask_person(ctx: Context, field: str) -> None:
    people = await _candidates(ctx, leaders_only=field == "leader")
    buttons = [Button(m.name, feature.payload("pick", field, m.id)) for m in people]
    ctx.say(f"ledger.ask_{field}", buttons=rows(*buttons[:24], per_row=4))


async def _candidates(ctx: Context, *, leaders_only: bool) -> list[Member]:
    assert ctx.org is not None
    roles = (Role.leader,) if leaders_only else (Role.cadre, Role.leader, Role.admin)
    query = select(Member).where(
        Member.org_id == ctx.org.id, col(Member.active), col(Member.role).in_(roles)
    )
    return list((await ctx.db.session.exec(query.order_by(col(Member.id)))).all())


async def _named(ctx: Context, name: str, *, leaders_only: bool) -> Member | None:
    matches = [m for m in await _candidates(ctx, leaders_only=leaders_only) if m.name == name]
    if len(matches) != 1:
        ctx.say("ledger.person_unknown" if not matches else "ledger.person_ambiguous", name=name)
        await _ask_person(ctx, "leader" if leaders_only else "person")
        return None
    return matches[0]
