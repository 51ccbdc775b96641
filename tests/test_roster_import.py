"""``python -m bot members import ROSTER.xlsx --org ID``: the campaign office's spreadsheet
becomes members with personal invite codes; every bad row is reported by its row number
and reason, and the rest are imported (issue 2). Then an imported person's code works in
the conversation core, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from storage.db import Database
from storage.repos import Repos
from tests.test_cli import CODE, Bot, copy_database
from tests.transcript import Chat, make_dispatcher, make_services

HEADER_ZH = ("姓名", "手机", "工号", "职级", "角色", "部门", "职务")
HEADER_EN = ("Name", "Phone", "Employee No", "Rank", "Role", "Department", "Title")


def xlsx(path: Path, *rows: tuple[Any, ...]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


@dataclass
class Unit:
    bot: Bot
    org: int

    def load(self, file: Path, *extra: str, **variables: str) -> dict[str, Any]:
        result = self.bot.ok(
            "members", "import", file, "--org", self.org, "--json", *extra, **variables
        )
        assert result.data["org"] == self.org
        assert result.data["imported"] == len(result.data["members"])
        return result.data

    def members(self) -> dict[str, tuple[Any, ...]]:
        rows = self.bot.query(
            "SELECT m.name, m.phone, m.employee_no, m.role, m.rank, d.name, m.title "
            "FROM member m LEFT JOIN department d ON d.id = m.department_id WHERE m.org_id = ?",
            self.org,
        )
        return {row[0]: row[1:] for row in rows}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """Migrated once, with one organization, by the command line itself."""
    home = tmp_path_factory.mktemp("roster")
    bot = Bot.at(home, home / "massline.db")
    org = bot.ok("org", "create", "测试规划局", "--json").data["id"]
    return bot.db_path, org


@pytest.fixture
def unit(template: tuple[Path, int], tmp_path: Path) -> Unit:
    path, org = template
    return Unit(Bot.at(tmp_path, copy_database(path, tmp_path)), org)


def errors_by_row(data: dict[str, Any]) -> dict[int, str]:
    return {e["row"]: e["code"] for e in data["errors"]}


def test_good_rows_imported_bad_rows_reported(unit: Unit, tmp_path: Path) -> None:
    roster = xlsx(
        tmp_path / "花名册.xlsx",
        HEADER_ZH,
        ("张三", "13800000001", "", "科级", "干部", "规划编制科", "科长"),  # 2
        ("", "13800000002", "", "", "", "", ""),  # 3 no name
        ("李四", "12345", "", "", "", "", ""),  # 4 bad phone
        ("王五", "", "", "", "", "", ""),  # 5 neither phone nor employee no.
        ("赵六", "13800000003", "", "", "国王", "", ""),  # 6 unknown role
        ("钱七", "13800000004", "", "大官", "", "", ""),  # 7 unknown rank
        ("孙八", "138 0000 0001", "", "", "", "", ""),  # 8 same phone as row 2
        (None, None, None, None, None, None, None),  # 9 blank: skipped, not an error
        ("周九", "", "E001", "", "党员", "办公室", ""),  # 10
        ("吴十", "+86 138-0000-0003", "", "县处级", "领导", "", "副局长"),  # 11 row 6 failed
        ("郑十一", 13800000005, 1002, "科员", "群众", "办公室", None),  # 12 numbers as cells
    )
    data = unit.load(roster)

    assert data["imported"] == 4
    assert [(m["row"], m["name"]) for m in data["members"]] == [
        (2, "张三"),
        (10, "周九"),
        (11, "吴十"),
        (12, "郑十一"),
    ]
    assert errors_by_row(data) == {
        3: "ops.roster_name",
        4: "ops.roster_phone",
        5: "ops.roster_identifier",
        6: "ops.roster_role",
        7: "ops.roster_rank",
        8: "ops.roster_duplicate",
    }
    messages = {e["row"]: e["message"] for e in data["errors"]}
    assert "姓名" in messages[3]
    assert "“12345”" in messages[4] and "手机号" in messages[4]
    assert "手机号和工号至少要填一项" in messages[5]
    assert "“国王”" in messages[6] and "“大官”" in messages[7]
    assert "“13800000001”" in messages[8] and "重复" in messages[8]

    assert unit.members() == {
        "张三": ("13800000001", None, "cadre", "section", "规划编制科", "科长"),
        "周九": (None, "E001", "member", None, "办公室", None),
        "吴十": ("13800000003", None, "leader", "county", None, "副局长"),
        "郑十一": ("13800000005", "1002", "member", "staff", "办公室", None),
    }
    departments = unit.bot.query("SELECT name FROM department WHERE org_id = ?", unit.org)
    assert sorted(d for (d,) in departments) == ["办公室", "规划编制科"]

    # Each imported person has a personal invite, good for one join.
    codes = [m["code"] for m in data["members"]]
    assert all(CODE.match(c) for c in codes) and len(set(codes)) == len(codes)
    for member in data["members"]:
        assert unit.bot.query(
            "SELECT i.org_id, i.role, i.max_uses, i.used_count, m.name FROM invite i "
            "JOIN member m ON m.id = i.member_id WHERE i.code = ?",
            member["code"],
        ) == [(unit.org, unit.members()[member["name"]][2], 1, 0, member["name"])]


def test_english_headers_and_words(unit: Unit, tmp_path: Path) -> None:
    roster = xlsx(
        tmp_path / "roster.xlsx",
        HEADER_EN,
        ("Li Hua", "13900000001", "A-7", "section", "Cadre", "Planning", "Head"),
        ("Wang Lei", "13900000002", "", "county", "leader", "", ""),
        ("Zhou Yu", "13900000003", "", "", "emperor", "", ""),
    )
    data = unit.load(roster, language="en")
    assert [m["name"] for m in data["members"]] == ["Li Hua", "Wang Lei"]
    assert data["errors"] == [
        {
            "row": 4,
            "code": "ops.roster_role",
            "message": data["errors"][0]["message"],
        }
    ]
    assert data["errors"][0]["message"].startswith("Role “emperor” is not recognised")
    assert unit.members()["Li Hua"] == (
        "13900000001",
        "A-7",
        "cadre",
        "section",
        "Planning",
        "Head",
    )
    assert unit.members()["Wang Lei"][2:4] == ("leader", "county")


def test_duplicates_against_members_already_there(unit: Unit, tmp_path: Path) -> None:
    unit.load(xlsx(tmp_path / "a.xlsx", HEADER_ZH, ("张三", "13800000001", "E1", "", "", "", "")))
    second = xlsx(
        tmp_path / "b.xlsx",
        ("姓名", "手机号码", "工号"),
        ("张三丰", "13800000001", ""),  # 2: phone already a member
        ("李四", "", "E1"),  # 3: employee no. already a member
        ("王五", "13800000009", "E2"),  # 4: new
    )
    data = unit.load(second)
    assert [m["row"] for m in data["members"]] == [4]
    assert errors_by_row(data) == {2: "ops.roster_duplicate", 3: "ops.roster_duplicate"}
    assert sorted(unit.members()) == ["张三", "王五"]


def test_human_output_is_readable_chinese(unit: Unit, tmp_path: Path) -> None:
    roster = xlsx(tmp_path / "r.xlsx", ("姓名", "手机"), ("张三", "13800000001"), ("李四", "123"))
    text = unit.bot.ok("members", "import", roster, "--org", unit.org).stdout
    lines = text.splitlines()
    assert lines[0] == "导入完成:1 人成功,1 行有问题。"
    assert lines[1].startswith("第 2 行 张三:邀请码 ")
    assert lines[2] == "第 3 行:手机号“123”不是 11 位手机号。"


FILE_MISTAKES = [
    pytest.param("no-name", "ops.roster_no_name", "姓名", id="no-name-column"),
    pytest.param("text", "ops.roster_unreadable", "不是有效的 .xlsx", id="not-xlsx"),
    pytest.param("garbage", "ops.roster_unreadable", "不是有效的 .xlsx", id="garbage-xlsx"),
    pytest.param("empty", "ops.roster_empty", "没有数据", id="empty-sheet"),
    pytest.param("missing", "ops.roster_unreadable", "读不了", id="missing-file"),
]


@pytest.mark.parametrize(("kind", "key", "words"), FILE_MISTAKES)
def test_unusable_files_get_one_clear_error(
    unit: Unit, tmp_path: Path, kind: str, key: str, words: str
) -> None:
    if kind == "no-name":
        file = xlsx(tmp_path / "r.xlsx", ("手机", "部门"), ("13800000001", "办公室"))
    elif kind == "text":
        file = tmp_path / "roster.csv"
        file.write_text("姓名,手机\n张三,13800000001\n", encoding="utf-8")
    elif kind == "garbage":
        file = tmp_path / "roster.xlsx"
        file.write_bytes(b"\xd0\xcf\x11\xe0 an old .xls renamed, or anything else")
    elif kind == "empty":
        file = xlsx(tmp_path / "r.xlsx")
    else:
        file = tmp_path / "nowhere.xlsx"
    result = unit.bot("members", "import", file, "--org", unit.org, "--json")
    assert result.code == 1, result
    assert result.error["code"] == key and words in result.error["message"], result
    assert unit.members() == {} and unit.bot.count("department") == 0


def test_unknown_organization(unit: Unit, tmp_path: Path) -> None:
    file = xlsx(tmp_path / "r.xlsx", ("姓名", "手机"), ("张三", "13800000001"))
    result = unit.bot("members", "import", file, "--org", "999", "--json")
    assert result.code == 1, result
    assert result.error == {"code": "ops.no_org", "message": "没有编号为 999 的组织。"}
    assert unit.bot.count("member") == 0


async def test_imported_code_joins_that_person_once(unit: Unit, tmp_path: Path) -> None:
    roster = xlsx(tmp_path / "r.xlsx", HEADER_ZH, ("张三", "13800000001", "", "", "干部", "", ""))
    (imported,) = unit.load(roster)["members"]

    db = Database(unit.bot.env["MASSLINE_DATABASE_URL"])
    try:
        dispatcher = make_dispatcher(db, make_services())
        phone = Chat(dispatcher, user="wx-1", name="老张的微信")
        reply = await phone.say(f"/start {imported['code']}")
        assert "欢迎你,张三" in reply and "测试规划局" in reply and "干部" in reply, reply

        stranger = Chat(dispatcher, user="wx-2", name="别人")
        assert "使用次数已经用完" in await stranger.say(f"加入 {imported['code']}")

        async def look(session: Any) -> tuple[int, list[str]]:
            repos = Repos(session)
            identity = await repos.members.identity("test", "wx-1")
            assert identity is not None
            members = await repos.members.in_org(unit.org)
            assert await repos.members.identity("test", "wx-2") is None
            return identity.member_id, [m.name for m in members]

        bound_to, names = await db.run(look)
        assert bound_to == imported["id"]
        assert names == ["张三"], "joining with a personal code creates nobody new"
    finally:
        await db.dispose()
