"""``python -m bot run`` as a child process, as the benchmarks measure it: its log read as
it comes, its resident memory and CPU read from /proc, stopped or killed by its pid."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def clean_env(**variables: str) -> dict[str, str]:
    """The inherited environment without any MASSLINE_* setting, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSLINE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(variables)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    """One ``python -m bot run`` (or any ``python -m`` module given as ``argv``)."""

    def __init__(self, proc: asyncio.subprocess.Process, started: float) -> None:
        self.proc, self.started, self.log = proc, started, ""
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(
        cls, env: dict[str, str], ready: str, *, argv: tuple[str, ...] = ("bot", "run"),
        within: float = 60.0,
    ) -> Service:  # fmt: skip
        """Started, and ``ready`` seen in its log (the start-up time is ``ready_after``)."""
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", *argv, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        service = cls(proc, started)
        await service.wait_for(ready, within)
        service.ready_after = time.perf_counter() - started
        return service

    ready_after = 0.0

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            self.log += line.decode(errors="replace")

    async def wait_for(self, words: str, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while words not in self.log:
            if time.monotonic() > deadline or self.proc.returncode is not None:
                raise RuntimeError(f"no {words!r} in the service's log:\n{self.log[-3000:]}")
            await asyncio.sleep(0.02)

    def memory(self) -> tuple[float, float]:
        """(resident now, peak resident) in MB."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        return _kb(fields.get("VmRSS", "0 kB")) / 1024, _kb(fields.get("VmHWM", "0 kB")) / 1024

    def cpu(self) -> float:
        """Seconds of CPU the process has used so far (user + system)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / TICKS

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        await self._reader

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not stopped within 15 s."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self._reader


def _kb(value: str) -> float:
    return float(value.split()[0])
