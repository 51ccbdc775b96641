"""``python -m bot survey create --org ID --from FILE.json``: the office's own questions from
a file, checked as the console's builder checks them — a draft, or opened with ``--open``;
a file with mistakes names each one and writes nothing. Real processes, as in test_cli."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.test_cli import Bot, Migrated, copy_database, migrated

__all__ = ["migrated"]  # the module's migrated database, shared with test_cli's fixture

SURVEY: dict[str, Any] = {
    "title": "机关作风满意度调查",
    "closes": "下周五18点",
    "audience": {"roles": ["member", "cadre"]},
    "questions": [
        {"kind": "single", "text": "窗口服务态度怎么样?", "options": ["很好", "一般", "较差"]},
        {"kind": "multi", "text": "哪些方面改进最明显?", "options": ["审批提速", "会议精简"]},
        {"kind": "rating", "text": "给干部作风转变打个分"},
        {"kind": "text", "text": "还有什么意见建议?", "required": False},
    ],
}


def written(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_custom_survey_from_a_file(migrated: Migrated, tmp_path: Path) -> None:
    bot = Bot.at(tmp_path, copy_database(migrated.path, tmp_path))
    org = bot.ok("demo", "--json").data["org"]
    surveys = bot.count("survey")
    source = written(tmp_path, "survey.json", SURVEY)
    draft = bot.ok("survey", "create", "--org", org, "--from", source, "--json").data
    assert draft["status"] == "draft" and draft["questions"] == 4 and draft["reach"] >= 5
    assert bot.query("SELECT template, status FROM survey WHERE id = ?", draft["id"]) == [
        ("custom", "draft")
    ]
    opened = bot.ok("survey", "create", "--org", org, "--from", source, "--open", "--json").data
    assert opened["status"] == "open" and bot.count("survey") == surveys + 2
    kinds = bot.query("SELECT kind, required FROM survey_question WHERE survey_id = ? "
                      "ORDER BY position", opened["id"])  # fmt: skip
    assert kinds == [("single", 1), ("multi", 1), ("rating", 1), ("text", 0)]
    actions = [a for (a,) in bot.query("SELECT action FROM audit_entry WHERE actor = 'cli'")]
    assert actions.count("survey.draft") == 2 and actions.count("survey.open") == 1
    text = bot.ok("survey", "create", "--org", org, "--from", source)
    assert "已保存测评草稿" in text.stdout

    bad = json.loads(json.dumps(SURVEY))
    bad["questions"][0]["options"] = ["很好"]
    bad["questions"][1]["options"] = ["审批提速", "审批提速"]
    bad["closes"] = "2020-01-01"
    refused = bot("survey", "create", "--org", org, "--from", written(tmp_path, "bad.json", bad),
                  "--json")  # fmt: skip
    error = refused.error
    assert refused.code == 1 and error["code"] == "surveys.build.cli_invalid"
    for words in ("q1_options", "q2_options", "“审批提速”重复了", "closes"):
        assert words in error["message"], error
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    refused = bot("survey", "create", "--org", org, "--from", broken, "--json")
    assert refused.code == 1 and refused.error["code"] == "surveys.build.cli_file"
    assert bot.count("survey") == surveys + 3
