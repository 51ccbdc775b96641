"""Repositories of the opinion box: named opinions, anonymous threads, the problem list."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.opinion_models import (
    AnonPost,
    AnonThread,
    Opinion,
    OpinionMessage,
    Problem,
    ProblemItemLink,
    Side,
    Status,
)


class OpinionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Named

    async def add(self, opinion: Opinion, message: OpinionMessage) -> Opinion:
        self.session.add(opinion)
        await self.session.flush()
        message.opinion_id = opinion.id  # type: ignore[assignment]
        self.session.add(message)
        await self.session.flush()
        return opinion

    async def get(self, opinion_id: int) -> Opinion | None:
        return await self.session.get(Opinion, opinion_id)

    async def messages(self, opinion_id: int) -> list[OpinionMessage]:
        query = (
            select(OpinionMessage)
            .where(OpinionMessage.opinion_id == opinion_id)
            .order_by(col(OpinionMessage.id))
        )
        return list((await self.session.exec(query)).all())

    async def post(self, message: OpinionMessage) -> None:
        self.session.add(message)
        await self.session.flush()

    async def by_author(self, member_id: int, limit: int = 10) -> list[Opinion]:
        query = (
            select(Opinion)
            .where(Opinion.author_id == member_id)
            .order_by(col(Opinion.id).desc())
            .limit(limit)
        )
        return list((await self.session.exec(query)).all())

    async def named_inbox(
        self, org_id: int, *, assignee_id: int | None = None, open_only: bool = True
    ) -> list[Opinion]:
        query = select(Opinion).where(Opinion.org_id == org_id)
        if open_only:
            query = query.where(Opinion.status != Status.closed)
        if assignee_id is not None:
            query = query.where(Opinion.assignee_id == assignee_id)
        return list((await self.session.exec(query.order_by(col(Opinion.id)))).all())

    # Anonymous

    async def add_thread(self, thread: AnonThread, text: str) -> AnonThread:
        self.session.add(thread)
        await self.session.flush()
        await self.add_post(thread, Side.author, text, thread.received_on)
        return thread

    async def thread_by_hash(self, receipt_hash: str) -> AnonThread | None:
        query = select(AnonThread).where(AnonThread.receipt_hash == receipt_hash)
        return (await self.session.exec(query)).first()

    async def thread(self, thread_id: int) -> AnonThread | None:
        return await self.session.get(AnonThread, thread_id)

    async def add_post(
        self,
        thread: AnonThread,
        side: Side,
        text: str,
        day: date,
        *,
        office: str | None = None,
    ) -> AnonPost:
        count = select(func.count()).select_from(AnonPost).where(AnonPost.thread_id == thread.id)
        position = (await self.session.exec(count)).one() + 1
        post = AnonPost(
            thread_id=thread.id, position=position, side=side, text=text, office=office,
            received_on=day, released=side == Side.office,
        )  # fmt: skip
        self.session.add(post)
        await self.session.flush()
        return post

    async def posts(self, thread_id: int, *, released_only: bool = False) -> list[AnonPost]:
        query = select(AnonPost).where(AnonPost.thread_id == thread_id)
        if released_only:
            query = query.where(col(AnonPost.released))
        return list((await self.session.exec(query.order_by(col(AnonPost.position)))).all())

    async def anon_inbox(
        self, org_id: int, *, assignee_id: int | None = None, open_only: bool = True
    ) -> list[AnonThread]:
        """Released threads only, in the random order of their ids (SPEC §6)."""
        query = select(AnonThread).where(
            AnonThread.org_id == org_id, col(AnonThread.released_on).is_not(None)
        )
        if open_only:
            query = query.where(AnonThread.status != Status.closed)
        if assignee_id is not None:
            query = query.where(AnonThread.assignee_id == assignee_id)
        return list((await self.session.exec(query.order_by(col(AnonThread.id)))).all())

    async def release(self, org_id: int, today: date) -> int:
        """The daily batch: threads and follow-ups received before today reach the inbox
        together; today's wait for tomorrow's batch."""
        threads = select(AnonThread).where(
            AnonThread.org_id == org_id,
            col(AnonThread.released_on).is_(None),
            AnonThread.received_on < today,
        )
        released = 0
        for thread in (await self.session.exec(threads)).all():
            thread.released_on = today
            self.session.add(thread)
            released += 1
        posts = (
            select(AnonPost)
            .join(AnonThread, col(AnonThread.id) == AnonPost.thread_id)
            .where(AnonThread.org_id == org_id, ~col(AnonPost.released))
            .where(AnonPost.received_on < today)
        )
        for post in (await self.session.exec(posts)).all():
            post.released = True
            self.session.add(post)
        await self.session.flush()
        return released

    async def orgs_with_unreleased(self) -> list[int]:
        query = select(AnonThread.org_id).where(col(AnonThread.released_on).is_(None))
        posts = (
            select(AnonThread.org_id)
            .join(AnonPost, col(AnonThread.id) == AnonPost.thread_id)
            .where(~col(AnonPost.released))
        )
        found = set((await self.session.exec(query)).all())
        return sorted(found | set((await self.session.exec(posts)).all()))

    # Problem list

    async def add_problem(self, problem: Problem) -> Problem:
        self.session.add(problem)
        await self.session.flush()
        return problem

    async def problem(self, problem_id: int) -> Problem | None:
        return await self.session.get(Problem, problem_id)

    async def problems(self, org_id: int) -> list[Problem]:
        query = select(Problem).where(Problem.org_id == org_id).order_by(col(Problem.id))
        return list((await self.session.exec(query)).all())

    async def problem_sources(self, problem_id: int) -> tuple[list[Opinion], list[AnonThread]]:
        named = select(Opinion).where(Opinion.problem_id == problem_id)
        anon = select(AnonThread).where(AnonThread.problem_id == problem_id)
        return (
            list((await self.session.exec(named)).all()),
            list((await self.session.exec(anon)).all()),
        )

    async def link_item(self, problem_id: int, item_id: int) -> None:
        if await self.session.get(ProblemItemLink, (problem_id, item_id)) is None:
            self.session.add(ProblemItemLink(problem_id=problem_id, item_id=item_id))
            await self.session.flush()

    async def counts(self, org_ids: list[int]) -> list[dict[str, Any]]:
        """Received, answered and closed by category, named and anonymous together."""
        rows: list[dict[str, Any]] = []
        for model, released in ((Opinion, None), (AnonThread, AnonThread.released_on)):
            query = select(model.category, model.status, func.count()).where(
                col(model.org_id).in_(org_ids)
            )
            if released is not None:
                query = query.where(col(released).is_not(None))
            query = query.group_by(model.category, model.status)
            for category, status, n in (await self.session.exec(query)).all():
                rows.append({"category": category, "status": status, "count": n})
        return rows
