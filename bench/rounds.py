"""Measuring contenders against the fake Bot API: interleaved runs, closed loop and burst,
the bot's CPU per update, and the profile of one run (shared by bench.updates and
bench.webhook)."""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.contender import Contender, start
from bench.fakeapi import Load, TimedTelegram
from bench.mix import ECHO, MIX, STARTS, Filler, echo_fill
from bench.profile import Recorder, py_spy, summarize
from bench.report import percentile, spread
from tests.fakes import FakeUser


@dataclass
class Runs:
    contender: Contender
    rates: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # ms of the bot's CPU per update
    burst: list[float] = field(default_factory=list)
    updates: int = 0
    replies: list[int] = field(default_factory=list)
    error: str = ""

    @property
    def rate(self) -> float:
        """The median closed-loop rate (the figure the targets are stated in)."""
        return sorted(self.rates)[len(self.rates) // 2] if self.rates else 0.0


def chosen(contenders: Sequence[Contender], args: argparse.Namespace) -> list[Contender]:
    picked = [c for c in contenders if not args.only or any(o in c.name for o in args.only)]
    if importlib.util.find_spec("aiogram") is None:
        print("aiogram is not installed (pip install -r bench/requirements.txt): skipping it")
        picked = [c for c in picked if c.kind != "aiogram-echo"]
    return picked


async def rounds(
    contenders: list[Contender], args: argparse.Namespace, *, burst: bool = True
) -> list[Runs]:
    """Every contender ``args.repeats`` times, interleaved (each round starts elsewhere)."""
    results = {c.name: Runs(c) for c in contenders}
    for repeat in range(args.repeats):
        shift = repeat % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            runs = results[contender.name]
            if runs.error:
                continue
            try:
                await measure(contender, args, runs, burst=burst)
            except RuntimeError as exc:
                runs.error = str(exc).splitlines()[0]
                print(f"  {contender.name}: FAILED {exc}")
                continue
            bursting = f"; burst {runs.burst[-1]:.0f}/s" if burst else ""
            print(f"  run {repeat + 1} {contender.name}: {runs.rates[-1]:.0f} updates/s closed, "
                  f"p50 {runs.p50[-1]:.1f} ms, p99 {runs.p99[-1]:.1f} ms, "
                  f"{runs.cpu[-1]:.2f} ms CPU/update{bursting}")  # fmt: skip
    return list(results.values())


async def measure(
    contender: Contender, args: argparse.Namespace, runs: Runs, *, burst: bool = True
) -> None:
    async with TimedTelegram() as fake:
        users = fake.people(args.users)
        bot = await start(contender, fake, args.users, args.members)
        try:
            load = load_for(contender, fake, users)
            runs.replies = await load.calibrate(quiet=0.25)
            await load.closed(per_user=2)  # warm-up: caches, connections, JIT-less but warm
            per_user = max(1, round(args.updates * contender.share / args.users))
            before = await bot.cpu()
            closed = await load.closed(per_user)
            used = await bot.cpu() - before
            if burst:
                runs.burst.append((await load.burst(per_user)).rate)
        finally:
            await bot.stop()
    runs.updates = closed.updates
    runs.rates.append(closed.rate)
    runs.p50.append(percentile(closed.latencies, 0.50) * 1000)
    runs.p99.append(percentile(closed.latencies, 0.99) * 1000)
    runs.cpu.append(used / closed.updates * 1000)


def load_for(contender: Contender, fake: TimedTelegram, users: list[FakeUser]) -> Load:
    if contender.massline:
        return Load(fake, users, MIX, starts=STARTS, fill=Filler())
    return Load(fake, users, ECHO, starts=STARTS, fill=echo_fill)


async def profile(contender: Contender, args: argparse.Namespace) -> str | None:
    """Where the bot's CPU goes over a third of the closed loop (py-spy), as two tables."""
    if py_spy() is None:
        print("py-spy is not installed (pip install -r bench/requirements.txt): no profile")
        return None
    async with TimedTelegram() as fake:
        users = fake.people(args.users)
        bot = await start(contender, fake, args.users, args.members)
        try:
            load = load_for(contender, fake, users)
            await load.calibrate(quiet=0.25)
            await load.closed(per_user=2)
            with tempfile.TemporaryDirectory() as tmp:
                raw = Path(tmp) / "profile.txt"
                async with Recorder(bot.pid, raw):
                    await load.closed(max(1, args.updates // 3 // args.users))
                found = summarize(raw).table()
        finally:
            await bot.stop()
    print(f"  profiled {contender.name}")
    return found


def row(runs: Runs, *, burst: bool = True) -> list[str]:
    if runs.error:
        return [runs.contender.name, f"failed: {runs.error}", *[""] * (5 if burst else 4)]
    cells = [runs.contender.name, spread(runs.rates), spread(runs.p50, 1), spread(runs.p99, 1),
             spread(runs.cpu, 2)]  # fmt: skip
    if burst:
        cells.append(spread(runs.burst))
    return [*cells, f"{runs.updates} ({sum(runs.replies)}/{len(runs.replies)})"]


def ratios(results: list[Runs], bare: Sequence[str], target: str) -> str:
    """Each Massline contender's closed-loop rate over the faster of the ``bare`` bots."""
    peers = [r for r in results if r.contender.name in bare and r.rates]
    if not peers:
        return "No bare bot ran, so no ratio."
    best = max(peers, key=lambda r: r.rate)
    lines = [f"Ratio to the faster bare bot ({best.contender.name}, closed loop; {target}):"]
    for runs in results:
        if runs.contender.massline and runs.rates:
            lines.append(f"- {runs.contender.name}: {runs.rate / best.rate:.2f}")
    return "\n".join(lines) if len(lines) > 1 else "No Massline contender ran, so no ratio."
