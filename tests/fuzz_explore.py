"""A world for the fuzz tests, and a walk through it that finds every dialogue state.

``open_world`` gives a test its own copy of one explored SQLite database: an organization
with fixed invite codes (valid for each role, and expired, revoked and used up), five
long-lived "veteran" members, and what they left while exploring (opinions, replies...).
The walk, once per session, starts from every command as strangers and as each veteran,
taps every button the bot shows, types a sample text or a code the bot told them in each
dialogue state, for a few rounds so that one role's work (an opinion) opens another's
(answering it). Each dialogue state reached is kept as a Snapshot that a test puts a
person back into, so states that need data still get fuzzed, with no feature code here.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from handlers.admin_ops import create_invite
from handlers.messages import Attachment, Reply, Text
from handlers.state import Dialogue
from storage.db import Database
from storage.repos import Repos
from tests.conftest import Unit, make_unit
from tests.databases import migrated_sqlite
from tests.fuzz_database import stored_texts
from tests.fuzz_harness import ROLES, Harness, Known, Person
from tests.transcript import Clock, make_dispatcher, make_services

CODES = {"member": "MEMBER2345", "cadre": "CADRE23456", "leader": "HEAD234567",
         "admin": "ADM2345678", "supervisor": "SVP2345678", "expired": "EXP2345678",
         "revoked": "REV2345678", "used_up": "VSED234567"}  # fmt: skip
SAMPLES: tuple[dict[str, Any], ...] = (  # what a person might type into any step
    {"text": "食堂饭菜价格偏高,建议公开采购价格。"},
    {"text": "50"},
    {"text": "2026-12-20 18:00"},
    {"attachments": (Attachment("photo", "fuzz-photo"),)},
)
CODE_IN_REPLY = re.compile(r"\b[0-9A-Z]{4,}(?:-[0-9A-Z]{4,})+\b")
ROUNDS, DEPTH = 2, 12  # the last round types no samples, to leave live states behind
Step = tuple[str, str]


@dataclass(frozen=True)
class Snapshot:
    """A dialogue state someone reached: a veteran's (key), or a stranger's (key None)."""

    role: str | None
    name: str | None
    key: str | None
    dialogue: Dialogue

    @property
    def step(self) -> Step:
        return self.dialogue.feature or "", self.dialogue.step or ""


@dataclass
class World:
    harness: Harness
    snapshots: dict[Step, list[Snapshot]]
    veterans: dict[str, Person]
    failures: list[str]  # what went wrong on the walk, beyond known bugs

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:  # how Hypothesis shows it
        printer.text(f"World({len(self.snapshots)} dialogue states)")


@dataclass
class _Explored:
    template: Path
    org_id: int
    veterans: dict[str, Person]
    snapshots: dict[Step, list[Snapshot]]
    failures: list[str]
    said: set[str]  # what people typed on the walk, which the world may quote back


_explored: _Explored | None = None


def watched(harness: Harness, known: Sequence[Known]) -> Harness:
    harness.known = list(known)
    event.listen(harness.unit.db.engine.sync_engine, "before_cursor_execute",
                 harness.watch_parameters)  # fmt: skip
    return harness


async def open_world(directory: Path, known: Sequence[Known] = ()) -> World:
    """This test's copy of the explored database (exploring it first, once per session)."""
    global _explored
    if _explored is None:
        _explored = await _explore_once(directory.parent / "fuzz-explored", known)
    shutil.copyfile(_explored.template, directory / "world.db")
    db = Database(f"sqlite:///{directory / 'world.db'}")
    clock = Clock()
    services = make_services(clock)
    dispatcher = make_dispatcher(db, services)
    unit = Unit(db, services, dispatcher, clock, _explored.org_id, dict(CODES))
    people = {r: Person(p.key, r, p.name, lang=p.lang) for r, p in _explored.veterans.items()}
    harness = watched(Harness(unit), known)
    harness.said |= _explored.said
    harness.heard.update(*_explored.said)
    return World(harness, _explored.snapshots, people, _explored.failures)


async def _explore_once(directory: Path, known: Sequence[Known]) -> _Explored:
    directory.mkdir(exist_ok=True)
    db = Database(f"sqlite:///{await migrated_sqlite(directory)}")
    unit = await make_unit(db)
    await _fix_codes(unit)
    harness = watched(Harness(unit), known)
    with harness.catching_errors("handlers", "storage", "config"):
        veterans = {r: await harness.person(f"veteran-{r}", r, "zh", "张三") for r in ROLES}
        snapshots, failures = await _walk(harness, veterans)
        for veteran in veterans.values():
            await harness.restore(veteran, None)
            await harness.send(veteran, {"text": "/lang zh"})
    said = harness.said | await stored_texts(db)  # quoted later, in their own language
    await db.dispose()  # checkpoints the WAL into the file
    template = directory.parent / "fuzz-world.db"
    shutil.copyfile(directory / "massline.db", template)
    return _Explored(template, unit.org_id, veterans, snapshots, failures, said)


async def _fix_codes(unit: Unit) -> None:
    """Fixed invite codes, so strategies can name them, and spoiled ones of every kind."""

    async def fix(session: Any) -> None:
        repos = Repos(session)
        for role, code in unit.codes.items():
            invite = await repos.invites.by_code(code)
            assert invite is not None
            invite.code = CODES[role]
            repos.session.add(invite)
        for kind in ("expired", "revoked", "used_up"):
            invite = await create_invite(repos, unit.org_id, "member", actor="test")
            invite.code = CODES[kind]
            if kind == "expired":
                invite.expires_at = unit.clock() - timedelta(days=1)
            invite.revoked = kind == "revoked"
            invite.max_uses, invite.used_count = (1, 1) if kind == "used_up" else (None, 0)
            repos.session.add(invite)

    await unit.db.run(fix)
    unit.codes = {role: CODES[role] for role in ROLES}


async def _walk(
    h: Harness, veterans: dict[str, Person]
) -> tuple[dict[Step, list[Snapshot]], list[str]]:
    """Breadth first from every command, everyone's first taps before anyone's second, for
    a few rounds: each round sees what the last left (a member's opinion for the office to
    answer), and reads shallow (a member's own opinion) before acting deep (the office
    closing it). An outcome (state and what can be done next) seen before in the round,
    by anyone, is not expanded again: five roles composing alike cost one. The last round
    types no samples (only codes), so it leaves live states behind."""
    walk = _Walk(h, veterans)
    for rounds in range(ROUNDS):
        walk.seen.clear()  # the world has changed
        walk.samples = rounds < ROUNDS - 1
        people = ROLES if rounds else (None, *ROLES)  # strangers see nothing of the world
        starts = [{"text": f"/{c}"} for c in sorted(h.router.commands)]
        frontier = [(role, None, start) for role in people for start in starts
                    if (role, start["text"]) not in walk.refused]  # fmt: skip
        if not rounds:
            frontier += [(None, None, {"text": f"/start {CODES[r]}"}) for r in ROLES]
        for _depth in range(DEPTH):
            later: list[tuple[str | None, Dialogue | None, dict[str, Any]]] = []
            for role, state, action in frontier:
                later += [(role, now, item) for now, item in await walk.step(role, state, action)]
            frontier = later
    found = {step: list(by_role.values()) for step, by_role in sorted(walk.found.items())}
    return found, walk.failures


class _Walk:
    def __init__(self, h: Harness, veterans: dict[str, Person]) -> None:
        self.h, self.veterans = h, veterans
        self.found: dict[Step, dict[str | None, Snapshot]] = {}
        self.seen: set[tuple[Any, ...]] = set()
        self.samples = True  # or only the codes the bot told, which change nothing
        self.told: Counter[str] = Counter()  # codes the bot told people to type: how often
        self.told_to: dict[str, list[str]] = {}  # and to whom
        self.refused: set[tuple[str | None, str]] = set()  # (role, command) access refused
        self.last: dict[str, Dialogue | None] = {}  # a veteran's state after their last input
        self.strangers = itertools.count()
        self.failures: list[str] = []
        self.commands = {f"cmd:{c}" for c in h.router.commands}  # the same as typing /c

    async def step(
        self, role: str | None, state: Dialogue | None, action: dict[str, Any]
    ) -> list[tuple[Dialogue | None, dict[str, Any]]]:
        """One input from this state; what to try next from where it led, if that is new."""
        h = self.h
        person = self.veterans[role] if role else Person(f"s{next(self.strangers)}", None, None)
        if self.last.get(person.key) != state:
            await h.restore(person, state)
        try:
            replies = await h.send(person, action)
        except AssertionError as problem:  # test_the_walk_breaks_nothing shows it
            self.failures.append(f"{role} at {_where(state)} sent {action}: {problem}")
            self.last.pop(person.key, None)
            return []
        said = _texts(replies)
        told = [c for c in CODE_IN_REPLY.findall("\n".join(said)) if c not in str(action)]
        self.told.update(told)  # echoes of what was typed are not told
        self.told_to.setdefault(person.key, []).extend(told)
        if state is None and set(said) <= h.refusals:  # no need to ask again next round
            self.refused.add((role, str(action.get("text"))))
        self.last[person.key] = now = await h.state(person)
        if now is not None:
            snap = Snapshot(role, None, person.key if role else None, now)
            self.found.setdefault(snap.step, {})[role] = snap  # the latest: likeliest live
        typing = now is not None and h.router.step(now) is not None
        mine = self.told_to.get(person.key, [])
        codes = [code for code in mine if self.told[code] == 1][-3:]  # this person's, no examples
        following = [i for i in _next(replies, typing, self.samples, codes)
                     if now is not None or i.get("payload") not in self.commands]  # fmt: skip
        outcome = (_where(now), typing, *(_shape(i) for i in following if "payload" in i))
        if outcome in self.seen:
            return []
        self.seen.add(outcome)
        return [(now, item) for item in following]


def _next(
    replies: list[Reply], typing: bool, samples: bool, codes: list[str]
) -> list[dict[str, Any]]:
    """The buttons shown (of several for one action, the first and the last); in a step
    that reads what is typed, also samples and the codes the bot told."""
    groups: dict[str, list[str]] = {}
    for button in (b for r in replies if isinstance(r, Text) for row in r.buttons for b in row):
        if button.payload:
            groups.setdefault(":".join(button.payload.split(":")[:2]), []).append(button.payload)
    taps = [{"payload": p} for g in groups.values() for p in dict.fromkeys(g[:1] + g[-1:])]
    if not typing:
        return taps
    return [*taps, *(SAMPLES if samples else ()), *({"text": code} for code in codes)]


def _where(state: Dialogue | None) -> tuple[Any, ...] | None:
    """A dialogue state, up to what was typed into it."""
    return state and (state.feature, state.step, state.anonymous, *sorted(state.data))


def _shape(item: dict[str, Any]) -> str:
    """Taps that differ only in ids are tried once per state; each code the bot told."""
    said = repr(sorted(item.items()))
    return said if CODE_IN_REPLY.search(said) else re.sub(r"\d+", "#", said)


def _texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Text)]
