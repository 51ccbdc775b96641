"""A believable demo unit, so that a fresh ``make run`` shows something real.

临江县规划局 under 临江县委: a leadership team (the main leader among them), a campaign
office, six departments and about thirty people, with the campaign's stage calendar laid
around today. Each persona the README names gets a reusable invite code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, select

from handlers.admin_ops import create_invite
from handlers.demo_ledger import seed_ledger
from handlers.demo_opinions import seed_opinions
from handlers.examine.demo import assign_overseers
from handlers.study.demo import seed_study
from storage.models import Invite, Member, OrgKind, Rank, Role, Stage
from storage.repos import Repos

ACTOR = "demo"
COUNTY, UNIT = "临江县委", "临江县规划局"
DEPARTMENTS = ("办公室", "规划编制科", "建设项目审批科", "批后管理科", "法规监察科", "测绘信息中心")

# name, title, role, rank, department (None: the leadership team), main leader
PEOPLE: tuple[tuple[str, str, Role, Rank, str | None, bool], ...] = (
    ("王立新", "党组书记、局长", Role.leader, Rank.county, None, True),
    ("陈建国", "党组成员、副局长", Role.leader, Rank.section, None, False),
    ("林秀英", "党组成员、副局长", Role.leader, Rank.section, None, False),
    ("赵志刚", "党组成员、总规划师、活动办主任", Role.admin, Rank.section, None, False),
    ("吴海燕", "纪检组长", Role.leader, Rank.section, None, False),
    ("周敏", "办公室副主任(活动办)", Role.admin, Rank.staff, "办公室", False),
    ("刘洋", "规划编制科科长", Role.cadre, Rank.section, "规划编制科", False),
    ("孙丽", "建设项目审批科科长", Role.cadre, Rank.section, "建设项目审批科", False),
    ("郑伟", "批后管理科科长", Role.cadre, Rank.section, "批后管理科", False),
    ("黄磊", "法规监察科科长", Role.cadre, Rank.section, "法规监察科", False),
    ("何静", "测绘信息中心主任", Role.cadre, Rank.section, "测绘信息中心", False),
    ("马超", "办公室主任", Role.cadre, Rank.section, "办公室", False),
)
STAFF = (
    ("赵晓雪", "规划编制科"),
    ("钱明", "规划编制科"),
    ("李娜", "规划编制科"),
    ("张伟", "建设项目审批科"),
    ("王芳", "建设项目审批科"),
    ("杨帆", "建设项目审批科"),
    ("朱琳", "批后管理科"),
    ("徐强", "批后管理科"),
    ("胡晓东", "批后管理科"),
    ("高翔", "法规监察科"),
    ("罗敏", "法规监察科"),
    ("梁晨", "测绘信息中心"),
    ("宋佳", "测绘信息中心"),
    ("唐亮", "测绘信息中心"),
    ("韩雪", "办公室"),
    ("冯涛", "办公室"),
    ("曹颖", "规划编制科"),
    ("彭博", "建设项目审批科"),
)
SUPERVISOR = ("许振华", "县委第三督导组组长")
PERSONAS = {"admin": "周敏", "leader": "陈建国", "cadre": "刘洋", "member": "赵晓雪"}


@dataclass(frozen=True)
class Demo:
    org_id: int
    invites: dict[str, str]
    created: bool
    receipt: str | None = None  # one demo anonymous opinion's code, to try /receipt


async def seed_demo(
    db: Repos, today: date, *, opinions: bool = True, zone: str = "Asia/Shanghai"
) -> Demo:
    """Create the demo unit, unless one exists: then report the one there is."""
    existing = await db.orgs.demo()
    if existing is not None and existing.id is not None:
        return Demo(existing.id, await demo_invites(db), created=False)
    county = await db.orgs.create(COUNTY, kind=OrgKind.county)
    unit = await db.orgs.create(UNIT, kind=OrgKind.unit, parent_id=county.id, is_demo=True)
    county.timezone = unit.timezone = zone
    assert county.id is not None and unit.id is not None
    departments = {name: await db.orgs.department(unit.id, name) for name in DEPARTMENTS}
    people: dict[str, Member] = {}
    for name, title, role, rank, dept, main in PEOPLE:
        people[name] = await db.members.add(
            Member(
                org_id=unit.id,
                name=name,
                title=title,
                role=role,
                rank=rank,
                is_main_leader=main,
                department_id=departments[dept].id if dept else None,
            )
        )
    for name, dept in STAFF:
        people[name] = await db.members.add(
            Member(
                org_id=unit.id,
                name=name,
                title="科员",
                role=Role.member,
                rank=Rank.staff,
                department_id=departments[dept].id,
            )
        )
    supervisor = await db.members.add(
        Member(
            org_id=county.id,
            name=SUPERVISOR[0],
            title=SUPERVISOR[1],
            role=Role.supervisor,
            rank=Rank.county,
        )
    )
    await _calendar(db, unit.id, today)
    await assign_overseers(db, unit.id)
    for role, name in PERSONAS.items():
        await create_invite(db, unit.id, role, member=people[name], actor=ACTOR)
    await create_invite(db, county.id, Role.supervisor, member=supervisor, actor=ACTOR)
    receipt = await seed_opinions(db, unit.id, people, today) if opinions else None
    if opinions:
        await seed_ledger(db, unit.id, people, today)
        await seed_study(db, unit.id, people, today)
    await db.audit.record(ACTOR, "demo.create", org_id=unit.id)
    return Demo(unit.id, await demo_invites(db), created=True, receipt=receipt)


async def _calendar(db: Repos, org_id: int, today: date) -> None:
    """About eight months, the three stages overlapping, today a month into the first."""
    start = today - timedelta(days=30)
    await db.orgs.set_stage(org_id, Stage.study, start, start + timedelta(days=75))
    await db.orgs.set_stage(
        org_id, Stage.examine, start + timedelta(days=60), start + timedelta(days=120)
    )
    await db.orgs.set_stage(
        org_id, Stage.rectify, start + timedelta(days=105), start + timedelta(days=240)
    )


async def demo_invites(db: Repos) -> dict[str, str]:
    """The demo personas' invite codes by role, in the order the README lists them."""
    query = select(Invite).where(Invite.created_by == ACTOR, col(Invite.member_id).is_not(None))
    found = {i.role: i.code for i in (await db.session.exec(query)).all() if not i.revoked}
    order = ("admin", "leader", "cadre", "member", "supervisor")
    return {role: found[role] for role in order if role in found}
