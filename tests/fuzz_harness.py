"""What the fuzz tests check after every input (SPEC §7), shared by tests/test_fuzz_*.py.

``Harness.check`` sends one input through the dispatcher and asserts: at least one text
answer, none empty, none an internal error, in the person's language, with no catalog key
or {placeholder} left in it and only buttons the router answers; member counts change only
by a successful join; no error logged; and nothing handed to the database that PostgreSQL
would refuse (NUL, lone surrogates, strings longer than their column).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import currently_in_test_context, event

from handlers import core
from handlers.messages import Incoming, Reply, Text
from handlers.registry import build_router
from handlers.router import MENU_PREFIX, Router
from handlers.state import Dialogue
from tests.conftest import Unit
from tests.fuzz_database import (
    dialogue_of,
    overlong_query,
    put_dialogue,
    storable,
    stored_texts,
    survey,
    unstorable_tables,
)

CHANNEL = "fuzz"
ROLES = ("member", "cadre", "leader", "admin", "supervisor")
ERROR_KEYS = ("error.internal", "error.busy")
ACCESS_KEYS = ("access.denied", "access.join_first")
LANGUAGE_ALIASES = {"中文": "zh", "chinese": "zh", "english": "en", "英文": "en"}  # as core
HINTS = {"zh": None, "zh-hint": "zh-CN", "en-hint": "en-US", "en-command": None}
PLACEHOLDER = re.compile(r"\{\w*\}")
ROUTER = build_router()


def is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


def language_after(item: dict[str, Any], lang: str, router: Router = ROUTER) -> str:
    """The interface language after this input: only the language command changes it."""
    if item.get("payload"):
        action, params = router.button(item["payload"])
        ok = action is not None and action.handler is core.language_button and params
        return params[0] if ok and params[0] in core.LANGUAGE_NAMES else lang
    said = (item.get("text") or "").strip()
    if not said or len(said) > 4096:
        return lang
    parsed = router.parse(said)
    if parsed.command is None or parsed.command.handler is not core.language:
        return lang
    choice = parsed.args.strip().lower()
    code = LANGUAGE_ALIASES.get(choice, choice)
    return code if code in core.LANGUAGE_NAMES else lang


def describe(item: dict[str, Any], router: Router = ROUTER) -> str:
    """What kind of input this is, for ``pytest --hypothesis-show-statistics``."""
    if item.get("payload"):
        payload = item["payload"]
        ours = router.button(payload)[0] or payload.removeprefix(MENU_PREFIX) in router.commands
        return "tap on a button we have" if ours else "tap on a forged button"
    said = item.get("text") or ""
    marks = [mark for mark, hit in (
        ("an attachment", bool(item.get("attachments"))), ("over 4096", len(said) > 4096),
        ("NUL", "\x00" in said), ("lone surrogate", not storable(said.replace("\x00", ""))),
        ("a command", router.parse(said).command is not None),
    ) if hit]  # fmt: skip
    return "text: " + (", ".join(marks) or "plain")


class WrongLanguage(AssertionError):
    pass


@dataclass
class Person:
    key: str
    role: str | None
    name: str | None
    hint: str | None = None
    lang: str = "zh"

    def incoming(self, item: dict[str, Any]) -> Incoming:
        return Incoming(CHANNEL, self.key, display_name=self.name, language_hint=self.hint, **item)


@dataclass(frozen=True)
class Known:
    """A bug pinned by a strict xfail test: until it is fixed, what it spoils is let pass."""

    name: str
    tables: frozenset[str] = frozenset()  # unstorable text sent to these tables only
    when: Callable[[dict[str, Any]], bool] | None = None  # or any trouble after such input
    raised: tuple[str, str] | None = None  # or (exception, file) in a logged traceback

    def matches(self, item: dict[str, Any], unstorable: list[str], logged: list[Any]) -> bool:
        if unstorable and set(unstorable) <= self.tables:
            return True
        if self.raised is not None and any(_raised(r.exc_info, *self.raised) for r in logged):
            return True
        return self.when is not None and self.when(item)


def _raised(info: Any, exception: str, file: str) -> bool:
    if not info or type(info[1]).__name__ != exception:
        return False
    return any(frame.filename.endswith(file) for frame in traceback.extract_tb(info[2]))


class Harness:
    def __init__(self, unit: Unit, router: Router = ROUTER) -> None:
        self.unit, self.router, self.dispatcher = unit, router, unit.dispatcher
        catalog = unit.services.catalog
        self.keys = sorted(catalog.keys("zh"))
        self.errors_said = {catalog.text(x, key) for key in ERROR_KEYS for x in ("zh", "en")}
        self.refusals = {catalog.text(x, k) for k in ACCESS_KEYS for x in ("zh", "en")}
        self.welcome = tuple(catalog.raw(x, "join.welcome").split("{")[0] for x in ("zh", "en"))
        self.said: set[str] = {"测试规划局"}  # what people typed, their names, the org's
        self.heard: set[str] = set("测试规划局")  # and every character of it
        self.unstorable: list[str] = []  # tables that were sent text they cannot store
        self.known: list[Known] = []  # bugs let pass until fixed
        self.errors: list[logging.LogRecord] = []
        self._overlong: Any = None  # the query, once the tables are known
        self._counted: list[int] | None = None  # after the last input: nobody else writes

    # Watching the database and the logs

    def watch_parameters(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                         _context: Any, executemany: bool) -> None:  # fmt: skip
        """An engine hook: note each table sent a string that it cannot store."""
        self.unstorable += unstorable_tables(statement, parameters, executemany)

    @contextmanager
    def catching_errors(self, *names: str) -> Iterator[None]:
        handler = _Collect(self.errors)
        for name in names:
            logging.getLogger(name).addHandler(handler)
        try:
            yield
        finally:
            for name in names:
                logging.getLogger(name).removeHandler(handler)

    # People and what they send

    async def person(self, key: str, role: str | None, lang: str, name: str | None) -> Person:
        person = Person(key, role, name, HINTS[lang], "en" if lang.startswith("en") else "zh")
        if lang == "en-command":
            await self.check(person, {"text": "/lang en"})
        if role is not None:
            replies = await self.check(person, {"text": f"/start {self.unit.codes[role]}"})
            assert _texts(replies)[0].startswith(self.welcome), replies
        return person

    async def send(self, person: Person, item: dict[str, Any]) -> list[Reply]:
        """One input, and every check on its replies; see ``check`` for the database."""
        self._counted = None
        self.unstorable.clear()
        self.errors.clear()
        for said in (*item.values(), person.name):
            if said:  # anything anyone said may be quoted back later, to anyone
                self.said.add(str(said))
                self.heard.update(str(said))
        replies = await self.dispatcher.handle(person.incoming(item))
        person.lang = language_after(item, person.lang, self.router)
        troubled = self.unstorable or self.errors or set(_texts(replies)) & self.errors_said
        known = [
            k.name for k in self.known if troubled and k.matches(item, self.unstorable, self.errors)
        ]
        if known:  # a strict xfail test pins it; the answer may well be an internal error
            if currently_in_test_context():
                event(f"known bug: {known[0]}")
            return replies
        shown = [r for r in replies if isinstance(r, Text) or getattr(r, "data", None)]
        assert shown, f"no answer to {_short(item)} (SPEC §7: never silence)"
        try:
            for reply in replies:
                self._check_reply(reply, person.lang)
        except WrongLanguage:  # unless it quotes what the database holds: a survey question
            self.said |= await stored_texts(self.unit.db)
            self.heard.update(*self.said)
            for reply in replies:
                self._check_reply(reply, person.lang)
        assert not self.unstorable, f"unstorable text sent to the database: {self.unstorable}"
        assert not self.errors, [r.getMessage() for r in self.errors]
        return replies

    async def check(self, person: Person, item: dict[str, Any]) -> list[Reply]:
        """``send``, and that nothing was half-written: counts change only by a join."""
        before = self._counted or (await self._survey())[0]
        replies = await self.send(person, item)
        joined = any(t.startswith(self.welcome) for t in _texts(replies))
        self._counted, over = await self._survey()
        change = [now - was for now, was in zip(self._counted, before, strict=True)]
        assert change == ([1, 1, 1] if joined else [0, 0, 0]), (_short(item), change)
        assert not over, f"strings longer than PostgreSQL takes, in {over}"
        return replies

    def _quoted(self, part: str) -> bool:
        return any(part in said for said in self.said)

    def _check_reply(self, reply: Reply, lang: str) -> None:
        if not isinstance(reply, Text):
            assert getattr(reply, "data", b"x") and getattr(reply, "refs", ("x",)), reply
            return
        words = reply.text
        assert words.strip(), "an empty reply"
        assert words not in self.errors_said, f"an internal error: {words}"
        leaked = [k for k in self.keys if k in words and not self._quoted(k)]
        assert not leaked, f"catalog keys in a reply: {leaked}: {words}"
        holes = [h for h in PLACEHOLDER.findall(words) if not self._quoted(h)]
        assert not holes, f"unformatted placeholders {holes}: {words}"
        assert all(storable(ch) or ch in self.heard for ch in words), f"unencodable: {words!r}"
        if lang == "zh":  # Chinese of our own, or at least no English words of our own
            rest = words
            for said in (t for t in self.said if len(t) > 1 and t in rest):
                rest = rest.replace(said, "")
            ours = any(is_cjk(ch) for ch in rest) or not re.search("[A-Za-z]{2}", rest)
            if not (ours and any(is_cjk(ch) for ch in words)):
                raise WrongLanguage(f"not Chinese: {words}")
        else:  # little beyond ASCII but what people said (an opinion quoted) and names,
            # or at least an English first line over a document quoted whole (a bulletin)
            first = words.split("\n")[0]
            english = _english(words, self.heard) or _english(first, self.heard, least=3)
            if not english:
                raise WrongLanguage(f"not English: {words}")
        for button in (b for row in reply.buttons for b in row):
            assert button.label.strip() and (button.payload or button.url), button
            if button.payload:
                assert len(button.payload.encode()) <= 64, button
                command = button.payload.removeprefix(MENU_PREFIX)
                known = command in self.router.commands or self.router.button(command)[0]
                assert known, f"a button nothing answers: {button}"

    async def state(self, person: Person) -> Dialogue | None:
        return await dialogue_of(self.unit, CHANNEL, person.key)

    async def restore(self, person: Person, dialogue: Dialogue | None) -> None:
        """Put this person back into a dialogue state (None: out of any)."""
        await put_dialogue(self.unit, CHANNEL, person.key, dialogue)
        self._counted = None

    async def _survey(self) -> tuple[list[int], list[str]]:
        if self._overlong is None:
            self._overlong = await overlong_query(self.unit.db)
        return await survey(self.unit.db, self._overlong)


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


def _english(words: str, heard: set[str], least: int = 0) -> bool:
    own = [ch for ch in words if ch not in heard]
    return len(own) >= least and sum(not ch.isascii() for ch in own) <= 0.15 * len(words)


def _texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Text)]


def _short(item: dict[str, Any]) -> str:
    return repr(item) if len(repr(item)) < 300 else repr(item)[:300] + "…"
