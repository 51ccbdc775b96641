"""Figures out: the machine they were measured on, statistics, and BENCHMARKS.md.

Each benchmark owns one section of BENCHMARKS.md, between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``, and rewrites only that; everything outside the markers (how to
run, what the time goes to) is written by people and left alone.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
PACKAGES = ("python-telegram-bot", "aiogram", "aiohttp", "httpx", "httpcore", "sniffio",
            "SQLAlchemy", "sqlmodel", "aiosqlite")  # fmt: skip
TEMPLATE = """# Benchmarks

Figures from `make bench` (issue 9). Each section below is rewritten by the benchmark
that owns it; the text outside the marked sections is kept as written.

## How to run

    .venv/bin/pip install -r bench/requirements.txt   # aiogram (the peer) and py-spy
    make bench                                        # every benchmark; writes its section
    .venv/bin/python -m bench updates                 # one benchmark by name
    .venv/bin/python -m bench --quick --no-write      # 600 updates, print only

Compare figures only within one run: the machine is shared and noisy, which is why each
contender runs three times, interleaved, and the tables show the median and the spread.
The bot's CPU milliseconds per update is the figure other load on the machine disturbs
least; updates/s is what the targets are stated in.
"""


def machine() -> str:
    """One paragraph: when, where and with what the figures were measured."""
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {_commit()}, on "
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {versions}. Load average at the start: {load}."
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True)
    return out.stdout.strip() + (" (with local changes)" if dirty.stdout.strip() else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def spread(values: list[float], digits: int = 0) -> str:
    """``median (min–max)`` of repeated measurements."""
    if not values:
        return "–"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def write_section(name: str, body: str, path: Path = BENCHMARKS) -> None:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text() if path.exists() else TEMPLATE
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
