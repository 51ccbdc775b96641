"""Figures of a fault run, read off the fake Bot API's record of every request (no tests
here), and RELIABILITY.md's marked sections, which `make reliability` rewrites.

Each fault test owns one section of RELIABILITY.md, between ``<!-- reliability:NAME -->``
and ``<!-- /reliability:NAME -->``; the text outside the markers is written by people and
kept. Sections are written only when MASSLINE_RELIABILITY_WRITE is set (`make reliability`),
never by `make test`, whose runs are smaller.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from tests.fakes import Call
from tests.fakes.telegram_chaos import FLOOD, LOST, SERVER_ERROR, SLOW, Chaos
from tests.fakes.telegram_limits import SENDS

ROOT = Path(__file__).resolve().parent.parent
RELIABILITY = ROOT / "RELIABILITY.md"
WRITE = "MASSLINE_RELIABILITY_WRITE"
# Requests that reach the server during a retry_after pause left the service before it
# had read the 429: it has at most its in-flight window of requests out at once, the
# refused one among them, so no pause may see more than that window less one. Arrivals
# later than WIRE into a pause are counted too: on an idle machine there are none, on a
# loaded one the fake's own clock and the service's reading of the answer both lag.
WIRE = 0.25


@dataclass
class Kill:
    at: float  # time.monotonic() of the kill -9
    delivered: int  # successful sends of the broadcast by then


@dataclass
class BroadcastFigures:
    """What a broadcast through faults and kills came to, as the server saw it."""

    members: int
    blocked: set[int]
    delivered: Counter[int]  # chat → successful sends of the broadcast
    requests: int
    faults: dict[str, int]
    lost: int  # sends done whose answer was lost (the fault's, on a chat not blocked)
    kills: list[Kill]
    after_refusal: list[Call]  # sends to a chat after it answered 403
    refusal_died: list[Call]  # ... by a new process: the 403 died with the killed one
    in_pauses: list[int]  # per 429: sends that arrived while its retry_after ran
    late_in_pause: list[Call]  # sends arriving more than WIRE into a pause
    busiest_second: int
    closest_to_one_chat: float  # seconds between two requests to one chat, at the least
    seconds: float
    in_flight: int
    missing: set[int] = field(default_factory=set)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    @property
    def duplicate_bound(self) -> int:
        return self.lost + self.in_flight * len(self.kills)

    def table(self, rate: float) -> str:
        f, reachable = self.faults, self.members - len(self.blocked)
        rows = [
            ("members", f"{self.members:,}"),
            ("send requests the server received", f"{self.requests:,}"),
            ("answered 429 (retry_after 1 s)", f"{f[FLOOD]:,}"),
            ("people who had blocked the bot (403)", f"{len(self.blocked):,}"),
            ("answered 500", f"{f[SERVER_ERROR]:,}"),
            ("sent, answer lost", f"{self.lost:,}"),
            ("answered slowly (0.2–2 s)", f"{f[SLOW]:,}"),
            ("kill -9 of the service, then a restart", f"{len(self.kills)} (after "
             + ", ".join(f"{k.delivered:,}" for k in self.kills) + " sends)"),
            ("**reachable members who got it**", f"**{reachable - len(self.missing):,} of "
             f"{reachable:,}**"),
            ("**duplicates** (bound: lost answers + in-flight window "
             f"{self.in_flight} × kills)", f"**{self.duplicates}** (bound {self.duplicate_bound})"),
            ("**sends to a person after their 403**", f"**{len(self.after_refusal)}**"),
            ("… after a 403 that died with a killed process (bound: in-flight × kills)",
             f"{len(self.refusal_died)}"),
            ("**requests arriving during one retry_after pause, at most** (bound: the "
             f"in-flight window − 1 = {self.in_flight - 1}, already on their way)",
             f"**{max(self.in_pauses, default=0)}** ({sum(self.in_pauses)} in all "
             f"{len(self.in_pauses)} pauses)"),
            (f"… of those, arriving more than {WIRE * 1000:.0f} ms into the pause",
             f"{len(self.late_in_pause)}"),
            (f"**busiest second** (limit MASSLINE_SEND_RATE={rate:g})",
             f"**{self.busiest_second}**"),
            ("closest two requests to one chat (limit 1 s)", f"{self.closest_to_one_chat:.2f} s"),
            ("wall time", f"{self.seconds:.0f} s"),
        ]  # fmt: skip
        return "| figure | value |\n|---|---:|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)


def broadcast_figures(
    calls: list[Call],
    chaos: Chaos,
    text: str,
    *,
    members: Iterable[int],
    kills: list[Kill],
    seconds: float,
    in_flight: int,
) -> BroadcastFigures:
    sends = [c for c in calls if c.method.lower() in SENDS and text in str(c.params.get("text"))]
    blocked = chaos.blocked_chats
    delivered = Counter(c.chat_id for c in sends if c.status == 200 and c.chat_id is not None)
    refused: dict[int, float] = {}
    for call in sends:
        if call.status == 403 and call.chat_id is not None:
            refused.setdefault(call.chat_id, call.at)
    floods = chaos.of(FLOOD)
    again = [c for c in sends if c.chat_id in refused and c.at > refused[c.chat_id]]

    def killed_between(start: float, end: float) -> bool:
        return any(start < kill.at < end for kill in kills)

    by_chat: dict[int | None, list[float]] = {}
    for call in sends:
        by_chat.setdefault(call.chat_id, []).append(call.at)
    gaps = [b - a for times in by_chat.values() for a, b in pairwise(times)]
    return BroadcastFigures(
        members=len(set(members)),
        blocked=blocked,
        delivered=delivered,
        requests=len(sends),
        faults=Counter(e.kind for e in chaos.events),
        lost=sum(1 for e in chaos.of(LOST) if e.chat_id not in blocked),
        kills=kills,
        after_refusal=[c for c in again if not killed_between(refused[c.chat_id], c.at)],
        refusal_died=[c for c in again if killed_between(refused[c.chat_id], c.at)],
        in_pauses=[sum(e.at < c.at < e.at + e.seconds for c in sends) for e in floods],
        late_in_pause=[
            c for c in sends if any(e.at + WIRE <= c.at < e.at + e.seconds for e in floods)
        ],
        busiest_second=busiest_second(sends),
        closest_to_one_chat=min(gaps, default=float("inf")),
        seconds=seconds,
        in_flight=in_flight,
        missing=set(members) - blocked - set(delivered),
    )


def busiest_second(calls: list[Call]) -> int:
    """The most requests that arrived within any window of one second, [t, t + 1)."""
    times = sorted(c.at for c in calls)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def write_section(name: str, body: str, path: Path = RELIABILITY) -> bool:
    """Rewrite the section ``name`` (only under `make reliability`); whether it wrote."""
    if not os.environ.get(WRITE):
        return False
    start, end = f"<!-- reliability:{name} -->", f"<!-- /reliability:{name} -->"
    text = path.read_text() if path.exists() else "# Reliability\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    return True
