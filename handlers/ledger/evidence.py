"""Evidence for a report: photos and files, of the kinds a campaign office can read, and
no larger than the channels carry."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import CADRES
from handlers.ledger.common import feature, load
from handlers.messages import Button
from storage.ledger_models import ProgressReport

MAX_BYTES = 20 * 1024 * 1024  # what a Telegram bot can fetch back
KINDS = ("photo", "file")
DOCUMENT_ENDINGS = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".jpg",
    ".jpeg",
    ".png",
    ".txt",
    ".wps",
    ".et",
)


@feature.button("ev", access=CADRES)
async def evidence(ctx: Context) -> None:
    item = await load(ctx, ctx.params[0] if ctx.params else "", as_person=True)
    if item is not None:
        ctx.begin(feature.name, "evidence", {"item": item.id, "files": []})
        ctx.say("ledger.ask_evidence", id=item.id, mb=MAX_BYTES // (1024 * 1024))


@feature.step("evidence", access=CADRES)
async def evidence_file(ctx: Context) -> None:
    data = ctx.dialogue.data
    if ctx.args.casefold() in ("完成", "done"):
        await _save(ctx)
        return
    if not ctx.msg.attachments:
        ctx.say("ledger.evidence_needs_file")
        return
    for attachment in ctx.msg.attachments:
        name = (attachment.name or "").lower()
        if attachment.kind not in KINDS or (
            attachment.kind == "file" and name and not name.endswith(DOCUMENT_ENDINGS)
        ):
            ctx.say("ledger.evidence_kind", name=attachment.name or attachment.kind)
            continue
        if attachment.size is not None and attachment.size > MAX_BYTES:
            ctx.say("ledger.evidence_size", mb=MAX_BYTES // (1024 * 1024))
            continue
        data["files"].append(
            {
                "channel": ctx.msg.channel,
                "kind": attachment.kind,
                "ref": attachment.ref,
                "name": attachment.name,
            }
        )
    done = Button(ctx.t("ledger.evidence_done"), feature.payload("evd"))
    ctx.say("ledger.evidence_got", count=len(data["files"]), buttons=((done,),))


@feature.button("evd", access=CADRES)
async def evidence_done(ctx: Context) -> None:
    if ctx.dialogue.feature != feature.name or ctx.dialogue.step != "evidence":
        ctx.say("ledger.nothing_pending")
        return
    await _save(ctx)


async def _save(ctx: Context) -> None:
    data = ctx.dialogue.data
    item = await load(ctx, str(data.get("item", "")), as_person=True)
    ctx.end()
    if item is None:
        return
    if not data["files"]:
        ctx.say("ledger.evidence_none")
        return
    assert ctx.member is not None and ctx.member.id is not None
    await ctx.db.ledger.report(
        ProgressReport(
            item_id=item.id,
            member_id=ctx.member.id,
            percent=item.percent,
            files=data["files"],
            text=ctx.t("ledger.evidence_line", count=len(data["files"])),
            created_at=ctx.now(),
        )
    )
    ctx.say("ledger.evidence_saved", id=item.id, count=len(data["files"]))
