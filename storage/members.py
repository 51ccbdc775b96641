"""Members and the chat accounts bound to them."""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelIdentity, Member, Organization
from storage.types import utcnow


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
        query = (
            select(ChannelIdentity, Member, Organization)
            .join(Member, col(Member.id) == ChannelIdentity.member_id)
            .join(Organization, col(Organization.id) == Member.org_id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        )
        found = (await self.session.exec(query)).first()
        return (found[0], found[1], found[2]) if found else (None, None, None)

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
