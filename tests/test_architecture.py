"""The four floors (SPEC §8): bot → handlers → storage → config, arrows only downward."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["bot", "handlers", "storage", "config"]  # top to bottom
MODULE_LINE_LIMIT = 260


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _modules(floor: str) -> list[Path]:
    return sorted((ROOT / floor).rglob("*.py"))


def test_imports_point_only_downward() -> None:
    wrong = []
    for height, floor in enumerate(FLOORS):
        above = set(FLOORS[:height])
        for path in _modules(floor):
            for name in _imports(path) & above:
                wrong.append(f"{path.relative_to(ROOT)} imports {name} (a floor above)")
    assert not wrong, "\n".join(wrong)


def test_handlers_know_no_channel_library() -> None:
    channel_libraries = {"telegram", "aiohttp", "playwright"}
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for floor in ("handlers", "storage", "config")
        for path in _modules(floor)
        for name in _imports(path) & channel_libraries
    ]
    assert not wrong, "\n".join(wrong)


def test_modules_stay_small() -> None:
    big = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for floor in FLOORS
        for path in _modules(floor)
        if "migrations/versions" not in path.as_posix()
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINE_LIMIT
    ]
    assert not big, "split these modules:\n" + "\n".join(big)
