"""Importing a roster spreadsheet: every good row becomes a member with a personal invite,
every bad row is reported with its number and what is wrong, and nothing stops the rest."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from handlers.admin_ops import OpError, create_invite
from handlers.membership import clean_name
from storage.models import Member, Rank, Role
from storage.repos import Repos

COLUMNS = {
    "name": ("姓名", "name"),
    "phone": ("手机", "手机号", "手机号码", "电话", "phone", "mobile"),
    "employee_no": ("工号", "编号", "employee no", "employee_no", "employee number"),
    "rank": ("职级", "rank"),
    "role": ("角色", "身份", "role"),
    "department": ("部门", "科室", "department"),
    "title": ("职务", "title"),
}
ROLE_WORDS = {
    "党员": Role.member,
    "群众": Role.member,
    "党员群众": Role.member,
    "干部": Role.cadre,
    "领导": Role.leader,
    "领导班子成员": Role.leader,
    "班子成员": Role.leader,
    "活动办": Role.admin,
    "督导组": Role.supervisor,
    **{r.value: r for r in Role},
}
RANK_WORDS = {
    "县处级": Rank.county,
    "处级": Rank.county,
    "乡科级": Rank.section,
    "科级": Rank.section,
    "科员": Rank.staff,
    "一般干部": Rank.staff,
    "办事员": Rank.staff,
    "其他": Rank.other,
    **{r.value: r for r in Rank},
}
T = TypeVar("T")
_PHONE = re.compile(r"^(?:\+?86)?(1\d{10})$")
HEADER_SEARCH_ROWS = 10
_EMPLOYEE_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass
class RosterReport:
    imported: list[dict[str, object]] = field(default_factory=list)
    errors: list[tuple[int, OpError]] = field(default_factory=list)


def read_xlsx(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of the first sheet as {column: text}, numbered as the spreadsheet shows them."""
    from openpyxl import load_workbook  # heavy: imported only when used
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise OpError("ops.roster_unreadable", file=path.name, reason=type(exc).__name__) from exc
    sheet = book.worksheets[0]
    header: dict[int, str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    filled = 0
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        texts = ["" if c is None else str(c).strip() for c in cells]
        if not any(texts):
            continue
        filled += 1
        if header is None:
            # A roster often has a title row or two (“XX局干部花名册”) above its header.
            header = _header(texts)
            if header is None and filled >= HEADER_SEARCH_ROWS:
                break
            continue
        rows.append((number, {key: texts[i] for i, key in header.items() if i < len(texts)}))
    book.close()
    if header is None:
        if not filled:
            raise OpError("ops.roster_empty", file=path.name)
        raise OpError("ops.roster_no_name", columns="、".join(COLUMNS["name"]))
    return rows


def _header(texts: list[str]) -> dict[int, str] | None:
    found: dict[int, str] = {}
    for index, text in enumerate(texts):
        label = text.casefold().strip("*: ：")
        for key, names in COLUMNS.items():
            if label in names:
                found[index] = key
    return found if "name" in found.values() else None


async def import_roster(
    db: Repos, org_id: int, rows: list[tuple[int, dict[str, str]]], *, actor: str
) -> RosterReport:
    if await db.orgs.get(org_id) is None:
        raise OpError("ops.no_org", org=org_id)
    report = RosterReport()
    seen: set[tuple[str, str]] = set()
    for number, values in rows:
        try:
            member = await _member(db, org_id, values, seen)
        except OpError as problem:
            report.errors.append((number, problem))
            continue
        await db.members.add(member)
        invite = await create_invite(db, org_id, member.role, member=member, uses=1, actor=actor)
        report.imported.append(
            {"row": number, "id": member.id, "name": member.name, "code": invite.code}
        )
    await db.audit.record(
        actor,
        "members.import",
        org_id=org_id,
        imported=len(report.imported),
        errors=len(report.errors),
    )
    return report


async def _member(
    db: Repos, org_id: int, values: dict[str, str], seen: set[tuple[str, str]]
) -> Member:
    name = clean_name(values.get("name", ""))
    if not name:
        raise OpError("ops.roster_name")
    phone = _phone(values.get("phone", ""))
    employee_no = values.get("employee_no", "").strip() or None
    if employee_no is not None and not _EMPLOYEE_NO.match(employee_no):
        raise OpError("ops.roster_employee_no", value=employee_no[:40])
    if phone is None and employee_no is None:
        raise OpError("ops.roster_identifier")
    keys = [(k, v) for k, v in (("phone", phone), ("employee_no", employee_no)) if v is not None]
    for kind, value in keys:
        existing = await db.members.find(org_id, **{kind: value})
        if (kind, value) in seen or existing is not None:
            raise OpError("ops.roster_duplicate", value=value)
    role = _choice(values.get("role", ""), ROLE_WORDS, Role.member, "ops.roster_role")
    rank = _choice(values.get("rank", ""), RANK_WORDS, None, "ops.roster_rank")
    seen.update(keys)  # only a row that is imported makes a later one a duplicate
    department = values.get("department", "").strip()
    department_id = (await db.orgs.department(org_id, department[:100])).id if department else None
    return Member(
        org_id=org_id,
        name=name,
        role=role,
        rank=rank,
        phone=phone,
        employee_no=employee_no,
        department_id=department_id,
        title=values.get("title", "").strip()[:60] or None,
    )


def _phone(text: str) -> str | None:
    digits = re.sub(r"[\s()-]", "", text)
    if not digits:
        return None
    match = _PHONE.match(digits)
    if match is None:
        raise OpError("ops.roster_phone", value=text[:40])
    return match.group(1)


def _choice(text: str, words: dict[str, T], default: T, error: str) -> T:
    text = text.strip()
    if not text:
        return default
    found = words.get(text) or words.get(text.casefold())
    if found is None:
        raise OpError(error, value=text[:40], choices="、".join(words))
    return found
