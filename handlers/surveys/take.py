"""/survey (测评): answer a survey in a few taps. The answers are held in memory while the
member answers (an anonymous dialogue), then mixed with others' before any is written."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import MEMBERS, param_id
from handlers.messages import Button, Text, rows
from handlers.surveys.common import answered, feature, owed_by
from storage.anonymity import strip_format_characters
from storage.examine_models import QuestionKind, Survey, SurveyQuestion, SurveyStatus

TEXT_LIMIT = 1000
SKIP_WORDS = ("跳过", "skip")


@feature.command("survey", access=MEMBERS, keywords=("测评",))
async def surveys(ctx: Context) -> None:
    assert ctx.member is not None
    found = await owed_by(ctx, ctx.member)
    if not found:
        ctx.say("surveys.none")
        return
    buttons = [
        Button(ctx.t("surveys.take", title=s.title[:20]), feature.payload("go", s.id))
        for s in found
    ]
    ctx.say("surveys.list", count=len(found), buttons=rows(*buttons, per_row=1))


@feature.button("go", access=MEMBERS)
async def start(ctx: Context) -> None:
    survey = await _open_survey(ctx, ctx.params[0] if ctx.params else "")
    if survey is None:
        return
    ctx.begin(feature.name, "answer", {"survey": survey.id, "at": 0, "answers": []}, anonymous=True)
    ctx.say("surveys.intro", title=survey.title)
    await _ask(ctx, survey)


async def _open_survey(ctx: Context, raw: str) -> Survey | None:
    survey = await ctx.db.surveys.get(param_id(raw))
    member = ctx.member
    assert member is not None
    if survey is None or survey.org_id != member.org_id:
        ctx.say("surveys.not_found")
        return None
    if not ctx.db.study.includes(survey.audience, member):
        ctx.say("surveys.not_for_you")
        return None
    now = ctx.now()
    if survey.status != SurveyStatus.open or now >= survey.closes_at or now < survey.opens_at:
        ctx.say("surveys.closed", title=survey.title)
        return None
    if await answered(ctx, survey, member):
        ctx.say("surveys.already", title=survey.title)
        return None
    return survey


async def _ask(ctx: Context, survey: Survey) -> None:
    questions = await ctx.db.surveys.questions(survey.id)  # type: ignore[arg-type]
    at = ctx.dialogue.data["at"]
    if at >= len(questions):
        ctx.send(
            Text(
                ctx.t("surveys.ready"),
                ((Button(ctx.t("surveys.submit"), feature.payload("send")),),),
            )
        )
        return
    question = questions[at]
    head = ctx.t("surveys.question", n=at + 1, total=len(questions), text=question.text)
    if question.kind == QuestionKind.text:
        key = "surveys.ask_text_optional" if not question.required else "surveys.ask_text"
        ctx.send(Text(f"{head}\n{ctx.t(key, limit=TEXT_LIMIT)}"))
        return
    labels = question.options if question.kind != QuestionKind.rating else ["1", "2", "3", "4", "5"]
    chosen = set(ctx.dialogue.data.get("picked", []))
    buttons = [
        Button(("✓ " if i in chosen else "") + label, feature.payload("a", at, i))
        for i, label in enumerate(labels)
    ]
    if question.kind == QuestionKind.multi:
        buttons.append(Button(ctx.t("surveys.multi_done"), feature.payload("md", at)))
    elif not question.required:  # an optional choice or rating: one tap passes it
        buttons.append(Button(ctx.t("surveys.skip"), feature.payload("sk", at)))
    if question.kind == QuestionKind.rating:
        head += "\n" + ctx.t("surveys.rating_scale")
    ctx.send(Text(head, rows(*buttons, per_row=4 if question.kind == QuestionKind.rating else 2)))


async def _current(ctx: Context) -> tuple[Survey, SurveyQuestion] | None:
    if ctx.dialogue.feature != feature.name or ctx.dialogue.step != "answer":
        ctx.say("surveys.lost")
        return None
    survey = await ctx.db.surveys.get(ctx.dialogue.data["survey"])
    questions = await ctx.db.surveys.questions(ctx.dialogue.data["survey"])
    at = ctx.dialogue.data["at"]
    if survey is None or at >= len(questions):
        return None
    if ctx.now() >= survey.closes_at:
        ctx.end()
        ctx.say("surveys.closed", title=survey.title)
        return None
    return survey, questions[at]


@feature.button("a", access=MEMBERS)
async def choose(ctx: Context) -> None:
    found = await _current(ctx)
    if found is None:
        return
    survey, question = found
    at, index = (param_id(p) if p else -1 for p in (*ctx.params, "", "")[:2])
    size = 5 if question.kind == QuestionKind.rating else len(question.options)
    if at != ctx.dialogue.data["at"] or not 0 <= index < size or question.kind == "text":
        ctx.say("error.stale_button")
        await _ask(ctx, survey)
        return
    if question.kind == QuestionKind.multi:
        picked = set(ctx.dialogue.data.get("picked", []))
        picked ^= {index}
        ctx.dialogue.data["picked"] = sorted(picked)
        await _ask(ctx, survey)
        return
    await _answer(ctx, survey, question, [index + 1 if question.kind == "rating" else index], "")


@feature.button("md", access=MEMBERS)
async def multi_done(ctx: Context) -> None:
    found = await _current(ctx)
    if found is None:
        return
    survey, question = found
    picked = ctx.dialogue.data.pop("picked", [])
    if not picked and question.required:
        ctx.say("surveys.required")
        await _ask(ctx, survey)
        return
    await _answer(ctx, survey, question, picked, "")


@feature.step("answer", access=MEMBERS)
async def typed(ctx: Context) -> None:
    found = await _current(ctx)
    if found is None:
        return
    survey, question = found
    words = strip_format_characters(ctx.args.strip())
    if question.kind != QuestionKind.text:
        if words.casefold() in SKIP_WORDS and not question.required:
            await _skip(ctx, survey, question)
            return
        ctx.say("surveys.required" if words.casefold() in SKIP_WORDS else "surveys.use_buttons")
        await _ask(ctx, survey)
        return
    if words.casefold() in SKIP_WORDS or not words:
        if question.required:
            ctx.say("surveys.required")
            return
        words = ""
    if len(words) > TEXT_LIMIT:
        ctx.say("surveys.text_too_long", limit=TEXT_LIMIT, length=len(words))
        return
    await _answer(ctx, survey, question, [], words)


@feature.button("sk", access=MEMBERS)
async def skip(ctx: Context) -> None:
    found = await _current(ctx)
    if found is None:
        return
    survey, question = found
    at = param_id(ctx.params[0]) if ctx.params else -1
    if at != ctx.dialogue.data["at"] or question.required:
        ctx.say("error.stale_button" if at != ctx.dialogue.data["at"] else "surveys.required")
        await _ask(ctx, survey)
        return
    await _skip(ctx, survey, question)


async def _skip(ctx: Context, survey: Survey, question: SurveyQuestion) -> None:
    ctx.dialogue.data.pop("picked", None)
    await _answer(ctx, survey, question, [], "")


async def _answer(
    ctx: Context, survey: Survey, question: SurveyQuestion, choices: list[int], text: str
) -> None:
    ctx.dialogue.data["answers"].append([question.id, choices, text])
    ctx.dialogue.data["at"] += 1
    await _ask(ctx, survey)


@feature.button("send", access=MEMBERS)
async def send(ctx: Context) -> None:
    if ctx.dialogue.feature != feature.name or ctx.dialogue.step != "answer":
        ctx.say("surveys.lost")
        return
    survey = await _open_survey(ctx, str(ctx.dialogue.data["survey"]))
    answers = ctx.dialogue.data["answers"]
    ctx.end()
    if survey is None:
        return
    assert ctx.member is not None
    batch = ctx.services.surveys.add(
        survey.id, ctx.member.id, (survey.id, ctx.member.id, [tuple(a) for a in answers])
    )
    if batch:
        await ctx.db.surveys.record([e for _, e in batch], ctx.today())  # type: ignore[misc]
    ctx.say("surveys.thanks", title=survey.title)
