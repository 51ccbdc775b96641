"""Issue 9, target 1 ("Updates"): the full bot against the bare echo bots, in one run.

Every contender gets its own fresh fake Bot API server (tests/fakes) and runs in its own
process; K simulated people drive it in a closed loop (each sends their next update once
the previous one was answered), then in an open-loop burst (everything queued at once,
timed until all is answered). Each contender runs ``--repeats`` times, interleaved.

Massline answers the realistic mix of bench.mix: /help, an opinion start to finish, a
check-in, a progress report, database writes included. The echo bots get the same
updates (a tap as its button's text) and echo each.
"""

from __future__ import annotations

import argparse

from bench.contender import Contender
from bench.report import machine, table, write_section
from bench.rounds import Runs, chosen, profile, ratios, rounds, row

SHIPPED = "massline (as shipped)"
CONTENDERS = (
    Contender("ptb-echo", "ptb-echo", note="python-telegram-bot 22.8, library defaults"),
    Contender("aiogram-echo", "aiogram-echo", note="aiogram 3, library defaults"),
    Contender("ptb-echo (aiohttp)", "ptb-echo", ("--transport", "aiohttp"),
              note="the same PTB echo bot on our AiohttpRequest"),
    Contender(SHIPPED, "massline", massline=True,
              note="create_app as `python -m bot run` builds it"),
    Contender("massline, one update at a time", "massline", ("--sequential",), massline=True,
              note="as shipped but PTB's default of one update at a time"),
    Contender("massline, httpx", "massline", ("--transport", "httpx"), massline=True,
              note="as shipped but on PTB's stock httpx transport"),
    Contender("massline, replies under 30/s", "massline", ("--replies-limit", "30"),
              massline=True, share=0.2,
              note="as shipped but replies behind a 30 messages/s limiter, as before "
                   "issue 9; 1/5 of the updates"),
)  # fmt: skip
BARE = ("ptb-echo", "aiogram-echo")
PROFILED = (SHIPPED,)


async def run(args: argparse.Namespace) -> None:
    contenders = chosen(CONTENDERS, args)
    print(f"updates: {len(contenders)} contenders x {args.repeats} runs, {args.updates} "
          f"updates, {args.users} people, {args.members} members")  # fmt: skip
    results = await rounds(contenders, args)
    profiles = {}
    for contender in (c for c in contenders if c.name in PROFILED and args.profile):
        if (found := await profile(contender, args)) is not None:
            profiles[contender.name] = found
    body = _section(args, results, profiles)
    print()
    print(body)
    if args.write:
        write_section("updates", body)
        print("\nwritten to BENCHMARKS.md")


def _section(args: argparse.Namespace, results: list[Runs], profiles: dict[str, str]) -> str:
    rows = [row(runs) for runs in results]
    header = ["contender", "updates/s, closed loop", "p50 ms", "p99 ms", "CPU ms/update",
              "updates/s, burst", "updates (replies/updates)"]  # fmt: skip
    parts = [
        "## Updates (target 1)",
        machine(),
        f"{args.users} people, each a joined cadre among {args.members} members, in a closed loop "
        f"(next update once the last was answered), then the same number of updates queued "
        f"at once (burst: updates/s until the last reply). Each row: median (min–max) over "
        f"{args.repeats} interleaved runs; every contender has its own fake Bot API server "
        f"and its own process. Latency is from the update becoming available to the bot's "
        f"last reply to it. Massline's mix (bench/mix.py), per person, over and over: /help; "
        f"an opinion (/opinion, named, target, category, the text, done, submit: seven "
        f"updates, each saving the draft, the last writing the opinion); /checkin with the "
        f"room's code (writes attendance the first time); /progress on their own item "
        f"(writes a report). The echo bots echo the same updates.",
        table(header, rows),
        ratios(results, BARE, "target ≥ 1.0"),
        "\n".join(f"- {c.name}: {c.note}" for c in (r.contender for r in results)),
    ]
    for name, found in profiles.items():
        parts += [f"### Profile: {name} (py-spy, main thread, GIL held)", found]
    return "\n\n".join(parts)
