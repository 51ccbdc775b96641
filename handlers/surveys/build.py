"""Custom surveys: the office writes its own questions — single choice, multiple choice,
a 1–5 rating, free text; each required or optional — names an audience and a window,
saves a draft, looks it over, then opens it.

Channel-free on purpose: the web console's builder, the command line (``survey create
--from FILE.json``) and a chat could all hand a ``SurveyDraft`` to ``check``, which says
field by field what is wrong, in the actor's language, and writes nothing. Members answer
a custom survey as any other (take.py), anonymously; results follow the same k rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from handlers.admin_ops import OpError
from handlers.context import Context
from handlers.study.common import clean_text
from handlers.study.organize import RANKS, ROLES
from handlers.surveys.common import K
from handlers.timeparse import TimeParseError, parse_when
from storage.examine_models import QuestionKind, Survey, SurveyQuestion, SurveyStatus

KINDS: tuple[str, ...] = tuple(QuestionKind)
CHOICE_KINDS = (QuestionKind.single, QuestionKind.multi)
MAX_QUESTIONS = 30
MAX_OPTIONS = 10  # each option is a button in chat; more would not fit a phone
OPTION_LIMIT = 40
QUESTION_LIMIT = 500  # SurveyQuestion.text
TITLE_LIMIT = 200
LONGEST = timedelta(days=92)
TYPED_TIME = "%Y-%m-%d %H:%M"  # how a stored time is shown to be typed again
ERR = "surveys.build."


@dataclass
class QuestionDraft:
    kind: str = QuestionKind.single
    text: str = ""
    options: str = ""  # one a line, as typed; kept when the kind changes
    required: bool = True

    @property
    def option_list(self) -> list[str]:
        return [words for line in self.options.splitlines() if (words := clean_text(line))]


@dataclass
class SurveyDraft:
    title: str = ""
    opens: str = ""  # as typed; empty: when the office opens it
    closes: str = ""
    roles: list[str] = field(default_factory=list)
    ranks: list[str] = field(default_factory=list)
    questions: list[QuestionDraft] = field(default_factory=lambda: [QuestionDraft()])


@dataclass
class Checked:
    """What ``check`` found: errors by field (``q3_options``…), or the clean survey."""

    errors: dict[str, str] = field(default_factory=dict)
    title: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    audience: dict[str, list[str]] = field(default_factory=dict)
    questions: list[SurveyQuestion] = field(default_factory=list)
    reach: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, text: str) -> None:
        self.errors.setdefault(name, text)


def from_json(data: Any) -> SurveyDraft:
    """A draft from the command line's file; anything malformed is left for ``check``."""
    data = data if isinstance(data, dict) else {}
    audience = data.get("audience") if isinstance(data.get("audience"), dict) else {}
    found = data.get("questions")
    questions = []
    for item in found if isinstance(found, list) else []:
        item = item if isinstance(item, dict) else {}
        options = item.get("options")
        lines = "\n".join(str(o) for o in options) if isinstance(options, list) else ""
        questions.append(QuestionDraft(str(item.get("kind", "")), str(item.get("text", "")),
                                       lines, item.get("required", True) is not False))  # fmt: skip
    return SurveyDraft(
        title=str(data.get("title", "")), opens=str(data.get("opens") or ""),
        closes=str(data.get("closes", "")), roles=[str(r) for r in audience.get("roles", [])],
        ranks=[str(r) for r in audience.get("ranks", [])], questions=questions,
    )  # fmt: skip


async def check(ctx: Context, draft: SurveyDraft) -> Checked:
    assert ctx.org is not None and ctx.org.id is not None
    found = Checked(title=clean_text(draft.title))
    if not found.title:
        found.fail("title", ctx.t(ERR + "err_title_empty"))
    elif len(found.title) > TITLE_LIMIT:
        found.fail("title", ctx.t(ERR + "err_too_long", limit=TITLE_LIMIT, length=len(found.title)))
    if not draft.questions:
        found.fail("questions", ctx.t(ERR + "err_no_questions"))
    elif len(draft.questions) > MAX_QUESTIONS:
        found.fail("questions", ctx.t(ERR + "err_too_many", limit=MAX_QUESTIONS))
    for n, question in enumerate(draft.questions[:MAX_QUESTIONS], start=1):
        _question(ctx, found, n, question)
    _window(ctx, found, draft)
    await _audience(ctx, found, draft)
    return found


def _question(ctx: Context, found: Checked, n: int, question: QuestionDraft) -> None:
    name = f"q{n}_"
    if question.kind not in KINDS:
        found.fail(name + "kind", ctx.t(ERR + "err_kind"))
        return
    words = clean_text(question.text)
    if not words:
        found.fail(name + "text", ctx.t(ERR + "err_text_empty"))
    elif len(words) > QUESTION_LIMIT:
        found.fail(name + "text", ctx.t(ERR + "err_too_long", limit=QUESTION_LIMIT,
                                        length=len(words)))  # fmt: skip
    options = question.option_list if question.kind in CHOICE_KINDS else []
    if question.kind in CHOICE_KINDS:
        long = [o for o in options if len(o) > OPTION_LIMIT]
        folded = [o.casefold() for o in options]
        twice = [o for i, o in enumerate(options) if folded[i] in folded[:i]]
        if len(options) < 2:
            found.fail(name + "options", ctx.t(ERR + "err_options_few"))
        elif len(options) > MAX_OPTIONS:
            found.fail(name + "options", ctx.t(ERR + "err_options_many", limit=MAX_OPTIONS))
        elif long:
            found.fail(name + "options", ctx.t(ERR + "err_option_long", option=long[0][:20],
                                               limit=OPTION_LIMIT))  # fmt: skip
        elif twice:
            found.fail(name + "options", ctx.t(ERR + "err_option_twice", option=twice[0]))
    found.questions.append(SurveyQuestion(position=n, kind=question.kind, text=words,
                                          options=options, required=question.required))  # fmt: skip


def _window(ctx: Context, found: Checked, draft: SurveyDraft) -> None:
    now = ctx.now()
    opens = _when(ctx, found, "opens", draft.opens, end_of_day=False)
    if not draft.closes.strip():
        found.fail("closes", ctx.t(ERR + "err_closes_empty"))
        return
    closes = _when(ctx, found, "closes", draft.closes, end_of_day=True)
    if closes is None:
        return
    start = opens or now
    if closes <= start:
        found.fail("closes", ctx.t(ERR + "err_closes_before_opens"))
    elif closes - start > LONGEST:
        found.fail("closes", ctx.t(ERR + "err_closes_far", days=LONGEST.days))
    found.opens_at, found.closes_at = opens, closes


def _when(
    ctx: Context, found: Checked, name: str, typed: str, *, end_of_day: bool
) -> datetime | None:
    if not typed.strip():
        return None
    now = ctx.now()
    try:
        parsed = parse_when(typed.strip(), now, ctx.zone)
    except TimeParseError as problem:
        params = problem.params_for(ctx.zone, ctx.lang, now=now)
        found.fail(name, ctx.t(problem.reason_key, **params))
        return None
    if parsed.date_only and end_of_day:  # a day alone closes at its end, as in chat
        return parsed.start + timedelta(days=1, minutes=-1)
    return parsed.start


async def _audience(ctx: Context, found: Checked, draft: SurveyDraft) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    roles = [str(r) for r in ROLES if r in draft.roles]
    ranks = [str(r) for r in RANKS if r in draft.ranks]
    if len(roles) != len(set(draft.roles)) or len(ranks) != len(set(draft.ranks)):
        found.fail("audience", ctx.t(ERR + "err_audience_choice"))
        return
    found.audience = {k: v for k, v in (("roles", roles), ("ranks", ranks)) if v}
    found.reach = len(await ctx.db.study.audience(ctx.org.id, found.audience))
    if found.reach < K:
        found.fail("audience", ctx.t("surveys.audience_small", k=K, n=found.reach))


def draft_of(ctx: Context, survey: Survey, questions: list[SurveyQuestion]) -> SurveyDraft:
    """A saved draft as the form shows it again; a start already past reads as "when opened"."""
    zone, now = ctx.zone, ctx.now()
    opens = "" if survey.opens_at <= now else f"{survey.opens_at.astimezone(zone):{TYPED_TIME}}"
    return SurveyDraft(
        title=survey.title, opens=opens,
        closes=f"{survey.closes_at.astimezone(zone):{TYPED_TIME}}",
        roles=list(survey.audience.get("roles", [])), ranks=list(survey.audience.get("ranks", [])),
        questions=[QuestionDraft(q.kind, q.text, "\n".join(q.options), q.required)
                   for q in questions],
    )  # fmt: skip


def _actor(ctx: Context) -> str:
    """How the audit log names who did it: a person, or the command line."""
    return f"member:{ctx.member.id}" if ctx.member is not None else "cli"


async def save_draft(ctx: Context, checked: Checked, survey: Survey | None = None) -> Survey:
    """A new draft, or a draft rewritten (questions anew: a draft has no answers yet)."""
    assert ctx.org is not None and ctx.org.id is not None
    assert checked.ok and checked.closes_at is not None
    now = ctx.now()
    fields = {"title": checked.title, "audience": checked.audience,
              "opens_at": checked.opens_at or now, "closes_at": checked.closes_at}  # fmt: skip
    if survey is None:
        survey = await ctx.db.surveys.add(
            Survey(org_id=ctx.org.id, template="custom", status=SurveyStatus.draft,
                   created_by=ctx.member.id if ctx.member else None, created_at=now,
                   **fields),
            checked.questions,
        )  # fmt: skip
        action = "survey.draft"
    else:
        if survey.status != SurveyStatus.draft:
            raise OpError(ERR + "not_draft")
        await ctx.db.surveys.set(survey, **fields)
        await ctx.db.surveys.replace_questions(survey, checked.questions)
        action = "survey.draft_edit"
    await ctx.db.audit.record(_actor(ctx), action, org_id=survey.org_id,
                              survey=survey.id, questions=len(checked.questions))  # fmt: skip
    return survey


async def open_draft(ctx: Context, survey: Survey) -> int:
    """Open a draft for its audience; returns how many may answer. Checked again now:
    the window may have passed, or the audience shrunk, since the draft was saved."""
    assert survey.id is not None
    if survey.status != SurveyStatus.draft:
        raise OpError(ERR + "not_draft")
    now = ctx.now()
    if survey.closes_at <= now:
        raise OpError(ERR + "err_closed_meanwhile")
    reach = len(await ctx.db.study.audience(survey.org_id, survey.audience))
    if reach < K:
        raise OpError("surveys.audience_small", k=K, n=reach)
    if not await ctx.db.surveys.questions(survey.id):
        raise OpError(ERR + "err_no_questions")
    await ctx.db.surveys.set(survey, status=SurveyStatus.open, opens_at=max(survey.opens_at, now))
    await ctx.db.audit.record(_actor(ctx), "survey.open", org_id=survey.org_id,
                              survey=survey.id, template="custom")  # fmt: skip
    return reach
