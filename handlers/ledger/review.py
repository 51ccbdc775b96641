"""Completion review: the responsible person asks, the responsible leader approves (done)
or returns it with a reason, from buttons in their chat; the office can reopen (回头看)."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Context
from handlers.feature import ADMINS, CADRES, LEADERS
from handlers.ledger.common import OPEN, feature, is_office, load, roll_up
from handlers.media import attachment_replies
from handlers.messages import Button, Text, rows
from handlers.opinions.notify import tell_problem_sources
from storage.ledger_models import ItemStatus, ProgressReport, RectificationItem, ReportKind

RATING_DAYS = 30  # how long the masses may rate a finished item before tallies unseal
REASON_LIMIT = 500


@feature.button("rv", access=CADRES)
async def ask_review(ctx: Context) -> None:
    item = await load(ctx, ctx.params[0] if ctx.params else "", as_person=True)
    if item is not None:
        await request_review(ctx, item, "")


async def request_review(ctx: Context, item: RectificationItem, words: str) -> None:
    if item.status not in OPEN:
        ctx.say("ledger.not_open", id=item.id, status=ctx.t(f"ledger.status_{item.status}"))
        return
    assert ctx.member is not None and ctx.member.id is not None
    await ctx.db.ledger.report(
        ProgressReport(
            item_id=item.id,
            member_id=ctx.member.id,
            kind=ReportKind.review_request,
            percent=100,
            text=words,
            created_at=ctx.now(),
        )
    )
    item.status, item.percent = ItemStatus.awaiting_review, 100
    ctx.db.session.add(item)
    leader = await ctx.db.members.get(item.leader_id)
    if leader is not None:
        buttons = rows(
            Button(ctx.text_for(leader, "ledger.approve"), feature.payload("ok", item.id)),
            Button(ctx.text_for(leader, "ledger.return"), feature.payload("ret", item.id)),
            Button(ctx.text_for(leader, "ledger.view_evidence"), feature.payload("evv", item.id)),
            per_row=3,
        )
        text = ctx.text_for(
            leader,
            "ledger.review_push",
            id=item.id,
            content=item.content,
            person=ctx.member.name,
            words=words or "—",
        )
        await ctx.push(leader, [Text(text, buttons)], kind="ledger_review")
    ctx.say("ledger.review_requested", id=item.id, leader=leader.name if leader else "")


async def _reviewable(ctx: Context) -> RectificationItem | None:
    item = await load(ctx, ctx.params[0] if ctx.params else "")
    if item is None:
        return None
    if ctx.member is None or (item.leader_id != ctx.member.id and not is_office(ctx)):
        ctx.say("ledger.not_reviewer", id=item.id)
        return None
    if item.status != ItemStatus.awaiting_review:
        ctx.say("ledger.not_awaiting", id=item.id)
        return None
    return item


@feature.button("evv", access=CADRES)
async def view_evidence(ctx: Context) -> None:
    """Every piece of evidence in an item's history, for its reviewer and its person."""
    item = await load(ctx, ctx.params[0] if ctx.params else "")
    if item is None:
        return
    member = ctx.member
    assert member is not None
    if member.id not in (item.leader_id, item.person_id) and not is_office(ctx):
        ctx.say("ledger.not_reviewer", id=item.id)
        return
    files = [f for report in await ctx.db.ledger.history(item.id) for f in report.files]  # type: ignore[arg-type]
    if not files:
        ctx.say("ledger.no_evidence", id=item.id)
        return
    for reply in await attachment_replies(ctx, files):
        ctx.send(reply)


@feature.button("ok", access=LEADERS)
async def approve(ctx: Context) -> None:
    item = await _reviewable(ctx)
    if item is None:
        return
    assert ctx.member is not None and ctx.member.id is not None
    item.status, item.finished_on = ItemStatus.done, ctx.today()
    item.rating_closes_on = ctx.today() + timedelta(days=RATING_DAYS)
    ctx.db.session.add(item)
    await ctx.db.ledger.report(
        ProgressReport(
            item_id=item.id,
            member_id=ctx.member.id,
            kind=ReportKind.approved,
            percent=100,
            created_at=ctx.now(),
        )
    )
    await roll_up(ctx, item)
    await _tell_person(ctx, item, "ledger.approved_push")
    for problem_id in await ctx.db.ledger.problems_of(item.id):  # type: ignore[arg-type]
        await tell_problem_sources(
            ctx, problem_id, "ledger.finished_news", ctx.t("ledger.office"), content=item.content
        )
    ctx.say("ledger.approved", id=item.id)


@feature.button("ret", access=LEADERS)
async def send_back(ctx: Context) -> None:
    item = await _reviewable(ctx)
    if item is not None:
        ctx.begin(feature.name, "return_reason", {"item": item.id})
        ctx.say("ledger.ask_return_reason", id=item.id)


@feature.step("return_reason", access=LEADERS)
async def return_reason(ctx: Context) -> None:
    words = ctx.args.strip()
    if not words or len(words) > REASON_LIMIT:
        ctx.say("ledger.reason_needed", limit=REASON_LIMIT)
        return
    ctx.params = (str(ctx.dialogue.data.get("item", "")),)
    ctx.end()
    item = await _reviewable(ctx)
    if item is None:
        return
    assert ctx.member is not None and ctx.member.id is not None
    item.status = ItemStatus.in_progress
    item.percent = min(item.percent, 90)
    ctx.db.session.add(item)
    await ctx.db.ledger.report(
        ProgressReport(
            item_id=item.id,
            member_id=ctx.member.id,
            kind=ReportKind.returned,
            percent=item.percent,
            text=words,
            created_at=ctx.now(),
        )
    )
    await _tell_person(ctx, item, "ledger.returned_push", reason=words)
    ctx.say("ledger.returned", id=item.id)


@feature.button("reopen", access=ADMINS)
async def reopen(ctx: Context) -> None:
    """回头看: a finished item the masses found wanting goes back to its person."""
    item = await load(ctx, ctx.params[0] if ctx.params else "")
    if item is None:
        return
    if item.status != ItemStatus.done:
        ctx.say("ledger.reopen_not_done", id=item.id)
        return
    assert ctx.member is not None and ctx.member.id is not None
    item.status, item.finished_on, item.flagged = ItemStatus.reopened, None, False
    item.percent = min(item.percent, 90)
    ctx.db.session.add(item)
    await ctx.db.ledger.report(
        ProgressReport(
            item_id=item.id,
            member_id=ctx.member.id,
            kind=ReportKind.reopened,
            percent=item.percent,
            text=ctx.t("ledger.reopen_note"),
            created_at=ctx.now(),
        )
    )
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "ledger.reopen", org_id=item.org_id, item=item.id
    )
    await _tell_person(ctx, item, "ledger.reopened_push")
    ctx.say("ledger.reopened", id=item.id)


async def _tell_person(ctx: Context, item: RectificationItem, key: str, **params: object) -> None:
    person = await ctx.db.members.get(item.person_id)
    if person is not None and person.active:
        text = ctx.text_for(person, key, id=item.id, content=item.content, **params)
        await ctx.push(person, [Text(text)], kind="ledger_news")
