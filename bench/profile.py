"""Where a bot's CPU goes under load: py-spy samples its process, we sum the stacks.

py-spy (``pip install py-spy``) samples another process from outside, so the bot runs
unmodified; ``--gil`` keeps only samples of threads holding the GIL, i.e. running Python.
The summary has two views: by phase (the first matching frame on the stack, from the
root: fetching updates, SQL, the core, sending Bot API calls) and by library (the frame
on top of the stack, where the CPU actually was). SQLAlchemy's async layer runs its
synchronous half in greenlets, whose stacks do not show the asyncio frames above them:
that is why SQL is told apart by its libraries rather than by the caller.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# (phase, markers): a sample belongs to the first phase with a marker on its stack.
PHASES = (
    ("fetching updates (getUpdates: HTTP, JSON into PTB objects)", ("Bot.get_updates",)),
    (
        "SQL (SQLAlchemy, SQLite)",
        ("sqlalchemy/", "sqlmodel/", "aiosqlite/", "<sqlalch", "storage/sqlite_inline"),
    ),
    ("the core's own Python (router, handlers, catalogs)", ("Dispatcher.handle",)),
    ("Bot API calls for replies (sendMessage, answerCallbackQuery)", ("Bot._post",)),
    ("PTB dispatching an update to its handler", ("Application.process_update",)),
)
LIBRARIES = {
    "sqlalchemy": "SQLAlchemy", "sqlmodel": "SQLAlchemy", "aiosqlite": "aiosqlite",
    "telegram": "python-telegram-bot", "httpx": "httpx/httpcore", "httpcore": "httpx/httpcore",
    "h11": "httpx/httpcore", "anyio": "httpx/httpcore", "sniffio": "httpx/httpcore",
    "aiohttp": "aiohttp", "multidict": "aiohttp", "yarl": "aiohttp", "asyncio": "asyncio",
    "selectors.py": "asyncio", "json": "json", "bot": "Massline", "handlers": "Massline",
    "storage": "Massline", "config": "Massline", "aiogram": "aiogram", "pydantic": "pydantic",
}  # fmt: skip
FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*):\d+\)$")


@dataclass
class Profile:
    samples: int
    phases: Counter[str]
    libraries: Counter[str]

    def table(self) -> str:
        lines = ["| where the bot's Python spent its time | share |", "|---|---:|"]
        for phase, count in self.phases.most_common():
            lines.append(f"| {phase} | {count / self.samples:.0%} |")
        lines += ["", "| library on top of the stack (self time) | share |", "|---|---:|"]
        for library, count in self.libraries.most_common(10):
            if count / self.samples >= 0.005:
                lines.append(f"| {library} | {count / self.samples:.0%} |")
        return "\n".join(lines)


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Recorder:
    """``async with Recorder(pid, path):`` samples the process while the block runs."""

    def __init__(self, pid: int, output: Path, rate: int = 200) -> None:
        self.pid, self.output, self.rate = pid, output, rate
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Recorder:
        binary = py_spy()
        if binary is None:
            raise RuntimeError("py-spy is not installed: pip install -r bench/requirements.txt")
        self._process = await asyncio.create_subprocess_exec(
            binary, "record", "--pid", str(self.pid), "--rate", str(self.rate),
            "--format", "raw", "--threads", "--gil", "--output", str(self.output),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await asyncio.sleep(1.0)  # attached before the load starts
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        _, errors = await asyncio.wait_for(self._process.communicate(), 60)
        if not self.output.exists():
            raise RuntimeError(f"py-spy wrote no profile: {errors.decode(errors='replace')}")


def summarize(raw: Path) -> Profile:
    """Sum py-spy's collapsed stacks (``thread;frame;frame... count``) of the main thread."""
    phases: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = stack.split(";")
        if not count_text.isdigit() or "MainThread" not in frames[0]:
            continue
        count = int(count_text)
        total += count
        phases[_phase(stack)] += count
        top = FRAME.match(frames[-1])
        libraries[_library(top.group("path") if top else "")] += count
    return Profile(max(total, 1), phases, libraries)


def _phase(stack: str) -> str:
    for phase, markers in PHASES:
        if any(marker in stack for marker in markers):
            return phase
    return "the event loop, logging and the rest"


def _library(path: str) -> str:
    head = path.split("/", 1)[0]
    if head.startswith("<sqlalchemy"):
        return "SQLAlchemy"
    if path.startswith("storage/sqlite_inline"):
        return "SQLite (sqlite3, run in place)"
    return LIBRARIES.get(head, "Python standard library and other")
