"""Members and invites for the web console: who is in the organization, how they reach
us, and taking someone out (deactivating keeps their history; they can no longer use
the bot or the console, and their personal invites stop working)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from handlers.admin_ops import OpError, create_invite
from handlers.console_ops.logins import end_sessions
from storage.console_models import ConsoleLogin
from storage.models import ChannelIdentity, Invite, Member
from storage.repos import Repos
from storage.types import utcnow


@dataclass(frozen=True)
class MemberRow:
    member: Member
    department: str
    joined: bool  # has a chat account bound
    console: bool  # has a console password


async def member_rows(db: Repos, org_id: int) -> list[MemberRow]:
    members = await db.members.in_org(org_id, active_only=False)
    departments = {d.id: d.name for d in await db.orgs.departments(org_id)}
    ids = [m.id for m in members]
    bound = select(ChannelIdentity.member_id).where(col(ChannelIdentity.member_id).in_(ids))
    joined = set((await db.session.exec(bound)).all())
    logins = select(ConsoleLogin.member_id).where(col(ConsoleLogin.member_id).in_(ids))
    console = set((await db.session.exec(logins)).all())
    rows = [
        MemberRow(m, departments.get(m.department_id, ""), m.id in joined, m.id in console)
        for m in members
    ]
    return sorted(rows, key=lambda r: (not r.member.active, r.member.id or 0))


async def open_invites(db: Repos, org_id: int) -> list[Invite]:
    """Invites that can still be used, newest first."""
    now = utcnow()
    query = select(Invite).where(Invite.org_id == org_id, ~col(Invite.revoked))
    found = (await db.session.exec(query.order_by(col(Invite.id).desc()))).all()
    return [
        i
        for i in found
        if (i.expires_at is None or i.expires_at > now)
        and (i.max_uses is None or i.used_count < i.max_uses)
    ]


async def deactivate(db: Repos, member: Member, *, by: Member) -> None:
    if member.id == by.id:
        raise OpError("console.deactivate_self")
    if not member.active:
        raise OpError("console.already_inactive", name=member.name)
    member.active = False
    db.session.add(member)
    query = select(Invite).where(Invite.member_id == member.id, ~col(Invite.revoked))
    for invite in (await db.session.exec(query)).all():
        invite.revoked = True
        db.session.add(invite)
    await end_sessions(db, member.id or 0)
    await db.audit.record(
        f"member:{by.id}", "member.deactivate", org_id=member.org_id, member=member.id,
        name=member.name, via="console",
    )  # fmt: skip


@dataclass(frozen=True)
class Channel:
    """How a member reaches us on one channel: never the account's id there."""

    channel: str
    reachable: bool
    since: datetime
    last_seen: datetime


async def channels(db: Repos, member_id: int) -> list[Channel]:
    return [
        Channel(i.channel, i.reachable, i.created_at, i.last_seen_at)
        for i in await db.members.identities(member_id)
    ]


async def personal_invites(db: Repos, member_id: int) -> list[Invite]:
    query = select(Invite).where(Invite.member_id == member_id, ~col(Invite.revoked))
    return list((await db.session.exec(query.order_by(col(Invite.id).desc()))).all())


async def revoke(db: Repos, invite: Invite, *, by: Member) -> None:
    if invite.revoked:
        raise OpError("console.invite_was_revoked")
    invite.revoked = True
    db.session.add(invite)
    await db.audit.record(
        f"member:{by.id}", "invite.revoke", org_id=invite.org_id, invite=invite.id,
        member=invite.member_id, via="console",
    )  # fmt: skip


async def reissue(db: Repos, member: Member, *, by: Member) -> Invite:
    """A new personal invite (one use), the person's older ones revoked: for a lost link
    or a new phone. Joining with it binds another chat account to the same member."""
    if not member.active:
        raise OpError("console.reissue_inactive", name=member.name)
    for old in await personal_invites(db, member.id or 0):
        await revoke(db, old, by=by)
    invite = await create_invite(
        db, member.org_id, member.role, rank=member.rank, uses=1, member=member,
        actor=f"member:{by.id}",
    )  # fmt: skip
    stamp_via(db)
    return invite


def stamp_via(db: Repos) -> None:
    """The entries just written, marked as done from the console."""
    audit = db.audit
    for entry in getattr(audit, "written", []):
        entry.detail = {**entry.detail, "via": "console"}
