"""Who may use what in the chat: every command, button and dialogue step × {stranger,
member, cadre, leader, admin, supervisor}, denied by default (issue 10).

Each entry declares its roles where it is registered (handlers/feature.py: ``access`` has
no default) and the dispatcher checks them centrally, on every path in: a typed command, a
keyword, a menu button, a button payload, a message into a dialogue step. The table below
is the reviewed copy of those declarations: an entry missing from it, or declared other
than it says, fails here, so a new handler gets a second look at who may call it.
Another organization's items are the business of tests/test_chat_forged.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from handlers.feature import ANYONE, Access, Feature
from handlers.registry import FEATURES, build_router
from handlers.state import Dialogue
from storage.models import Role
from storage.repos import Repos
from tests.conftest import Unit
from tests.fuzz_database import dialogue_of, put_dialogue
from tests.transcript import Chat

EVERYONE = "anyone"  # strangers too
# Spelled out, not frozenset(Role): a role added later must be reviewed, not let in.
MEMBERS = frozenset({Role.member, Role.cadre, Role.leader, Role.admin, Role.supervisor})
CADRES = frozenset({Role.cadre, Role.leader, Role.admin})
LEADERS = frozenset({Role.leader, Role.admin})
ADMINS = frozenset({Role.admin})
READERS = frozenset({Role.leader, Role.admin, Role.supervisor})  # bulletins, the console
AUDITORS = frozenset({Role.admin, Role.supervisor})  # survey results

# feature → who → its entries: /command, button action, >dialogue step.
MATRIX: dict[str, dict[Any, str]] = {
    "join": {EVERYONE: "/start >name"},
    "op": {
        MEMBERS: "/opinion /anon /my /receipt m t tl td c done more mv ma ra send"
        " >text >mine_answer >code >answer",
        LEADERS: "ib v att st pl rp cl >reply >close",
        ADMINS: "as ast ct ctt mg mgn mgp >problem_title",
    },
    "dl": {
        MEMBERS: "/deadlines /reflect sub done >write",
        ADMINS: "/duedates new kind aud view xls drop >title >due",
    },
    "study": {
        MEMBERS: "/checkin /log /study go lv ci >leave >code",
        ADMINS: "/sessions code at xl s new au mk et ep rd cx cxy"
        " >new_title >new_span >new_place >edit_span >edit_place >readings",
    },
    "lg": {
        READERS: "/bulletin bv",
        ADMINS: "/items pub new fp fpp pick reopen sub ms >create >child >milestone",
        MEMBERS: "/ledger r rc >comment",
        CADRES: "/tasks /progress ev evd rv evv p w >evidence >write",
        LEADERS: "ok ret iv >return_reason",
    },
    "sv": {
        AUDITORS: "/surveys v",
        MEMBERS: "/survey go a md sk send >answer",
        ADMINS: "new tpl aud end early xls >closes",
    },
    "ex": {
        LEADERS: "/reports /meeting grid remind rv ok ret >ret_note",
        MEMBERS: "/talk tc tx tw to td tp ts >who >day >topics >summary",
        ADMINS: "mnew mdt mskip mp mok mdue mmin mmd mprob mcat msv msa"
        " >m_title >m_when >m_place >m_people >m_due >m_minutes >m_problem >m_category",
    },
    "office": {LEADERS: "/admin"},
    "console": {READERS: "/console"},
    "bc": {ADMINS: "/broadcast ls pg x xx au now rp ok no >text >when >until"},
    "channel": {MEMBERS: "/channel set"},
    "core": {EVERYONE: "/help /cancel /lang lang edited"},
}
PEOPLE: tuple[str | None, ...] = (None, *(r.value for r in Role))  # None: a stranger
ROUTER = build_router()


def reviewed() -> dict[tuple[str, str], Any]:
    """(feature, entry) → who the table says may use it."""
    rows: dict[tuple[str, str], Any] = {}
    for feature, groups in MATRIX.items():
        for who, entries in groups.items():
            for entry in entries.split():
                assert (feature, entry) not in rows, f"{feature} {entry} listed twice"
                rows[(feature, entry)] = who
    return rows


def declared(features: tuple[Feature, ...] = FEATURES) -> dict[tuple[str, str], Access]:
    found: dict[tuple[str, str], Access] = {}
    for feature in features:
        found |= {(feature.name, f"/{c.name}"): c.access for c in feature.commands}
        found |= {(feature.name, name): b.access for name, b in feature.buttons.items()}
        found |= {(feature.name, f">{name}"): s.access for name, s in feature.steps.items()}
    return found


def may(who: Any, role: str | None) -> bool:
    return who == EVERYONE or (role is not None and role in who)


def test_every_entry_is_in_the_reviewed_table() -> None:
    have, table = declared(), reviewed()
    unreviewed = sorted(have.keys() - table.keys())
    assert not unreviewed, f"entries nobody reviewed (add them to MATRIX): {unreviewed}"
    gone = sorted(table.keys() - have.keys())
    assert not gone, f"MATRIX rows for entries that do not exist: {gone}"


def test_every_entry_declares_exactly_the_reviewed_roles() -> None:
    wrong = []
    table = reviewed()
    for key, access in declared().items():
        if key not in table:
            continue  # the test above names it
        want = table[key]
        if access == ANYONE:
            ok = want == EVERYONE
        else:
            ok = isinstance(access, frozenset) and bool(access) and access == want
            ok = ok and all(isinstance(r, Role) for r in access)
        if not ok:
            wrong.append(f"{key}: declared {access!r}, reviewed {want!r}")
    assert not wrong, "\n".join(wrong)


def test_an_entry_cannot_be_registered_without_its_roles() -> None:
    feature = Feature("probe")

    async def handler(_ctx: Any) -> None:
        return None

    for register in (feature.command, feature.button, feature.step):
        with pytest.raises(TypeError, match="access"):
            register("x")(handler)  # type: ignore[call-arg]
    assert not feature.commands and not feature.buttons and not feature.steps


# The roles in action: every entry, every person, through the real dispatcher.


class Writes:
    """Statements that would change the database, while a message is handled."""

    def __init__(self, unit: Unit) -> None:
        self.seen: list[str] = []
        self.engine = unit.db.engine.sync_engine

    def __enter__(self) -> Writes:
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)

    def _note(self, _c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.seen.append(statement[:60])


def inputs(key: tuple[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every way to reach this entry: (how, what to send)."""
    feature, entry = key
    if entry.startswith("/"):
        command = ROUTER.commands[entry[1:]]
        yield "typed", {"text": f"{entry} 1"}
        for keyword in command.keywords:
            yield f"keyword {keyword}", {"text": f"{keyword} 1"}
        yield "menu", {"payload": f"cmd:{command.name}"}
    elif entry.startswith(">"):
        yield "step", {"text": "1"}
    else:
        yield "button", {"payload": f"{feature}:{entry}:1:1"}


async def test_each_role_is_let_in_exactly_where_declared(unit: Unit) -> None:
    catalog = unit.services.catalog
    refusals = {catalog.text(lang, key) for lang in ("zh", "en")
                for key in ("access.denied", "access.join_first")}  # fmt: skip
    people: dict[str | None, Chat] = {None: unit.chat("stranger", name="路人")}
    for role in PEOPLE[1:]:
        people[role] = await unit.joined(role or "", user=f"as-{role}", name=f"{role}者")
    wrong: list[str] = []
    table = reviewed()
    moved = set(people)  # whose dialogue a handler may have moved since it was last put
    with Writes(unit) as writes:
        for key, who in sorted(table.items()):
            for role, chat in people.items():
                for how, item in inputs(key):
                    step = key[1].startswith(">")
                    feature = next(f for f in FEATURES if f.name == key[0])
                    state = Dialogue(key[0], key[1][1:], {}) if step else None
                    if state is not None:
                        state.anonymous = feature.steps[key[1][1:]].anonymous
                    if step or role in moved:
                        await put_dialogue(unit, "test", chat.user, state)  # type: ignore[arg-type]
                    moved.discard(role)
                    writes.seen.clear()
                    if "payload" in item:
                        said = await chat.press(item["payload"])
                    else:
                        said = await chat.say(item["text"])
                    refused = said in refusals
                    if step or not refused:
                        moved.add(role)
                    where = f"{role or 'stranger':10} {key[0]} {key[1]} ({how})"
                    if may(who, role) == refused:
                        wrong.append(f"{where}: {'refused' if refused else 'let in'}: {said[:60]}")
                    elif refused and writes.seen:
                        wrong.append(f"{where}: refused, yet wrote {writes.seen}")
                    elif refused and step:
                        now = await dialogue_of(unit, "test", chat.user)  # type: ignore[arg-type]
                        if now is None or (now.feature, now.step) != (state.feature, state.step):  # type: ignore[union-attr]
                            wrong.append(f"{where}: refused, yet the dialogue moved: {now}")
    assert not wrong, "\n".join(wrong)


async def _set(unit: Unit, user: str, **change: object) -> None:
    """What the console does to a member: a new role, or deactivated."""

    async def apply(session: Any) -> None:
        repos = Repos(session)
        _, member, _ = await repos.members.who("test", user)
        assert member is not None
        for name, value in change.items():
            setattr(member, name, value)
        session.add(member)

    await unit.db.run(apply)


async def test_a_role_taken_away_mid_dialogue_takes_its_buttons_and_steps(unit: Unit) -> None:
    """Buttons and dialogue steps are checked on every message, not when shown: an admin
    made a member halfway through composing a broadcast can neither go on nor confirm."""
    admin = await unit.joined("admin", user="demoted", name="周敏")
    assert "广播" in await admin.say("/broadcast")
    shown = [b.payload for b in admin.buttons() if b.payload]
    await _set(unit, "demoted", role=Role.member)
    denied = unit.services.catalog.text("zh", "access.denied")
    assert await admin.say("下午三点开会") == denied  # the dialogue's next step
    for payload in [*shown, "bc:ok", "bc:now", "cmd:broadcast"]:
        assert await admin.press(payload) == denied, payload
    assert "取消" in await admin.say("/cancel")  # the way out still works
    await _set(unit, "demoted", role=Role.admin)
    assert "广播" in await admin.say("/broadcast")


async def test_a_deactivated_member_is_a_stranger_again(unit: Unit) -> None:
    member = await unit.joined("member", user="gone", name="离职者")
    assert "实名还是匿名" in await member.say("/opinion")
    await _set(unit, "gone", active=False)
    join_first = unit.services.catalog.text("zh", "access.join_first")
    assert await member.tap("实名提意见") == join_first
    assert await member.say("/my") == join_first
    assert "邀请码" in await member.say("/help")
