"""The deliverer's transactions: claiming rows under a lease, and committing what became
of each push, in small groups, as the outcomes come in. Each is a handful of statements
whatever the number of rows, so that claims and records stay short at hundreds a second."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelIdentity, Member, OutboxMessage, OutboxStatus
from storage.outbox import MAX_ATTEMPTS
from storage.repos import Repos
from storage.types import utcnow

BACKOFF_BASE, BACKOFF_MAX = 1.0, 300.0


@dataclass
class Outcome:
    row_id: int
    status: OutboxStatus | None = None  # None: back to the queue after ``delay``
    channel: str | None = None
    delay: float = 0.0
    counted: bool = True  # a fault counts toward MAX_ATTEMPTS; waiting our turn does not
    error: str = ""
    blocked: tuple[int, ...] = ()  # chat accounts that refused us (403)
    slot: bool = False  # it holds a slot of the in-flight window
    sent: bool = False  # a request went out (its outcome may be unknown)


Work = tuple[OutboxMessage, list[ChannelIdentity]]


async def book(
    session: AsyncSession,
    *,
    done: list[Outcome],
    renew: list[int],
    limit: int,
    lease: float,
    skip: set[int],
) -> list[Work]:
    """One short transaction: record ``done``, renew the leases of ``renew``, claim up to
    ``limit`` more rows (never one in ``skip``: we hold those)."""
    await session.connection()  # SQLite: BEGIN IMMEDIATE; waiting for it takes no lease time
    until = utcnow() + timedelta(seconds=lease)
    await record(session, done)
    if renew:
        await _set(session, renew, not_before=until)
    return await claim(session, limit, until, skip) if limit else []


async def claim(session: AsyncSession, limit: int, until: datetime, skip: set[int]) -> list[Work]:
    """Due rows, leased to us ``until`` then (as storage's OutboxRepo.claim, but the lease
    set in one statement), each with its member's chat accounts, last used first."""
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.not_before <= now)
        .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = [r for r in (await session.exec(query)).all() if r.id not in skip]
    if not rows:
        return []
    await _set(session, [r.id for r in rows if r.id], not_before=until)
    found: dict[int, list[tuple[ChannelIdentity, str | None, str | None]]] = {}
    accounts = (
        select(ChannelIdentity, Member.push_channel, Member.last_channel)
        .join(Member, col(Member.id) == ChannelIdentity.member_id)
        .where(col(Member.id).in_({r.member_id for r in rows}))
        .order_by(col(ChannelIdentity.last_seen_at).desc())
    )
    for identity, chosen, last in (await session.exec(accounts)).all():
        found.setdefault(identity.member_id, []).append((identity, chosen, last))

    def in_order(member_id: int) -> list[ChannelIdentity]:
        """The channel the member chose (/channel) first, then the one they used last,
        then the rest by recent use: a chosen channel that is down or refuses falls back."""
        ordered = sorted(
            found.get(member_id, []), key=lambda f: (f[0].channel != f[1], f[0].channel != f[2])
        )
        return [account[0] for account in ordered]

    return [(row, in_order(row.member_id)) for row in rows]


async def record(session: AsyncSession, outcomes: list[Outcome]) -> None:
    """Outcomes into their rows: sent ones in one statement per channel."""
    repos, now = Repos(session), utcnow()
    sent: dict[str, list[int]] = {}
    for outcome in outcomes:
        for identity_id in outcome.blocked:
            await repos.members.mark_unreachable(identity_id)
        if outcome.status == OutboxStatus.sent and outcome.channel is not None:
            sent.setdefault(outcome.channel, []).append(outcome.row_id)
        elif outcome.status is not None:
            await repos.outbox.finish(
                outcome.row_id, outcome.status, channel=outcome.channel, error=outcome.error
            )
        elif outcome.counted:
            await repos.outbox.retry_later(outcome.row_id, outcome.delay, outcome.error)
        else:
            later = now + timedelta(seconds=outcome.delay)
            await _set(session, [outcome.row_id], not_before=later)
    for channel, ids in sent.items():
        await _set(session, ids, status=OutboxStatus.sent, channel=channel, sent_at=now, error=None)


async def _set(session: AsyncSession, ids: list[int], **values: object) -> None:
    """Update queued rows only: a row cancelled meanwhile (deleted) or finished stays so."""
    where = (col(OutboxMessage.id).in_(ids), OutboxMessage.status == OutboxStatus.queued)
    await session.exec(update(OutboxMessage).where(*where).values(**values))  # type: ignore[call-overload]


def backoff(attempts: int) -> float:
    """1, 2, 4 … seconds, at most BACKOFF_MAX, with some jitter; MAX_ATTEMPTS ends it."""
    base = min(BACKOFF_BASE * 2 ** min(attempts, MAX_ATTEMPTS), BACKOFF_MAX)
    return base * random.uniform(0.8, 1.2)  # noqa: S311  (spreading retries, not secrecy)
