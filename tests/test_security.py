"""The security lint (issue 10): ruff's bandit rules on and clean, every exception to them
saying why, no SQL built from strings, and no secret setting ever reaching the log — the
service run as shipped, at DEBUG, through traffic and faults on every channel."""

from __future__ import annotations

import ast
import asyncio
import re
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from aiohttp import ClientSession

from storage.db import Database
from tests.databases import migrated_sqlite
from tests.fakes import FakeTelegram, Fault
from tests.fakes.wechat_api import FakeWeChat
from tests.fakes.wechat_records import WECOM, WxFault
from tests.fakes.wechat_users import WxPerson
from tests.telegram_fixtures import _seed
from tests.test_cli import clean_env
from tests.test_run_start import free_port

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "handlers", "storage", "config")
RUFF = Path(sys.executable).with_name("ruff")


def python_files(*floors: str) -> Iterator[Path]:
    for floor in floors:
        yield from sorted((ROOT / floor).rglob("*.py"))


# Ruff's bandit rules


def test_the_bandit_rules_are_on_for_the_product() -> None:
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "S" in lint["select"]
    assert {c for c in lint.get("ignore", []) if c.startswith("S")} <= {"S101"}  # asserts
    for paths, codes in lint.get("per-file-ignores", {}).items():
        if not paths.startswith(("tests/", "bench/")):
            assert not [c for c in codes if c.startswith("S")], f"{paths} skips {codes}"


def test_ruff_finds_nothing_with_the_bandit_rules() -> None:
    found = subprocess.run(
        [str(RUFF), "check", "--output-format", "concise", "--no-cache", "."],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    bandit = [line for line in found.stdout.splitlines() if re.search(r": S\d{3} ", line)]
    assert not bandit, "\n".join(bandit)


NOQA = re.compile(r"#\s*(?:ruff:\s*)?noqa:\s*((?:S\d+[,\s]*)+)(.*)$")


def test_every_bandit_exception_says_why() -> None:
    """``# noqa: S608  (names from sqlite_master)``: an exception with no reason is a
    question nobody can answer later."""
    bare = []
    for path in python_files(*PRODUCT, "tests", "bench", "scripts"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if (found := NOQA.search(line)) and len(found.group(2).strip(" -–—#()")) < 4:
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "say why:\n" + "\n".join(bare)


# No SQL built from strings

SINKS = {"text", "execute", "exec", "exec_driver_sql", "executemany", "executescript",
         "literal_column", "from_statement"}  # fmt: skip
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|PRAGMA|VACUUM)\b[^\n]*\b(FROM|INTO|SET|WHERE)?")
# Where a statement is built, and why it is safe: (file, words on the line) → why.
# Nothing a person sends reaches these.
BUILT_SAFELY = {
    ("bot/backup.py", "SELECT count(*)"): "counts the tables sqlite_master names, quoted",
    ("storage/db.py", "PRAGMA busy_timeout"): "a number, through int()",
    ("storage/migrate.py", "PRAGMA foreign_keys"): "ON or OFF, from a bool",
}


def _built(node: ast.AST) -> bool:
    """A string put together at run time: an f-string with values, +, %, .format()."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return any(isinstance(side, ast.Constant | ast.JoinedStr) and _stringy(side)
                   for side in (node.left, node.right))  # fmt: skip
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _stringy(node.func.value)
    return False


def _stringy(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _literal_text(node: ast.AST) -> str:
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def sql_built_from_strings(source: str, name: str) -> list[str]:
    """Each line that builds SQL from strings, as ``name:line: the line``."""
    lines = source.splitlines()
    found = set()
    for node in ast.walk(ast.parse(source)):
        sink = None
        if isinstance(node, ast.Call):
            sink = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if (sink in SINKS and node.args and _built(node.args[0])) or (  # type: ignore[attr-defined]
            _built(node) and SQL.search(_literal_text(node))
        ):
            line = lines[node.lineno - 1].strip()  # type: ignore[attr-defined]
            found.add(f"{name}:{node.lineno}: {line}")  # type: ignore[attr-defined]
    return sorted(found)


def _let_off(finding: str) -> bool:
    name, _, line = finding.partition(":")
    return any(name == file and words in line for file, words in BUILT_SAFELY)


def test_no_sql_is_built_from_strings() -> None:
    found = []
    for path in python_files(*PRODUCT):
        name = path.relative_to(ROOT).as_posix()
        found += sql_built_from_strings(path.read_text(encoding="utf-8"), name)
    built = [f for f in found if not _let_off(f)]
    assert not built, "use bound parameters:\n" + "\n".join(built)
    let_off = {(f.split(":")[0], w) for f in found for _, w in BUILT_SAFELY if w in f}
    assert set(BUILT_SAFELY) <= let_off, "BUILT_SAFELY lists lines that are gone: unlist them"


def test_the_sql_check_sees_what_it_should() -> None:
    """The check above, on code that does what it forbids (or it could pass by seeing
    nothing)."""
    sample = (
        "from sqlalchemy import text\n"
        "def a(s, name): return s.execute(text(f'SELECT * FROM t WHERE n = {name}'))\n"
        "def b(conn, name): return conn.execute('DELETE FROM t WHERE n = ' + name)\n"
        "def c(name): return 'UPDATE t SET n = {}'.format(name)\n"
        "def d(conn, table): return conn.exec_driver_sql(f'{table}')\n"
        "def e(s): return s.execute(text('SELECT 1'))\n"
        "def f(who): return f'Hello {who}, please select from the menu'\n"
    )
    lines = {int(line.split(":")[1]) for line in sql_built_from_strings(sample, "sample")}
    assert sorted(lines) == [2, 3, 4, 5]


# Secrets never logged

SECRETS = {
    "MASSLINE_TELEGRAM_TOKEN": "TOKEN",  # filled in from the fake: its own token
    "MASSLINE_WECOM_SECRET": "corp-secret-for-tests",
    "MASSLINE_WECOM_TOKEN": "WeComCallbackToken42",
    "MASSLINE_WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "MASSLINE_WECHAT_APP_SECRET": "app-secret-for-tests",
    "MASSLINE_WECHAT_TOKEN": "MpCallbackToken42",
    "MASSLINE_WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}


def leaked(log: str, secrets: dict[str, str]) -> list[str]:
    """Setting names whose value, or a telling part of it, is in the log."""
    found = []
    for name, value in secrets.items():
        parts = {value, *value.split(":")[1:]}  # a Telegram token's secret half
        if any(len(part) >= 8 and part in log for part in parts):
            found.append(name)
    return found


async def test_secrets_never_reach_the_log(tmp_path: Path) -> None:
    """``python -m bot run`` at DEBUG with every channel's secrets set; people write on
    Telegram and WeCom while the APIs fail in the ways they do (5xx, flood control, a
    refused token); then SIGTERM. Nothing it printed holds a secret."""
    path = await migrated_sqlite(tmp_path)
    db = Database(f"sqlite:///{path}")
    _, codes = await db.run(_seed)
    await db.dispose()
    port = free_port()
    async with FakeTelegram() as telegram, FakeWeChat() as wechat, ClientSession() as http:
        secrets = {**SECRETS, "MASSLINE_TELEGRAM_TOKEN": telegram.token}
        env = clean_env(
            **secrets,
            MASSLINE_DATABASE_URL=f"sqlite:///{path}",
            MASSLINE_WEB_PORT=str(port),
            MASSLINE_LOG_LEVEL="DEBUG",
            MASSLINE_TELEGRAM_API_URL=telegram.url,
            MASSLINE_WECOM_CORP_ID=wechat.corp_id,
            MASSLINE_WECOM_AGENT_ID=str(wechat.agent_id),
            MASSLINE_WECOM_API_URL=wechat.wecom_url,
            MASSLINE_WECHAT_APP_ID=wechat.app_id,
            MASSLINE_WECHAT_API_URL=wechat.mp_url,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        problem: AssertionError | None = None
        try:
            user = telegram.user(5_100_000_001, "张三")
            await user.say(f"/start {codes['member']}")
            await user.expect_text("欢迎", timeout=30)
            telegram.inject("sendMessage", Fault.server_error(), Fault.flood(retry_after=1))
            await user.say("/help")  # its answer meets the 5xx
            await user.say("/opinion")  # and this one flood control, then goes through
            await user.expect_text("实名还是匿名", timeout=10)
            person = WxPerson(wechat, WECOM, "zhangsan", service_url=f"http://127.0.0.1:{port}",
                              token=SECRETS["MASSLINE_WECOM_TOKEN"],
                              aes_key=SECRETS["MASSLINE_WECOM_AES_KEY"], session=http)  # fmt: skip
            wechat.inject(WECOM, "message/send", WxFault.expired_token())
            await person.say(f"加入 {codes['member']}")
            await person.expect_text("姓名", timeout=15)  # after fetching a new token
            wechat.expire_tokens(WECOM)
            wechat.inject(WECOM, "gettoken", WxFault(40001, "invalid credential"))
            await person.say("赵六")  # the secret refused: the reply is not sent, and said so
            await wechat.wait_for(lambda: wechat.token_calls[WECOM] >= 3, timeout=10)
        except AssertionError as exc:
            problem = exc
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), 30)
    log = out.decode() + err.decode()
    assert problem is None, f"{problem}\n{log[-4000:]}"
    # The paths that log were taken: start-up, a failed reply, a refused secret.
    for words in ("telegram: @", "wecom: agent", "NetworkError", "a reply was not sent"):
        assert words in log, f"{words!r} not in the log:\n{log[-3000:]}"
    assert not leaked(log, secrets), f"{leaked(log, secrets)} in the log:\n{log[-3000:]}"


async def test_a_wrong_secret_is_named_not_shown(tmp_path: Path) -> None:
    """A setting refused at start-up is named in the one line that stops the service; the
    value given is not repeated (it may be the right secret with a typo)."""
    given = {
        "MASSLINE_TELEGRAM_TOKEN": "123456:secret-but-mistyped value",
        "MASSLINE_TELEGRAM_WEBHOOK_URL": "https://example.org/telegram/webhook",
        "MASSLINE_TELEGRAM_WEBHOOK_SECRET": "a real secret, with spaces",
        "MASSLINE_WECOM_CORP_ID": "ww5823bf96d3bd56c7",
        "MASSLINE_WECOM_AGENT_ID": "1000002",
        "MASSLINE_WECOM_SECRET": "corp-secret-for-tests",
        "MASSLINE_WECOM_TOKEN": "WeComCallbackToken42",
        "MASSLINE_WECOM_AES_KEY": "too-short-aes-key-but-secret",
    }
    for bad in ("MASSLINE_TELEGRAM_WEBHOOK_SECRET", "MASSLINE_WECOM_AES_KEY"):
        env = dict(given)
        if bad != "MASSLINE_TELEGRAM_WEBHOOK_SECRET":
            env["MASSLINE_TELEGRAM_WEBHOOK_SECRET"] = "Fine_secret-42"
        if bad != "MASSLINE_WECOM_AES_KEY":
            env["MASSLINE_WECOM_AES_KEY"] = SECRETS["MASSLINE_WECOM_AES_KEY"]
        run = subprocess.run(
            [sys.executable, "-m", "bot", "run"], cwd=tmp_path, capture_output=True, text=True,
            env=clean_env(**env, MASSLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}",
                          MASSLINE_WEB_PORT=str(free_port())),
            timeout=60, check=False,
        )  # fmt: skip
        log = run.stdout + run.stderr
        assert run.returncode != 0 and bad in log, log
        assert "Traceback" not in log, log
        assert not leaked(log, env), f"{leaked(log, env)} shown:\n{log}"
