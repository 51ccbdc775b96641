"""The demo unit's rectification ledger: items in every state, the cadre persona (刘洋)
responsible for some under the leader persona (陈建国), progress history, a public item
already rated."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from storage.ledger_models import (
    ItemStatus,
    ProgressReport,
    Rating,
    RectificationItem,
    Visibility,
)
from storage.models import Member
from storage.repos import Repos

# content, goal, measures, days to deadline, leader, person, status, percent, public, history
ITEMS = (
    (
        "会议多、文件多,文山会海问题突出",
        "全局性会议减少三分之一,发文减少四分之一",
        "合并同类会议;推行视频会议;严控发文数量和篇幅",
        60,
        "陈建国",
        "刘洋",
        ItemStatus.in_progress,
        40,
        True,
        ("已合并三类例会", "视频会议系统已试运行"),
    ),
    (
        "建设项目审批材料清单与网上公布不一致",
        "线上线下清单一致,群众办事一次告知",
        "全面核对清单;设立一次性告知单;每月抽查窗口",
        20,
        "陈建国",
        "刘洋",
        ItemStatus.in_progress,
        75,
        True,
        ("清单已全部核对", "一次性告知单已上墙"),
    ),
    (
        "批后管理现场检查不到位",
        "重点项目每月至少现场检查一次",
        "建立现场检查台帐;班子成员带队抽查",
        -5,
        "林秀英",
        "郑伟",
        ItemStatus.in_progress,
        30,
        False,
        ("制定检查计划",),
    ),
    (
        "窗口服务态度生硬",
        "服务对象满意率达到 95% 以上",
        "开展文明服务培训;设立服务评价器;每月通报",
        -20,
        "陈建国",
        "孙丽",
        ItemStatus.done,
        100,
        True,
        ("培训两期", "评价器已安装"),
    ),
    (
        "公务用车管理不规范",
        "公车使用全程登记,杜绝公车私用",
        "建立派车登记制度;节假日公车封存",
        45,
        "吴海燕",
        "马超",
        ItemStatus.not_started,
        0,
        False,
        (),
    ),
)
DEMO_RATINGS = {Rating.satisfied: 9, Rating.basic: 4, Rating.dissatisfied: 2}


async def seed_ledger(db: Repos, org_id: int, people: dict[str, Member], today: date) -> None:
    for content, goal, measures, days, leader, person, status, percent, public, notes in ITEMS:
        item = await db.ledger.add(
            RectificationItem(
                org_id=org_id,
                content=content,
                goal=goal,
                measures=measures,
                deadline=today + timedelta(days=days),
                leader_id=people[leader].id,
                person_id=people[person].id,
                status=status,
                percent=percent,
                visibility=Visibility.public if public else Visibility.internal,
                pledge="立说立行,按期整改到位,接受群众监督。" if public else "",
                finished_on=today - timedelta(days=3) if status == ItemStatus.done else None,
                rating_closes_on=today - timedelta(days=1) if status == ItemStatus.done else None,
                created_at=datetime.combine(today - timedelta(days=30), time(2), tzinfo=UTC),
            )
        )
        for n, note in enumerate(notes, start=1):
            when = datetime.combine(today - timedelta(days=20 - 7 * n), time(2), tzinfo=UTC)
            await db.ledger.report(
                ProgressReport(
                    item_id=item.id,
                    member_id=people[person].id,
                    text=note,
                    created_at=when,
                    percent=min(percent, round(percent * n / len(notes))),
                )
            )
        if status == ItemStatus.done:
            raters = [m.id for m in people.values() if m.id is not None][
                : sum(DEMO_RATINGS.values())
            ]
            votes = [(item.id, raters[i], r) for i, r in enumerate(_spread(DEMO_RATINGS))]
            await db.ledger.record_ratings(votes, [(item.id, "态度明显好转。")], today)  # type: ignore[arg-type]
    problems = await db.opinions.problems(org_id)
    first = (await db.ledger.items([org_id]))[0]
    if problems and first.id is not None and problems[0].id is not None:
        await db.opinions.link_item(problems[0].id, first.id)


def _spread(counts: dict[Rating, int]) -> list[str]:
    return [choice for choice, n in counts.items() for _ in range(n)]
