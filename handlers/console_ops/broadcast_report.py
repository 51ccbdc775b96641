"""What the console shows of broadcasts: the list of the viewer's organizations, and one
broadcast's delivery report — for each occurrence, from the outbox (ops.batch_counts):
queued, delivered, blocked the bot (or no chat account), failed — and the progress of the
one going out now (已发送 3,500 / 10,000, counting every message whose fate is known)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import col, select

from handlers.broadcasts.common import audience_label, number, repeat_label, roles_of
from handlers.broadcasts.ops import ACTIVE, batch_counts, figures, occurrences
from handlers.console_ops.context import OpContext
from handlers.schedule import org_zone
from storage.models import Organization
from storage.study_models import Broadcast, BroadcastStatus

LISTED = 50
STAMP = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Occurrence:
    day: date
    queued: int
    sent: int
    blocked: int
    failed: int
    total: int

    @property
    def done(self) -> int:
        """Messages whose fate is known: the progress bar's value."""
        return self.total - self.queued

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.queued == 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class Shown:
    broadcast: Broadcast
    org: Organization
    when: str  # its (first) moment in the organization's zone
    audience: str
    repeat: str
    status: str  # scheduled | sending | done | cancelled, as it stands now
    occurrences: list[Occurrence]

    @property
    def latest(self) -> Occurrence | None:
        return self.occurrences[-1] if self.occurrences else None

    @property
    def live(self) -> bool:
        latest = self.latest
        return self.status == BroadcastStatus.sending and latest is not None \
            and not latest.finished  # fmt: skip


async def listing(ctx: OpContext, orgs: list[Organization]) -> list[Shown]:
    """The latest broadcasts of these organizations, newest first."""
    by_id = {o.id: o for o in orgs}
    query = (
        select(Broadcast)
        .where(col(Broadcast.org_id).in_(list(by_id)))
        .order_by(col(Broadcast.id).desc())
        .limit(LISTED)
    )
    rows = (await ctx.db.session.exec(query)).all()
    return [await shown(ctx, row, by_id[row.org_id]) for row in rows]


async def shown(ctx: OpContext, row: Broadcast, org: Organization) -> Shown:
    assert row.id is not None
    found = [_occurrence(batch, counts) for batch, counts in
             (await batch_counts(ctx.db, row.id)).items()]  # fmt: skip
    zone = org_zone(org)
    return Shown(
        broadcast=row, org=org, when=row.send_at.astimezone(zone).strftime(STAMP),
        audience=audience_label(ctx, roles_of(row.audience)),
        repeat=repeat_label(ctx, row.repeat, row.repeat_until),
        status=_status(row, found[-1] if found else None, org), occurrences=found,
    )  # fmt: skip


def _occurrence(batch: str, counts: Counter[str]) -> Occurrence:
    day = date.fromisoformat(batch.rsplit(":", 1)[-1])
    return Occurrence(day=day, **figures(counts))


def _status(row: Broadcast, latest: Occurrence | None, org: Organization) -> str:
    """The stored status, except that an occurrence whose messages have all left is shown
    as done (or, with more to come, scheduled) before the scheduler's next tick says so."""
    if row.status != BroadcastStatus.sending or latest is None or not latest.finished:
        return str(row.status)
    zone = org_zone(org)
    after = datetime.combine(latest.day + timedelta(days=1), time(), tzinfo=zone)
    later = occurrences(row, zone, after, datetime.max.replace(tzinfo=zone))
    return BroadcastStatus.scheduled if later else BroadcastStatus.done


def progress(ctx: OpContext, found: Shown) -> dict[str, object]:
    """The small JSON the broadcast's page asks for every second while it goes out."""
    latest = found.latest or Occurrence(date.min, 0, 0, 0, 0, 0)
    return {
        "status": found.status,
        "status_label": ctx.t(f"broadcasts.status_{found.status}"),
        "total": latest.total, "done": latest.done, "queued": latest.queued,
        "sent": latest.sent, "blocked": latest.blocked, "failed": latest.failed,
        "percent": latest.percent, "finished": latest.finished, "live": found.live,
        "cancellable": found.status in ACTIVE,
        "label": ctx.t("console.bc_progress", done=number(latest.done),
                       total=number(latest.total)),
    }  # fmt: skip
