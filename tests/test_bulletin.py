"""The monthly bulletin (月通报, issue 5): its figures from a seeded ledger on a fixed clock,
a short text, a chart whose Chinese labels really render, a spreadsheet with a summary
sheet, the stored Bulletin row, and ``python -m bot bulletin``."""

from __future__ import annotations

import argparse
import io
import logging
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import select

from bot.commands_ledger import bulletin_cmd
from config.settings import load_settings
from handlers.admin_ops import OpError, create_org
from handlers.ledger import chart
from handlers.ledger.bulletin import BulletinParts, compile_bulletin, compose, panels
from handlers.ledger.bulletin_figures import gather
from handlers.ledger.excel import ledger_lines, words
from storage.db import Database
from storage.ledger_models import Bulletin
from storage.opinion_models import Opinion, Status
from storage.repos import Repos
from storage.study_models import Attendance, StudySession
from tests.test_cli import Bot
from tests.test_ledger_files import NOW, ZONE, Seeded, seed_ledger

PNG = b"\x89PNG\r\n\x1a\n"
LOCAL = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)  # 09:00 on 10 November in Shanghai


async def seed_everything(repos: Repos) -> Seeded:
    """The ledger of test_ledger_files, three opinions and this month's group study."""
    unit = await seed_ledger(repos)
    people = unit.people
    for status, age in ((Status.replied, 12), (Status.new, 10), (Status.new, 0)):
        repos.session.add(
            Opinion(
                org_id=unit.org_id, author_id=people["赵敏"], target="team",
                category="formalism", status=status, created_at=NOW - timedelta(days=age, hours=1),
            )
        )  # fmt: skip
    sessions = [
        (LOCAL, False),  # held this month: counted
        (LOCAL - timedelta(days=25), False),  # last month
        (LOCAL + timedelta(days=1), True),  # cancelled
        (NOW + timedelta(days=3), False),  # not yet held
    ]
    for start, cancelled in sessions:
        session = await repos.study.add(
            StudySession(
                org_id=unit.org_id, title="学习党章和系列重要讲话", starts_at=start,
                ends_at=start + timedelta(hours=2), checkin_secret="x", cancelled=cancelled,
            )
        )  # fmt: skip
        if start == LOCAL:
            for index, name in enumerate(("王建国", "陈志强", "刘洋", "李明", "孙丽", "赵敏")):
                checked = LOCAL if index < 5 else None
                rsvp = "leave" if checked is None else "yes"
                await repos.study.add(
                    Attendance(
                        session_id=session.id, member_id=people[name], rsvp=rsvp,
                        checked_in_at=checked,
                    )
                )  # fmt: skip
    return unit


@pytest.fixture
async def unit(sqlite_db: Database) -> Seeded:
    return await sqlite_db.run(lambda s: seed_everything(Repos(s)))


async def test_figures_and_text_of_a_seeded_ledger(db: Database) -> None:
    unit = await db.run(lambda s: seed_everything(Repos(s)))
    parts: BulletinParts = await db.run(
        lambda s: compile_bulletin(Repos(s), unit.org_id, NOW, ZONE, "zh")
    )
    lines = parts.text.splitlines()
    assert lines[0] == "测试规划局整改落实情况通报(2026年11月)"
    assert lines[1] == (
        "截至11月25日,台帐共有整改事项 7 项:已完成 2 项,待审核 1 项,推进中 2 项,"
        "未启动 1 项,逾期未完成 1 项。"
    )
    assert lines[2] == "本月完成整改 1 项。"  # not October's, nor a sub-item
    assert lines[3].startswith("逾期未完成 1 项")
    assert lines[4] == "· 3 下基层调研走过场(责任人:孙丽;时限:2026年11月20日;进度 30%)"
    assert lines[5].startswith("临近完成时限(14 天内)、进度不足一半的 1 项")
    assert lines[6] == (
        "· 1.1 修订审批办事指南并向社会公开(责任人:李明;时限:2026年12月5日;进度 30%)"
    )
    assert lines[7] == "意见建议:累计收到 3 条,已答复 1 条,超期未答复 1 条。"
    assert lines[8] == ("集中学习:本月 1 次,应到 8 人次,实到 5 人次(到课率 63%),请假 1 人次。")
    assert lines[9].startswith("请各责任领导、责任人对照台帐")
    assert (parts.month, parts.bulletin_id) == ("2026-11", parts.bulletin_id)

    async def stored(session: Any) -> list[Bulletin]:
        return list((await session.exec(select(Bulletin))).all())

    (row,) = await db.run(stored)
    assert (row.id, row.org_id, row.month, row.text) == (
        parts.bulletin_id, unit.org_id, "2026-11", parts.text
    )  # fmt: skip
    assert not row.published

    # The spreadsheet: a summary sheet with the chart, then the ledger itself.
    book = load_workbook(io.BytesIO(parts.workbook))
    assert book.sheetnames == ["月通报", "测试规划局"]
    summary = {r[0]: r[1] for r in book["月通报"].iter_rows(min_row=3, values_only=True)}
    assert summary["整改事项总数"] == 7 and summary["逾期未完成"] == 1
    assert summary["意见建议:收到 / 已答复 / 超期未答复"] == "3 / 1 / 1"
    assert summary["集中学习:次数 / 应到 / 实到 / 请假"] == "1 / 8 / 5 / 1"
    assert len(book["月通报"]._images) == 1
    assert book["测试规划局"]["A4"].value == "1.1"

    # The chart is a PNG of a sensible size.
    assert parts.chart_png.startswith(PNG) and len(parts.chart_png) > 20_000
    width, height = Image.open(io.BytesIO(parts.chart_png)).size
    assert 900 <= width <= 2400 and 300 <= height <= 900, (width, height)


async def test_english_words_and_an_empty_unit(sqlite_db: Database, unit: Seeded) -> None:
    async def english(session: Any) -> str:
        repos = Repos(session)
        lines = [x for o in await ledger_lines(repos, [unit.org_id], "en", ZONE) for x in o.lines]
        figures = await gather(repos, [unit.org_id], lines, NOW, ZONE)
        return compose(words("en"), "测试规划局", figures, NOW.astimezone(ZONE).date())

    text = await sqlite_db.run(english)
    assert text.splitlines()[1] == (
        "As of 11/25, the ledger holds 7 items: done 2, awaiting review 1, in progress 2, "
        "not started 1, overdue 1."
    )
    assert "(responsible: 孙丽; due 2026-11-20; 30% done)" in text

    async def empty(session: Any) -> BulletinParts:
        repos = Repos(session)
        org = await create_org(repos, "新成立的支部", actor="test")
        return await compile_bulletin(repos, org.id, NOW, ZONE, "zh")  # type: ignore[arg-type]

    parts = await sqlite_db.run(empty)
    assert "台帐里还没有整改事项。" in parts.text and "集中学习" not in parts.text
    assert parts.chart_png.startswith(PNG)
    with pytest.raises(OpError) as caught:
        await sqlite_db.run(lambda s: compile_bulletin(Repos(s), 999, NOW, ZONE, "zh"))
    assert caught.value.key == "ops.no_org"


# The chart's Chinese


PANELS = [
    chart.Panel("整改事项(项)", ("已完成", "逾期未完成"), (3, 1), ("#43a047", "#e53935")),
    chart.Panel("意见建议(条)", ("收到", "已答复"), (12, 9), ("#1e88e5", "#43a047")),
]


def draw(family: str | None) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chart.render_chart("测试规划局 2026年11月整改落实情况", PANELS, family=family)
    return png, [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chinese_labels_render_with_the_cjk_font() -> None:
    if chart.cjk_family() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    with_cjk, missing = draw(None)
    assert missing == [], missing
    tofu, missing_here = draw("DejaVu Sans")  # a font without Chinese: boxes, and warnings
    assert missing_here and "CJK UNIFIED IDEOGRAPH" in missing_here[0]
    assert with_cjk != tofu
    assert Image.open(io.BytesIO(with_cjk)).size == Image.open(io.BytesIO(tofu)).size


def test_no_cjk_font_is_a_warning_not_a_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert chart.pick_family(["DejaVu Sans", "Liberation Serif"]) is None
    assert chart.pick_family(["DejaVu Sans", "Noto Sans CJK JP", "Noto Sans CJK SC"]) == (
        "Noto Sans CJK SC"
    )
    monkeypatch.setattr(chart, "pick_family", lambda names: None)
    with caplog.at_level(logging.WARNING, logger="handlers.ledger.chart"):
        assert chart.cjk_family.__wrapped__() is None
    assert "fonts-noto-cjk" in caplog.text


def test_panels_follow_the_figures() -> None:
    from collections import Counter

    from handlers.ledger.bulletin_figures import Figures, Study

    figures = Figures(Counter(done=2, overdue=1), 1, [], [], (5, 4, 1), Study(2, 10, 8, 1))
    found = panels(words("zh"), figures)
    assert [p.title for p in found] == ["整改事项(项)", "意见建议(条)", "集中学习(人次)"]
    assert found[0].values == (2, 0, 0, 0, 0, 1) and found[2].values == (8, 1, 1)


# The command line


async def test_cli_bulletin(sqlite_db: Database, unit: Seeded, tmp_path: Path) -> None:
    bot = Bot.at(tmp_path, tmp_path / "massline.db")
    result = bot.ok("bulletin", "--org", unit.org_id, "--json")  # one JSON object, checked
    data = result.data
    assert set(data) == {"org", "id", "month", "text", "chart", "spreadsheet"}
    assert data["text"].startswith("测试规划局整改落实情况通报")
    assert Path(data["chart"]).parent == tmp_path / "bulletins"  # beside the database
    assert Path(data["chart"]).read_bytes().startswith(PNG)
    assert load_workbook(data["spreadsheet"]).sheetnames[0] == "月通报"

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'massline.db'}")
    out = tmp_path / "通报"
    human = await bulletin_cmd(argparse.Namespace(org=unit.org_id, out=out), settings)
    assert human["text"].startswith("测试规划局整改落实情况通报(")
    assert f"图表:{out.resolve()}" in human["text"]
    assert Path(human["json"]["spreadsheet"]).parent == out.resolve()
    assert human["json"]["id"] == data["id"] + 1
