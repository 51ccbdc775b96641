"""The command line's ``console-user create``: a console password for a person of the
office, the leadership or a supervision group, creating them when they are new."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot import commands_console
from config.settings import Settings
from handlers.admin_ops import OpError
from storage.console_models import ConsoleLogin
from storage.db import Database
from storage.repos import Repos
from tests.console_support import PASSWORD
from tests.databases import migrated_sqlite


async def test_cli_console_user_create(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = await migrated_sqlite(tmp_path)
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}")  # type: ignore[call-arg]
    db = Database(settings.database_url)
    org = await db.run(lambda s: Repos(s).orgs.create("测试局", kind="unit"))
    await db.dispose()
    top = argparse.ArgumentParser()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true")
    commands_console.register(top.add_subparsers(dest="command"), common)

    async def run(*argv: str) -> dict[str, Any]:
        args = top.parse_args(["console-user", "create", "--org", str(org.id), *argv, "--json"])
        return await args.action(args, settings)

    first = await run("--role", "admin", "--name", "新管理员", "--password", PASSWORD)
    assert first["json"]["created"] is True and first["json"]["role"] == "admin"
    assert "控制台密码" in first["text"]
    again = await run("--role", "admin", "--name", "新管理员", "--password", PASSWORD + "x")
    assert again["json"]["created"] is False and again["json"]["member"] == first["json"]["member"]
    json.dumps(again["json"])  # one JSON object, as every command prints
    db = Database(settings.database_url)
    try:

        async def logins(session: Any) -> list[ConsoleLogin]:
            return list((await session.exec(select(ConsoleLogin))).all())

        assert len(await db.run(logins)) == 1
    finally:
        await db.dispose()
    with pytest.raises(OpError) as wrong:
        await run("--role", "member", "--name", "某人", "--password", PASSWORD)
    assert wrong.value.key == "console.role"
    with pytest.raises(OpError) as weak:
        await run("--role", "leader", "--name", "某人", "--password", "1234567890")
    assert weak.value.key == "console.password_weak"
