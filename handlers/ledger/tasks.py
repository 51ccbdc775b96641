"""A cadre's rectification items: /tasks shows them nearest deadline first; progress is one
tap (25/50/75%, or done → review) or one line (/progress ID PCT TEXT)."""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.feature import CADRES
from handlers.ledger.common import (
    OPEN,
    RECTIFY,
    STEPS,
    day,
    feature,
    latest,
    load,
    roll_up,
    status_words,
)
from handlers.ledger.review import request_review
from handlers.messages import Button, Text, rows
from storage.ledger_models import ItemStatus, ProgressReport, RectificationItem

TEXT_LIMIT = 1000
_ONE_LINE = re.compile(r"^#?(\d+)\s+(\d{1,3})\s*[%%]?\s*(.*)$", re.S)


@feature.command("tasks", access=CADRES, keywords=("整改",), stages=RECTIFY)
async def tasks(ctx: Context) -> None:
    assert ctx.member is not None and ctx.member.id is not None
    mine = await ctx.db.ledger.for_person(ctx.member.id)
    if not mine:
        ctx.say("ledger.tasks_none")
        return
    ctx.say("ledger.tasks_header", count=len(mine))
    for item in mine:
        ctx.send(await card(ctx, item))


async def card(ctx: Context, item: RectificationItem) -> Text:
    line = await latest(ctx, item)
    text = ctx.t(
        "ledger.card",
        id=item.id,
        content=item.content,
        deadline=day(ctx, item.deadline),
        percent=item.percent,
        status=status_words(ctx, item),
        latest=line.text if line else ctx.t("ledger.no_report"),
    )
    if item.status not in OPEN or await ctx.db.ledger.children(item.id):  # type: ignore[arg-type]
        return Text(text)
    taps = [Button(f"{p}%", feature.payload("p", item.id, p)) for p in STEPS if p > item.percent]
    taps.append(Button(ctx.t("ledger.done_button"), feature.payload("rv", item.id)))
    more = (
        Button(ctx.t("ledger.write_report"), feature.payload("w", item.id)),
        Button(ctx.t("ledger.evidence"), feature.payload("ev", item.id)),
    )
    return Text(text, (*rows(*taps, per_row=4), more))


@feature.command("progress", access=CADRES, keywords=("进度",), menu=False)
async def progress_line(ctx: Context) -> None:
    match = _ONE_LINE.match(ctx.args.strip())
    if match is None:
        ctx.say("ledger.progress_usage")
        return
    raw_id, raw_percent, words = match.groups()
    item = await load(ctx, raw_id, as_person=True)
    if item is not None:
        await report(ctx, item, int(raw_percent), words.strip())


@feature.button("p", access=CADRES)
async def tap(ctx: Context) -> None:
    item = await load(ctx, ctx.params[0] if ctx.params else "", as_person=True)
    percent = ctx.params[1] if len(ctx.params) > 1 else ""
    if item is not None and percent.isascii() and percent.isdigit() and len(percent) <= 3:
        await report(ctx, item, int(percent), "")


async def report(ctx: Context, item: RectificationItem, percent: int, words: str) -> None:
    """Check and record one progress report; 100% means: ask for completion review."""
    if item.status not in OPEN:
        ctx.say("ledger.not_open", id=item.id, status=status_words(ctx, item))
        return
    if await ctx.db.ledger.children(item.id):  # type: ignore[arg-type]
        ctx.say("ledger.has_sub_items", id=item.id)
        return
    if not 0 <= percent <= 100:
        ctx.say("ledger.percent_range", given=percent)
        return
    if percent < item.percent and not words:
        ctx.say("ledger.lower_needs_reason", id=item.id, last=item.percent, given=percent)
        return
    if len(words) > TEXT_LIMIT:
        ctx.say("ledger.text_too_long", limit=TEXT_LIMIT, length=len(words))
        return
    if percent == 100:
        await request_review(ctx, item, words)
        return
    assert ctx.member is not None and ctx.member.id is not None
    await ctx.db.ledger.report(
        ProgressReport(
            item_id=item.id,
            member_id=ctx.member.id,
            percent=percent,
            text=words,
            created_at=ctx.now(),
        )
    )
    item.percent = percent
    item.status = ItemStatus.in_progress
    ctx.db.session.add(item)
    await roll_up(ctx, item)
    ctx.say("ledger.reported", id=item.id, percent=percent)


@feature.button("w", access=CADRES)
async def write(ctx: Context) -> None:
    item = await load(ctx, ctx.params[0] if ctx.params else "", as_person=True)
    if item is not None:
        ctx.begin(feature.name, "write", {"item": item.id})
        ctx.say("ledger.ask_report", id=item.id, percent=item.percent)


@feature.step("write", access=CADRES)
async def write_text(ctx: Context) -> None:
    item = await load(ctx, str(ctx.dialogue.data.get("item", "")), as_person=True)
    match = re.match(r"^(\d{1,3})\s*[%%]?\s*(.*)$", ctx.args.strip(), re.S)
    if item is None:
        ctx.end()
        return
    if match is None:
        ctx.say("ledger.report_format", percent=item.percent)
        return
    ctx.end()
    await report(ctx, item, int(match.group(1)), match.group(2).strip())
