"""The database side of the fuzz tests: what PostgreSQL would refuse that SQLite takes,
the counts that only a join may change, and a person's dialogue state, read or put back."""

from __future__ import annotations

import copy
import re
from typing import Any

from sqlalchemy import String, exists, func, literal, or_, select, text, union_all
from sqlmodel import SQLModel

import storage.all_models  # noqa: F401  (every table in the metadata)
from handlers.state import Dialogue
from storage.db import Database
from storage.models import ChannelIdentity, Invite, Member
from storage.repos import Repos
from tests.conftest import Unit

COUNTS = select(
    select(func.count(Member.id)).scalar_subquery(),  # type: ignore[arg-type]
    select(func.count(ChannelIdentity.id)).scalar_subquery(),  # type: ignore[arg-type]
    select(func.coalesce(func.sum(Invite.used_count), 0)).scalar_subquery(),
)
TABLE = re.compile(r"(?:INTO|UPDATE|FROM)\s+\"?(\w+)")


def storable(value: str) -> bool:
    """What both engines accept as text: PostgreSQL refuses NUL, neither takes surrogates."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def unstorable_tables(statement: str, parameters: Any, _executemany: bool = False) -> list[str]:
    """The table a statement was about to send strings it cannot store, if any."""
    if not any(isinstance(v, str) and not storable(v) for v in _values(parameters)):
        return []
    table = TABLE.search(statement)
    return [table.group(1) if table else statement[:40]]


def _values(parameters: Any) -> Any:
    """Every bound value: one row or many, as tuples or dicts (executemany, insertmany)."""
    if isinstance(parameters, dict):
        parameters = parameters.values()
    if isinstance(parameters, list | tuple) or type(parameters).__name__ == "dict_values":
        for value in parameters:
            yield from _values(value) if isinstance(value, list | tuple | dict) else (value,)
    elif parameters is not None:
        yield parameters


async def overlong_query(db: Database) -> Any:
    """Which tables hold a string longer than its column (SQLite keeps it; PostgreSQL not)."""

    async def tables(session: Any) -> set[str]:
        return {name for (name,) in await session.exec(text("SELECT name FROM sqlite_master"))}

    present = await db.run(tables)
    parts = []
    for table in SQLModel.metadata.sorted_tables:
        cols = [c for c in table.columns if _string(c.type) and c.type.length]
        if cols and table.name in present:
            over = or_(*(func.length(c) > c.type.length for c in cols))  # type: ignore[attr-defined]
            parts.append(select(literal(table.name)).where(exists().where(over)))
    return union_all(*parts)


RENDERED = {"outbox", "webchat_mail", "audit_entry", "alembic_version"}  # our own words


async def stored_texts(db: Database) -> set[str]:
    """Every string the database holds as content (opinions, titles, survey questions,
    bulletins), which replies may quote in whatever language it was written."""

    async def read(session: Any) -> set[str]:
        found: set[str] = set()
        for table in SQLModel.metadata.sorted_tables:
            cols = [c for c in table.columns if _string(c.type)]
            if cols and table.name not in RENDERED:
                rows = await session.exec(select(*cols))
                found.update(v for row in rows for v in row if isinstance(v, str) and v)
        return found

    return await db.run(read)


async def survey(db: Database, overlong: Any) -> tuple[list[int], list[str]]:
    """Member, identity and invite-use counts, and the over-long tables: one transaction."""

    async def look(session: Any) -> tuple[list[int], list[str]]:
        counts = list((await session.exec(COUNTS)).one())
        return counts, [name for (name,) in await session.exec(overlong)]

    return await db.run(look)


async def dialogue_of(unit: Unit, channel: str, key: str) -> Dialogue | None:
    held = unit.services.memory.get(channel, key)
    if held is not None:
        return copy.deepcopy(held) if held.active else None
    row = await unit.db.run(lambda s: Repos(s).dialogue.load(channel, key))
    return Dialogue(row.feature, row.step, dict(row.data)) if row and row.feature else None


async def put_dialogue(unit: Unit, channel: str, key: str, dialogue: Dialogue | None) -> None:
    """Anonymous dialogues in memory, the others in the database, as the dispatcher keeps them."""
    memory = unit.services.memory
    memory.drop(channel, key)
    if dialogue is not None and dialogue.anonymous:
        memory.put(channel, key, copy.deepcopy(dialogue))
    kept = dialogue if dialogue is not None and not dialogue.anonymous else Dialogue()

    async def save(session: Any) -> None:
        repos = Repos(session)
        row = await repos.dialogue.load(channel, key)
        await repos.dialogue.save(channel, key, feature=kept.feature, step=kept.step,
                                  data=copy.deepcopy(kept.data),
                                  language=row.language if row else None)  # fmt: skip

    await unit.db.run(save)


def _string(kind: Any) -> bool:
    return isinstance(kind, String) or isinstance(getattr(kind, "impl_instance", None), String)
