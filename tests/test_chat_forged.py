"""Forged, spoilt and replayed button payloads (issue 10), on a walk through two
organizations built alike (tests/twin_world.py):

- another organization's button, tapped in this one's chat, fares exactly as an id that
  names nothing: the same answer, the same dialogue state, nothing written;
- a button with one parameter spoilt is answered, with no internal error, writing nothing;
- a button that changed something, tapped again at once, changes nothing more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from handlers.registry import build_router
from tests.fault_figures import write_section
from tests.twin_world import (
    Walked,
    World,
    build,
    forge_by_hand,
    hold_meetings,
    tap_stale,
    walk,
)

# Buttons whose payloads name nothing of an organization (so there is nothing to forge),
# and where they show, if the walk does not see them.
NO_IDS = {
    "bc:ls": "the office's broadcast list, from a broadcast's summary push",
    "channel:set": "a channel's name, for a member bound on several channels",
    "core:edited": "what a channel reports for an edited message",
    "lg:evd": "'that is all the evidence', in the evidence dialogue",
    "op:ra": "'answer back', after /receipt CODE (the code is the key)",
    "sv:md": "'done choosing', a question's index, in the survey dialogue",
    "sv:send": "'hand in', in the survey dialogue",
    "sv:sk": "'skip', a question's index, in the survey dialogue",
}
# A spoilt parameter that is rightly let pass.
SPOILT_IS_FINE = {
    "op:send": "the named/anonymous hint: the member's own draft is what is submitted",
}
# Known defects, each proposed for a fix (issue 10's report); fixing one fails this test
# until its line is removed, so the list cannot go stale.
KNOWN_SPOILT = {
    "lg:p": "a percent that is not a number gets no answer",
    "lg:r": "a rating that is not one of the three gets no answer",
    "op:ctt": "a category that is not one of ours gets no answer",
}
KNOWN_REPLAYED = {
    "dl:drop": "cancelling a cancelled deadline says so again, and audits again",
    "lg:p": "the same percent again is a second progress report",
    "lg:pub": "publishing a published bulletin audits again",
    "op:ast": "assigning to the same leader pushes them a second notice",
    "op:ctt": "the same category again audits again",
    "op:mgp": "merging into the same problem again tells the author again",
    "sv:early": "opening results already open audits again",
    "sv:end": "ending an ended survey audits again",
}
_walked: tuple[Walked, World] | None = None


async def walked(directory: Path) -> Walked:
    """The walk, once per session: the tests below read what it found."""
    global _walked
    if _walked is None:
        world, twins = await build(directory)
        try:
            found = await walk(world, twins, Walked())
            await hold_meetings(world)
            leaders = [t for t in twins if t.role in ("leader", "admin")]
            await walk(world, leaders, found, ("meeting", "reports"))
            await forge_by_hand(world, twins, found)
            await tap_stale(world, twins, found)
            _walked = found, world
        finally:
            await world.db.dispose()
    return _walked[0]


async def test_another_organizations_buttons_are_refused(tmp_path: Path) -> None:
    found = await walked(tmp_path)
    print(f"{found.steps} steps; {sum(found.forged.values())} forged payloads of "
          f"{len(found.forged)} kinds of button; {len(found.seen)} kinds shown")  # fmt: skip
    lines = [f"{p.who} at {p.state} tapped {p.payload}: {p.problem}" for p in found.problems]
    assert not lines, "\n".join(lines)
    assert _walked is not None and not _walked[1].errors, _walked[1].errors
    assert len(found.forged) >= 60, "the walk reaches far fewer buttons than it did"


async def test_every_button_is_forged_or_names_nothing(tmp_path: Path) -> None:
    """A new button is shown on the walk (and forged there if it carries ids), forged by
    hand (tests/twin_world.py forge_by_hand), or listed above with where it shows."""
    found = await walked(tmp_path)
    buttons = {f"{feature}:{action}" for feature, action in build_router().buttons}
    missing = buttons - found.seen - found.forged.keys() - NO_IDS.keys()
    assert not missing, f"buttons neither shown on the walk nor listed: {sorted(missing)}"
    assert NO_IDS.keys() <= buttons, "NO_IDS lists buttons that no longer exist"
    carrying = found.forged.keys() & NO_IDS.keys()
    assert not carrying, f"listed as naming nothing, yet seen carrying ids: {carrying}"


async def test_a_spoilt_payload_is_answered_and_changes_nothing(tmp_path: Path) -> None:
    found = await walked(tmp_path)
    problems = {k: v for k, v in found.tamper_problems.items() if k not in SPOILT_IS_FINE}
    new = {k: v for k, v in problems.items() if k not in KNOWN_SPOILT}
    assert not new, "\n".join(new.values())
    fixed = KNOWN_SPOILT.keys() - problems.keys()
    assert not fixed, f"fixed (remove from KNOWN_SPOILT): {sorted(fixed)}"


async def test_a_replayed_tap_changes_nothing_more(tmp_path: Path) -> None:
    found = await walked(tmp_path)
    print(f"{len(found.replayed)} taps that changed something, replayed")
    new = {k: v for k, v in found.replay_problems.items() if k not in KNOWN_REPLAYED}
    assert not new, "\n".join(new.values())
    fixed = KNOWN_REPLAYED.keys() - found.replay_problems.keys()
    assert not fixed, f"fixed (remove from KNOWN_REPLAYED): {sorted(fixed)}"


async def test_a_stale_button_is_answered(tmp_path: Path) -> None:
    """Every kind of button shown on the walk, tapped again after it: an answer (a refusal
    saying why, for most), never silence or an internal error."""
    found = await walked(tmp_path)
    print(f"{len(found.shown)} buttons tapped again after the walk")
    assert not found.stale_problems, "\n".join(found.stale_problems)


async def test_the_figures(tmp_path: Path) -> None:
    """What the access tests tried, for RELIABILITY.md (written under `make reliability`)."""
    from tests.test_chat_access import PEOPLE, inputs, reviewed

    found = await walked(tmp_path)
    table = reviewed()
    tries = sum(len(list(inputs(key))) for key in table) * len(PEOPLE)
    rows = [
        ("commands, buttons and dialogue steps, each with its declared roles", len(table)),
        ("× 6 people (a stranger and each role), by every way in: messages sent", tries),
        ("walk through two organizations alike: steps (each sent in both)", found.steps),
        ("another organization's buttons tapped (forged payloads)", sum(found.forged.values())),
        ("… kinds of button forged", len(found.forged)),
        ("… fared otherwise than an id of nothing (shown, written, moved)", len(found.problems)),
        ("buttons with one parameter spoilt (person × kind of button)", len(found.tampered)),
        ("… not answered, or writing (known: " + ", ".join(KNOWN_SPOILT) + ")",
         len(set(found.tamper_problems) - SPOILT_IS_FINE.keys())),
        ("taps that changed something, replayed at once", len(found.replayed)),
        ("… that changed something again (known: " + ", ".join(KNOWN_REPLAYED) + ")",
         len(found.replay_problems)),
        ("kinds of button tapped again after the walk (stale)", len(found.shown)),
        ("… unanswered or an internal error", len(found.stale_problems)),
    ]  # fmt: skip
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    body = (f"Measured {when}: every figure is from one run of `make test`'s size.\n\n"
            "| tried | count |\n| --- | ---: |\n"
            + "\n".join(f"| {k} | {v:,} |" for k, v in rows))  # fmt: skip
    print("\n" + body)
    write_section("access", body)  # under `make reliability` only
