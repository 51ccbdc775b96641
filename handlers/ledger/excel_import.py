"""Importing a ledger spreadsheet (read by handlers.ledger.excel_read): every row must carry
the four specifics (四明确) — content, goal and deadline, measures, responsible leader and
responsible person — and gets one error for each one it lacks or gets wrong. Good rows
become items (a 序号 like 1.1 makes a sub-item of the row numbered 1), bad rows are
reported by number, and nothing stops the rest."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.admin_ops import OpError
from handlers.ledger.excel_read import REQUIRED, LedgerSheet, cell_text, read_date, squash
from storage.ledger_models import RectificationItem
from storage.models import Member, Role
from storage.repos import Repos

LIMITS = {"content": 1000, "goal": 1000, "measures": 2000, "pledge": 1000}
LEADS = (Role.leader, Role.admin)
REPORTS = (Role.cadre, Role.leader, Role.admin)  # who can report progress from the phone
_SEPARATORS = re.compile(r"[、,;/]")  # full-width ,; are folded to these by squash()
_QUALIFIED = re.compile(r"^(.+?)\((.+?)\)$")
_SUB_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.\d+$")


@dataclass
class ImportReport:
    imported: list[dict[str, object]] = field(default_factory=list)
    errors: list[tuple[int, OpError]] = field(default_factory=list)


async def import_ledger(
    db: Repos, org_id: int, sheet: LedgerSheet, *, now: datetime, zone: ZoneInfo, actor: str
) -> ImportReport:
    """Dates are read in the organization's own zone when it has one, else in ``zone``."""
    org = await db.orgs.get(org_id)
    if org is None:
        raise OpError("ops.no_org", org=org_id)
    today = now.astimezone(ZoneInfo(org.timezone) if org.timezone else zone).date()
    roster = Roster(await db.members.in_org(org_id))
    seen = {(i.parent_id, squash(i.content)) for i in await db.ledger.items([org_id])}
    numbers: dict[str, int] = {}  # 序号 in the file → the item made from that row
    report = ImportReport()
    for number, values in sheet.rows:
        if not any(cell_text(values.get(k)) for k in (*REQUIRED, "pledge")):
            continue  # a numbered but empty row of a template
        problems: list[OpError] = []
        specifics = check_row(values, sheet.labels, roster, today, problems)
        seq = cell_text(values.get("seq"))
        parent_id = None
        if (sub := _SUB_NUMBER.match(seq)) is not None:
            parent_id = numbers.get(sub.group(1))
            if parent_id is None:
                problems.append(
                    OpError("ledger_files.parent_missing", seq=seq, parent=sub.group(1))
                )
        content = str(specifics.get("content", ""))
        key = (parent_id, squash(content))
        if not problems and key in seen:
            problems.append(OpError("ledger_files.duplicate", content=content[:40]))
        if problems:
            report.errors.extend((number, problem) for problem in problems)
            continue
        item = RectificationItem(org_id=org_id, parent_id=parent_id, **specifics)
        await db.ledger.add(item)
        seen.add(key)
        if seq and item.id is not None:
            numbers[seq] = item.id
        report.imported.append({"row": number, "id": item.id, "content": item.content})
    await db.audit.record(
        actor, "ledger.import", org_id=org_id,
        imported=len(report.imported), errors=len(report.errors),
    )  # fmt: skip
    return report


def check_row(
    values: dict[str, Any], labels: dict[str, str], roster: Roster, today: date,
    problems: list[OpError],
) -> dict[str, Any]:  # fmt: skip
    """The item's fields from one row; each specific missing or wrong adds its own error."""
    found: dict[str, Any] = {}
    for key in ("content", "goal", "deadline", "measures", "pledge"):
        text = cell_text(values.get(key))
        column = labels.get(key, key)
        if key == "deadline":
            found[key] = _deadline(values.get(key), text, column, today, problems)
        elif not text and key != "pledge":
            problems.append(OpError("ledger_files.blank", column=column))
        elif len(text) > LIMITS[key]:
            problems.append(OpError("ledger_files.too_long", column=column, limit=LIMITS[key]))
        else:
            found[key] = text
    for key, roles, wrong in (
        ("leader", LEADS, "ledger_files.not_leader"),
        ("person", REPORTS, "ledger_files.not_cadre"),
    ):
        text = cell_text(values.get(key))
        found[f"{key}_id"] = roster.pick(text, labels[key], roles, wrong, problems)
    return found


def _deadline(
    raw: object, text: str, column: str, today: date, problems: list[OpError]
) -> date | None:
    if not text:
        problems.append(OpError("ledger_files.blank", column=column))
        return None
    found = read_date(raw)
    if found is None:
        problems.append(OpError("ledger_files.deadline_unreadable", column=column, value=text[:40]))
    elif found < today:
        value = found.isoformat()
        problems.append(OpError("ledger_files.deadline_past", column=column, value=value))
    return found


class Roster:
    """The organization's active members, found by name; namesakes are told apart by an
    employee number, phone or title in brackets: 张伟(A012)."""

    def __init__(self, members: list[Member]) -> None:
        self.by_name: dict[str, list[Member]] = defaultdict(list)
        for member in members:
            self.by_name[squash(member.name)].append(member)

    def pick(
        self, text: str, column: str, roles: tuple[Role, ...], wrong: str, problems: list[OpError]
    ) -> int | None:
        if not text:
            problems.append(OpError("ledger_files.blank", column=column))
            return None
        name = squash(text)
        if len([part for part in _SEPARATORS.split(name) if part]) > 1:
            problems.append(OpError("ledger_files.one_name", column=column, value=text[:40]))
            return None
        qualifier = ""
        if (match := _QUALIFIED.match(name)) is not None:
            name, qualifier = match.group(1), match.group(2)
        found = self.by_name.get(name, [])
        narrowed = [m for m in found if qualifier in (m.employee_no, m.phone, m.title)]
        found = narrowed if qualifier and narrowed else found
        if len(found) != 1:
            key = "ledger_files.name_ambiguous" if found else "ledger_files.name_unknown"
            problems.append(OpError(key, column=column, name=name[:40], count=len(found)))
            return None
        if found[0].role not in roles:
            problems.append(OpError(wrong, column=column, name=name[:40]))
            return None
        return found[0].id
