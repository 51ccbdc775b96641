"""The benchmark's side of a bot under test: spawn it against a fake, ask its CPU, stop it."""

# ruff: noqa: ASYNC109  (waiting with a deadline is what these helpers are for)

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.fakeapi import FIRST_USER_ID, TimedTelegram

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Contender:
    """A bot the benchmark starts: a name for the table and the child's arguments."""

    name: str
    kind: str  # bench.bots kind
    options: tuple[str, ...] = ()
    massline: bool = False  # gets the Massline mix (buttons included) and a seeded database
    share: float = 1.0  # fraction of the update budget (a rate-limited bot is slow to drain)
    note: str = ""


@dataclass
class Running:
    contender: Contender
    process: asyncio.subprocess.Process
    workdir: tempfile.TemporaryDirectory[str]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    async def command(self, text: str, answer: str, timeout: float = 60.0) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{text}\n".encode())
        await self.process.stdin.drain()
        return await _line_starting(self.process.stdout, answer, timeout, self.log)

    async def cpu(self) -> float:
        """Seconds of CPU the bot's process has used so far (all its threads)."""
        return float((await self.command("cpu", "CPU")).split()[1])

    async def stop(self) -> None:
        try:
            await self.command("stop", "STOPPED", timeout=30)
            await asyncio.wait_for(self.process.wait(), 10)
        except (RuntimeError, TimeoutError, ConnectionError):
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        finally:
            self.workdir.cleanup()


async def start(contender: Contender, fake: TimedTelegram, users: int, members: int) -> Running:
    workdir = tempfile.TemporaryDirectory(prefix=f"bench-{contender.kind}-")
    log = Path(workdir.name) / "stderr.log"
    args = [sys.executable, "-m", "bench.bots", contender.kind, "--api", fake.url,
            "--token", fake.token, *contender.options]  # fmt: skip
    if contender.massline:
        args += ["--users", str(users), "--first-user", str(FIRST_USER_ID),
                 "--members", str(members), "--workdir", workdir.name]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("MASSLINE_")}  # no .env leaks in
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            cwd=workdir.name,
            env=env,
        )
    running = Running(contender, process, workdir, log)
    assert process.stdout is not None
    try:
        await _line_starting(process.stdout, "READY", 90, log)
        await _polling(fake, log)
    except BaseException:
        await running.stop()
        raise
    return running


async def _polling(fake: TimedTelegram, log: Path, timeout: float = 60.0) -> None:
    """Ready means long-polling, or a webhook set: a channel whose start failed is retried
    in the background."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not fake.calls_to("getUpdates") and fake.webhook is None:
        if loop.time() > deadline:
            raise RuntimeError(f"the bot never polled in {timeout}s:\n{_tail(log)}")
        await asyncio.sleep(0.05)


async def _line_starting(
    stream: asyncio.StreamReader, prefix: str, timeout: float, log: Path
) -> str:
    async def read() -> str:
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise RuntimeError(f"the bot exited; its stderr:\n{_tail(log)}")
            if line.startswith(prefix):
                return line.strip()

    try:
        return await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise RuntimeError(f"no {prefix} from the bot in {timeout}s:\n{_tail(log)}") from None


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
