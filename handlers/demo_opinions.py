"""The demo unit's opinion box: named opinions in every state, anonymous threads already
released, and a problem on the problem list — so the inbox shows real work at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from storage.anonymity import new_pseudonym, new_receipt, receipt_hash, receipt_salt
from storage.models import Member
from storage.opinion_models import (
    AnonThread,
    Opinion,
    OpinionMessage,
    Problem,
    Side,
    Status,
    Target,
)
from storage.repos import Repos

# author, days ago, target, category, text, reply (office, text) or None, status
NAMED = (
    ("钱明", 12, Target.general, "formalism",
     "各类检查考核太多,一个月要填七八张表,很多内容重复,占用了大量业务时间。",
     ("办公室", "已梳理全部报表,下月起合并为三张,重复内容一律取消。"), Status.replied),
    ("张伟", 9, Target.department, "bureaucratism",
     "建设项目审批窗口要求的材料清单和网上公布的不一致,群众来回跑了三趟。",
     None, Status.assigned),
    ("朱琳", 6, Target.team, "suggestion",
     "建议班子成员每月至少到批后管理现场一次,听听一线的意见。",
     None, Status.new),
    ("高翔", 3, Target.general, "hedonism",
     "个别同志午休时间过长,下午办事群众要等到三点以后。",
     None, Status.new),
)  # fmt: skip
ANONYMOUS = (
    (8, Target.team, "extravagance", "年底的总结会安排在郊区度假村,和中央八项规定精神不符。"),
    (4, Target.general, "bureaucratism", "窗口对群众态度生硬,问两句就不耐烦。"),
)


async def seed_opinions(db: Repos, org_id: int, people: dict[str, Member], today: date) -> str:
    """Returns the receipt code of one demo anonymous opinion, for trying /receipt."""
    first: Opinion | None = None
    for author, days, target, category, text, reply, status in NAMED:
        when = datetime.combine(today - timedelta(days=days), time(2), tzinfo=UTC)
        department = (await db.orgs.departments(org_id))[2] if target == Target.department else None
        opinion = Opinion(
            org_id=org_id, author_id=people[author].id, target=target, category=category,
            target_id=department.id if department else None, status=status, created_at=when,
            assignee_id=people["陈建国"].id if status == Status.assigned else None,
        )  # fmt: skip
        message = OpinionMessage(
            opinion_id=0, side=Side.author, text=text, sender_id=people[author].id, created_at=when
        )
        await db.opinions.add(opinion, message)
        first = first or opinion
        if reply is not None:
            office, words = reply
            opinion.answered_at = when + timedelta(days=2)
            await db.opinions.post(
                OpinionMessage(opinion_id=opinion.id, side=Side.office, text=words, office=office,
                               sender_id=people["周敏"].id, created_at=opinion.answered_at)
            )  # fmt: skip
    salt = await receipt_salt(db.session)
    code = ""
    for days, target, category, text in ANONYMOUS:
        code = new_receipt()
        received = today - timedelta(days=days)
        thread = AnonThread(
            org_id=org_id, receipt_hash=receipt_hash(code, salt), pseudonym=new_pseudonym(),
            target=target, category=category, received_on=received,
            released_on=received + timedelta(days=1),
        )  # fmt: skip
        await db.opinions.add_thread(thread, text)
        for post in await db.opinions.posts(thread.id):
            post.released = True
            db.session.add(post)
    if first is not None:
        problem = await db.opinions.add_problem(
            Problem(org_id=org_id, title="文山会海、报表过多", category="formalism")
        )
        first.problem_id = problem.id
        db.session.add(first)
    return code
