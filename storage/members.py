"""Members and the chat accounts bound to them."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, bindparam
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialogue import COLUMNS as DIALOGUE_COLUMNS
from storage.dialogue import TABLE as DIALOGUE
from storage.dialogue import DialogueRow
from storage.models import ChannelIdentity, Member, Organization
from storage.types import utcnow


class Arrival(NamedTuple):
    """Who sent a message, with their dialogue row: what every message starts with."""

    identity: ChannelIdentity | None
    member: Member | None
    org: Organization | None
    dialogue: DialogueRow | None  # None too when the account is unknown: not looked up


# Built once: composing a statement costs as much CPU as running it (bench/statements.py).
# The dialogue comes as plain columns (storage/dialogue.py keeps it out of the ORM).
_ARRIVAL = (
    select(ChannelIdentity, Member, Organization, DIALOGUE.c.user_key, *DIALOGUE_COLUMNS)
    .join(Member, col(Member.id) == ChannelIdentity.member_id)
    .join(Organization, col(Organization.id) == Member.org_id)
    .outerjoin(
        DIALOGUE,
        and_(
            DIALOGUE.c.channel == ChannelIdentity.channel,
            DIALOGUE.c.user_key == ChannelIdentity.external_id,
        ),
    )
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.external_id == bindparam("external_id"),
    )
)


class MemberRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, member: Member) -> Member:
        self.session.add(member)
        await self.session.flush()
        return member

    async def get(self, member_id: int) -> Member | None:
        return await self.session.get(Member, member_id)

    async def in_org(self, org_id: int, *, active_only: bool = True) -> list[Member]:
        query = select(Member).where(Member.org_id == org_id)
        if active_only:
            query = query.where(col(Member.active))
        return list((await self.session.exec(query.order_by(col(Member.id)))).all())

    async def count_in_org(self, org_id: int) -> int:
        query = (
            select(func.count())
            .select_from(Member)
            .where(Member.org_id == org_id, col(Member.active))
        )
        return (await self.session.exec(query)).one()

    async def find(
        self, org_id: int, *, phone: str | None = None, employee_no: str | None = None
    ) -> Member | None:
        if phone:
            query = select(Member).where(Member.org_id == org_id, Member.phone == phone)
            if found := (await self.session.exec(query)).first():
                return found
        if employee_no:
            query = select(Member).where(Member.org_id == org_id, Member.employee_no == employee_no)
            return (await self.session.exec(query)).first()
        return None

    async def identity(self, channel: str, external_id: str) -> ChannelIdentity | None:
        query = select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
        return (await self.session.exec(query)).first()

    async def who(
        self, channel: str, external_id: str
    ) -> tuple[ChannelIdentity | None, Member | None, Organization | None]:
        """The account, its member and the member's organization, in one query."""
        found = await self.arrival(channel, external_id)
        return found.identity, found.member, found.org

    async def arrival(self, channel: str, external_id: str) -> Arrival:
        """The account, its member, their organization and the account's dialogue row,
        in one query; all None for an account nobody has bound."""
        params = {"channel": channel, "external_id": external_id}
        found = (await self.session.exec(_ARRIVAL, params=params)).first()  # type: ignore[call-overload]
        if found is None:
            return Arrival(None, None, None, None)
        identity, member, org, row_key, *dialogue = found
        return Arrival(identity, member, org, DialogueRow(*dialogue) if row_key else None)

    async def identities(self, member_id: int) -> list[ChannelIdentity]:
        query = (
            select(ChannelIdentity)
            .where(ChannelIdentity.member_id == member_id)
            .order_by(col(ChannelIdentity.last_seen_at).desc())
        )
        return list((await self.session.exec(query)).all())

    async def bind(self, channel: str, external_id: str, member: Member) -> ChannelIdentity:
        identity = ChannelIdentity(channel=channel, external_id=external_id, member_id=member.id)
        self.session.add(identity)
        member.last_channel = channel
        self.session.add(member)
        await self.session.flush()
        return identity

    async def seen(self, identity: ChannelIdentity, member: Member) -> None:
        """Note that this account is in use: pushes go to the channel used last."""
        identity.last_seen_at = utcnow()
        identity.reachable = True
        self.session.add(identity)
        if member.last_channel != identity.channel:
            member.last_channel = identity.channel
            self.session.add(member)

    async def mark_unreachable(self, identity_id: int) -> None:
        identity = await self.session.get(ChannelIdentity, identity_id)
        if identity is not None:
            identity.reachable = False
            self.session.add(identity)
