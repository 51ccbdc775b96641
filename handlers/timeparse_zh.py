"""Reading typed dates and times into tokens: normalization and the word lists.

Chinese first (numerals, 上午/下午, 周三, 12月1日), English too (3pm, next Wed, 1 Dec).
Pure text work; the meaning (which year, which day, past or not) is in handlers.timeparse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MAX_LENGTH = 120  # characters after normalization; longer input is not a date


@dataclass(frozen=True, slots=True)
class Day:
    y: int | None  # a date as typed: the year, and for "5号" the month, may be missing
    m: int | None
    d: int


@dataclass(frozen=True, slots=True)
class Rel:
    days: int  # 今天 0, 明天 1, 后天 2, 昨天 -1


@dataclass(frozen=True, slots=True)
class Week:
    wd: int  # 0 = Monday
    shift: int | None  # None for a bare 周三, else weeks from this one (下周 = 1)


@dataclass(frozen=True, slots=True)
class Part:
    name: str  # part of the day: early (凌晨), am, noon, pm, night


@dataclass(frozen=True, slots=True)
class Clock:
    h: int  # a time of day as typed
    mi: int = 0
    s: int = 0
    zero: bool = False  # the hour written with a leading zero (03:00)
    ampm: str | None = None
    bare: bool = False  # a lone number, an hour only next to a range separator ("2-4点")


@dataclass(frozen=True, slots=True)
class Sep:
    pass  # the separator of a range: -, ~, 至, 到, to


Token = Day | Rel | Week | Part | Clock | Sep

_FOLD = str.maketrans(
    {"點": "点", "時": "时", "週": "周", "號": "号", "後": "后", "禮": "礼", "〜": "~", "～": "~"}
)
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_CN_RUN = re.compile("[〇零一二两三四五六七八九十]+")


def _cn_number(match: re.Match[str]) -> str:
    run = match.group()
    if "十" not in run:
        return "".join(str(_CN_DIGIT[c]) for c in run)
    tens, _, units = run.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return run  # not a number we read; the lexer will refuse it
    return str((_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0))


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), traditional variants, lower case, 十五 → 15."""
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    return _CN_RUN.sub(_cn_number, folded)


def _table(spec: str) -> dict[str, str]:
    return dict(item.split("=") for item in spec.split())


# fmt: off
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
_WEEKDAY = (
    r"(mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)(?![a-z])\.?"
)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_YEAR = r"(?:,?\s*([0-9]{4})(?![0-9:]))?"


_REL = {word: int(n) for word, n in _table(
    "大后天=3 后天=2 明天=1 明日=1 今天=0 今日=0 昨天=-1 昨日=-1 前天=-2 tomorrow=1 tmrw=1 tmr=1"
    " today=0 yesterday=-1").items()} | {"day after tomorrow": 2}
_PARTS = _table(
    "凌晨=early 半夜=early 早上=am 早晨=am 清晨=am 上午=am 早=am morning=am 中午=noon 正午=noon"
    " 下午=pm 午后=pm 傍晚=pm afternoon=pm 晚上=night 晚间=night 夜里=night 夜间=night 晚=night"
    " evening=night night=night")
_COMPOUND = {"今晚": (0, "night"), "今夜": (0, "night"), "tonight": (0, "night"),
             "明早": (1, "am"), "明晨": (1, "am"), "明晚": (1, "night")}
_SHIFT = {None: None, "上上": -2, "上": -1, "本": 0, "这": 0, "下": 1, "下下": 2,
          "next": 1, "last": -1, "this": None}
# fmt: on


def _words(table: dict[str, object]) -> str:
    return "(" + "|".join(re.escape(w) for w in sorted(table, key=len, reverse=True)) + ")"


def _clock(m: re.Match[str]) -> tuple[Token, ...]:
    hour, minute, second, ampm = m.group(1, 2, 3, 4)
    zero = len(hour) == 2 and hour[0] == "0"
    return (Clock(int(hour), int(minute), int(second or 0), zero, ampm and ampm + "m"),)


def _zh_clock(m: re.Match[str]) -> tuple[Token, ...]:
    hour, half, quarters, minute, spaced = m.group(1, 2, 3, 4, 5)
    minutes = 30 if half else 15 * int(quarters) if quarters else int(minute or spaced or 0)
    return (Clock(int(hour), minutes, 0, len(hour) == 2 and hour[0] == "0"),)


_Make = Callable[[re.Match[str]], tuple[Token, ...]]
# The rules, tried in order at each position; a table reads best aligned.
# fmt: off
_RULES: list[tuple[str, _Make]] = [
    (r"\s+", lambda m: ()),
    (r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})(?![0-9])\s*[日号]?",
     lambda m: (Day(int(m[1]), int(m[2]), int(m[3])),)),
    (r"([0-9]{1,2})\s*月\s*([0-9]{1,2})(?:\s*[日号]|(?![0-9]*\s*[点时:]))",
     lambda m: (Day(None, int(m[1]), int(m[2])),)),
    (r"(1[0-2]|0?[1-9])[-/.](3[01]|[12][0-9]|0?[1-9])(?![0-9.:]|\s*[点时])",
     lambda m: (Day(None, int(m[1]), int(m[2])),)),
    (r"([0-9]{1,2})\s*[日号]", lambda m: (Day(None, None, int(m[1])),)),
    (r"([0-9]{1,2})(?:st|nd|rd|th)?\s*" + _MONTH + _YEAR,
     lambda m: (Day(m[3] and int(m[3]), MONTHS.index(m[2][:3]) + 1, int(m[1])),)),
    (_MONTH + r"\s*([0-9]{1,2})(?:st|nd|rd|th)?(?![0-9:])" + _YEAR,
     lambda m: (Day(m[3] and int(m[3]), MONTHS.index(m[1][:3]) + 1, int(m[2])),)),
    (_words(_COMPOUND), lambda m: (Rel(_COMPOUND[m[1]][0]), Part(_COMPOUND[m[1]][1]))),
    (_words(_REL) + r"(?![a-z])", lambda m: (Rel(_REL[m[1]]),)),
    (r"(上上|下下|上|下|本|这)?个?(?:周|星期|礼拜)([1-7日天])",
     lambda m: (Week(6 if m[2] in "日天7" else int(m[2]) - 1, _SHIFT[m[1]]),)),
    (r"(?:(next|this|last)\s+)?" + _WEEKDAY,
     lambda m: (Week(WEEKDAYS.index(m[2][:3]), _SHIFT[m[1]]),)),
    (r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?![0-9])(?:\s*([ap])\.?m(?![a-z])\.?)?", _clock),
    (r"([0-9]{1,2})\s*[点时](?:(半)|([1-3])刻|([0-9]{1,2})分?|\s+([0-9]{1,2})分)?(?:钟|整)?",
     _zh_clock),
    (r"([0-9]{1,2})\s*([ap])\.?m(?![a-z])\.?", lambda m: (Clock(int(m[1]), ampm=m[2] + "m"),)),
    (r"noon(?![a-z])", lambda m: (Clock(12, zero=True),)),
    (_words(_PARTS) + r"(?![a-z])", lambda m: (Part(_PARTS[m[1]]),)),
    (r"(?:~|-|—+|–|―|−|‐|至|到|(?:to|until|till|thru|through)(?![a-z]))", lambda m: (Sep(),)),
    (r"([0-9]{1,2})(?![0-9])", lambda m: (Clock(int(m[1]), zero=m[1][0] == "0", bare=True),)),
    (r"(?:在|于|从|自|的|开始|起|[,、()\[\]【】「」<>\"'@]|t(?=[0-9])"
     r"|(?:at|on|from|in|the)(?![a-z]))", lambda m: ()),
]
# fmt: on
_COMPILED = [(re.compile(rx), make) for rx, make in _RULES]


def tokens(text: str) -> list[Token] | None:
    """The tokens of ``text``, or None when some part of it is not a date or time word."""
    if len(text) > MAX_LENGTH or len(s := normalize(text)) > MAX_LENGTH:
        return None
    pos, out = 0, []
    while pos < len(s):
        for rx, make in _COMPILED:
            m = rx.match(s, pos)
            if m and m.end() > pos:
                out.extend(make(m))
                pos = m.end()
                break
        else:
            return None
    return out


# part of the day → {typed hour: hour on the 24-hour clock}
_PART_HOURS = {
    "early": {h: h for h in range(7)} | {12: 0},
    "am": {h: h for h in range(13)},
    "noon": {11: 11, 12: 12, 1: 13, 2: 14, 13: 13, 14: 14},
    "pm": {h: h + 12 for h in range(1, 12)} | {12: 12} | {h: h for h in range(13, 24)},
    "night": {h: h + 12 for h in range(5, 12)} | {12: 24} | {h: h for h in range(17, 24)},
}
HMS = tuple[int, int, int]


def hours(c: Clock, part: str | None) -> HMS | None:
    """(hour 0–24, minute, second), or None for no such time (25:00, 上午15点).

    An hour 1–6 with no part of the day, no am/pm and no leading zero is afternoon."""
    if c.ampm is not None:
        hour = c.h % 12 + (12 if c.ampm == "pm" else 0) if 1 <= c.h <= 12 else None
    elif part is not None:
        hour = _PART_HOURS[part].get(c.h)
    else:
        hour = c.h + 12 if 1 <= c.h <= 6 and not c.zero else c.h
    if hour is None or hour > 24 or c.mi > 59 or c.s > 59 or (hour == 24 and c.mi + c.s):
        return None
    return hour, c.mi, c.s


def end_hours(c: Clock, part: str | None, start: HMS) -> HMS | None:
    """An end on the start's day: "3点到5点" after 下午3点 is 17:00, the first such hour after."""
    if c.ampm is not None or part is not None or c.zero or not 1 <= c.h <= 12:
        return hours(c, part)
    for hour in (c.h, c.h + 12) if c.h < 12 else (12,):
        if (hour, c.mi, c.s) > start:
            return hours(Clock(hour, c.mi, c.s, zero=True), None)
    return hours(Clock(c.h, c.mi, c.s, zero=True), None)


def real_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def pick_day(m: int | None, d: int, anchor: date) -> date | None:
    """A year-less date (no month either for "5号"): the nearest to ``anchor``, the later
    on a tie; None when there is no such date near it (2月30日)."""
    if m is not None:
        months = [(anchor.year + k, m) for k in (-1, 0, 1)]
    else:
        serial = [anchor.year * 12 + anchor.month - 1 + k for k in (-1, 0, 1)]
        months = [(n // 12, n % 12 + 1) for n in serial]
    found = [day for y, month in months if (day := real_date(y, month, d))]
    if not found:
        return None
    return min(found, key=lambda day: (abs((day - anchor).days), day < anchor))


def pick_week(t: Week, today: date, anchor: date, mode: str) -> date:
    """下周三 (shift 1): in the calendar week after today's. A bare 周三: the next one from
    ``anchor``, that day included, or in mode "nearest" the nearer of the next and the last."""
    if t.shift is not None:
        return today + timedelta(days=7 * t.shift + t.wd - today.weekday())
    ahead = (t.wd - anchor.weekday()) % 7
    if mode == "upcoming" or ahead <= 3:
        return anchor + timedelta(days=ahead)
    return anchor - timedelta(days=7 - ahead)
