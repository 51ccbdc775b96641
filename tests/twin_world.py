"""Two organizations built alike, and a walk that forges one's buttons in the other's chat.

The demo unit is seeded twice (each under its own county: the same people, sessions,
opinions and ledger, other ids), with what the demo lacks for every button to show: a
survey, a deadline, the member's own answered opinion with a photo, an item awaiting
review and one open for rating, a talk to confirm. The walk drives the demo persona of
every role (and the main leader) in both organizations at once, sending the same things:
every command they may use, then every button shown, breadth first, and sample text
wherever a dialogue step reads text. Wherever the two are shown buttons that differ — they
carry their own organization's ids — the second organization's person, in their own
dialogue state, taps the first one's button: a forged payload. It must fare exactly as a
payload whose ids name nothing: the same answer (digits aside), the same dialogue state
after, and nothing written but that state.
"""

from __future__ import annotations

import copy
import hashlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import col, select

from handlers.admin_ops import create_invite
from handlers.demo import seed_demo
from handlers.feature import allows
from handlers.messages import Incoming, Reply, Text
from handlers.schedule import job_context
from handlers.state import AttemptLimiter, Dialogue
from handlers.surveys.common import open_survey_from_template
from storage.db import Database
from storage.examine_models import Meeting, Talk
from storage.ledger_models import ItemStatus, Visibility
from storage.models import Invite, Member, Role
from storage.opinion_models import Opinion, OpinionMessage, Side, Status, Target
from storage.repos import Repos
from storage.study_models import Deadline, DeadlineKind, Submission
from tests.conftest import Unit
from tests.databases import migrated_sqlite
from tests.fuzz_database import dialogue_of, put_dialogue
from tests.transcript import Chat, Clock, make_dispatcher, make_services

PERSONAS = {"member": "赵晓雪", "cadre": "刘洋", "leader": "陈建国", "main": "王立新",
            "admin": "周敏", "supervisor": "许振华"}  # fmt: skip
GHOST = "987654321"  # an id no row has
SAMPLES = ("食堂饭菜价格偏高,建议公开采购价格。", "50", "2026-12-20 18:00")
DEPTH = 8
CHANNEL = "test"


@dataclass
class Forgery:
    who: str
    payload: str  # the other organization's
    ghost: str  # the same with its ids naming nothing
    state: tuple[Any, ...] | None
    problem: str


@dataclass
class Walked:
    forged: dict[str, int] = field(default_factory=dict)  # feature:action → payloads tried
    seen: set[str] = field(default_factory=set)  # feature:action of every button shown
    problems: list[Forgery] = field(default_factory=list)
    replayed: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    replay_problems: dict[str, str] = field(default_factory=dict)  # action → an example
    tampered: set[tuple[str, str]] = field(default_factory=set)
    shown: dict[tuple[str, str], str] = field(default_factory=dict)  # (who, shape) → payload
    stale_problems: list[str] = field(default_factory=list)
    tamper_problems: dict[str, str] = field(default_factory=dict)  # action → an example
    steps: int = 0


@dataclass
class Twin:
    who: str  # a key of PERSONAS
    role: str
    own: Chat  # in the first organization
    other: Chat  # the same person in the second


class World:
    def __init__(self, path: Path, clock: Clock) -> None:
        self.path, self.db, self.clock = path, Database(f"sqlite:///{path}"), clock
        self.services = make_services(clock)
        self.unit = Unit(
            self.db, self.services, make_dispatcher(self.db, self.services), clock, 0, {}
        )
        self.orgs: list[int] = []
        self.writes: list[str] = []
        self.last: dict[str, Dialogue | None] = {}
        self.errors: list[str] = []  # inputs answered with an internal error
        catalog = self.services.catalog
        self.failures = {catalog.text(lang, "error.internal") for lang in ("zh", "en")}

    @property
    def router(self) -> Any:
        return self.unit.dispatcher.router

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Note every statement that would change the database."""
        engine = self.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._note)
        try:
            yield
        finally:
            event.remove(engine, "before_cursor_execute", self._note)

    def _note(self, _c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.writes.append(statement[:70])

    async def state(self, chat: Chat) -> Dialogue | None:
        found = await dialogue_of(self.unit, CHANNEL, chat.user)
        self.last[chat.user] = copy.deepcopy(found)
        return found

    async def put(self, chat: Chat, dialogue: Dialogue | None) -> None:
        if self.last.get(chat.user, "unknown") != dialogue:
            await put_dialogue(self.unit, CHANNEL, chat.user, dialogue)
            self.last[chat.user] = copy.deepcopy(dialogue)

    async def send(self, chat: Chat, item: dict[str, str]) -> list[Reply]:
        """One input; an internal error in the answer is noted (the transcript itself
        insists on an answer)."""
        self.last.pop(chat.user, None)
        if "payload" in item:
            await chat.press(item["payload"])
        else:
            await chat.say(item["text"])
        if any(getattr(r, "text", None) in self.failures for r in chat.last):
            self.errors.append(f"{chat.user} sent {item}")
        return chat.last

    def forget_attempts(self) -> None:
        """Wrong codes are counted per chat: a forged tap must not spend the ghost tap's
        allowance, or the two would be answered differently for that alone."""
        for name in ("invite_guesses", "receipt_guesses", "anon_submissions", "checkin_guesses"):
            old: AttemptLimiter = getattr(self.services, name)
            setattr(self.services, name, AttemptLimiter(old.limit, old.window))

    def digest(self) -> str:
        """Every row of every table but the dialogue states, as one hash."""
        found = hashlib.sha256()
        with sqlite3.connect(self.path) as conn:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT IN ('dialogue_state') ORDER BY name")  # fmt: skip
            for (table,) in tables.fetchall():
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608  (names from sqlite_master)
                found.update(repr(sorted(map(repr, rows))).encode())
        return found.hexdigest()

    async def run(self, work: Any) -> Any:
        return await self.db.run(lambda session: work(Repos(session)))


async def build(directory: Path) -> tuple[World, list[Twin]]:
    world = World(await migrated_sqlite(directory), Clock())

    async def seed(db: Repos) -> list[dict[str, str]]:
        codes = []
        for _ in range(2):
            made = await seed_demo(db, world.clock().date())
            unit = await db.orgs.get(made.org_id)
            assert unit is not None and made.created
            unit.is_demo = False  # or the second seeding would find this one
            db.session.add(unit)
            world.orgs.append(made.org_id)
            people = {m.name: m for m in await db.members.in_org(made.org_id)}
            await _more(db, world, made.org_id, people)
            await create_invite(db, made.org_id, Role.leader, member=people["王立新"],
                                actor="test")  # fmt: skip
            query = select(Invite, Member).join(Member, col(Invite.member_id) == Member.id)
            found = (await db.session.exec(query.where(col(Invite.org_id).in_(
                [made.org_id, unit.parent_id])))).all()  # fmt: skip
            by_name = {m.name: i.code for i, m in found}
            codes.append({who: by_name[name] for who, name in PERSONAS.items()})
        return codes

    first, second = await world.run(seed)
    twins = []
    for who in PERSONAS:
        own = Chat(world.unit.dispatcher, f"own-{who}")
        other = Chat(world.unit.dispatcher, f"other-{who}")
        for chat, code in ((own, first[who]), (other, second[who])):
            assert "欢迎" in await chat.say(f"/start {code}"), chat.text
        twins.append(Twin(who, "leader" if who == "main" else who, own, other))
    return world, twins


async def _more(db: Repos, world: World, org_id: int, people: dict[str, Member]) -> None:
    now, today = world.clock(), world.clock().date()
    member, leader, admin = people["赵晓雪"], people["陈建国"], people["周敏"]
    await open_survey_from_template(job_context(db, world.services), org_id, "effect", {})
    await db.study.add(Deadline(org_id=org_id, kind=DeadlineKind.reflection, title="学习心得",
                                due_at=now + timedelta(days=5)))  # fmt: skip
    opinion = Opinion(org_id=org_id, author_id=member.id, target=Target.general,
                      category="formalism", status=Status.replied, answered_at=now)  # fmt: skip
    photo = {"kind": "photo", "ref": "p1", "channel": CHANNEL}
    first = OpinionMessage(
        opinion_id=0, side=Side.author, text="报表太多", sender_id=member.id, attachments=[photo]
    )
    await db.opinions.add(opinion, first)
    db.session.add(OpinionMessage(opinion_id=opinion.id, side=Side.office, text="已合并报表",
                                  office="办公室", sender_id=admin.id))  # fmt: skip
    items = [i for i in await db.ledger.items([org_id]) if i.parent_id is None]
    # The first is the cadre's, in progress; the ones done have the demo's ratings already.
    review, rated = [i for i in items[1:] if i.status != ItemStatus.done][:2]
    review.status, review.percent = ItemStatus.awaiting_review, 100
    review.leader_id, review.person_id = leader.id, people["刘洋"].id  # type: ignore[assignment]
    rated.status, rated.visibility, rated.finished_on = ItemStatus.done, Visibility.public, today
    rated.rating_closes_on = today + timedelta(days=7)
    db.session.add_all([review, rated])
    db.session.add(Talk(org_id=org_id, recorded_by=leader.id, with_member=member.id,
                        held_on=today - timedelta(days=1), topics="工作作风"))  # fmt: skip
    await db.session.flush()


async def hold_meetings(world: World) -> None:
    """The second act: the democratic life meeting (the walk's, or a new one) held
    yesterday, and a leader's self-examination report for the main leader to review."""
    now = world.clock()

    async def seed(db: Repos) -> None:
        for org_id in world.orgs:
            people = {m.name: m for m in await db.members.in_org(org_id)}
            leaders = [m.id for m in people.values() if m.role == Role.leader]
            # Due after any the walk made, so that it is listed first.
            exam = Deadline(
                org_id=org_id, kind=DeadlineKind.self_exam, title="对照检查材料",
                due_at=now + timedelta(days=60), audience={"roles": [Role.leader]},
            )  # fmt: skip
            await db.study.add(exam)
            db.session.add(Submission(deadline_id=exam.id, member_id=people["陈建国"].id,
                                      kind=DeadlineKind.self_exam, text="对照检查",
                                      submitted_at=now))  # fmt: skip
            held = await db.session.exec(select(Meeting).where(Meeting.org_id == org_id))
            for meeting in held.all() or [Meeting(org_id=org_id, title="专题民主生活会",
                                                  participants=leaders)]:  # fmt: skip
                meeting.held_at = now - timedelta(days=1)  # the walk's, if it made one
                db.session.add(meeting)

    await world.run(seed)


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies if isinstance(r, Text)
            for row in r.buttons for b in row if b.payload]  # fmt: skip


def shape(text: str) -> str:
    return re.sub(r"\d+", "#", text)


def ghost_of(forged: str, own: str) -> str:
    """The forged payload with every part that differs from one's own naming nothing."""
    theirs, mine = forged.split(":"), own.split(":")
    parts = [re.sub(r"\d+", GHOST, t) if t != m else t for t, m in zip(theirs, mine, strict=True)]
    return ":".join(parts)


def where(state: Dialogue | None) -> tuple[Any, ...] | None:
    return state and (state.feature, state.step, state.anonymous, *sorted(state.data))


def action(payload: str) -> str:
    return ":".join(payload.split(":")[:2])


def words(replies: list[Reply]) -> str:
    return shape("\n".join(r.text for r in replies if isinstance(r, Text)))


Node = tuple[Twin, Dialogue | None, Dialogue | None, dict[str, str], dict[str, str]]
Seen = set[tuple[Any, ...]]


async def walk(world: World, twins: list[Twin], walked: Walked,
               starts: tuple[str, ...] = ()) -> Walked:  # fmt: skip
    """Breadth first from every command (or ``starts``); an outcome (a state and the
    buttons shown) already seen, by anyone, is not expanded again."""
    seen: Seen = set()
    tried: Seen = set()
    frontier: list[Node] = [
        (twin, None, None, {"text": f"/{c}"}, {"text": f"/{c}"})
        for twin in twins for c in starts or sorted(world.router.commands)
        if c not in ("start", "cancel") and allows(world.router.commands[c].access, twin.role)
    ]  # fmt: skip
    for _ in range(DEPTH):
        later: list[Node] = []
        for node in frontier:
            later += await _step(world, walked, node, seen, tried)
        frontier = later
    return walked


async def _step(world: World, walked: Walked, node: Node, seen: Seen, tried: Seen) -> list[Node]:
    twin, own_state, other_state, own_item, other_item = node
    await world.put(twin.own, own_state)
    await world.put(twin.other, other_state)
    world.writes.clear()
    with world.watching():
        mine = await world.send(twin.own, own_item)
    wrote = any("dialogue_state" not in w for w in world.writes)
    theirs = await world.send(twin.other, other_item)
    walked.steps += 1
    own_now, other_now = await world.state(twin.own), await world.state(twin.other)
    if wrote and "payload" in own_item:
        await replay(world, walked, twin, own_item["payload"], mine)
        own_now = await world.state(twin.own)
    shown = payloads(mine)
    walked.shown.update({(twin.who, shape(p)): p for p in shown})
    for payload in shown:
        await tamper(world, walked, twin, own_now, payload)
    walked.seen.update(action(p) for p in shown)
    pairs = [(a, b) for a, b in zip(shown, payloads(theirs), strict=False) if shape(a) == shape(b)]
    for forged, own in pairs:
        key = (twin.who, action(forged), where(other_now))
        if forged != own and key not in tried and forged.count(":") == own.count(":"):
            tried.add(key)
            await forge(world, walked, twin, other_now, forged, ghost_of(forged, own))
    typing = own_now is not None and world.router.step(own_now) is not None
    outcome = (where(own_now), typing, *sorted({shape(a) for a, _ in pairs}))
    if outcome in seen:
        return []
    seen.add(outcome)
    groups: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:  # of buttons alike but for ids, the first and the last
        groups.setdefault(shape(pair[0]), []).append(pair)
    taps = [pair for group in groups.values() for pair in dict.fromkeys(group[:1] + group[-1:])]
    following = [({"payload": a}, {"payload": b}) for a, b in taps]
    if typing:
        following += [({"text": s}, {"text": s}) for s in SAMPLES]
    return [(twin, own_now, other_now, a, b) for a, b in following]


async def replay(world: World, walked: Walked, twin: Twin, payload: str,
                 first: list[Reply]) -> None:  # fmt: skip
    """A tap that changed something, sent again at once (a double tap, a replayed
    update): it must change nothing more, and say why."""
    key = (twin.who, shape(payload))
    if key in walked.replayed:
        return
    before = world.digest()
    again = await world.send(twin.own, {"payload": payload})
    walked.replayed[key] = (words(again), world.digest() != before)
    if walked.replayed[key][1]:
        walked.replay_problems.setdefault(
            action(payload),
            f"{twin.who} {payload}: {words(first)[:80]!r}, then {words(again)[:80]!r}",
        )


async def tamper(world: World, walked: Walked, twin: Twin, state: Dialogue | None,
                 payload: str) -> None:  # fmt: skip
    """A payload shown, with one of its parameters after the ids replaced by nonsense:
    answered (SPEC §7: never silence), with no internal error, and nothing written."""
    feature, name, *params = payload.split(":")
    if (twin.who, f"{feature}:{name}") in walked.tampered:
        return
    walked.tampered.add((twin.who, f"{feature}:{name}"))
    for index in range(len(params)):
        spoilt = ":".join([feature, name, *params[:index], "zz", *params[index + 1 :]])
        await world.put(twin.own, state)
        world.writes.clear()
        with world.watching():
            replies = await twin.own.dispatcher.handle(
                Incoming(CHANNEL, twin.own.user, payload=spoilt))  # fmt: skip
        world.last.pop(twin.own.user, None)
        said = [r for r in replies if isinstance(r, Text) and r.text.strip()]
        written = [w for w in world.writes if "dialogue_state" not in w]
        problem = ("no answer" if not said else "an internal error"
                   if any(r.text in world.failures for r in said)
                   else f"wrote {written[:2]}" if written else "")  # fmt: skip
        if problem:
            walked.tamper_problems.setdefault(f"{feature}:{name}", f"{spoilt}: {problem}")


async def forge(world: World, walked: Walked, twin: Twin, state: Dialogue | None,
                forged: str, ghost: str) -> None:  # fmt: skip
    """The second organization's person, in their own state, taps the forged payload and
    then (from the same state) the ghost one: both must fare alike and write nothing."""
    walked.forged[action(forged)] = walked.forged.get(action(forged), 0) + 1
    outcomes = []
    for payload in (forged, ghost):
        await world.put(twin.other, state)
        world.forget_attempts()
        world.writes.clear()
        with world.watching():
            replies = await world.send(twin.other, {"payload": payload})
        after = await world.state(twin.other)
        written = [w for w in world.writes if "dialogue_state" not in w]
        outcomes.append((words(replies), shape(repr(where(after))), written))
    (said, after, written), (ghost_said, ghost_after, _) = outcomes
    problem = ""
    if written:
        problem = f"wrote {written}"
    elif said != ghost_said:
        problem = f"answered {said[:200]!r}; to an id of nothing: {ghost_said[:200]!r}"
    elif after != ghost_after:
        problem = f"left the dialogue at {after}; an id of nothing at {ghost_after}"
    if problem:
        walked.problems.append(Forgery(twin.who, forged, ghost, where(state), problem))


async def forge_by_hand(world: World, twins: list[Twin], walked: Walked) -> None:
    """Buttons that carry an id but only ever show in a push (a talk's dispute button goes
    to its other party) or in a state the walk does not make (an item flagged by its
    ratings): the first organization's id, tapped in the second, by hand."""
    first = world.orgs[0]

    async def ids(db: Repos) -> dict[str, int]:
        talk = (await db.session.exec(select(Talk).where(Talk.org_id == first))).first()
        item = (await db.ledger.items([first]))[0]
        item.flagged = True
        db.session.add(item)
        assert talk is not None and talk.id is not None and item.id is not None
        return {"talk": talk.id, "item": item.id}

    found = await world.run(ids)
    by_who = {t.who: t for t in twins}
    for who, forged in (("member", f"ex:tx:{found['talk']}"),
                        ("admin", f"lg:reopen:{found['item']}")):  # fmt: skip
        twin = by_who[who]
        await world.put(twin.other, None)
        await forge(world, walked, twin, None, forged, re.sub(r"\d+", GHOST, forged))


async def tap_stale(world: World, twins: list[Twin], walked: Walked) -> None:
    """Every kind of button the walk showed, tapped again by the person it was shown to,
    out of any dialogue, once the world has moved on (drafts sent, items approved,
    surveys ended, sessions cancelled): answered, and never with an internal error."""
    chats = {t.who: t.own for t in twins}
    for (who, _), payload in sorted(walked.shown.items()):
        await world.put(chats[who], None)
        errors = len(world.errors)
        replies = await chats[who].dispatcher.handle(
            Incoming(CHANNEL, chats[who].user, payload=payload))  # fmt: skip
        world.last.pop(chats[who].user, None)
        said = [r for r in replies if isinstance(r, Text) and r.text.strip()]
        files = [r for r in replies if getattr(r, "data", None)]  # an export, a chart
        failed = any(r.text in world.failures for r in said) or len(world.errors) > errors
        if failed or not (said or files):
            walked.stale_problems.append(f"{who} {payload}: {[r.text[:60] for r in said]}")
