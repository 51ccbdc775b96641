"""Who handed in a deadline and who still owes it, as a spreadsheet for printing."""

from __future__ import annotations

import io

from handlers.context import Context
from storage.study_models import Deadline


async def owed_workbook(ctx: Context, deadline: Deadline) -> bytes:
    from openpyxl import Workbook  # heavy: imported only when used
    from openpyxl.styles import Font

    members = await ctx.db.study.audience(deadline.org_id, deadline.audience)
    departments = {d.id: d.name for d in await ctx.db.orgs.departments(deadline.org_id)}
    book = Workbook()
    sheet = book.active
    sheet.title = ctx.t("deadlines.sheet")[:31]
    sheet.append([deadline.title])
    sheet["A1"].font = Font(bold=True, size=14)
    header = [ctx.t(f"deadlines.col_{c}") for c in ("name", "department", "title", "state", "at")]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for member in members:
        found = await ctx.db.study.submission(deadline.id, member.id)  # type: ignore[arg-type]
        at = found.submitted_at.astimezone(ctx.zone).strftime("%Y-%m-%d %H:%M") if found else ""
        state = ctx.t("deadlines.handed_in" if found else "deadlines.owed")
        sheet.append(
            [member.name, departments.get(member.department_id, ""), member.title or "", state, at]
        )
    for column, width in zip("ABCDE", (12, 16, 24, 10, 18), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
