"""The study commands of ``python -m bot``: a session made from the command line (times in
the organization's zone), and the stage calendar the menus follow."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import commands_study
from config.settings import Settings
from handlers.admin_ops import OpError, create_org
from storage.db import Database
from storage.repos import Repos
from tests.databases import migrated_sqlite


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true")
    top = argparse.ArgumentParser(prog="python -m bot", parents=[common])
    commands_study.register(top.add_subparsers(dest="command", required=True), common)
    return top


async def _run(settings: Settings, *argv: str) -> dict[str, Any]:
    args = _parser().parse_args([*argv, "--json"])
    result: dict[str, Any] = await args.action(args, settings)
    json.dumps(result["json"], ensure_ascii=False)  # one JSON object, as cli.main prints it
    return result


@pytest.fixture
async def cli_db(tmp_path: Path) -> tuple[Settings, int]:
    path = await migrated_sqlite(tmp_path)
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}")  # type: ignore[call-arg]
    db = Database(settings.database_url)
    org = await db.run(lambda s: create_org(Repos(s), "测试规划局", actor="test"))
    await db.dispose()
    assert org.id is not None
    return settings, org.id


async def test_session_create(cli_db: tuple[Settings, int]) -> None:
    settings, org = cli_db
    day = (datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).date()
    made = await _run(settings, "session", "create", "--org", str(org), "--title", "集中学习:党章",
                      "--start", f"{day} 14:30", "--end", f"{day} 16:30",
                      "--place", "三楼大会议室")  # fmt: skip
    data = made["json"]
    assert data["id"] == 1 and data["org"] == org and data["kind"] == "group"
    assert data["starts_at"] == f"{day}T06:30:00+00:00" and data["place"] == "三楼大会议室"
    assert not data["online"] and data["reminded"] == 0
    assert "已创建学习 #1" in made["text"] and "14:30–16:30" in made["text"]
    online = await _run(settings, "session", "create", "--org", str(org), "--title", "线上研讨",
                        "--start", f"{day} 19:00", "--end", f"{day} 20:00", "--online")  # fmt: skip
    assert online["json"]["online"] and online["json"]["kind"] == "seminar"
    assert "未定地点" in online["text"]
    problems = {
        ("--start", "明天", "--end", f"{day} 16:30"): "time.need_hour",
        ("--start", "某天", "--end", f"{day} 16:30"): "time.unreadable",
        ("--start", "2020-01-01 14:30", "--end", "2020-01-01 15:30"): "study.when_past",
        ("--start", f"{day} 16:30", "--end", f"{day} 14:30"): "study.when_order",
        ("--start", f"{day} 06:30", "--end", f"{day} 20:30"): "study.when_too_long",
    }
    for times, key in problems.items():
        with pytest.raises(OpError) as caught:
            await _run(settings, "session", "create", "--org", str(org), "--title", "T", *times)
        assert caught.value.key == key
    with pytest.raises(OpError) as caught:
        await _run(settings, "session", "create", "--org", "999", "--title", "T",
                   "--start", f"{day} 14:30", "--end", f"{day} 16:30")  # fmt: skip
    assert caught.value.key == "ops.no_org"


async def test_stage_calendar(cli_db: tuple[Settings, int]) -> None:
    settings, org = cli_db
    assert "还没有排定阶段" in (await _run(settings, "stage", "list", "--org", str(org)))["text"]
    done = await _run(settings, "stage", "set", "--org", str(org), "--stage", "study",
                      "--from", "2026-11-01", "--to", "2027-01-15")  # fmt: skip
    assert done["json"] == {"org": org, "stage": "study", "from": "2026-11-01",
                            "to": "2027-01-15", "stages": [{"stage": "study",
                            "from": "2026-11-01", "to": "2027-01-15"}]}  # fmt: skip
    assert "学习教育、听取意见" in done["text"]
    await _run(settings, "stage", "set", "--org", str(org), "--stage", "examine",
               "--from", "2027-01-01", "--to", "2027-03-01")  # fmt: skip
    await _run(settings, "stage", "set", "--org", str(org), "--stage", "study",
               "--from", "2026-11-02", "--to", "2027-01-15")  # fmt: skip
    listed = await _run(settings, "stage", "list", "--org", str(org))
    assert [s["stage"] for s in listed["json"]["stages"]] == ["study", "examine"]
    assert listed["json"]["stages"][0]["from"] == "2026-11-02"
    wrong = {
        ("--stage", "party", "--from", "2026-11-01", "--to", "2027-01-15"): "study.cli_stage",
        ("--stage", "study", "--from", "11/1", "--to", "2027-01-15"): "study.cli_date",
        ("--stage", "study", "--from", "2027-01-15", "--to", "2026-11-01"): "study.cli_dates_order",
    }
    for options, key in wrong.items():
        with pytest.raises(OpError) as caught:
            await _run(settings, "stage", "set", "--org", str(org), *options)
        assert caught.value.key == key
    with pytest.raises(OpError):
        await _run(settings, "stage", "list", "--org", "999")


def test_the_errors_read_well_in_both_languages() -> None:
    from config.i18n import default_catalog

    catalog = default_catalog()
    for lang in ("zh", "en"):
        assert "2026-12-01" in catalog.text(lang, "study.cli_date", value="11/1")
        assert "study" in catalog.text(lang, "study.cli_stage", stage="x", stages="study|examine")
