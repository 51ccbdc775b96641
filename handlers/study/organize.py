"""学习管理 (/sessions) for the campaign office: the sessions at a glance, each one's
card with its actions, and creating one in a short dialogue: title → time → place or
link → audience → confirm."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.admin_ops import OpError
from handlers.context import Context
from handlers.feature import ADMINS
from handlers.messages import Button, Text, rows
from handlers.router import MENU_PREFIX
from handlers.study.common import audience_label, ended, feature, own_session, session_lines
from handlers.study.ops import clean_place, clean_title, create_session, expected, kind_of
from handlers.study.when import WhenError, example, format_span, format_when, parse_span
from storage.models import Rank, Role
from storage.study_models import StudySession

RECENT = timedelta(days=30)
AHEAD = timedelta(days=180)
LISTED = 12
ROLES = (Role.leader, Role.cadre, Role.member, Role.admin)
RANKS = (Rank.county, Rank.section, Rank.staff)


@feature.command("sessions", access=ADMINS, keywords=("学习管理",), menu=False)
async def sessions(ctx: Context) -> None:
    assert ctx.org is not None
    now = ctx.now()
    found = await ctx.db.study.sessions_between(ctx.org.id or 0, now - RECENT, now + AHEAD)
    upcoming = [s for s in found if not ended(s, now)][:LISTED]
    past = [s for s in reversed(found) if ended(s, now)][: LISTED - len(upcoming)]
    buttons = [Button(_label(ctx, s), feature.payload("s", s.id)) for s in [*upcoming, *past]]
    buttons.append(Button(ctx.t("study.btn_new"), feature.payload("new")))
    key = "study.sessions_header" if found else "study.sessions_none"
    ctx.send(Text(ctx.t(key, upcoming=len(upcoming)), rows(*buttons, per_row=1)))


def _label(ctx: Context, session: StudySession) -> str:
    local = session.starts_at.astimezone(ctx.zone)
    day = ctx.t("date.short", m=local.month, d=local.day)
    return ctx.t("study.session_button", day=day, time=f"{local:%H:%M}", title=session.title[:24])


@feature.button("s", access=ADMINS)
async def card(ctx: Context) -> None:
    session = await own_session(ctx)
    if session is not None:
        ctx.send(await session_card(ctx, session))


async def session_card(ctx: Context, session: StudySession) -> Text:
    answers = await ctx.db.study.attendance_for(session.id or 0)
    people = await expected(ctx, session)
    lines = session_lines(ctx.t, session, ctx.zone, ctx.lang)
    lines.append(ctx.t("study.card_audience", audience=audience_label(ctx.t, session.audience),
                       count=len(people)))  # fmt: skip
    lines.append(
        ctx.t(
            "study.card_counts",
            yes=sum(a.rsvp == "yes" and a.checked_in_at is None for a in answers),
            leave=sum(a.rsvp == "leave" and a.checked_in_at is None for a in answers),
            present=sum(a.checked_in_at is not None for a in answers),
            late=sum(a.checked_in_at is not None and a.late for a in answers),
        )
    )
    if session.cancelled:
        return Text("\n".join(lines))
    sid = session.id
    act = [Button(ctx.t("study.btn_attendance"), feature.payload("at", sid)),
           Button(ctx.t("study.btn_export"), feature.payload("xl", sid))]  # fmt: skip
    if not ended(session, ctx.now()):
        act = [
            Button(ctx.t("study.btn_code"), feature.payload("code", sid)),
            *act,
            Button(ctx.t("study.btn_edit_time"), feature.payload("et", sid)),
            Button(ctx.t("study.btn_edit_place"), feature.payload("ep", sid)),
            Button(ctx.t("study.btn_readings"), feature.payload("rd", sid)),
            Button(ctx.t("study.btn_cancel_session"), feature.payload("cx", sid)),
        ]
    return Text("\n".join(lines), rows(*act, per_row=2))


# Creating a session


@feature.button("new", access=ADMINS)
async def new(ctx: Context) -> None:
    ctx.begin(feature.name, "new_title")
    ctx.say("study.ask_title")


@feature.step("new_title", access=ADMINS)
async def new_title(ctx: Context) -> None:
    try:
        ctx.dialogue.data["title"] = clean_title(ctx.args)
    except OpError as problem:
        ctx.send(Text(ctx.t(problem.key, **problem.params)))
        return
    ctx.dialogue.step = "new_span"
    ctx.say("study.ask_span", example=example(ctx.now(), ctx.zone))


@feature.step("new_span", access=ADMINS)
async def new_span(ctx: Context) -> None:
    span = read_span(ctx)
    if span is None:
        return
    ctx.dialogue.data.update(starts_at=span[0].isoformat(), ends_at=span[1].isoformat())
    ctx.dialogue.step = "new_place"
    ctx.say("study.ask_place")


def read_span(ctx: Context) -> tuple[datetime, datetime] | None:
    """The typed time range, or None after saying what was wrong (with an example)."""
    try:
        return parse_span(ctx.args, ctx.now(), ctx.zone)
    except WhenError as problem:
        ctx.send(Text(ctx.t(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang))))
        return None


@feature.step("new_place", access=ADMINS)
async def new_place(ctx: Context) -> None:
    try:
        place, online = clean_place(ctx.args)
    except OpError as problem:
        ctx.send(Text(ctx.t(problem.key, **problem.params)))
        return
    ctx.dialogue.data.update(place=place, online=online, roles=[], ranks=[])
    ctx.dialogue.step = "new_audience"
    ctx.say("study.ask_audience", buttons=audience_buttons(ctx))


def audience_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    data = ctx.dialogue.data

    def toggle(kind: str, value: str, label: str) -> Button:
        mark = "✓ " if value in data.get(f"{kind}s", []) else ""
        return Button(mark + label, feature.payload("au", kind, value))

    everyone = (Button(ctx.t("study.audience_all"), feature.payload("au", "all")),)
    roles = rows(*(toggle("role", r, ctx.t(f"role.{r}")) for r in ROLES), per_row=2)
    ranks = rows(*(toggle("rank", r, ctx.t(f"study.rank_{r}")) for r in RANKS), per_row=3)
    done = (Button(ctx.t("study.btn_audience_ok"), feature.payload("au", "ok")),)
    return (everyone, *roles, *ranks, done)


@feature.button("au", access=ADMINS)
async def choose_audience(ctx: Context) -> None:
    if ctx.dialogue.feature != feature.name or ctx.dialogue.step != "new_audience":
        ctx.say("study.no_draft")
        return
    data, choice = ctx.dialogue.data, ctx.params
    if choice[:1] == ("all",):
        data.update(roles=[], ranks=[])
    elif choice[:1] in (("role",), ("rank",)) and len(choice) == 2:
        allowed = ROLES if choice[0] == "role" else RANKS
        if choice[1] not in allowed:
            ctx.say("error.stale_button")
            return
        chosen: list[str] = data.setdefault(f"{choice[0]}s", [])
        if choice[1] in chosen:
            chosen.remove(choice[1])
        else:
            chosen.append(choice[1])
        ctx.say("study.ask_audience", buttons=audience_buttons(ctx))
        return
    elif choice[:1] == ("ok",):
        if not data.get("roles") and not data.get("ranks"):
            ctx.say("study.audience_choose", buttons=audience_buttons(ctx))
            return
    else:
        ctx.say("error.stale_button")
        return
    await _confirm(ctx)


def _audience(data: dict[str, Any]) -> dict[str, list[str]]:
    return {k: list(data[k]) for k in ("roles", "ranks") if data.get(k)}


async def _confirm(ctx: Context) -> None:
    assert ctx.org is not None
    data = ctx.dialogue.data
    audience = _audience(data)
    people = await ctx.db.study.audience(ctx.org.id or 0, audience)
    if not people:
        ctx.say("study.audience_empty", buttons=audience_buttons(ctx))
        return
    ctx.dialogue.step = "new_confirm"
    start, end = datetime.fromisoformat(data["starts_at"]), datetime.fromisoformat(data["ends_at"])
    summary = ctx.t(
        "study.review",
        kind=ctx.t(f"study.kind_{kind_of(data['title'])}"),
        title=data["title"],
        when=format_span(start, end, ctx.zone, ctx.lang),
        place=data["place"],
        audience=audience_label(ctx.t, audience),
        count=len(people),
    )
    buttons = rows(
        Button(ctx.t("study.btn_create"), feature.payload("mk")),
        Button(ctx.t("study.btn_drop"), MENU_PREFIX + "cancel"),
    )
    ctx.send(Text(summary, buttons))


@feature.button("mk", access=ADMINS)
async def make(ctx: Context) -> None:
    if ctx.dialogue.feature != feature.name or ctx.dialogue.step != "new_confirm":
        ctx.say("study.no_draft")
        return
    assert ctx.org is not None and ctx.member is not None
    data = ctx.dialogue.data
    try:
        session, reminded = await create_session(
            ctx, ctx.org, title=data["title"], place=data["place"], online=data["online"],
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            audience=_audience(data), created_by=ctx.member, actor=f"member:{ctx.member.id}",
        )  # fmt: skip
    except OpError as problem:
        ctx.send(Text(ctx.t(problem.key, **problem.params)))
        if problem.key.startswith("study.when"):
            ctx.dialogue.step = "new_span"
            ctx.say("study.ask_span", example=example(ctx.now(), ctx.zone))
        return
    ctx.end()
    key = "study.created_now" if reminded else "study.created"
    ctx.say(key, id=session.id, count=reminded,
            first=format_when(session.starts_at, ctx.zone, ctx.lang))  # fmt: skip
    ctx.send(await session_card(ctx, session))
