"""Repository of the rectification ledger."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ledger_models import (
    Bulletin,
    ItemStatus,
    Milestone,
    ProgressReport,
    RatingComment,
    RatingParticipation,
    RatingTally,
    RectificationItem,
    Visibility,
)
from storage.opinion_models import ProblemItemLink


class LedgerRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item: RectificationItem) -> RectificationItem:
        if not item.seq:
            query = select(func.coalesce(func.max(RectificationItem.seq), 0)).where(
                RectificationItem.org_id == item.org_id,
                RectificationItem.parent_id == item.parent_id
                if item.parent_id is not None
                else col(RectificationItem.parent_id).is_(None),
            )
            item.seq = (await self.session.exec(query)).one() + 1
        self.session.add(item)
        await self.session.flush()
        return item

    async def get(self, item_id: int) -> RectificationItem | None:
        return await self.session.get(RectificationItem, item_id)

    async def items(
        self, org_ids: list[int], *, visibility: str | None = None, top_only: bool = False
    ) -> list[RectificationItem]:
        query = select(RectificationItem).where(col(RectificationItem.org_id).in_(org_ids))
        if visibility is not None:
            query = query.where(RectificationItem.visibility == visibility)
        if top_only:
            query = query.where(col(RectificationItem.parent_id).is_(None))
        query = query.order_by(col(RectificationItem.org_id), col(RectificationItem.seq))
        return list((await self.session.exec(query)).all())

    async def public(self, org_id: int) -> list[RectificationItem]:
        return await self.items([org_id], visibility=Visibility.public)

    async def for_person(self, member_id: int) -> list[RectificationItem]:
        query = (
            select(RectificationItem)
            .where(RectificationItem.person_id == member_id)
            .order_by(col(RectificationItem.deadline))
        )
        return list((await self.session.exec(query)).all())

    async def awaiting_review_by(self, leader_id: int) -> list[RectificationItem]:
        query = select(RectificationItem).where(
            RectificationItem.leader_id == leader_id,
            RectificationItem.status == ItemStatus.awaiting_review,
        )
        return list((await self.session.exec(query)).all())

    async def children(self, item_id: int) -> list[RectificationItem]:
        query = (
            select(RectificationItem)
            .where(RectificationItem.parent_id == item_id)
            .order_by(col(RectificationItem.seq))
        )
        return list((await self.session.exec(query)).all())

    async def open_with_deadline_before(
        self, day: date, *, since: date | None = None
    ) -> list[RectificationItem]:
        """Items not yet done (or under review) due by ``day`` (and not before ``since``),
        across organizations."""
        query = select(RectificationItem).where(
            RectificationItem.deadline <= day,
            RectificationItem.deadline >= (since or date.min),
            col(RectificationItem.status).in_(
                (ItemStatus.not_started, ItemStatus.in_progress, ItemStatus.reopened)
            ),
        )
        return list((await self.session.exec(query)).all())

    # History

    async def report(self, report: ProgressReport) -> ProgressReport:
        self.session.add(report)
        await self.session.flush()
        return report

    async def history(self, item_id: int) -> list[ProgressReport]:
        query = (
            select(ProgressReport)
            .where(ProgressReport.item_id == item_id)
            .order_by(col(ProgressReport.id))
        )
        return list((await self.session.exec(query)).all())

    async def milestones(self, item_id: int) -> list[Milestone]:
        query = select(Milestone).where(Milestone.item_id == item_id).order_by(col(Milestone.due))
        return list((await self.session.exec(query)).all())

    async def add_milestone(self, milestone: Milestone) -> Milestone:
        self.session.add(milestone)
        await self.session.flush()
        return milestone

    # Problems

    async def problems_of(self, item_id: int) -> list[int]:
        query = select(ProblemItemLink.problem_id).where(ProblemItemLink.item_id == item_id)
        return list((await self.session.exec(query)).all())

    # Ratings: written by the batching pool only

    async def has_rated(self, item_id: int, member_id: int) -> bool:
        return await self.session.get(RatingParticipation, (item_id, member_id)) is not None

    async def record_ratings(
        self, votes: list[tuple[int, int, str]], comments: list[tuple[int, str]], day: date
    ) -> int:
        """(item, member, choice) votes and (item, text) comments, written together; a vote
        from a member who already rated is dropped. Returns the votes counted."""
        counted = 0
        for item_id, member_id, choice in votes:
            if await self.has_rated(item_id, member_id):
                continue
            self.session.add(RatingParticipation(item_id=item_id, member_id=member_id))
            tally = await self.session.get(RatingTally, (item_id, choice))
            if tally is None:
                tally = RatingTally(item_id=item_id, choice=choice, count=0)
            tally.count += 1
            self.session.add(tally)
            counted += 1
        for item_id, text in comments:
            self.session.add(RatingComment(item_id=item_id, text=text, day=day))
        await self.session.flush()
        return counted

    async def tally(self, item_id: int) -> dict[str, int]:
        query = select(RatingTally).where(RatingTally.item_id == item_id)
        return {row.choice: row.count for row in (await self.session.exec(query)).all()}

    async def comments(self, item_id: int) -> list[RatingComment]:
        query = select(RatingComment).where(RatingComment.item_id == item_id)
        return list((await self.session.exec(query.order_by(col(RatingComment.id)))).all())

    # Bulletins

    async def add_bulletin(self, bulletin: Bulletin) -> Bulletin:
        self.session.add(bulletin)
        await self.session.flush()
        return bulletin
