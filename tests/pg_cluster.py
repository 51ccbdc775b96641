"""A PostgreSQL server of the test's own, to crash and start again (no tests here).

The shared test server must not be restarted under other tests; so a test that restarts
PostgreSQL under load makes a throwaway cluster with ``initdb`` in a temporary directory,
on its own port, and ends it afterwards. As root, the server runs as the ``postgres``
user (PostgreSQL refuses to run as root). Where there is no ``initdb``, the test skips
and says why.

    async with throwaway_cluster() as cluster:   # cluster.url: postgresql://…/postgres
        cluster.crash()                          # pg_ctl stop -m immediate: no shutdown
        cluster.start()
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


class Cluster:
    def __init__(self, bin_dir: Path, data: Path, port: int, as_user: list[str]) -> None:
        self.bin, self.data, self.port, self.as_user = bin_dir, data, port, as_user
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.as_user, str(self.bin / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}\n{done.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data / "db"), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data / "db"), "-o", options, "-l",
                  str(self.data / "server.log"), "-w", "-t", "60", "start")  # fmt: skip

    def crash(self) -> None:
        """Stop at once, as a power cut would: no checkpoint, recovery at the next start."""
        self._run("pg_ctl", "-D", str(self.data / "db"), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data / "db"), "-m", "fast", "-w", "stop")


@asynccontextmanager
async def throwaway_cluster() -> AsyncIterator[Cluster]:
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip("no initdb here: cannot make a PostgreSQL server of our own to restart")
    as_user: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="massline-pg-"))
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root with no postgres user to run a server as")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cluster = Cluster(bin_dir, data, port, as_user)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
            cluster.stop()  # unless already down, or never up
        shutil.rmtree(data, ignore_errors=True)
