"""A survey with the office's own questions, answered in chat: built and opened through
handlers/surveys/build.py (what the console's builder and the command line call), then
answered in a few taps — a single choice, a multiple choice, a 1–5 rating and free texts;
an optional question passed with one tap or "跳过", a required one refusing to be skipped —
and its results sealed until the close and withheld below k = 5 responses."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from handlers.admin_ops import create_org
from handlers.console_ops.context import op_context
from handlers.surveys import build, flush_answers
from handlers.surveys.build import QuestionDraft, SurveyDraft
from storage.db import Database
from storage.models import Member, Role
from storage.repos import Repos
from tests.conftest import Demo
from tests.transcript import Chat, Clock, make_services

QUESTIONS = [
    QuestionDraft("single", "窗口服务态度怎么样?", "很好\n一般\n较差"),
    QuestionDraft("multi", "哪些方面改进最明显?", "审批提速\n会议精简\n文件减少"),
    QuestionDraft("rating", "给干部作风转变打个分", ""),
    QuestionDraft("single", "愿意参加整改回访吗?", "愿意\n不愿意", required=False),
    QuestionDraft("text", "还有什么意见建议?", "", required=False),
    QuestionDraft("text", "最希望先解决的一件事", ""),
]


async def build_and_open(demo: Demo, *, open_it: bool = True) -> int:
    async def work(session: object) -> int:
        db = Repos(session)  # type: ignore[arg-type]
        org = await db.orgs.get(demo.org_id)
        query = select(Member).where(Member.org_id == demo.org_id, Member.role == Role.admin)
        admin = (await db.session.exec(query)).first()
        assert org is not None and admin is not None
        ctx = op_context(db, demo.services, admin, org, "zh")
        draft = SurveyDraft(title="机关作风满意度调查", closes="下周五18点", questions=QUESTIONS)
        checked = await build.check(ctx, draft)
        assert checked.ok, checked.errors
        survey = await build.save_draft(ctx, checked)
        if open_it:
            assert await build.open_draft(ctx, survey) == checked.reach >= 5
        return survey.id or 0

    return int(await demo.db.run(work))


async def answer(person: Chat, number: int, *, pick: str, rating: str, wish: str) -> str:
    await person.say("测评")
    first = await person.tap(person.buttons()[0].label)
    assert "第 1/6 题" in first and "窗口服务态度" in first
    assert "必须回答" in await person.say("跳过")  # a required choice
    await person.tap(pick)
    await person.tap("审批提速")
    assert "✓ 审批提速" in [b.label for b in person.buttons()]
    await person.tap("会议精简")
    assert "第 3/6 题" in await person.tap("选好了")
    assert [b.label for b in person.buttons()] == ["1", "2", "3", "4", "5"]
    optional = await person.tap(rating)
    assert "第 4/6 题" in optional and "跳过此题" in [b.label for b in person.buttons()]
    assert "第 5/6 题" in await person.tap("跳过此题")
    assert "第 6/6 题" in await person.say("跳过")  # the optional free text
    assert "必须回答" in await person.say("跳过")  # the required one
    assert "确认提交" in await person.say(wish)
    return await person.tap("提交答卷")


async def count(demo: Demo, table: str) -> int:
    async def read(session: object) -> int:
        query = text(f"SELECT count(*) FROM {table}")  # noqa: S608  (the test's own table names)
        return (await session.exec(query)).one()[0]  # type: ignore[attr-defined]

    return await demo.db.run(read)


async def test_a_custom_survey_answered_in_chat_and_shown_at_k_after_the_close(
    demo: Demo,
) -> None:
    number = await build_and_open(demo, open_it=False)
    member = await demo.newcomer("p0", "群众0")
    assert "没有需要你参加" in await member.say("测评")  # a draft is nobody's yet
    await build_and_open_draft(demo, number)
    people = [member] + [await demo.newcomer(f"p{n}", f"群众{n}") for n in range(1, 5)]
    picks = ["很好", "很好", "一般", "很好", "较差"]
    for n, person in enumerate(people):
        said = await answer(person, number, pick=picks[n], rating=str(n + 1), wish=f"心愿{n}")
        assert "谢谢" in said
    assert await count(demo, "survey_response") == 5
    first = people[0]
    assert "已经参加过" in await first.press(f"sv:go:{number}")
    office = await demo.person("admin", "a1")
    assert "截止后公布" in await office.press(f"sv:v:{number}")
    demo.clock.advance(days=14)
    results = await office.press(f"sv:v:{number}")
    assert "共 5 份答卷" in results
    assert "很好 3(60%)" in results and "一般 1(20%)" in results and "较差 1(20%)" in results
    assert "审批提速 5(100%)" in results and "文件减少 0(0%)" in results
    assert "愿意 0(0%)" in results and "不愿意 0(0%)" in results  # everyone skipped it
    assert all(f"心愿{n}" in results for n in range(5)) and "群众" not in results
    assert "1 1(20%)" in results and "5 1(20%)" in results


async def test_below_k_the_results_stay_withheld_after_the_close(demo: Demo) -> None:
    number = await build_and_open(demo)
    people = [await demo.newcomer(f"q{n}", f"群众{n}") for n in range(4)]
    for n, person in enumerate(people):
        assert "谢谢" in await answer(person, number, pick="很好", rating="4", wish=f"愿望{n}")
    demo.clock.advance(days=14)
    await demo.db.run(lambda s: flush_answers(Repos(s), demo.services, demo.clock()))
    assert await count(demo, "survey_response") == 4
    office = await demo.person("admin", "a1")
    withheld = await office.press(f"sv:v:{number}")
    assert "少于 5 份" in withheld and "愿望" not in withheld


async def build_and_open_draft(demo: Demo, number: int) -> None:
    async def work(session: object) -> int:
        db = Repos(session)  # type: ignore[arg-type]
        org, survey = await db.orgs.get(demo.org_id), await db.surveys.get(number)
        query = select(Member).where(Member.org_id == demo.org_id, Member.role == Role.admin)
        admin = (await db.session.exec(query)).first()
        assert org is not None and survey is not None and admin is not None
        return await build.open_draft(op_context(db, demo.services, admin, org, "zh"), survey)

    assert await demo.db.run(work) >= 5


async def test_a_draft_rewritten_then_opened_on_each_engine(db: Database) -> None:
    """The builder's writes on SQLite and PostgreSQL: a draft's questions replaced whole."""
    clock = Clock()
    services = make_services(clock)

    async def work(session: object) -> list[tuple[str, list[str], bool]]:
        repos = Repos(session)  # type: ignore[arg-type]
        org = await create_org(repos, "测试规划局", actor="test")
        people = [await repos.members.add(Member(org_id=org.id or 0, name=f"人{n}"))
                  for n in range(5)]  # fmt: skip
        admin = await repos.members.add(Member(org_id=org.id or 0, name="办", role=Role.admin))
        ctx = op_context(repos, services, admin, org, "zh")
        draft = SurveyDraft(title="测评", closes="下周五18点", questions=QUESTIONS[:2])
        survey = await build.save_draft(ctx, await build.check(ctx, draft))
        draft.questions = [QUESTIONS[2], QUESTIONS[4]]
        draft.roles = [Role.member]
        await build.save_draft(ctx, await build.check(ctx, draft), survey)
        assert await build.open_draft(ctx, survey) == len(people)
        questions = await repos.surveys.questions(survey.id or 0)
        return [(q.kind, q.options, q.required) for q in questions]

    assert await db.run(work) == [("rating", [], True), ("text", [], False)]
