"""Running the chat's own operations for the web console.

The console does not reimplement what the chat does: it builds a handler context for the
person logged in (their member, organization and language), sets the dialogue or button
parameters the chat handler expects, and calls that same handler. The handler checks
permissions exactly as in chat (organization, assignee, reviewer), writes, audits, and
pushes notices through the outbox. What it *says* is recorded by key, so the console
knows whether it succeeded; when it did not, ``Refused`` is raised and the transaction
rolls back, so nothing is half-written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.context import Context, Services
from handlers.messages import Button, Incoming, Text
from handlers.state import Dialogue
from storage.audit import AuditRepo
from storage.models import AuditEntry, Member, Organization
from storage.repos import Repos

CHANNEL = "console"


@dataclass
class OpContext(Context):
    """A handler context that also remembers the catalog keys it was told to say."""

    said: list[str] = field(default_factory=list)

    def say(
        self, key: str, /, *, buttons: tuple[tuple[Button, ...], ...] = (), **params: object
    ) -> None:
        self.said.append(key)
        super().say(key, buttons=buttons, **params)

    def messages(self) -> list[str]:
        return [r.text for r in self.replies if isinstance(r, Text)]


class RecordingAudit(AuditRepo):
    """The audit log, remembering the entries written through it in this transaction."""

    def __init__(self, repo: AuditRepo) -> None:
        super().__init__(repo.session)
        self.written: list[AuditEntry] = []

    async def record(
        self, actor: str, action: str, *, org_id: int | None = None, **detail: object
    ) -> None:
        entry = AuditEntry(actor=actor, action=action, org_id=org_id, detail=detail)
        self.session.add(entry)
        self.written.append(entry)


class Refused(Exception):
    """The operation did not happen; ``messages`` say why, in the viewer's language."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def op_context(
    db: Repos, services: Services, member: Member, org: Organization, lang: str
) -> OpContext:
    msg = Incoming(CHANNEL, f"member:{member.id}")
    if not isinstance(db.audit, RecordingAudit):
        db.audit = RecordingAudit(db.audit)
    return OpContext(msg, db, services, Dialogue(), lang, member, None, org)


def actor(member: Member) -> str:
    """How the audit log names a person, the same in chat, console and CLI."""
    return f"member:{member.id}"


async def finish(
    ctx: OpContext, success: str, *, org_id: int | None, action: str, **detail: object
) -> list[str]:
    """Raise ``Refused`` unless the handler said ``success``; else make sure the change is
    in the audit log under the organization, marked as done from the console.

    Some chat handlers audit without an organization, or not at all (review decisions):
    the entry they wrote gets the organization, or one is written here.
    """
    if success not in ctx.said:
        raise Refused(ctx.messages() or [ctx.t("console.op_failed")])
    if not stamp(ctx, org_id):
        assert ctx.member is not None
        await ctx.db.audit.record(actor(ctx.member), action, org_id=org_id, via=CHANNEL, **detail)
    return ctx.messages()


def stamp(ctx: OpContext, org_id: int | None) -> list[AuditEntry]:
    """Mark the audit entries an operation wrote as done from the console, under the
    organization where the entry names none; returns them."""
    entries = written(ctx)
    for entry in entries:
        entry.org_id = entry.org_id if entry.org_id is not None else org_id
        entry.detail = {**entry.detail, "via": CHANNEL}
    return entries


def written(ctx: OpContext) -> list[AuditEntry]:
    audit = ctx.db.audit
    return list(audit.written) if isinstance(audit, RecordingAudit) else []


def audit_detail(ctx: OpContext, action: str) -> dict[str, object] | None:
    """The detail of the audit entry the handler wrote for ``action``, if any."""
    for entry in written(ctx):
        if entry.action == action:
            return dict(entry.detail)
    return None
