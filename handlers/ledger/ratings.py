"""The masses rate finished items (群众评价): one tap, one rating per member per item, an
optional comment. Who rated is kept apart from what they chose, and choices are written in
batches of several members (handlers/state.py MixPool); tallies are withheld below k and
sealed until the rating window closes."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context, Services
from handlers.feature import MEMBERS
from handlers.ledger.common import feature, load
from handlers.messages import Button, Text
from handlers.schedule import job_context, org_zone
from storage.anonymity import strip_format_characters
from storage.ledger_models import ItemStatus, Rating, RectificationItem, Visibility
from storage.repos import Repos

K = 5  # below this many ratings, no figures are shown
DISSATISFIED_FLAG = 1 / 3
COMMENT_LIMIT = 500
CHOICES = {r.value for r in Rating}


def rating_buttons(ctx: Context, item: RectificationItem) -> tuple[Button, ...]:
    return tuple(
        Button(ctx.t(f"ledger.rate_{r}"), feature.payload("r", item.id, r)) for r in Rating
    )


def open_for_rating(ctx: Context, item: RectificationItem) -> bool:
    closes = item.rating_closes_on
    return item.status == ItemStatus.done and closes is not None and ctx.today() <= closes


@feature.button("r", access=MEMBERS)
async def rate(ctx: Context) -> None:
    item = await load(ctx, ctx.params[0] if ctx.params else "")
    choice = ctx.params[1] if len(ctx.params) > 1 else ""
    if item is None or choice not in CHOICES:
        return
    assert ctx.member is not None and ctx.member.id is not None
    if item.visibility != Visibility.public or item.status != ItemStatus.done:
        ctx.say("ledger.rate_unfinished", id=item.id)
        return
    if not open_for_rating(ctx, item):
        ctx.say("ledger.rate_closed", id=item.id)
        return
    who = (item.id, ctx.member.id)
    if ctx.services.ratings.holds(item.org_id, who) or await ctx.db.ledger.has_rated(*who):  # type: ignore[arg-type]
        ctx.say("ledger.rate_already", id=item.id)
        return
    await _mix(ctx, item.org_id, who, ("vote", item.id, ctx.member.id, choice))
    comment = Button(ctx.t("ledger.add_comment"), feature.payload("rc", item.id))
    ctx.send(Text(ctx.t("ledger.rated", id=item.id), ((comment,),)))


@feature.button("rc", access=MEMBERS)
async def comment(ctx: Context) -> None:
    item = await load(ctx, ctx.params[0] if ctx.params else "")
    if item is not None and open_for_rating(ctx, item):
        ctx.begin(feature.name, "comment", {"item": item.id}, anonymous=True)
        ctx.say("ledger.ask_comment", limit=COMMENT_LIMIT)
    elif item is not None:
        ctx.say("ledger.rate_closed", id=item.id)


@feature.step("comment", access=MEMBERS)
async def comment_text(ctx: Context) -> None:
    words = strip_format_characters(ctx.args.strip())
    if not words or len(words) > COMMENT_LIMIT:
        ctx.say("ledger.comment_invalid", limit=COMMENT_LIMIT)
        return
    item_id = ctx.dialogue.data.get("item", 0)
    item = await ctx.db.ledger.get(item_id)
    ctx.end()
    if item is None or not open_for_rating(ctx, item):
        ctx.say("ledger.rate_closed", id=item_id)
        return
    assert ctx.member is not None
    await _mix(ctx, item.org_id, ("comment", item.id, ctx.member.id), ("comment", item.id, words))
    ctx.say("ledger.comment_saved")


async def _mix(ctx: Context, org_id: int, who: object, entry: tuple) -> None:
    batch = ctx.services.ratings.add(org_id, who, entry)
    if batch:
        await write_batch(ctx, [e for _, e in batch])


async def write_batch(ctx: Context, entries: list) -> None:
    """Several members' ratings and comments in one transaction, then the look-back flag."""
    votes = [(e[1], e[2], e[3]) for e in entries if e[0] == "vote"]
    comments = [(e[1], e[2]) for e in entries if e[0] == "comment"]
    await ctx.db.ledger.record_ratings(votes, comments, ctx.today())
    for item_id in {v[0] for v in votes}:
        item = await ctx.db.ledger.get(item_id)
        tally = await ctx.db.ledger.tally(item_id)
        total = sum(tally.values())
        unhappy = tally.get(Rating.dissatisfied, 0) / total if total else 0.0
        if item is not None and total >= K and not item.flagged and unhappy > DISSATISFIED_FLAG:
            item.flagged = True
            ctx.db.session.add(item)


def results(ctx: Context, item: RectificationItem, tally: dict[str, int]) -> str:
    total = sum(tally.values())
    if open_for_rating(ctx, item):
        closes = item.rating_closes_on
        assert closes is not None
        return ctx.t("ledger.results_sealed", m=closes.month, d=closes.day)
    if total < K:
        return ctx.t("ledger.results_withheld", k=K)
    shares = {r: round(100 * tally.get(r, 0) / total) for r in CHOICES}
    return ctx.t(
        "ledger.results",
        total=total,
        satisfied=shares["satisfied"],
        basic=shares["basic"],
        dissatisfied=shares["dissatisfied"],
    )


async def flush_daily(db: Repos, services: Services, now: datetime) -> dict[str, int]:
    """Once a day, at the organization's release hour, what is still waiting is written
    even if fewer than a batch: a rating must not wait for ever (documented trade-off)."""
    ctx = job_context(db, services)
    written = 0
    pool = services.ratings
    for scope in pool.scopes():
        org = await db.orgs.get(int(scope))  # type: ignore[call-overload]
        local = now.astimezone(org_zone(org))
        if org is None or local.hour < org.anonymous_release_hour:
            continue
        if pool.flushed_on.get(scope) == local.date():
            continue
        entries = [e for _, e in pool.take(scope)]
        pool.flushed_on[scope] = local.date()
        ctx.org = org
        await write_batch(ctx, entries)
        written += len(entries)
    return {"ratings": written}
