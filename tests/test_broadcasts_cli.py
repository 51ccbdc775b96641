"""``python -m bot broadcast`` and ``broadcast-status`` (SPEC §5), in process for speed (the
crash tests run them as real processes): one JSON object out, mistakes explained."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from handlers.admin_ops import create_org
from storage.db import Database
from storage.repos import Repos
from tests.databases import migrated_sqlite
from tests.test_delivery_support import seed_members

TEXT = "请各支部本周内完成对照检查材料。"


@pytest.fixture
def org_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A database with an organization of 4 members and 2 cadres; the CLI pointed at it."""

    async def seed() -> int:
        db = Database(f"sqlite:///{await migrated_sqlite(tmp_path)}")
        org = await db.run(lambda session: create_org(Repos(session), "测试规划局", actor="t"))
        assert org.id is not None
        await seed_members(db, org.id, 4)
        await seed_members(db, org.id, 2, first_chat=700_000, role="cadre")
        await db.dispose()
        return org.id

    found = asyncio.run(seed())
    monkeypatch.chdir(tmp_path)  # no .env from elsewhere
    for name in [n for n in os.environ if n.startswith("MASSLINE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MASSLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'massline.db'}")
    return found


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, dict[str, Any]]:
    code = main([*map(str, argv), "--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # exactly one JSON object
    return code, dict(json.loads(out))


def test_a_broadcast_now_is_queued_and_counted(
    org_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, made = cli(capsys, "broadcast", "--org", org_id, "--text", TEXT, "--role", "cadre")
    assert code == 0 and (made["members"], made["queued"], made["roles"]) == (2, 2, ["cadre"])
    code, status = cli(capsys, "broadcast-status", made["id"])
    assert code == 0 and status["status"] == "sending"
    assert (status["queued"], status["sent"], status["blocked"], status["failed"]) == (2, 0, 0, 0)
    assert len(status["occurrences"]) == 1


def test_a_later_repeating_broadcast_waits_for_the_service(
    org_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, made = cli(capsys, "broadcast", "--org", org_id, "--text", TEXT, "--at", "明天上午9点",
                     "--repeat", "weekly", "--until", "2099-01-01")  # fmt: skip
    assert code == 1 and made["error"]["code"] == "broadcasts.until_too_far"
    code, made = cli(capsys, "broadcast", "--org", org_id, "--text", TEXT, "--at", "明天上午9点",
                     "--repeat", "weekly", "--until", "下周五")  # fmt: skip
    assert code == 0 and made["queued"] == 0 and made["members"] == 6
    assert made["repeat"] == "weekly" and made["send_at"].endswith("01:00:00+00:00")
    code, status = cli(capsys, "broadcast-status", made["id"])
    assert (status["status"], status["total"], status["occurrences"]) == ("scheduled", 0, [])


MISTAKES = [
    (("--role", "nobody"), "ops.role"),
    (("--at", "昨天下午3点"), "time.in_past"),
    (("--at", "下周"), "time.unreadable"),
    (("--repeat", "daily"), "broadcasts.repeat_wrong"),
    (("--text", "长" * 2001), "broadcasts.text_length"),
    (("--role", "supervisor"), "broadcasts.audience_empty"),
]


def test_mistakes_get_one_json_error(org_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, error in MISTAKES:
        code, out = cli(capsys, "broadcast", "--org", org_id, "--text", TEXT, *argv)
        assert code == 1 and out["error"]["code"] == error and out["error"]["message"], argv
    code, out = cli(capsys, "broadcast", "--org", org_id + 1, "--text", TEXT)
    assert code == 1 and out["error"]["code"] == "ops.no_org"
    code, out = cli(capsys, "broadcast-status", 999)
    assert code == 1 and out["error"] == {"code": "broadcasts.cli_not_found",
                                          "message": "没有编号为 999 的广播。"}  # fmt: skip
