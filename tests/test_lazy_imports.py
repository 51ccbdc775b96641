"""Start-up stays light (issue 9): the chart, spreadsheet, PDF and image libraries are
imported when a bulletin, an export or a picture needs them, not when the service starts
or a command is parsed. Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.test_cli import ROOT, clean_env

HEAVY = ("matplotlib", "openpyxl", "reportlab", "PIL", "numpy", "playwright", "pandas")
REPORT = f"""
import json, sys
heavy = {HEAVY!r}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))))
"""


def _heavy_after(code: str, tmp_path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT], cwd=ROOT, capture_output=True, text=True,
        env=clean_env(MASSLINE_DATABASE_URL=f"sqlite:///{tmp_path}/lazy.db"), timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_building_the_service_imports_nothing_heavy(tmp_path: Path) -> None:
    code = """
from bot.app import create_app
from bot.serve import serve
from config.settings import load_settings
create_app(load_settings())
"""
    assert _heavy_after(code, tmp_path) == []


def test_parsing_a_command_imports_nothing_heavy(tmp_path: Path) -> None:
    code = """
from bot.cli import parser
parser().parse_args(["ledger", "export", "--org", "1", "out.xlsx"])
"""
    assert _heavy_after(code, tmp_path) == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    """The same check sees a heavy import when there is one."""
    assert "openpyxl" in _heavy_after("import openpyxl", tmp_path)
