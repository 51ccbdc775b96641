"""The masses' rating of a finished ledger item (群众评价) as the console shows it: the
chat's rules (handlers/ledger/ratings.py) — sealed until the rating window closes,
withheld below k ratings — then counts and percentages, and the comments in random
order with nothing that ties one to a person, not even its day."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from handlers.console_ops.context import OpContext
from handlers.ledger.ratings import DISSATISFIED_FLAG, K, open_for_rating
from storage.ledger_models import ItemStatus, Rating, RectificationItem


@dataclass(frozen=True)
class RatingView:
    state: str  # none | sealed | withheld | shown
    closes: date | None = None
    total: int = 0
    shares: list[tuple[str, int, int]] = field(default_factory=list)  # choice, count, percent
    comments: list[str] = field(default_factory=list)
    k: int = K
    flag_share: int = round(100 * DISSATISFIED_FLAG)


async def rating_view(ctx: OpContext, item: RectificationItem) -> RatingView:
    assert item.id is not None
    tally = await ctx.db.ledger.tally(item.id)
    total = sum(tally.values())
    if item.rating_closes_on is None and not total and item.status != ItemStatus.done:
        return RatingView("none")
    if open_for_rating(ctx, item):
        return RatingView("sealed", closes=item.rating_closes_on)
    if total < K:
        return RatingView("withheld", closes=item.rating_closes_on)
    shares = [(r.value, tally.get(r, 0), round(100 * tally.get(r, 0) / total)) for r in Rating]
    comments = [c.text for c in await ctx.db.ledger.comments(item.id)]
    for i in range(len(comments) - 1, 0, -1):  # a fresh random order each time
        j = secrets.randbelow(i + 1)
        comments[i], comments[j] = comments[j], comments[i]
    return RatingView("shown", item.rating_closes_on, total, shares, comments)
