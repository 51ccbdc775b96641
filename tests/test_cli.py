"""The admin command line as the campaign office runs it: real ``python -m bot`` processes
in a scratch directory, each with its own SQLite file (SPEC §5, issue 2).

Every run with ``--json`` must print exactly one JSON object on standard output, whatever
happened; the helper below checks that on every such run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage.migrate import head_revision

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{10}$")  # Crockford base32, no I L O U
CJK = re.compile(r"[\u4e00-\u9fff]")


def clean_env(**variables: str) -> dict[str, str]:
    """The inherited environment without any MASSLINE_* setting, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSLINE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(variables)
    return env


@dataclass
class Result:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    data: Any = None

    def __str__(self) -> str:
        return f"{' '.join(self.args)} → {self.code}\n{self.stdout}\n{self.stderr}"

    @property
    def error(self) -> dict[str, str]:
        assert set(self.data) == {"error"}, self
        assert set(self.data["error"]) >= {"code", "message"}, self
        return self.data["error"]


@dataclass
class Bot:
    """``python -m bot`` in one directory against one database."""

    cwd: Path
    env: dict[str, str] = field(default_factory=clean_env)

    @classmethod
    def at(cls, cwd: Path, db: Path | None = None, **variables: str) -> Bot:
        if db is not None:
            variables.setdefault("MASSLINE_DATABASE_URL", f"sqlite:///{db}")
        return cls(cwd, clean_env(**variables))

    @property
    def db_path(self) -> Path:
        return Path(self.env["MASSLINE_DATABASE_URL"].removeprefix("sqlite:///"))

    def __call__(self, *args: object, timeout: float = 60, **variables: str) -> Result:
        argv = tuple(str(a) for a in args)
        env = {**self.env, **{f"MASSLINE_{k.upper()}": v for k, v in variables.items()}}
        done = subprocess.run(
            [sys.executable, "-m", "bot", *argv],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )
        result = Result(argv, done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, result
        if "--json" in argv and "--help" not in argv:
            result.data = json.loads(done.stdout)  # the whole of stdout: one JSON value
            assert isinstance(result.data, dict), result
        return result

    def ok(self, *args: object, **variables: str) -> Result:
        result = self(*args, **variables)
        assert result.code == 0, result
        return result

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()

    def count(self, table: str) -> int:
        return self.query(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608  (the test's own table names)


def copy_database(source: Path, target_dir: Path) -> Path:
    target = target_dir / "massline.db"
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))
    return target


@dataclass
class Migrated:
    path: Path
    result: Result


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Migrated:
    """One ``migrate --json`` per module; tests copy its file instead of migrating again."""
    home = tmp_path_factory.mktemp("migrated")
    bot = Bot.at(home, home / "massline.db")
    return Migrated(bot.db_path, bot("migrate", "--json"))


@pytest.fixture
def bot(migrated: Migrated, tmp_path: Path) -> Bot:
    """A migrated, empty database of this test's own."""
    return Bot.at(tmp_path, copy_database(migrated.path, tmp_path))


@pytest.fixture(scope="module")
def unit(migrated: Migrated, tmp_path_factory: pytest.TempPathFactory) -> tuple[Bot, int]:
    """A database shared by the module's tests that holds one organization."""
    home = tmp_path_factory.mktemp("unit")
    bot = Bot.at(home, copy_database(migrated.path, home))
    return bot, bot.ok("org", "create", "测试规划局", "--json").data["id"]


# Help and migrate


def test_help_for_the_program_and_every_command(tmp_path: Path) -> None:
    bot = Bot.at(tmp_path, tmp_path / "never.db")
    commands = [
        (),
        ("run",),
        ("migrate",),
        ("org", "create"),
        ("invite", "create"),
        ("members", "import"),
        ("demo",),
    ]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: bot(*c, "--help"), commands))
    for command, result in zip(commands, results, strict=True):
        assert result.code == 0, result
        assert result.stdout.startswith("usage: python -m bot"), result
        assert " ".join(("python -m bot", *command)) in result.stdout
    assert all(name in results[0].stdout for name in ("run", "migrate", "org", "demo"))
    assert "--org" in results[4].stdout and "--role" in results[4].stdout
    assert not (tmp_path / "never.db").exists(), "--help must not touch the database"


def test_migrate_prints_the_revision(migrated: Migrated, bot: Bot) -> None:
    assert migrated.result.code == 0, migrated.result
    assert migrated.result.data == {"revision": head_revision()}
    again = bot.ok("migrate")  # already at head: still fine, and said in Chinese
    assert f"数据库已是最新结构(版本 {head_revision()})" in again.stdout


# Organizations


def test_org_create_with_parent_and_kind(bot: Bot) -> None:
    county = bot.ok("org", "create", "临江县委", "--kind", "county", "--json").data
    assert county == {"id": county["id"], "name": "临江县委", "kind": "county", "parent": None}
    assert isinstance(county["id"], int)
    unit = bot.ok("org", "create", "  临江县 规划局 ", "--parent", county["id"], "--json").data
    assert unit["name"] == "临江县 规划局" and unit["kind"] == "unit"
    assert unit["parent"] == county["id"] and unit["id"] != county["id"]
    assert bot.query("SELECT name, kind, parent_id FROM organization ORDER BY id") == [
        ("临江县委", "county", None),
        ("临江县 规划局", "unit", county["id"]),
    ]
    human = bot.ok("org", "create", "城关支部", "--kind", "branch", "--parent", unit["id"])
    assert human.stdout == f"已创建组织 #{unit['id'] + 1}:城关支部(支部)。\n", human


ORG_MISTAKES = [
    pytest.param(("x", "--parent", "999"), "ops.no_org", "没有编号为 999 的组织", id="bad-parent"),
    pytest.param(("x", "--kind", "planet"), "ops.org_kind", "“planet”", id="bad-kind"),
    pytest.param(("   ",), "ops.org_name", "组织名称不能为空", id="empty-name"),
]


@pytest.mark.parametrize(("args", "key", "words"), ORG_MISTAKES)
def test_org_create_mistakes_get_one_json_error(
    bot: Bot, args: tuple[str, ...], key: str, words: str
) -> None:
    result = bot("org", "create", *args, "--json")
    assert result.code == 1, result
    assert result.error["code"] == key
    assert words in result.error["message"], result
    assert bot.count("organization") == 0, "a refused command must write nothing"


def test_org_create_mistake_in_english(bot: Bot) -> None:
    result = bot("org", "create", "x", "--kind", "planet", "--json", language="en")
    assert result.code == 1, result
    assert result.error == {
        "code": "ops.org_kind",
        "message": "There is no organization kind “planet”; choose one of city|county|unit|branch.",
    }


def test_org_create_mistake_without_json_goes_to_stderr(bot: Bot) -> None:
    result = bot("org", "create", "x", "--parent", "5")
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.strip() == "没有编号为 5 的组织。"


def test_usage_mistake_in_json_mode_is_one_json_object(bot: Bot) -> None:
    result = bot("invite", "create", "--org", "abc", "--role", "member", "--json")
    assert result.code == 2, result
    assert result.error["code"] == "usage" and "--org" in result.error["message"]


# Invites


def test_invite_create_json(unit: tuple[Bot, int]) -> None:
    bot, org = unit
    before = datetime.now(ZoneInfo("UTC"))
    args = f"invite create --org {org} --role cadre --rank section --uses 3 --days 7 --json"
    data = bot.ok(*args.split()).data
    assert CODE.match(data["code"]), data
    assert data["link"] == f"http://127.0.0.1:8080/?join={data['code']}"
    assert (data["org"], data["role"], data["rank"], data["uses"]) == (org, "cadre", "section", 3)
    expires = datetime.fromisoformat(data["expires_at"])
    assert timedelta(days=6, hours=23) < expires - before < timedelta(days=7, minutes=5)
    assert bot.query(
        "SELECT org_id, role, rank, max_uses, used_count FROM invite WHERE code = ?", data["code"]
    ) == [(org, "cadre", "section", 3, 0)]


def test_invite_link_is_the_telegram_deep_link_when_the_bot_is_named(
    unit: tuple[Bot, int],
) -> None:
    bot, org = unit
    args = f"invite create --org {org} --role member --json".split()
    data = bot.ok(*args, telegram_bot_username="x_bot", web_port="9090").data
    assert CODE.match(data["code"]), data
    assert data["link"] == f"https://t.me/x_bot?start={data['code']}"
    assert data["web_link"] == f"http://127.0.0.1:9090/?join={data['code']}"
    assert data["uses"] is None and data["expires_at"] is None and data["rank"] is None


def test_invite_create_human_output(unit: tuple[Bot, int]) -> None:
    bot, org = unit
    text = bot.ok("invite", "create", "--org", org, "--role", "leader").stdout
    found = re.search(r"邀请码:([0-9A-Z]{5})-([0-9A-Z]{5})\n", text)
    assert found, text
    code = found[1] + found[2]
    assert CODE.match(code)
    assert f"链接:http://127.0.0.1:8080/?join={code}" in text
    assert bot.query("SELECT role FROM invite WHERE code = ?", code) == [("leader",)]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        pytest.param(("--org", "999", "--role", "member"), "ops.no_org", id="no-org"),
        pytest.param(("--role", "king"), "ops.role", id="bad-role"),
        pytest.param(("--role", "member", "--rank", "general"), "ops.rank", id="bad-rank"),
        pytest.param(("--role", "member", "--uses", "0"), "ops.uses", id="zero-uses"),
    ],
)
def test_invite_create_mistakes(unit: tuple[Bot, int], args: tuple[str, ...], key: str) -> None:
    bot, org = unit
    before = bot.count("invite")
    if "--org" not in args:
        args = ("--org", str(org), *args)
    result = bot("invite", "create", *args, "--json")
    assert result.code == 1, result
    assert result.error["code"] == key and CJK.search(result.error["message"]), result
    assert bot.count("invite") == before


# The demo unit


@dataclass
class Demo:
    bot: Bot
    data: dict[str, Any]


@pytest.fixture(scope="module")
def demo(migrated: Migrated, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    home = tmp_path_factory.mktemp("demo")
    bot = Bot.at(home, copy_database(migrated.path, home))
    return Demo(bot, bot.ok("demo", "--json").data)


def test_demo_json_names_an_invite_per_persona(demo: Demo) -> None:
    data = demo.data
    assert set(data) >= {"org", "invites"} and isinstance(data["org"], int)
    assert data.get("created") is True
    invites = data["invites"]
    assert {"admin", "leader", "cadre", "member"} <= set(invites), invites
    assert all(CODE.match(code) for code in invites.values()), invites
    assert len(set(invites.values())) == len(invites)
    for role, code in invites.items():
        rows = demo.bot.query(
            "SELECT m.role, m.org_id, i.org_id, i.revoked FROM invite i "
            "JOIN member m ON m.id = i.member_id WHERE i.code = ?",
            code,
        )
        assert len(rows) == 1, (role, rows)
        member_role, member_org, invite_org, revoked = rows[0]
        assert (member_role, invite_org, revoked) == (role, member_org, 0)
        if role != "supervisor":
            assert member_org == data["org"]


def test_demo_is_a_believable_unit(demo: Demo) -> None:
    bot, org = demo.bot, demo.data["org"]
    (name, kind, parent, is_demo), *_ = bot.query(
        "SELECT name, kind, parent_id, is_demo FROM organization WHERE id = ?", org
    )
    assert "规划局" in name and kind == "unit" and parent is not None and is_demo == 1
    people = bot.query(
        "SELECT name, role, rank, is_main_leader, department_id FROM member WHERE org_id = ?", org
    )
    assert 25 <= len(people) <= 40, len(people)
    assert len({p[0] for p in people}) == len(people), "every demo person has their own name"
    team = [p for p in people if p[1] == "leader"]
    assert len(team) >= 3
    main = [p for p in people if p[3]]
    assert len(main) == 1 and main[0][1] == "leader", main
    assert {p[1] for p in people} >= {"leader", "admin", "cadre", "member"}
    departments = bot.query("SELECT id, name FROM department WHERE org_id = ?", org)
    assert len(departments) >= 4
    staffed = {p[4] for p in people if p[4] is not None}
    assert staffed <= {d[0] for d in departments} and len(staffed) >= 4
    stages = bot.query("SELECT stage, starts_on, ends_on FROM stage_period WHERE org_id = ?", org)
    assert {s[0] for s in stages} == {"study", "examine", "rectify"}
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert any(start <= today <= end for _, start, end in stages), (today, stages)
    first = min(s[1] for s in stages)
    last = max(s[2] for s in stages)
    span = datetime.fromisoformat(last) - datetime.fromisoformat(first)
    assert timedelta(days=90) <= span <= timedelta(days=300), span


def test_demo_twice_does_not_duplicate(demo: Demo) -> None:
    bot = demo.bot
    tables = ("organization", "member", "department", "invite", "stage_period")
    before = {t: bot.count(t) for t in tables}
    again = bot.ok("demo", "--json").data
    assert (again["org"], again["invites"]) == (demo.data["org"], demo.data["invites"])
    assert again.get("created") is False
    assert {t: bot.count(t) for t in tables} == before


def test_demo_human_output_is_readable_chinese(demo: Demo) -> None:
    text = demo.bot.ok("demo").stdout
    assert text.startswith(f"演示单位已经存在(组织 #{demo.data['org']})。"), text
    for label, role in (
        ("活动办工作人员", "admin"),
        ("领导班子成员", "leader"),
        ("干部", "cadre"),
        ("党员群众", "member"),
    ):
        code = demo.data["invites"][role]
        assert f"{label}:{code[:5]}-{code[5:]}  http://127.0.0.1:8080/?join={code}" in text
    assert "打开 http://127.0.0.1:8080/ " in text
    assert "{" not in text and "Traceback" not in text


def test_demo_if_empty_leaves_real_data_alone(bot: Bot) -> None:
    bot.ok("org", "create", "真实单位", "--json")
    data = bot.ok("demo", "--if-empty", "--json").data
    assert data["org"] is None and data["invites"] == {}
    assert (bot.count("organization"), bot.count("member"), bot.count("invite")) == (1, 0, 0)
    assert "已有真实数据" in bot.ok("demo", "--if-empty").stdout
    assert bot.count("organization") == 1


# Settings and the database


@pytest.mark.parametrize(
    ("variable", "value", "words", "as_json"),
    [
        pytest.param("MASSLINE_TIMEZONE", "Mars/Base", "Mars/Base", True, id="timezone-json"),
        pytest.param("MASSLINE_DATABASE_URL", "mysql://x", "mysql", True, id="url-json"),
        pytest.param("MASSLINE_DATABASE_URL", "mysql://x", "mysql", False, id="url-human"),
    ],
)
def test_invalid_settings_exit_2_naming_the_variable(
    bot: Bot, variable: str, value: str, words: str, as_json: bool
) -> None:
    extra = ("--json",) if as_json else ()
    result = bot("migrate", *extra, **{variable.removeprefix("MASSLINE_"): value})
    assert result.code == 2, result
    if as_json:
        assert result.error["code"] == "settings"
        message = result.error["message"]
    else:
        assert result.stdout == ""
        message = result.stderr
    assert message.startswith(f"{variable}:") and words in message, message


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "human"])
def test_unreachable_postgresql_is_a_clear_message(bot: Bot, as_json: bool) -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:1/x"
    extra = ("--json",) if as_json else ()
    result = bot("org", "create", "某单位", *extra, database_url=url)
    assert result.code == 1, result
    message = result.error["message"] if as_json else result.stderr
    if as_json:
        assert result.error["code"] == "database"
    assert "连接不上数据库 postgresql://postgres@127.0.0.1:1/x" in message, message
    assert "s3cret" not in result.stdout + result.stderr


@pytest.fixture(autouse=True)
def _no_stray_files(tmp_path: Path) -> Iterator[None]:
    """Commands given a database URL write nothing else into the working directory."""
    yield
    assert not (tmp_path / "data").exists()
