"""The organization tree and its stage calendar for the web console: the tree below a
person's organization with member counts, a child organization created as the command
line creates one (handlers/admin_ops.create_org), the three stages' dates (storage's
OrgRepo.set_stage; the campaign's stages overlap, so overlaps are allowed), and the
per-organization settings that exist as columns, each within sane bounds."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, func, select

from handlers.admin_ops import ORG_NAME_LIMIT, create_org
from handlers.console_ops.context import OpContext, actor, stamp, written
from handlers.console_ops.forms import Form, choice, day, number, text
from handlers.surveys.common import K
from storage.models import Member, Organization, OrgKind, Stage, StagePeriod
from storage.repos import Repos

LONGEST_STAGE = 730  # days: a stage of more than two years is a typing mistake
CHILD_KIND = {OrgKind.city: OrgKind.county, OrgKind.county: OrgKind.unit}
# name: (lowest, highest); remind_day_before_at is a clock time or empty
BOUNDS = {
    "anonymous_min_members": (K, 1000),  # never below k: the box would not stay anonymous
    "opinion_reply_days": (1, 60),
    "anonymous_release_hour": (0, 23),
    "remind_minutes_before": (0, 24 * 60),
    "bulletin_day": (1, 28),  # every month has it
}
SETTINGS = (*BOUNDS, "remind_day_before_at")


@dataclass
class Node:
    org: Organization
    members: int
    children: list[Node] = field(default_factory=list)


async def tree(db: Repos, root: Organization) -> Node:
    ids = await db.orgs.subtree_ids(root.id or 0)
    orgs = {o.id: o for o in (await db.session.exec(
        select(Organization).where(col(Organization.id).in_(ids)))).all()}  # fmt: skip
    counted = (
        select(Member.org_id, func.count())
        .where(col(Member.org_id).in_(ids), col(Member.active))
        .group_by(Member.org_id)
    )
    counts = dict((await db.session.exec(counted)).all())
    nodes = {i: Node(o, counts.get(i, 0)) for i, o in orgs.items()}
    for node in sorted(nodes.values(), key=lambda n: n.org.id or 0):
        parent = nodes.get(node.org.parent_id) if node.org.id != root.id else None
        if parent is not None:
            parent.children.append(node)
    return nodes[root.id]


def child_kind(parent: Organization) -> str:
    return CHILD_KIND.get(OrgKind(parent.kind), OrgKind.branch)


async def check_child(ctx: OpContext, values: dict[str, str]) -> Form:
    form = Form.of(values, ("name", "kind"))
    text(ctx, form, "name", ORG_NAME_LIMIT, label=ctx.t("console.f_org_name"))
    choice(ctx, form, "kind", tuple(OrgKind))
    return form


async def create_child(ctx: OpContext, parent: Organization, form: Form) -> Organization:
    """As the command line creates one; the audit entry is the parent's office's act."""
    assert ctx.member is not None and parent.id is not None and form.ok
    child = await create_org(ctx.db, form.clean["name"], kind=form.clean["kind"],
                             parent_id=parent.id, actor=actor(ctx.member))  # fmt: skip
    for entry in written(ctx):
        if entry.action == "org.create":
            entry.org_id, entry.detail = parent.id, {**entry.detail, "org": child.id}
    stamp(ctx, parent.id)
    return child


def stage_values(periods: list[StagePeriod]) -> dict[str, str]:
    values = {}
    for period in periods:
        values[f"{period.stage}_from"] = period.starts_on.isoformat()
        values[f"{period.stage}_to"] = period.ends_on.isoformat()
    return values


def check_stages(ctx: OpContext, values: dict[str, str], periods: list[StagePeriod]) -> Form:
    names = tuple(f"{s}_{end}" for s in Stage for end in ("from", "to"))
    form = Form.of(values, names)
    had = {p.stage for p in periods}
    for stage in Stage:
        start, end = f"{stage}_from", f"{stage}_to"
        if not form.values[start] and not form.values[end] and stage not in had:
            continue  # not planned yet
        starts, ends = day(ctx, form, start), day(ctx, form, end)
        if starts is None or ends is None:
            continue
        if ends < starts:
            form.fail(end, ctx.t("console.err_stage_order"))
        elif (ends - starts).days > LONGEST_STAGE:
            form.fail(end, ctx.t("console.err_stage_long", days=LONGEST_STAGE))
    return form


async def set_stages(ctx: OpContext, org: Organization, form: Form,
                     periods: list[StagePeriod]) -> list[str]:  # fmt: skip
    """The stages whose dates changed, each with the command line's audit entry."""
    assert ctx.member is not None and org.id is not None and form.ok
    was = {p.stage: (p.starts_on, p.ends_on) for p in periods}
    changed = []
    for stage in Stage:
        dates = (form.clean.get(f"{stage}_from"), form.clean.get(f"{stage}_to"))
        if dates[0] is None or dates[1] is None or was.get(stage) == dates:
            continue
        await ctx.db.orgs.set_stage(org.id, stage, dates[0], dates[1])
        starts, ends = dates[0].isoformat(), dates[1].isoformat()
        await ctx.db.audit.record(actor(ctx.member), "stage.set", org_id=org.id, stage=stage,
                                  starts=starts, ends=ends)  # fmt: skip
        changed.append(ctx.t(f"stage.{stage}"))
    stamp(ctx, org.id)
    return changed


def setting_values(org: Organization) -> dict[str, str]:
    return {name: str(getattr(org, name)) for name in SETTINGS}


def check_settings(ctx: OpContext, values: dict[str, str]) -> Form:
    form = Form.of(values, SETTINGS)
    for name, (low, high) in BOUNDS.items():
        number(ctx, form, name, low, high)
    clock = form.values["remind_day_before_at"]
    hour, colon, minute = clock.partition(":")
    readable = colon and hour.isascii() and hour.isdigit() and minute.isascii()
    if not clock:
        form.clean["remind_day_before_at"] = ""
    elif readable and minute.isdigit() and len(minute) == 2 and len(hour) <= 2 \
            and int(hour) <= 23 and int(minute) <= 59:  # fmt: skip
        form.clean["remind_day_before_at"] = f"{int(hour):02d}:{minute}"
    else:
        form.fail("remind_day_before_at", ctx.t("console.err_clock"))
    return form


async def save_settings(ctx: OpContext, org: Organization, form: Form) -> dict[str, list]:
    assert ctx.member is not None and form.ok
    changes = {}
    for name in SETTINGS:
        old, new = getattr(org, name), form.clean[name]
        if old != new:
            changes[name] = [old, new]
            setattr(org, name, new)
    if changes:
        ctx.db.session.add(org)
        await ctx.db.audit.record(actor(ctx.member), "org.settings", org_id=org.id,
                                  **{k: f"{a}→{b}" for k, (a, b) in changes.items()})  # fmt: skip
        stamp(ctx, org.id)
    return changes
