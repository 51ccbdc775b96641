"""Organizations: the tree, its departments and its stage calendar."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Department, Organization, StagePeriod


class OrgRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self, name: str, *, kind: str, parent_id: int | None = None, is_demo: bool = False
    ) -> Organization:
        org = Organization(name=name, kind=kind, parent_id=parent_id, is_demo=is_demo)
        self.session.add(org)
        await self.session.flush()
        return org

    async def get(self, org_id: int) -> Organization | None:
        return await self.session.get(Organization, org_id)

    async def many(self, org_ids: set[int]) -> dict[int, Organization]:
        """Several at once, in one query; later ``get``s of them ask the database nothing."""
        if not org_ids:
            return {}
        query = select(Organization).where(col(Organization.id).in_(org_ids))
        return {org.id: org for org in (await self.session.exec(query)).all() if org.id}

    async def count(self) -> int:
        return (await self.session.exec(select(func.count()).select_from(Organization))).one()

    async def demo(self) -> Organization | None:
        query = select(Organization).where(col(Organization.is_demo)).order_by(col(Organization.id))
        return (await self.session.exec(query)).first()

    async def subtree_ids(self, org_id: int) -> list[int]:
        """The organization and everything below it, breadth first."""
        found, frontier = [org_id], [org_id]
        while frontier:
            query = select(Organization.id).where(col(Organization.parent_id).in_(frontier))
            frontier = list((await self.session.exec(query)).all())
            found.extend(frontier)
        return found

    async def department(self, org_id: int, name: str) -> Department:
        query = select(Department).where(Department.org_id == org_id, Department.name == name)
        found = (await self.session.exec(query)).first()
        if found is None:
            found = Department(org_id=org_id, name=name)
            self.session.add(found)
            await self.session.flush()
        return found

    async def departments(self, org_id: int) -> list[Department]:
        query = select(Department).where(Department.org_id == org_id).order_by(col(Department.id))
        return list((await self.session.exec(query)).all())

    async def set_stage(self, org_id: int, stage: str, starts_on: date, ends_on: date) -> None:
        if ends_on < starts_on:
            raise ValueError("a stage cannot end before it starts")
        query = select(StagePeriod).where(StagePeriod.org_id == org_id, StagePeriod.stage == stage)
        period = (await self.session.exec(query)).first()
        if period is None:
            period = StagePeriod(org_id=org_id, stage=stage, starts_on=starts_on, ends_on=ends_on)
        else:
            period.starts_on, period.ends_on = starts_on, ends_on
        self.session.add(period)
        await self.session.flush()

    async def stages(self, org_id: int) -> list[StagePeriod]:
        query = (
            select(StagePeriod)
            .where(StagePeriod.org_id == org_id)
            .order_by(col(StagePeriod.starts_on))
        )
        return list((await self.session.exec(query)).all())

    async def current_stage(self, org_id: int, today: date) -> StagePeriod | None:
        """The stage running today; where stages overlap, the one that began last.

        An organization without a calendar of its own follows its nearest ancestor's.
        """
        org: Organization | None = await self.get(org_id)
        while org is not None and org.id is not None:
            periods = await self.stages(org.id)
            if periods:
                running = [p for p in periods if p.starts_on <= today <= p.ends_on]
                return running[-1] if running else None
            org = await self.get(org.parent_id) if org.parent_id else None
        return None
