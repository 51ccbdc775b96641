"""Dates and times as people type them on a phone, read in the organization's time zone.

``parse_when("明天下午3点", now, zone)`` gives the instant in UTC; ``parse_range`` reads a
session ("12月1日 14:00-16:00"); ``format_when`` renders an instant back for confirmation.
What cannot be read, or is in the past, raises ``TimeParseError(reason_key, **params)``
with a catalog key (``time.*``) the caller shows in the member's language.

Decisions: 12/1 is month/day. A year-less date is the nearest one to today (typing 1/5 in
December is next January; 11/20 on 25 November is five days ago). A bare weekday (周三,
Wed) is the next one, today included; 下周三 / next Wed is the Wednesday of next calendar
week (weeks start on Monday). An hour 1–6 with no 上午/下午/am/pm and no leading zero is
afternoon ("3点" is 15:00; write 凌晨3点, 3am or 03:00 for the night); 7–12 are as written.
A time alone is today. A local time skipped by a DST change moves forward by the gap; a
time that occurs twice is the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers import timeparse_zh as words
from handlers.timeparse_zh import Clock, Day, Token

REASONS = (
    "time.unreadable",  # not a date or time we read
    "time.in_past",  # {when}
    "time.end_before_start",  # {start} {end}
    "time.no_such_date",  # {y} {m} {d}: 2月30日
    "time.no_such_time",  # 25:00, 3点70分, 上午15点
    "time.weekday_mismatch",  # {date}: 12月1日周三 (it is a Tuesday)
    "time.need_hour",  # 明天下午 (which hour?)
    "time.one_only",  # a range where one moment is wanted
)
_YEARS = 100  # explicit years further than this from now are not read


class TimeParseError(ValueError):
    def __init__(self, reason_key: str, /, **params: object) -> None:
        super().__init__(reason_key)
        self.reason_key = reason_key
        self.params = params

    def params_for(
        self, zone: ZoneInfo, lang: str, now: datetime | None = None
    ) -> dict[str, object]:
        """The params with dates and instants rendered for ``lang`` (see format_when)."""
        return {
            key: format_when(value, zone, lang, now=now) if isinstance(value, date) else value
            for key, value in self.params.items()
        }


@dataclass(frozen=True, slots=True)
class Parsed:
    """Instants in UTC. When ``date_only``, start (and end) are local midnights of the days."""

    start: datetime
    end: datetime | None = None
    date_only: bool = False


def parse_when(text: str, now: datetime, zone: ZoneInfo, *, allow_past: bool = False) -> Parsed:
    start, end = _read(text, now, zone, allow_past)
    if end is not None:
        raise TimeParseError("time.one_only")
    _check_past(start, now, zone, allow_past)
    return Parsed(_instant(start, zone), None, not isinstance(start, datetime))


def parse_range(
    text: str,
    now: datetime,
    zone: ZoneInfo,
    *,
    allow_past: bool = False,
    default_minutes: int | None = None,
) -> Parsed:
    """A start and an end; with no end typed, start + default_minutes (or no end)."""
    start, end = _read(text, now, zone, allow_past)
    _check_past(start, now, zone, allow_past)
    first, timed = _instant(start, zone), isinstance(start, datetime)
    if end is None:
        use_default = timed and default_minutes is not None
        last = first + timedelta(minutes=default_minutes or 0) if use_default else None
    else:
        last = _instant(end, zone)
        if last < first or (timed and last == first):
            raise TimeParseError("time.end_before_start", start=start, end=end)
    return Parsed(first, last, not timed)


_ZH_WEEKDAYS = "一二三四五六日"
_EN_WEEKDAYS = tuple(name.title() for name in words.WEEKDAYS)
_EN_MONTHS = tuple(name.title() for name in words.MONTHS)


def format_when(
    when: date, zone: ZoneInfo, lang: str, *, now: datetime | None = None, date_only: bool = False
) -> str:
    """zh "12月1日(周二)15:00", en "Tue 1 Dec 15:00"; a date alone without the time.

    With ``now``, the year is shown where parse_when would otherwise read another year.
    """
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("format_when needs an aware datetime")
        local = when.astimezone(zone)
        day, clock = local.date(), "" if date_only else f"{local:%H:%M}"
    else:
        day, clock = when, ""
    year = False
    if now is not None:
        today = now.astimezone(zone).date()
        year = words.pick_day(day.month, day.day, today) != day
    if lang == "en":
        text = f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]}"
        return f"{text} {day.year} {clock}".strip() if year else f"{text} {clock}".strip()
    head = f"{day.year}年" if year else ""
    return f"{head}{day.month}月{day.day}日(周{_ZH_WEEKDAYS[day.weekday()]}){clock}"


def format_range(
    start: datetime,
    end: datetime | None,
    zone: ZoneInfo,
    lang: str,
    *,
    now: datetime | None = None,
    date_only: bool = False,
) -> str:
    """Same day "12月1日(周二)14:00–16:00", else "… – …"; parse_range reads it back."""
    first = format_when(start, zone, lang, now=now, date_only=date_only)
    if end is None:
        return first
    if not date_only and start.astimezone(zone).date() == end.astimezone(zone).date():
        return f"{first}–{end.astimezone(zone):%H:%M}"
    return f"{first} – {format_when(end, zone, lang, now=now, date_only=date_only)}"


_Moment = date | datetime  # a local day, or a local aware datetime


def _read(
    text: str, now: datetime, zone: ZoneInfo, allow_past: bool
) -> tuple[_Moment, _Moment | None]:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    found = words.tokens(text) if isinstance(text, str) else None
    if not found:
        raise TimeParseError("time.unreadable")
    sides: list[list[Token]] = [[]]
    for token in found:
        if isinstance(token, words.Sep):
            sides.append([])
        else:
            sides[-1].append(token)
    if len(sides) > 2 or not all(sides):
        raise TimeParseError("time.unreadable")
    today = now.astimezone(zone).date()
    week_mode = "nearest" if allow_past else "upcoming"
    day1, clock1, part1 = _side(sides[0], today, today, week_mode)
    if len(sides) == 1:
        if clock1 is None and day1 is not None:
            return day1, None
        if clock1 is None or clock1.bare:
            raise TimeParseError("time.unreadable")
        return _at(day1 or today, _hms(words.hours(clock1, part1)), zone), None
    day2, clock2, part2 = _side(sides[1], today, day1 or today, "upcoming")
    if clock1 is None and clock2 is None:
        if day1 is None or day2 is None:
            raise TimeParseError("time.unreadable")
        return day1, day2
    if clock1 is None or clock2 is None or (clock1.bare and clock2.bare):
        raise TimeParseError("time.unreadable")
    start_day = day1 or day2 or today  # "2pm to 4pm tomorrow": one date for the range
    end_day = day2 or start_day
    first = _hms(words.hours(clock1, part1))
    if end_day == start_day:
        last = _hms(words.end_hours(clock2, part2, first))
    else:
        last = _hms(words.hours(clock2, part2))
    return _at(start_day, first, zone), _at(end_day, last, zone)


def _side(
    found: list[Token], today: date, anchor: date, week_mode: str
) -> tuple[date | None, Clock | None, str | None]:
    days = [t for t in found if isinstance(t, Day | words.Rel)]
    weeks = [t for t in found if isinstance(t, words.Week)]
    parts = [t.name for t in found if isinstance(t, words.Part)]
    clocks = [t for t in found if isinstance(t, Clock)]
    if len(days) > 1 or len(weeks) > 1 or len(parts) > 1 or len(clocks) > 1:
        raise TimeParseError("time.unreadable")
    day: date | None = None
    if days:
        first = days[0]
        if isinstance(first, words.Rel):
            day = today + timedelta(days=first.days)
        else:
            day = _day(first, today, anchor)
    if weeks:
        by_week = words.pick_week(weeks[0], today, anchor, week_mode)
        if day is None:
            day = by_week
        elif day.weekday() != weeks[0].wd or (weeks[0].shift is not None and day != by_week):
            raise TimeParseError("time.weekday_mismatch", date=day)
    if parts and not clocks:
        raise TimeParseError("time.need_hour")
    return day, clocks[0] if clocks else None, parts[0] if parts else None


def _day(t: Day, today: date, anchor: date) -> date:
    if t.y is not None:
        if abs(t.y - today.year) > _YEARS:
            raise TimeParseError("time.unreadable")
        found = words.real_date(t.y, t.m or 0, t.d)
    else:
        found = words.pick_day(t.m, t.d, anchor)
    if found is None:
        raise TimeParseError(
            "time.no_such_date", y=t.y or anchor.year, m=t.m or anchor.month, d=t.d
        )
    return found


def _hms(found: tuple[int, int, int] | None) -> tuple[int, int, int]:
    if found is None:
        raise TimeParseError("time.no_such_time")
    return found


def _at(day: date, hms: tuple[int, int, int], zone: ZoneInfo) -> datetime:
    hour, minute, second = hms
    if hour == 24:
        day, hour = day + timedelta(days=1), 0
    return datetime.combine(day, time(hour, minute, second), tzinfo=zone)


def _instant(moment: _Moment, zone: ZoneInfo) -> datetime:
    local = moment if isinstance(moment, datetime) else _at(moment, (0, 0, 0), zone)
    return local.astimezone(UTC)


def _check_past(start: _Moment, now: datetime, zone: ZoneInfo, allow_past: bool) -> None:
    if isinstance(start, datetime):  # compared as instants: wall clocks may repeat (DST)
        past = start.astimezone(UTC) < now.astimezone(UTC)
    else:
        past = start < now.astimezone(zone).date()
    if past and not allow_past:
        raise TimeParseError("time.in_past", when=start)
