"""The custom-survey builder over HTTP, as a browser without JavaScript uses it: each
mistake told beside its field with what was typed kept and nothing written; the editor's
buttons (add, move, remove) re-rendering the form without writing; a draft saved once
however often it is sent, previewed, edited, then opened — each step in the audit log."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import col, select

from storage.examine_models import Survey, SurveyStatus
from storage.models import AuditEntry
from storage.repos import Repos
from storage.types import utcnow
from tests.console_support import NONCE, Browser, Site, running_site

pytestmark = pytest.mark.asyncio(loop_scope="module")
ERROR = re.compile(r'id="err-(\w+)">([^<]*)<')
NEW = "/console/surveys/new"
QUESTIONS = [  # kind, text, options, required
    ("single", "窗口服务态度怎么样?", "很好\n一般\n较差", True),
    ("multi", "哪些方面改进最明显?", "审批提速\n会议精简\n文件减少", True),
    ("rating", "给干部作风打个分", "", True),
    ("text", "还有什么建议?", "", False),
]


def survey_form(nonce: str = "n", questions: list[Any] | None = None, **fields: Any) -> dict:
    form: dict[str, Any] = {"nonce": nonce, "act": "save", "title": "机关作风满意度调查",
                            "opens": "", "closes": "下周五18点", **fields}  # fmt: skip
    asked = QUESTIONS if questions is None else questions
    for n, (kind, text, options, required) in enumerate(asked, start=1):
        form |= {f"q{n}_kind": kind, f"q{n}_text": text, f"q{n}_options": options}
        if required:
            form[f"q{n}_required"] = "1"
    return form


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with running_site(tmp_path_factory.mktemp("builder")) as found:
        yield found


@pytest_asyncio.fixture(loop_scope="module")
async def admin(site: Site) -> AsyncIterator[Browser]:
    browser = Browser(site)
    assert await browser.login("admin") == 303
    await browser.get(NEW)
    yield browser
    await browser.close()


async def written(site: Site) -> tuple[int, int]:
    """Surveys, and the builder's audit entries: what a refused form must not change."""

    async def read(db: Repos) -> tuple[int, int]:
        surveys = (await db.session.exec(select(Survey))).all()
        query = select(AuditEntry).where(col(AuditEntry.action).like("survey.draft%"))
        return len(surveys), len((await db.session.exec(query)).all())

    return tuple(await site.run(read))  # type: ignore[return-value]


async def audits(site: Site, action: str) -> list[AuditEntry]:
    async def read(db: Repos) -> list[AuditEntry]:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list((await db.session.exec(query.order_by(col(AuditEntry.id)))).all())

    return list(await site.run(read))


TWICE, ELEVEN = "审批提速\n会议精简\n审批提速", "\n".join("甲乙丙丁戊己庚辛壬癸子")
MISTAKES = {  # what is wrong → (the form's changes, the field, words of its message)
    "no title": ({"title": "  "}, "title", "请填写标题"),
    "one option": ({"q1_options": "很好"}, "q1_options", "至少要有 2 个选项"),
    "duplicate options": ({"q2_options": TWICE}, "q2_options", "“审批提速”重复"),
    "too many options": ({"q1_options": ELEVEN}, "q1_options", "最多 10 个"),
    "a long option": ({"q1_options": "很好\n" + "长" * 41}, "q1_options", "最多 40 字"),
    "empty question": ({"q3_text": " "}, "q3_text", "请填写题目内容"),
    "unknown kind": ({"q2_kind": "ranking"}, "q2_kind", "请选择题型"),
    "closes before opens": ({"opens": "下周五18点", "closes": "下周一9点"}, "closes", "要晚于开始"),
    "no closing time": ({"closes": ""}, "closes", "请填写截止时间"),
    "unreadable time": ({"closes": "等通知"}, "closes", ""),
    "opens in the past": ({"opens": "2020-01-01 09:00"}, "opens", ""),
    "too far": ({"closes": "2099-01-01"}, "closes", ""),
    "audience too small": ({"roles": "admin"}, "audience", "少于 5 人"),
    "unknown role": ({"roles": "mayor"}, "audience", "无法识别"),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
async def test_each_mistake_is_told_beside_its_field_and_nothing_is_written(
    site: Site, admin: Browser, mistake: str
) -> None:
    changes, field, words = MISTAKES[mistake]
    before = await written(site)
    status, body, _ = await admin.post(NEW, {**survey_form(f"bad-{mistake}"), **changes})
    errors = {name: html.unescape(text) for name, text in ERROR.findall(body)}
    assert status == 400 and errors.keys() == {field}, errors
    assert words in errors[field] and errors[field].strip()
    assert "什么也没有保存" in body and await written(site) == before
    assert 'value="机关作风满意度调查"' in body or mistake == "no title"  # kept as typed
    assert "窗口服务态度怎么样?" in body and "会议精简" in body


async def test_too_many_questions_are_refused(site: Site, admin: Browser) -> None:
    before = await written(site)
    many = [("rating", f"第{n}项工作打分", "", True) for n in range(31)]
    status, body, _ = await admin.post(NEW, survey_form("many", many))
    assert status == 400 and dict(ERROR.findall(body)).keys() == {"questions"}
    assert "最多 30 道" in body and await written(site) == before
    status, body, _ = await admin.post(NEW, survey_form("none", []))
    assert status == 400 and "至少要有一道题" in body and await written(site) == before


async def test_the_editor_buttons_rearrange_what_was_typed_and_write_nothing(
    site: Site, admin: Browser
) -> None:
    before = await written(site)
    form = survey_form("edit", QUESTIONS[:2])
    status, body, _ = await admin.post(NEW, form | {"act": "add"})
    assert status == 200 and 'name="q3_kind"' in body and 'name="q4_kind"' not in body
    assert not ERROR.findall(body) and "窗口服务态度怎么样?" in body
    status, body, _ = await admin.post(NEW, form | {"act": "down-1"})
    assert body.index("哪些方面改进最明显?") < body.index("窗口服务态度怎么样?")
    assert re.search(r'name="q1_kind"[^>]*>.*?value="multi" selected', body, re.S)
    status, body, _ = await admin.post(NEW, form | {"act": "up-2"})
    assert body.index("哪些方面改进最明显?") < body.index("窗口服务态度怎么样?")
    status, body, _ = await admin.post(NEW, form | {"act": "remove-1"})
    assert "窗口服务态度怎么样?" not in body and 'name="q2_kind"' not in body
    assert "审批提速" in body
    full = survey_form("full", [("text", f"问题{n}", "", True) for n in range(30)])
    status, body, _ = await admin.post(NEW, full | {"act": "add"})
    assert dict(ERROR.findall(body)).keys() == {"questions"} and 'name="q31_kind"' not in body
    assert await written(site) == before


async def test_a_draft_saved_once_previewed_edited_and_opened(site: Site, admin: Browser) -> None:
    before = await written(site)
    form = survey_form("draft-once")
    status, _, response = await admin.post(NEW, form)
    assert status == 303 and response.headers["Location"].endswith("/preview")
    preview = response.headers["Location"]
    status, _, again = await admin.post(NEW, form)  # the same form sent twice
    assert status == 303 and again.headers["Location"] == preview
    assert await written(site) == (before[0] + 1, before[1] + 1)
    number = int(preview.split("/")[-2])
    survey = await site.run(lambda db: db.surveys.get(number))
    assert survey.status == SurveyStatus.draft and survey.template == "custom"
    questions = await site.run(lambda db: db.surveys.questions(number))
    assert [(q.kind, q.options, q.required) for q in questions] == [
        ("single", ["很好", "一般", "较差"], True), ("multi", ["审批提速", "会议精简", "文件减少"],
        True), ("rating", [], True), ("text", [], False)]  # fmt: skip
    _, body, _ = await admin.get(preview)
    assert "草稿已保存" in body and "未开始" in body and "点“发起测评”时开始" in body
    assert body.count('class="card question-preview"') == 4 and "可不答" in body
    assert "全体" in body and 'id="open-draft"' in body
    assert (await admin.get(f"/console/surveys/{number}"))[2].headers["Location"] == preview
    status, body, _ = await admin.get(f"/console/surveys/{number}/edit")
    assert status == 200 and "窗口服务态度怎么样?" in body and 'value="multi" selected' in body
    revisit = ("single", "愿意参加回访吗?", "愿意\n不愿意", False)
    edited = survey_form("draft-edit", [*QUESTIONS[:3], revisit], roles="member",
                         opens="下周一9点")  # fmt: skip
    status, _, response = await admin.post(f"/console/surveys/{number}/edit", edited)
    assert status == 303 and response.headers["Location"] == preview
    _, body, _ = await admin.get(preview)
    assert "点“发起测评”时开始" not in body and " 09:00</dd>" in body and "党员群众" in body
    questions = await site.run(lambda db: db.surveys.questions(number))
    assert [q.text for q in questions][-1] == "愿意参加回访吗?" and len(questions) == 4
    survey = await site.run(lambda db: db.surveys.get(number))
    assert survey.audience == {"roles": ["member"]}
    entries = [*await audits(site, "survey.draft"), *await audits(site, "survey.draft_edit")]
    assert {e.detail["via"] for e in entries} == {"console"}
    assert all(e.org_id == site.orgs["unit"] for e in entries)
    status, _, response = await admin.post(f"/console/surveys/{number}/open", {"nonce": "go"})
    assert status == 303 and response.headers["Location"] == f"/console/surveys/{number}"
    _, body, _ = await admin.get(response.headers["Location"])
    assert "测评已发起" in body and 'id="sealed"' in body
    survey = await site.run(lambda db: db.surveys.get(number))
    assert survey.status == SurveyStatus.open and survey.opens_at > utcnow()  # pushed then
    opened = (await audits(site, "survey.open"))[-1]
    assert opened.detail["survey"] == number and opened.detail["via"] == "console"
    status, _, response = await admin.post(f"/console/surveys/{number}/open", {"nonce": "again"})
    assert status == 303 and response.headers["Location"] == f"/console/surveys/{number}"
    assert "已经发起,不能再修改" in (await admin.get(f"/console/surveys/{number}"))[1]
    assert [e.detail["survey"] for e in await audits(site, "survey.open")].count(number) == 1
    status, _, response = await admin.get(f"/console/surveys/{number}/edit")
    assert status == 303 and response.headers["Location"] == f"/console/surveys/{number}"
    late = survey_form("late", QUESTIONS[:2])
    status, _, _ = await admin.post(f"/console/surveys/{number}/edit", late)
    assert status == 303 and len(await site.run(lambda db: db.surveys.questions(number))) == 4
    _, body, _ = await admin.get("/console/audit")
    assert "保存测评草稿" in body and "修改测评草稿" in body


async def test_a_draft_whose_window_passed_is_not_opened(site: Site, admin: Browser) -> None:
    status, _, response = await admin.post(NEW, survey_form("stale"))
    number = int(response.headers["Location"].split("/")[-2])

    async def expire(db: Repos) -> None:
        survey = await db.surveys.get(number)
        assert survey is not None
        await db.surveys.set(survey, closes_at=survey.opens_at - timedelta(minutes=1))

    await site.run(expire)
    status, _, response = await admin.post(f"/console/surveys/{number}/open", {"nonce": "late"})
    assert status == 303 and response.headers["Location"] == f"/console/surveys/{number}"
    _, _, response = await admin.get(response.headers["Location"])  # a draft: its preview
    _, body, _ = await admin.get(response.headers["Location"])
    assert "截止时间已经过了" in body and 'id="open-draft"' in body
    assert (await site.run(lambda db: db.surveys.get(number))).status == SurveyStatus.draft


async def test_only_the_office_of_its_organization_builds_and_edits(
    site: Site, admin: Browser
) -> None:
    _, _, response = await admin.post(NEW, survey_form("theirs"))
    preview = response.headers["Location"]
    number = int(preview.split("/")[-2])
    for who, page, expected in (
        ("leader", NEW, 403), ("supervisor", NEW, 403), ("other_admin", preview, 404),
        ("other_admin", f"/console/surveys/{number}/edit", 404), ("supervisor", preview, 200),
    ):  # fmt: skip
        browser = Browser(site)
        try:
            await browser.login(who)
            status, body, _ = await browser.get(page)
            assert status == expected, (who, page)
            if status == 200:
                assert 'id="open-draft"' not in body and 'id="edit-draft"' not in body
        finally:
            await browser.close()
    before = await written(site)
    other = Browser(site)
    try:
        await other.login("other_admin")
        await other.get("/console/surveys")
        status, _, _ = await other.post(f"/console/surveys/{number}/edit", survey_form("x"))
        assert status == 404
        status, _, _ = await other.post(f"/console/surveys/{number}/open", {"nonce": "y"})
        assert status == 404
    finally:
        await other.close()
    assert await written(site) == before
    assert NONCE.search((await admin.get(NEW))[1])
