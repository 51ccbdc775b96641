"""``make run``'s start path in an empty directory, as real processes (SPEC §5, issue 2):
``migrate``, ``demo --if-empty``, then ``python -m bot run`` serving the web chat until
SIGTERM. No MASSLINE_DATABASE_URL: the default SQLite file lands under ./data/.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import Bot, clean_env

START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """``python -m bot run`` as a child process, its log (stderr) read line by line."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    @property
    def log(self) -> str:
        with self.changed:
            return "".join(self.lines)

    def wait_for(self, words: str, timeout: float = START_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    if words in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no {words!r} in the log:\n{''.join(self.lines)}")
                self.changed.wait(min(left, 0.2))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.reader.join(timeout=5)


def get(url: str, timeout: float = 10) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (our own http URL)
        return response.status, response.headers.get("Content-Type", ""), response.read()


def get_when_up(url: str, timeout: float = 5) -> tuple[int, str, bytes]:
    """GET, retrying while the port is not open yet (the log line may beat the bind)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(url)
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def running() -> Iterator[list[Service]]:
    """Services the test starts; killed at the end if the test did not stop them."""
    started: list[Service] = []
    yield started
    for service in started:
        service.stop()


def test_make_run_start_path_serves_the_web_chat_and_stops_on_sigterm(
    tmp_path: Path, running: list[Service]
) -> None:
    home = tmp_path / "fresh"
    home.mkdir()
    port = free_port()
    env = clean_env(MASSLINE_WEB_PORT=str(port))  # and no MASSLINE_DATABASE_URL
    bot = Bot(home, env)

    # What ``make run`` does, in order.
    assert "数据库已是最新结构" in bot.ok("migrate").stdout
    assert (home / "data" / "massline.db").is_file(), "the default database is ./data/massline.db"
    demo = bot.ok("demo", "--if-empty", "--json").data
    assert demo["created"] is True
    assert {"admin", "leader", "cadre", "member"} <= set(demo["invites"])
    service = Service(home, env)
    running.append(service)

    base = f"http://127.0.0.1:{port}"
    service.wait_for(f"web chat: {base}/")

    status, kind, page = get_when_up(f"{base}/")
    assert status == 200 and kind.startswith("text/html"), (status, kind)
    assert b"<html" in page.lower()

    status, kind, body = get(f"{base}/healthz")
    health = json.loads(body)
    assert status == 200 and health["ok"] is True and "webchat" in health["channels"], health

    status, kind, body = get(f"{base}/api/chat/hello")
    hello = json.loads(body)
    assert status == 200 and kind.startswith("application/json")
    assert hello["lang"] == "zh" and hello["replies"], hello
    offered = {d["role"]: d["code"] for d in hello["demo"]}
    assert offered == demo["invites"], (offered, demo)

    service.proc.send_signal(signal.SIGTERM)
    assert service.proc.wait(timeout=STOP_TIMEOUT) == 0
    service.reader.join(timeout=5)
    log = service.log
    assert log.splitlines()[-1].endswith(" stopped") and "Traceback" not in log, log
    assert service.proc.stdout is not None and service.proc.stdout.read() == ""
    assert sorted(p.name for p in home.iterdir()) == ["data"], "nothing else in the directory"

    # ``make run`` again: ``demo --if-empty`` keeps the demo there is.
    again = bot.ok("demo", "--if-empty", "--json").data
    assert (again["org"], again["invites"]) == (demo["org"], demo["invites"])
    assert again["created"] is False
