"""Bad input through the core (SPEC §7, issue 10): Hypothesis feeds the dispatcher arbitrary
text, button payloads and attachments, as strangers and as members of every role, and in the
middle of every dialogue step the router knows. Every input is answered in the person's
language, no catalog key or {placeholder} leaks, counts change only by a join, and nothing
reaches the database that PostgreSQL would refuse (NUL, lone surrogates, over-long strings).

Commands, keywords, buttons and steps come from build_router(), so this grows with the
features. ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``) runs twenty times the examples on
fresh seeds; the default is derandomized. Examples share one database: each uses new people.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from handlers import core
from handlers.messages import Attachment, Text
from storage.invites import ALPHABET
from tests.fuzz_explore import CODES, Snapshot, World, open_world
from tests.fuzz_harness import (
    ROLES,
    ROUTER,
    Known,
    Person,
    describe,
    language_after,
    storable,
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "massline")
_quiet = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
_phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]  # "explain" takes minutes
settings.register_profile("massline", derandomize=True, database=None, deadline=None,
                          suppress_health_check=_quiet, phases=_phases)  # fmt: skip
settings.register_profile("fuzz", deadline=None, suppress_health_check=_quiet, phases=_phases,
                          database=DirectoryBasedExampleDatabase(".pytest_cache/hypothesis"),
                          print_blob=True)  # fmt: skip


def budget(examples: int) -> settings:
    """A few hundred examples in ``make test``; twenty times as many under ``make fuzz``."""
    scale = 20 if PROFILE == "fuzz" else 1
    return settings(settings.get_profile(PROFILE), max_examples=examples * scale)


NASTY = (
    "\x00", "\ud800", "\udfff", "\ud83d", "\u202e", "\u200f", "\u2066", "\u200b", "\u200d",
    "\ufeff", "\u3000", "\r\n", "\t", "\x1b[31m", "\x7f", "👨\u200d👩\u200d👧\u200d👦",
    "🏳️\u200d🌈", "👍🏽", "e\u0301", "مرحبا", "שלום", "Ａ１", "' OR 1=1 --",
    "'); DROP TABLE member; --", '" ; DELETE FROM invite', "%s%n", "{name}", "{0}", "{", "}}",
    "<script>alert(1)</script>", "<b>", "&amp;", "]]>", "\\", "null", "../../etc/passwd",
    "*_`[", "@all", "张三", "提意见", "7K3F9-QXD2M", "²", "9" * 25,
)  # fmt: skip
KEYWORDS = sorted({k for c in ROUTER.commands.values() for k in c.keywords})
COMMANDS = sorted(ROUTER.commands)

any_char = st.characters(exclude_categories=())  # controls, format chars and lone surrogates
fragments = st.one_of(st.sampled_from(NASTY), st.text(any_char, max_size=12),
                      st.sampled_from(KEYWORDS))  # fmt: skip
words = st.lists(fragments, max_size=6).map("".join)


def _variant(code: str, how: int) -> str:
    return [code, code.lower(), f"{code[:5]}-{code[5:]}", f" {code[:5]} {code[5:]} ",
            code.replace("0", "O").replace("1", "l"), code[:-1], code + "X"][how]  # fmt: skip


codes = st.builds(
    _variant,
    st.one_of(st.sampled_from([*CODES.values(), "7K3F9QXD2M", "0000000000"]),
              st.text(st.sampled_from(ALPHABET), min_size=9, max_size=11)),
    st.integers(0, 6),
)  # fmt: skip
heads = st.one_of(
    st.sampled_from([f"/{c}" for c in COMMANDS] + [f"/{c}@massline_test_bot" for c in COMMANDS]),
    st.sampled_from(KEYWORDS).map(lambda k: k.upper() if k.isascii() else k),
    st.text(any_char, max_size=8).map(lambda s: "/" + s),
)
commandish = st.builds(
    lambda h, sep, a: h + sep + a,
    heads,
    st.sampled_from(["", " ", "\n", "  ", "\u3000", "\u200b "]),
    st.one_of(st.just(""), codes, words, st.sampled_from(["en", "zh", "EN", "中文", "1", "-5"])),
)
huge = st.builds(
    lambda head, chunk, n: head + (chunk * n)[:n],
    st.sampled_from(["", "/", "/start ", "/lang ", "加入 "]),
    st.one_of(st.sampled_from(NASTY), st.text(any_char, min_size=1, max_size=8)),
    st.sampled_from([4095, 4096, 4097, 5000, 100_000]),
)
texts = st.one_of(words, commandish, codes, huge)
params = st.one_of(st.text(any_char, max_size=10), st.integers(-1, 40).map(str),
                   st.sampled_from(["zh", "en", "a", "n", "1" * 30, "²", "١٢", ""]))  # fmt: skip
payloads = st.one_of(
    st.text(any_char, max_size=80),
    st.builds(lambda fa, ps: ":".join([*fa, *ps]), st.sampled_from(sorted(ROUTER.buttons)),
              st.lists(params, max_size=3)),
    st.sampled_from([f"cmd:{c}" for c in COMMANDS]),
    st.text(any_char, max_size=20).map(lambda s: "cmd:" + s),
)  # fmt: skip
attachments = st.lists(
    st.builds(Attachment,
              kind=st.sampled_from(["photo", "file", "voice", "video", "sticker", "location",
                                    "other"]),
              ref=st.text(any_char, max_size=20), name=st.none() | st.text(any_char, max_size=20),
              mime=st.none() | st.text(max_size=20), size=st.none() | st.integers(-1, 2**40)),
    min_size=1, max_size=3,
).map(tuple)  # fmt: skip
inputs = st.one_of(
    texts.map(lambda t: {"text": t}),
    st.builds(lambda t, r: {"text": t, "ref": r}, texts, st.text(any_char, max_size=12)),
    payloads.map(lambda p: {"payload": p}),
    st.builds(lambda a, t: {"text": t, "attachments": a}, attachments, st.none() | texts),
)
languages = st.sampled_from(["zh", "zh-hint", "en-hint", "en-command"])
stranger_names = st.one_of(st.sampled_from(["张三", "Alice", "محمد", None]),
                           st.text(any_char, max_size=40))  # fmt: skip
_people = itertools.count()


# Known bugs, each pinned by a strict xfail test below: until fixed, the properties and the
# walk let pass what they spoil (here: unstorable text sent to these tables).
STORES_RAW_TEXT = "handlers/opinions store typed text with NUL or lone surrogates"
OPINION_TABLES = frozenset({"opinion_message", "anon_post", "problem", "opinion"})
TRUSTS_ISDIGIT = "`int(raw) if raw.isdigit()`: '²' is a digit int() refuses, 10**30 overflows"


def forged_number(item: dict[str, Any]) -> bool:
    words = re.split(r"[\s:]+", str(item.get("payload") or item.get("text") or ""))
    return any(w.isdigit() and (not w.isascii() or len(w) > 18) for w in words)


FLOW_RUNS_OUT = "handlers/ledger/create.py:99 text typed at the visibility choice: IndexError"
KNOWN: tuple[Known, ...] = ()  # none at the moment; the tests below pin the ones fixed


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """One explored SQLite database and one dispatcher for all of a test's examples."""
    found = await open_world(tmp_path, KNOWN)
    with found.harness.catching_errors("handlers", "storage", "config"):
        yield found
    await found.harness.unit.db.dispose()


@budget(150)
@given(role=st.sampled_from([None, *ROLES]), lang=languages, name=stranger_names,
       items=st.lists(inputs, min_size=1, max_size=3))  # fmt: skip
async def test_every_input_is_answered(
    world: World, role: str | None, lang: str, name: str | None, items: list[dict]
) -> None:
    """Newcomers of every role, and strangers with any display name, send anything."""
    harness = world.harness
    person = await harness.person(f"f{next(_people)}", role, lang, name if role is None else "张三")
    for item in items:
        event(describe(item))
        await harness.check(person, item)


@budget(120)
@given(data=st.data(), lang=st.sampled_from(["zh", "en"]),
       items=st.lists(inputs, min_size=1, max_size=2))  # fmt: skip
async def test_every_dialogue_state_survives_any_input(
    world: World, data: st.DataObject, lang: str, items: list[dict]
) -> None:
    """Put someone back into a dialogue state the walk reached, then send anything."""
    harness = world.harness
    step = data.draw(st.sampled_from(sorted(world.snapshots)), label="state")
    snap: Snapshot = data.draw(st.sampled_from(world.snapshots[step]), label="whose")
    if snap.key is None:
        person = Person(f"d{next(_people)}", None, snap.name)
    else:
        person = world.veterans[snap.role or ""]
    await harness.check(person, {"text": f"/lang {lang}"})
    await harness.restore(person, snap.dialogue)
    now = await harness.state(person)
    assert now is not None and (now.feature, now.step) == snap.step
    event(f"in {snap.step}")
    for item in items:
        event(describe(item))
        await harness.check(person, item)


# Steps the walk may not reach yet, and why (it reaches the rest; new steps must be reached).
UNREACHED = {  # each needs what the office did in the walk's last round; a third costs +50%
    ("lg", "return_reason"): "needs an item its cadre has asked to have reviewed",
    ("lg", "comment"): "needs a finished, public item in the rectify stage",
    ("study", "leave"): "needs a study session the office has published to this member",
    ("sv", "answer"): "needs a survey the office has opened",
    ("ex", "m_category"): "needs a democratic life meeting the office has scheduled",
    ("ex", "m_due"): "needs a democratic life meeting being scheduled",
    ("ex", "m_minutes"): "needs a democratic life meeting that has been held",
    ("ex", "m_problem"): "needs a democratic life meeting that has been held",
    ("ex", "ret_note"): "needs a self-examination report handed in to the main leader",
}


async def test_fuzzing_reaches_every_dialogue_step(world: World) -> None:
    """A step no command, button, sample text or told code leads to is never fuzzed."""
    missing = set(ROUTER.steps) - set(world.snapshots) - UNREACHED.keys()
    assert not missing, f"tests/fuzz_explore.py reaches no {sorted(missing)}"


async def test_the_walk_breaks_nothing(world: World) -> None:
    """Every command, every button shown, a sample typed into every step: all answered."""
    assert not world.failures, "\n".join(world.failures)


def test_language_oracle_knows_the_language_command() -> None:
    assert language_after({"text": "/lang en"}, "zh") == "en"
    assert language_after({"text": "语言 中文"}, "en") == "zh"
    assert language_after({"payload": "core:lang:en"}, "zh") == "en"
    assert language_after({"text": "/lang klingon"}, "zh") == "zh"
    assert core.LANGUAGE_NAMES.keys() == {"zh", "en"}  # what the oracle knows


@pytest.mark.parametrize("text", ["/x\ud800", "/lang \udfff", "/help\ud83d"])
async def test_replies_can_always_be_encoded(world: World, text: str) -> None:
    """No channel can send a reply that is not UTF-8 (WeChat's XML, a strict web page)."""
    member = world.veterans["member"]
    replies = await world.harness.dispatcher.handle(member.incoming({"text": text}))
    assert all(storable(r.text.replace("\x00", "")) for r in replies if isinstance(r, Text))


UNSTORABLE = ["a\x00b", "a\ud800b"]  # PostgreSQL refuses both; SQLite the surrogate


@pytest.mark.parametrize("mode", ["n", "a"])  # named, anonymous
@pytest.mark.parametrize("bad", UNSTORABLE)
async def test_opinion_text_is_stored_cleanly_or_refused(world: World, mode: str, bad: str) -> None:
    harness, member = world.harness, world.veterans["member"]
    harness.known = []
    taps = (f"op:m:{mode}", f"op:t:team:{mode}", f"op:c:other:{mode}")
    for item in ({"text": "/opinion"}, *({"payload": p} for p in taps), {"text": bad},
                 {"payload": f"op:done:{mode}"}, {"payload": f"op:send:{mode}"}):  # fmt: skip
        await harness.send(member, item)


@pytest.mark.parametrize("step", [("op", "answer"), ("op", "problem_title")])
@pytest.mark.parametrize("bad", UNSTORABLE)
async def test_typed_text_is_stored_cleanly_or_refused(
    world: World, step: tuple[str, str], bad: str
) -> None:
    harness = world.harness
    harness.known = []
    snap = world.snapshots[step][0]
    person = world.veterans[snap.role or ""]
    await harness.restore(person, snap.dialogue)
    await harness.send(person, {"text": bad})


@pytest.mark.parametrize("number", ["9" * 30, "²"])
async def test_forged_ids_in_buttons_are_refused(world: World, number: str) -> None:
    """Every button we have, tapped by the office with an id no row can have."""
    harness, admin = world.harness, world.veterans["admin"]
    harness.known = []
    for feature, action in sorted(ROUTER.buttons):
        await harness.send(admin, {"payload": f"{feature}:{action}:{number}"})


async def test_typing_where_a_ledger_item_wants_a_button(world: World) -> None:
    harness, admin = world.harness, world.veterans["admin"]
    harness.known = []
    creating = world.snapshots[("lg", "create")][0].dialogue  # shared: change a copy
    await harness.restore(admin, replace(creating, data={**creating.data, "field": "visibility"}))
    await harness.send(admin, {"text": "公开"})
