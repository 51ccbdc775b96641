"""Issue 9, target 1 ("Updates"): the full bot against the bare echo bots, in one run.

Every contender gets its own fresh fake Bot API server (tests/fakes) and runs in its own
process; K simulated people drive it in a closed loop (each sends their next update once
the previous one was answered), then in an open-loop burst (everything queued at once,
timed until all is answered). Each contender runs ``--repeats`` times, interleaved.

Massline answers a member's mix: /help, a language switch by button tap, an unknown text
(answered with a note and the menu), and /start from someone already joined. The echo bots
get the same texts (the tap as a text). The opinion, check-in and progress features do not
exist yet; the mix grows as they land.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.contender import Contender, start
from bench.fakeapi import Load, Step, TimedTelegram
from bench.profile import Recorder, py_spy, summarize
from bench.report import machine, percentile, spread, table, write_section

MIX = [
    Step("message", "/help"),
    Step("callback_query", "core:lang:en"),
    Step("message", "今天的学习安排是什么?"),
    Step("message", "/start"),
    Step("message", "/help"),
    Step("callback_query", "core:lang:zh"),
    Step("message", "随便说说"),
    Step("message", "/start"),
]
ECHO = [Step("message", s.text if s.kind == "message" else "English") for s in MIX]
SHIPPED = "massline (as shipped: httpx, 30 msg/s limiter)"
CONTENDERS = (
    Contender("ptb-echo", "ptb-echo", note="python-telegram-bot 22.8, library defaults"),
    Contender("aiogram-echo", "aiogram-echo", note="aiogram 3, library defaults"),
    Contender("ptb-echo (aiohttp)", "ptb-echo", ("--transport", "aiohttp"),
              note="the same PTB echo bot on our AiohttpRequest"),
    Contender(SHIPPED, "massline", massline=True, share=0.2,
              note="create_app as `python -m bot run` builds it; 1/5 of the updates"),
    Contender("massline, no limiter (httpx)", "massline", ("--unlimited",), massline=True,
              note="PTB's stock httpx transport, AIORateLimiter's 30/s lifted"),
    Contender("massline, no limiter (aiohttp)", "massline",
              ("--unlimited", "--transport", "aiohttp"), massline=True,
              note="bot/channels/telegram_request.AiohttpRequest, 30/s lifted"),
)  # fmt: skip
BARE = ("ptb-echo", "aiogram-echo")
PROFILED = ("massline, no limiter (httpx)", "massline, no limiter (aiohttp)")


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


async def run(args: argparse.Namespace) -> None:
    chosen = [c for c in CONTENDERS if not args.only or any(o in c.name for o in args.only)]
    if importlib.util.find_spec("aiogram") is None:
        print("aiogram is not installed (pip install -r bench/requirements.txt): skipping it")
        chosen = [c for c in chosen if c.kind != "aiogram-echo"]
    results = {c.name: Runs(c) for c in chosen}
    print(f"updates: {len(chosen)} contenders x {args.repeats} runs, {args.updates} updates, "
          f"{args.users} people, {args.members} members")  # fmt: skip
    for repeat in range(args.repeats):
        shift = repeat % len(chosen)
        for contender in chosen[shift:] + chosen[:shift]:
            runs = results[contender.name]
            if runs.error:
                continue
            try:
                await _measure(contender, args, runs)
            except RuntimeError as exc:
                runs.error = str(exc).splitlines()[0]
                print(f"  {contender.name}: FAILED {exc}")
                continue
            print(f"  run {repeat + 1} {contender.name}: {runs.rates[-1]:.0f} updates/s closed, "
                  f"p50 {runs.p50[-1]:.1f} ms, p99 {runs.p99[-1]:.1f} ms, "
                  f"{runs.cpu[-1]:.2f} ms CPU/update; burst {runs.burst[-1]:.0f}/s")  # fmt: skip
    profiles = await _profiles(args, chosen) if args.profile else {}
    body = _section(args, list(results.values()), profiles)
    print()
    print(body)
    if args.write:
        write_section("updates", body)
        print("\nwritten to BENCHMARKS.md")


async def _measure(contender: Contender, args: argparse.Namespace, runs: Runs) -> None:
    async with TimedTelegram() as fake:
        users = fake.people(args.users)
        bot = await start(contender, fake, args.users, args.members)
        try:
            load = Load(fake, users, MIX if contender.massline else ECHO)
            runs.replies = await load.calibrate(quiet=0.25)
            await load.closed(per_user=2)  # warm-up: caches, connections, JIT-less but warm
            per_user = max(1, round(args.updates * contender.share / args.users))
            before = await bot.cpu()
            closed = await load.closed(per_user)
            used = await bot.cpu() - before
            burst = await load.burst(per_user)
        finally:
            await bot.stop()
    runs.updates = closed.updates
    runs.rates.append(closed.rate)
    runs.p50.append(percentile(closed.latencies, 0.50) * 1000)
    runs.p99.append(percentile(closed.latencies, 0.99) * 1000)
    runs.cpu.append(used / closed.updates * 1000)
    runs.burst.append(burst.rate)


async def _profiles(args: argparse.Namespace, chosen: list[Contender]) -> dict[str, str]:
    if py_spy() is None:
        print("py-spy is not installed (pip install -r bench/requirements.txt): no profile")
        return {}
    found = {}
    for contender in (c for c in chosen if c.name in PROFILED):
        async with TimedTelegram() as fake:
            users = fake.people(args.users)
            bot = await start(contender, fake, args.users, args.members)
            try:
                load = Load(fake, users, MIX)
                await load.calibrate(quiet=0.25)
                await load.closed(per_user=2)
                with tempfile.TemporaryDirectory() as tmp:
                    raw = Path(tmp) / "profile.txt"
                    async with Recorder(bot.pid, raw):
                        await load.closed(max(1, args.updates // 3 // args.users))
                    found[contender.name] = summarize(raw).table()
            finally:
                await bot.stop()
        print(f"  profiled {contender.name}")
    return found


def _section(args: argparse.Namespace, results: list[Runs], profiles: dict[str, str]) -> str:
    rows = []
    for runs in results:
        if runs.error:
            rows.append([runs.contender.name, f"failed: {runs.error}", "", "", "", "", ""])
            continue
        rows.append([runs.contender.name, spread(runs.rates), spread(runs.p50, 1),
                     spread(runs.p99, 1), spread(runs.cpu, 2), spread(runs.burst),
                     f"{runs.updates} ({sum(runs.replies)}/{len(runs.replies)})"])  # fmt: skip
    header = ["contender", "updates/s, closed loop", "p50 ms", "p99 ms", "CPU ms/update",
              "updates/s, burst", "updates (replies/updates)"]  # fmt: skip
    parts = [
        "## Updates (target 1)",
        machine(),
        f"{args.users} people, each a joined member among {args.members}, in a closed loop "
        f"(next update once the last was answered), then the same number of updates queued "
        f"at once (burst: updates/s until the last reply). Each row: median (min–max) over "
        f"{args.repeats} interleaved runs; every contender has its own fake Bot API server "
        f"and its own process. Latency is from the update becoming available to the bot's "
        f"last reply to it. Massline's mix: /help, a language switch by button tap, an "
        f"unknown text, /start when already joined; the echo bots echo the same texts. The "
        f"mix will grow as the opinion, check-in and progress features land.",
        table(header, rows),
        _ratios(results),
        "\n".join(f"- {c.name}: {c.note}" for c in (r.contender for r in results)),
    ]
    for name, profile in profiles.items():
        parts += [f"### Profile: {name} (py-spy, main thread, GIL held)", profile]
    return "\n\n".join(parts)


def _ratios(results: list[Runs]) -> str:
    by_name = {r.contender.name: r for r in results if r.rates}
    bare = [by_name[n] for n in BARE if n in by_name]
    if not bare:
        return "No bare bot ran, so no ratio."
    best = max(bare, key=lambda r: sorted(r.rates)[len(r.rates) // 2])
    best_rate = sorted(best.rates)[len(best.rates) // 2]
    lines = [f"Ratio to the faster bare bot ({best.contender.name}, closed loop; target ≥ 1.0):"]
    for runs in results:
        if runs.contender.massline and runs.rates:
            rate = sorted(runs.rates)[len(runs.rates) // 2]
            lines.append(f"- {runs.contender.name}: {rate / best_rate:.2f}")
    return "\n".join(lines) if len(lines) > 1 else "No Massline contender ran, so no ratio."
