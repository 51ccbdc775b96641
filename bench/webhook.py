"""Issue 9, target 2 ("Webhook mode"): the same mix through our aiohttp webhook, with one
call riding in the webhook's HTTP answer and without, in one run.

The fake Bot API POSTs each update to the bot's webhook and waits for the answer, as
Telegram does, then makes the call the answer carries (bot/channels/telegram_webhook.py
says which: a tap's answerCallbackQuery, or a typed message's last reply). People send
their next update once the last was answered (closed loop; Telegram's webhook has no
queue to burst from). The polling row is the same service as target 1 measures it, and
aiogram's webhook echo (its echo in the answer) is the bare peer.
"""

from __future__ import annotations

import argparse

from bench.contender import Contender
from bench.report import machine, table, write_section
from bench.rounds import Runs, chosen, ratios, rounds, row

RIDING = "massline, webhook (as shipped: a call rides in the answer)"
CALLING = "massline, webhook, every call on its own"
CONTENDERS = (
    Contender("aiogram-echo, webhook", "aiogram-echo-webhook",
              note="aiogram 3's webhook server, the echo returned into the answer"),
    Contender(RIDING, "massline", ("--webhook",), massline=True,
              note="create_app with MASSLINE_TELEGRAM_WEBHOOK_URL set"),
    Contender(CALLING, "massline", ("--webhook", "--no-ride"), massline=True,
              note="the same, but each Bot API call a request of its own"),
    Contender("massline, polling", "massline", massline=True,
              note="the same service long-polling, as in target 1"),
)  # fmt: skip
BARE = ("aiogram-echo, webhook",)


async def run(args: argparse.Namespace) -> None:
    contenders = chosen(CONTENDERS, args)
    print(f"webhook: {len(contenders)} contenders x {args.repeats} runs, {args.updates} "
          f"updates, {args.users} people")  # fmt: skip
    results = await rounds(contenders, args, burst=False)
    body = _section(args, results)
    print()
    print(body)
    if args.write:
        write_section("webhook", body)
        print("\nwritten to BENCHMARKS.md")


def _section(args: argparse.Namespace, results: list[Runs]) -> str:
    header = ["contender", "updates/s, closed loop", "p50 ms", "p99 ms", "CPU ms/update",
              "updates (replies/updates)"]  # fmt: skip
    by_name = {r.contender.name: r for r in results if r.rates}
    gain = "Both webhook rows did not run, so no gain."
    if RIDING in by_name and CALLING in by_name:
        riding, calling = by_name[RIDING], by_name[CALLING]
        cpu = sorted(riding.cpu)[len(riding.cpu) // 2] / sorted(calling.cpu)[len(calling.cpu) // 2]
        gain = (f"Gain of the call in the answer: {riding.rate / calling.rate:.2f}× the updates "
                f"per second, {cpu:.2f}× the CPU per update.")  # fmt: skip
    return "\n\n".join([
        "## Webhook mode (target 2)",
        machine(),
        f"{args.users} people, the mix of target 1 (bench/mix.py), closed loop: each update "
        f"POSTed to the bot's webhook, the next once the last was answered. Each row: median "
        f"(min–max) over {args.repeats} interleaved runs, every contender with its own fake "
        f"Bot API server and process. Latency: from the POST to the bot's last reply.",
        table(header, [row(r, burst=False) for r in results]),
        gain,
        ratios(results, BARE, "for reference; target 2 asks for the gain"),
        "\n".join(f"- {r.contender.name}: {r.contender.note}" for r in results),
    ])  # fmt: skip
