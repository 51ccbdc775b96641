"""The ledger as a spreadsheet (issue 5): the customary printed layout (one sheet per
organization, sub-items numbered 1.1), the same as CSV, and importing a ledger back with
one clear error per missing specific (四明确), by row and column.
"""

from __future__ import annotations

import argparse
import csv
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from bot.commands_ledger import ledger_export, ledger_import
from config.settings import load_settings
from handlers.admin_ops import OpError, create_org
from handlers.ledger.excel import ledger_csv, ledger_workbook
from handlers.ledger.excel_import import ImportReport, import_ledger
from handlers.ledger.excel_read import read_date, read_ledger
from storage.db import Database
from storage.ledger_models import ItemStatus, ProgressReport, RectificationItem
from storage.models import Member, Role
from storage.repos import Repos
from tests.test_cli import Bot

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 25)
HEADER = ("序号", "整改事项", "整改目标", "整改措施", "责任领导", "责任人", "完成时限")
PEOPLE = (  # name, role, employee no., title
    ("王建国", Role.leader, "L01", "局长"),
    ("陈志强", Role.leader, "L02", "副局长"),
    ("刘洋", Role.admin, "A01", "活动办主任"),
    ("李明", Role.cadre, "C01", "科长"),
    ("孙丽", Role.cadre, "C02", "科长"),
    ("张伟", Role.cadre, "A012", "科员"),
    ("张伟", Role.cadre, "A013", "科员"),
    ("赵敏", Role.member, "M01", None),
)


@dataclass
class Seeded:
    org_id: int
    people: dict[str, int]  # the first member of each name
    items: dict[str, int]  # by a short key


async def seed_people(repos: Repos, name: str) -> Seeded:
    org = await create_org(repos, name, actor="test")
    assert org.id is not None
    ids: dict[str, int] = {}
    for person, role, number, title in PEOPLE:
        member = await repos.members.add(
            Member(org_id=org.id, name=person, role=role, employee_no=number, title=title)
        )
        ids.setdefault(person, member.id)  # type: ignore[arg-type]
    return Seeded(org.id, ids, {})


async def seed_ledger(repos: Repos, name: str = "测试规划局") -> Seeded:
    """A unit with a believable ledger as of 25 November 2026 (see test_bulletin)."""
    unit = await seed_people(repos, name)
    ids = unit.people

    async def item(key: str, content: str, deadline: date, person: str, **kw: Any) -> int:
        parent = unit.items.get(kw.pop("parent", ""), None)
        found = await repos.ledger.add(
            RectificationItem(
                org_id=unit.org_id, parent_id=parent, content=content, deadline=deadline,
                goal=f"{content}的问题得到解决", measures=f"针对“{content}”制定具体措施,明确分工",
                leader_id=ids[kw.pop("leader", "王建国")], person_id=ids[person], **kw,
            )
        )  # fmt: skip
        unit.items[key] = found.id  # type: ignore[assignment]
        return found.id  # type: ignore[return-value]

    S = ItemStatus
    first = await item("approval", "行政审批办理时限过长,群众办事多次跑腿", date(2026, 12, 31),
                       "李明", status=S.in_progress, percent=40)  # fmt: skip
    await item("guide", "修订审批办事指南并向社会公开", date(2026, 12, 5), "李明",
               parent="approval", status=S.in_progress, percent=30)  # fmt: skip
    await item("first_ask", "建立首问负责制", date(2026, 12, 20), "孙丽", parent="approval",
               status=S.done, percent=100, finished_on=date(2026, 11, 18))  # fmt: skip
    await item("meetings", "会议多、文件多,基层负担重", date(2026, 11, 30), "孙丽",
               status=S.done, percent=100, finished_on=date(2026, 11, 10))  # fmt: skip
    await item("visits", "下基层调研走过场", date(2026, 11, 20), "孙丽", leader="陈志强",
               status=S.in_progress, percent=30)  # fmt: skip
    await item("cars", "公务用车管理不规范", date(2026, 10, 31), "李明",
               status=S.done, percent=100, finished_on=date(2026, 10, 20))  # fmt: skip
    await item("service", "党员干部服务意识不强", date(2026, 12, 10), "李明",
               status=S.awaiting_review, percent=100)  # fmt: skip
    await item("notice", "规划公示不及时", date(2027, 1, 31), "孙丽", leader="陈志强")
    await item("window", "窗口服务态度生硬", date(2026, 12, 3), "孙丽",
               status=S.in_progress, percent=60)  # fmt: skip
    for text in ("已起草办事指南初稿", "", "办事指南已提交局务会审议"):
        await repos.ledger.report(
            ProgressReport(item_id=first, member_id=ids["李明"], percent=40, text=text)
        )
    return unit


async def seeded(db: Database, name: str = "测试规划局") -> Seeded:
    return await db.run(lambda s: seed_ledger(Repos(s), name))


def sheet_rows(data: bytes) -> tuple[Any, list[list[Any]]]:
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return sheet, [[c.value for c in row] for row in sheet.iter_rows()]


# Export


async def test_export_is_the_customary_printed_ledger(sqlite_db: Database) -> None:
    unit = await seeded(sqlite_db)
    data = await sqlite_db.run(
        lambda s: ledger_workbook(Repos(s), [unit.org_id], "zh", ZONE, today=TODAY)
    )
    sheet, rows = sheet_rows(data)
    assert sheet.title == "测试规划局"
    assert rows[0][0] == "测试规划局党的群众路线教育实践活动整改台帐"
    assert "A1:I1" in {str(r) for r in sheet.merged_cells.ranges}
    assert rows[1] == [*HEADER, "进展情况", "完成情况"]
    assert [r[0] for r in rows[2:]] == ["1", "1.1", "1.2", "2", "3", "4", "5", "6", "7"]
    by_number = {r[0]: r for r in rows[2:]}
    assert by_number["1"][1:7] == [
        "行政审批办理时限过长,群众办事多次跑腿",
        "行政审批办理时限过长,群众办事多次跑腿的问题得到解决",
        "针对“行政审批办理时限过长,群众办事多次跑腿”制定具体措施,明确分工",
        "王建国",
        "李明",
        datetime(2026, 12, 31),
    ]
    assert by_number["1"][7] == "已完成 40%。办事指南已提交局务会审议"  # the latest line
    assert by_number["1.2"][8] == "已完成(2026年11月18日)"
    assert by_number["3"][8] == "逾期未完成" and by_number["3"][7] == "已完成 30%"
    assert by_number["6"][7:] == ["尚未报告进展", "未启动"]
    assert by_number["5"][8] == "待审核"

    # Styled for printing: landscape A4, one page wide, the header on every page.
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9)
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$2:$2"
    header = sheet["B2"]
    assert header.font.b and header.border.left.style == "thin"
    body = sheet["D3"]
    assert body.alignment.wrap_text and body.border.bottom.style == "thin"
    assert sheet["B4"].alignment.indent == 1  # 1.1 sits under its parent
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["A"].width
    assert sheet.freeze_panes == "A3"
    assert sheet["G3"].number_format == 'yyyy"年"m"月"d"日"'


async def test_subtree_gives_a_sheet_per_organization(sqlite_db: Database, tmp_path: Path) -> None:
    async def tree(session: Any) -> list[int]:
        repos = Repos(session)
        county = await seed_ledger(repos, "临江县委")
        long_name = "临江县自然资源和规划局机关第一党支部:窗口服务[试点]单位名称很长很长"
        unit = await seed_ledger(repos, long_name)
        empty = await create_org(repos, "没有台帐的支部", actor="test")
        for org_id in (unit.org_id, empty.id):
            org = await repos.orgs.get(org_id)  # type: ignore[arg-type]
            org.parent_id = county.org_id  # type: ignore[union-attr]
        await session.flush()
        return await repos.orgs.subtree_ids(county.org_id)

    org_ids = await sqlite_db.run(tree)
    data = await sqlite_db.run(lambda s: ledger_workbook(Repos(s), org_ids, "en", ZONE))
    book = load_workbook(io.BytesIO(data))
    titles = [sheet.title for sheet in book.worksheets]
    assert len(titles) == 2, titles  # the branch without items gets no sheet
    assert titles[0] == "临江县委"
    assert len(titles[1]) == 31 and ":" not in titles[1] and "[" not in titles[1]
    assert book.worksheets[1]["A2"].value == "No."  # English headers in English

    # An English ledger reads back; as CSV, a first column names each row's organization.
    (tmp_path / "en.xlsx").write_bytes(data)
    sheet = read_ledger(tmp_path / "en.xlsx", "en")
    assert len(sheet.rows) == 9 and sheet.labels["person"] == "Responsible person"
    text = await sqlite_db.run(lambda s: ledger_csv(Repos(s), org_ids, "zh", ZONE))
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0][:2] == ["单位", "序号"] and rows[1][:2] == ["临江县委", "1"]
    assert len(rows) == 1 + 9 + 9


async def test_text_that_looks_like_a_formula_stays_text(sqlite_db: Database) -> None:
    unit = await seeded(sqlite_db)

    async def sneak(session: Any) -> None:
        item = await Repos(session).ledger.get(unit.items["notice"])
        item.content = '=HYPERLINK("http://evil.example","点我")\x07'  # type: ignore[union-attr]
        session.add(item)

    await sqlite_db.run(sneak)
    data = await sqlite_db.run(lambda s: ledger_workbook(Repos(s), [unit.org_id], "zh", ZONE))
    sheet, _ = sheet_rows(data)
    cell = next(c for c in sheet["B"] if str(c.value).startswith("="))
    assert cell.data_type == "s", "a formula would run in Excel"
    text = await sqlite_db.run(lambda s: ledger_csv(Repos(s), [unit.org_id], "zh", ZONE))
    assert "'=HYPERLINK" in text.decode("utf-8-sig")


async def test_csv_has_a_bom_and_the_same_rows(sqlite_db: Database) -> None:
    unit = await seeded(sqlite_db)
    data = await sqlite_db.run(
        lambda s: ledger_csv(Repos(s), [unit.org_id], "zh", ZONE, today=TODAY)
    )
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8 Chinese"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [*HEADER, "进展情况", "完成情况"]
    assert [r[0] for r in rows[1:]] == ["1", "1.1", "1.2", "2", "3", "4", "5", "6", "7"]
    assert rows[1][6] == "2026-12-31" and rows[1][4:6] == ["王建国", "李明"]
    assert rows[5][8] == "逾期未完成"


# Import


def xlsx(path: Path, *rows: tuple[Any, ...]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def good(content: str, **change: Any) -> tuple[Any, ...]:
    row = {
        "seq": "", "content": content, "goal": "群众满意", "measures": "明确分工,限时办结",
        "leader": "王建国", "person": "李明", "deadline": "2026-12-31", "pledge": "",
    }  # fmt: skip
    row.update(change)
    return tuple(row.values())


def problems(report: ImportReport) -> list[tuple[int, str, dict[str, object]]]:
    return [(row, error.key, error.params) for row, error in report.errors]


async def test_import_good_rows_and_an_error_for_each_missing_specific(
    db: Database, tmp_path: Path
) -> None:
    unit = await seeded(db)
    sheet = read_ledger(
        xlsx(
            tmp_path / "台帐.xlsx",
            ("测试规划局整改台帐",),  # 1: a title row above the header
            (*HEADER, "承诺"),  # 2
            good(
                "办事窗口午休无人值守",
                seq=1,
                person="李  明",
                deadline="2026年12月底",
                pledge="年底前让群众满意",
            ),  # 3 fmt: skip
            good("制定窗口轮岗表", seq="1.1", person="张伟(A012)", deadline=date(2026, 12, 10)),
            good("会风文风不实", seq=2, measures="", leader=" "),  # 5: two specifics missing
            good("调研走过场", deadline="2026-11-01"),  # 6: in the past
            good("文件太多", person="王五"),  # 7: nobody of that name
            good("办事推诿", person="张伟"),  # 8: two of them
            good("接待冷漠", leader="李明"),  # 9: a cadre is no responsible leader
            good("公示不及时", person="赵敏"),  # 10: a plain member cannot report
            good("制度不健全", deadline="长期坚持"),  # 11: no date
            good("服务意识不强", person="李明、孙丽"),  # 12: one person per item
            good("", goal="", deadline=""),  # 13: three specifics missing
            ("9", None, None, None, None, None, None, None),  # 14: an empty template row
            good("2 的子项", seq="2.1"),  # 15: its parent failed
            good("办事窗口午休无人值守"),  # 16: the same as row 3
        ),
        "zh",
    )
    report = await db.run(
        lambda s: import_ledger(Repos(s), unit.org_id, sheet, now=NOW, zone=ZONE, actor="test")
    )
    assert [(i["row"], i["content"]) for i in report.imported] == [
        (3, "办事窗口午休无人值守"),
        (4, "制定窗口轮岗表"),
    ]
    assert [(row, key) for row, key, _ in problems(report)] == [
        (5, "ledger_files.blank"),
        (5, "ledger_files.blank"),
        (6, "ledger_files.deadline_past"),
        (7, "ledger_files.name_unknown"),
        (8, "ledger_files.name_ambiguous"),
        (9, "ledger_files.not_leader"),
        (10, "ledger_files.not_cadre"),
        (11, "ledger_files.deadline_unreadable"),
        (12, "ledger_files.one_name"),
        (13, "ledger_files.blank"),
        (13, "ledger_files.blank"),
        (13, "ledger_files.blank"),
        (15, "ledger_files.parent_missing"),
        (16, "ledger_files.duplicate"),
    ]
    columns = [(row, params.get("column")) for row, key, params in problems(report)]
    assert columns[:2] == [(5, "整改措施"), (5, "责任领导")]
    assert columns[9:12] == [(13, "整改事项"), (13, "整改目标"), (13, "完成时限")]
    assert problems(report)[4][2]["count"] == 2

    async def read(session: Any) -> list[RectificationItem]:
        return await Repos(session).ledger.items([unit.org_id])

    items = {i.id: i for i in await db.run(read)}
    parent, child = (items[i["id"]] for i in report.imported)  # type: ignore[index]
    assert (parent.deadline, parent.person_id, parent.pledge) == (
        date(2026, 12, 31), unit.people["李明"], "年底前让群众满意"
    )  # fmt: skip
    assert child.parent_id == parent.id and child.deadline == date(2026, 12, 10)
    assert parent.status == ItemStatus.not_started and parent.seq == 8  # after the 7 there


def test_messages_name_the_column_in_both_languages() -> None:
    from config.i18n import default_catalog

    catalog = default_catalog()
    zh = catalog.text("zh", "ledger_files.blank", column="整改措施")
    en = catalog.text("en", "ledger_files.blank", column="Measures")
    assert "“整改措施”没有填写" in zh and "“Measures” is empty" in en


@pytest.mark.parametrize(
    ("rows", "key"),
    [
        pytest.param(
            [("整改台帐",), ("序号", "问题描述")], "ledger_files.no_header", id="no-header"
        ),
        pytest.param(
            [("序号", "整改事项", "责任人")], "ledger_files.missing_columns", id="columns"
        ),
        pytest.param([], "ledger_files.empty", id="empty"),
    ],
)
def test_files_that_are_no_ledger(rows: list[tuple[Any, ...]], key: str, tmp_path: Path) -> None:
    with pytest.raises(OpError) as caught:
        read_ledger(xlsx(tmp_path / "x.xlsx", *rows), "zh")
    assert caught.value.key == key
    if key == "ledger_files.missing_columns":
        assert caught.value.params["columns"] == "整改目标、完成时限、整改措施、责任领导"


def test_a_file_that_is_no_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "台帐.xlsx"
    path.write_text("序号,整改事项\n", encoding="utf-8")
    with pytest.raises(OpError) as caught:
        read_ledger(path, "zh")
    assert caught.value.key == "ledger_files.unreadable"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime(2026, 12, 31, 0, 0), date(2026, 12, 31)),
        ("2026-12-31", date(2026, 12, 31)),
        ("2026/1/5", date(2026, 1, 5)),
        ("2026.12.1", date(2026, 12, 1)),
        ("2026年12月31日前", date(2026, 12, 31)),
        ("２０２６年２月底", date(2026, 2, 28)),
        ("2026年12月", date(2026, 12, 31)),
        ("2026-02", date(2026, 2, 28)),
        (46387, date(2026, 12, 31)),  # an Excel day number that lost its format
        ("2026-02-30", None),
        ("长期坚持", None),
        ("12月31日", None),  # a ledger writes the year
    ],
)
def test_deadlines_as_ledgers_write_them(raw: object, expected: date | None) -> None:
    assert read_date(raw) == expected


async def test_export_then_import_keeps_the_four_specifics(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async def two_units(session: Any) -> tuple[Seeded, Seeded]:
        repos = Repos(session)
        return await seed_ledger(repos), await seed_people(repos, "另一个局")

    source, target = await sqlite_db.run(two_units)
    path = tmp_path / "export.xlsx"
    path.write_bytes(
        await sqlite_db.run(lambda s: ledger_workbook(Repos(s), [source.org_id], "zh", ZONE))
    )
    sheet = read_ledger(path, "zh")
    early = NOW - timedelta(days=60)  # before every deadline of the seeded ledger
    report = await sqlite_db.run(
        lambda s: import_ledger(Repos(s), target.org_id, sheet, now=early, zone=ZONE, actor="t")
    )
    assert report.errors == [] and len(report.imported) == 9

    async def specifics(session: Any, seeded: Seeded) -> list[tuple[Any, ...]]:
        repos = Repos(session)
        items = await repos.ledger.items([seeded.org_id])
        names = {i: n for n, i in seeded.people.items()}
        contents = {i.id: i.content for i in items}
        return sorted(
            (i.content, i.goal, i.measures, i.deadline, names[i.leader_id], names[i.person_id],
             contents.get(i.parent_id))
            for i in items
        )  # fmt: skip

    before = await sqlite_db.run(lambda s: specifics(s, source))
    after = await sqlite_db.run(lambda s: specifics(s, target))
    assert after == before


# The command line


async def test_cli_export_and_import(sqlite_db: Database, tmp_path: Path) -> None:
    """Two real processes (each start of python -m bot takes seconds); the rest in-process."""
    unit = await seeded(sqlite_db)
    bot = Bot.at(tmp_path, tmp_path / "massline.db")
    fresh = xlsx(
        tmp_path / "新台帐.xlsx",
        HEADER,
        good("窗口午休无人值守", seq=1)[:7],
        good("文件太多", seq=2, person="王五")[:7],
    )
    runs = [
        ("ledger", "export", "--org", unit.org_id, tmp_path / "台帐.xlsx", "--json"),
        ("ledger", "import", "--org", unit.org_id, fresh, "--json"),
    ]
    with ThreadPoolExecutor(len(runs)) as pool:
        done, loaded = pool.map(lambda a: bot(*a), runs)
    assert done.code == 0 and done.data["format"] == "xlsx", done
    assert done.data["items"] in (9, 10)  # the import runs at the same time
    assert load_workbook(done.data["file"]).worksheets[0]["A3"].value == "1"
    assert loaded.code == 0 and loaded.data["imported"] == 1, loaded
    assert loaded.data["items"][0]["row"] == 2
    assert [(e["row"], e["code"]) for e in loaded.data["errors"]] == [
        (3, "ledger_files.name_unknown")
    ]
    assert "王五" in loaded.data["errors"][0]["message"]


async def test_cli_words_and_mistakes(sqlite_db: Database, tmp_path: Path) -> None:
    unit = await seeded(sqlite_db)
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'massline.db'}")

    def args(**values: Any) -> argparse.Namespace:
        return argparse.Namespace(**{"org": unit.org_id, "csv": False, **values})

    text = await ledger_export(args(file=tmp_path / "台帐.csv"), settings)
    assert text["text"].startswith("已把 9 项整改事项导出到") and text["json"]["format"] == "csv"
    assert (tmp_path / "台帐.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    again = xlsx(tmp_path / "旧台帐.xlsx", HEADER, good("下基层调研走过场")[:7], good("新事项")[:7])
    human = (await ledger_import(args(file=again), settings))["text"]
    assert human.startswith("导入完成:1 项成功,1 处问题。"), human
    assert "第 2 行:本单位台帐里已有同样的整改事项“下基层调研走过场”" in human
    assert "第 3 行 → 整改事项 #" in human
    mistakes = [
        (ledger_export(args(org=999, file=tmp_path / "x.xlsx"), settings), "ops.no_org"),
        (ledger_import(args(file=tmp_path / "none.xlsx"), settings), "ledger_files.unreadable"),
        (ledger_export(args(file=tmp_path), settings), "ledger_files.write_failed"),
    ]
    for attempt, key in mistakes:
        with pytest.raises(OpError) as caught:
            await attempt
        assert caught.value.key == key
