"""The demo unit's overseeing leaders (分管领导), so that its coverage grid has the
campaign's third kind of required talk: each team member with the heads of the
departments they oversee. handlers/demo.py calls this after making the people."""

from __future__ import annotations

from storage.repos import Repos

OVERSEERS = {
    "规划编制科": "陈建国",
    "建设项目审批科": "陈建国",
    "办公室": "林秀英",
    "批后管理科": "林秀英",
    "法规监察科": "吴海燕",
    "测绘信息中心": "吴海燕",
}


async def assign_overseers(db: Repos, org_id: int) -> int:
    """Set Department.leader_id by the names above; returns how many were set."""
    people = {m.name: m for m in await db.members.in_org(org_id)}
    count = 0
    for department in await db.orgs.departments(org_id):
        leader = people.get(OVERSEERS.get(department.name, ""))
        if leader is not None and department.leader_id is None:
            department.leader_id = leader.id
            db.session.add(department)
            count += 1
    await db.session.flush()
    return count
