"""Study hours (学时): group study counted from check-ins (the session's length, on time
or late), plus self-study logged in one line — against the rank's minimum. Nobody's
hours are ever shown beside anyone else's."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlmodel import col, func, select

from handlers.context import Context
from handlers.feature import MEMBERS
from handlers.messages import Text
from handlers.study.common import clean_text, duration_hours, feature, hours_text
from storage.models import Member
from storage.study_models import SelfStudy

LEAST, MOST = 0.25, 12.0  # hours in one entry
DAY_LIMIT = 12.0  # hours of self-study one day can hold
TOPIC_LIMIT = 200
_ENTRY = re.compile(
    r"^(\d+(?:\.\d+)?)\s*(?:个?小时|(?:hours?|hrs?|h)(?![a-z]))?\s*[,:、]?\s*(.*)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Hours:
    group: float
    self_study: float
    minimum: float

    @property
    def total(self) -> float:
        return self.group + self.self_study

    @property
    def missing(self) -> float:
        return max(0.0, self.minimum - self.total)


async def hours_of(ctx: Context, member: Member) -> Hours:
    assert member.id is not None
    attended = await ctx.db.study.attended(member.id)
    group = sum(duration_hours(s) for _, s in attended if not s.cancelled)
    own = await ctx.db.study.self_study_hours(member.id)
    minimum = await ctx.db.study.minimum_hours(member.org_id, member.rank)
    return Hours(group, own, minimum)


def hours_lines(ctx: Context, hours: Hours) -> list[str]:
    lines = [
        ctx.t(
            "study.hours",
            total=hours_text(hours.total),
            minimum=hours_text(hours.minimum),
            group=hours_text(hours.group),
            own=hours_text(hours.self_study),
        )
    ]
    if hours.missing:
        lines.append(ctx.t("study.hours_missing", missing=hours_text(hours.missing)))
    else:
        lines.append(ctx.t("study.hours_met"))
    return lines


@feature.command("log", access=MEMBERS, keywords=("自学",), menu=False)
async def log_self_study(ctx: Context) -> None:
    assert ctx.member is not None and ctx.member.id is not None
    text = clean_text(unicodedata.normalize("NFKC", ctx.args))
    found = _ENTRY.match(text)
    if not text or found is None:
        ctx.say("study.log_usage")
        return
    hours, topic = float(found[1]), found[2].strip()
    if not LEAST <= hours <= MOST:
        ctx.say("study.log_hours", least=hours_text(LEAST), most=hours_text(MOST))
        return
    if not topic:
        ctx.say("study.log_topic")
        return
    if len(topic) > TOPIC_LIMIT:
        ctx.say("study.log_topic_long", limit=TOPIC_LIMIT, length=len(topic))
        return
    today = ctx.today()
    query = select(func.coalesce(func.sum(SelfStudy.hours), 0.0)).where(
        SelfStudy.member_id == ctx.member.id, col(SelfStudy.studied_on) == today
    )
    logged = float((await ctx.db.session.exec(query)).one())
    if logged + hours > DAY_LIMIT:
        ctx.say("study.log_day_full", logged=hours_text(logged), most=hours_text(DAY_LIMIT))
        return
    entry = SelfStudy(member_id=ctx.member.id, hours=round(hours, 2), topic=topic,
                      studied_on=today, created_at=ctx.now())  # fmt: skip
    await ctx.db.study.add(entry)
    lines = [ctx.t("study.logged", hours=hours_text(hours), topic=topic)]
    lines += hours_lines(ctx, await hours_of(ctx, ctx.member))
    ctx.send(Text("\n".join(lines)))
