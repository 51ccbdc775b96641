"""Typed dates and times (issue 4, "Bad input"; SPEC §7): read in the organization's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.timeparse import (
    REASONS,
    Parsed,
    TimeParseError,
    format_range,
    format_when,
    parse_range,
    parse_when,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


def local(*args: int, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def midnight(y: int, m: int, d: int, zone: ZoneInfo = SHANGHAI) -> datetime:
    return local(y, m, d, 0, 0, zone=zone)


MOMENTS = [
    # ISO-like
    ("2026-12-01 15:00", local(2026, 12, 1, 15, 0)),
    ("2026/12/1 15:00", local(2026, 12, 1, 15, 0)),
    ("2026-12-01T15:00", local(2026, 12, 1, 15, 0)),
    ("2026-12-01 15:00:30", local(2026, 12, 1, 15, 0, 30)),
    ("2026年12月1日 15:00", local(2026, 12, 1, 15, 0)),
    ("二〇二六年十二月一日下午三点", local(2026, 12, 1, 15, 0)),
    ("2027-01-05 09:00", local(2027, 1, 5, 9, 0)),
    # month/day
    ("12/1 15:00", local(2026, 12, 1, 15, 0)),
    ("12-1 15:00", local(2026, 12, 1, 15, 0)),
    ("12.1 15:00", local(2026, 12, 1, 15, 0)),
    ("12月1日 15:00", local(2026, 12, 1, 15, 0)),
    ("12月1日15:00", local(2026, 12, 1, 15, 0)),
    ("12月1日下午3点", local(2026, 12, 1, 15, 0)),
    ("12月1号15点30", local(2026, 12, 1, 15, 30)),
    ("十二月一日上午九点半", local(2026, 12, 1, 9, 30)),
    ("12月1日(周二)15:00", local(2026, 12, 1, 15, 0)),
    ("Tue 1 Dec 15:00", local(2026, 12, 1, 15, 0)),
    ("1 Dec 15:00", local(2026, 12, 1, 15, 0)),
    ("Dec 1, 2026 3pm", local(2026, 12, 1, 15, 0)),
    ("December 1st 2026 at 3pm", local(2026, 12, 1, 15, 0)),
    ("5号下午3点", local(2026, 12, 5, 15, 0)),
    # relative days and weekdays with a time
    ("明天下午3点", local(2026, 11, 26, 15, 0)),
    ("明天 15:00", local(2026, 11, 26, 15, 0)),
    ("后天上午9点", local(2026, 11, 27, 9, 0)),
    ("大后天晚上8点", local(2026, 11, 28, 20, 0)),
    ("tomorrow 3pm", local(2026, 11, 26, 15, 0)),
    ("3pm tomorrow", local(2026, 11, 26, 15, 0)),
    ("tomorrow at 9am", local(2026, 11, 26, 9, 0)),
    ("tomorrow noon", local(2026, 11, 26, 12, 0)),
    ("今晚8点", local(2026, 11, 25, 20, 0)),
    ("明早9点", local(2026, 11, 26, 9, 0)),
    ("明晚7点半", local(2026, 11, 26, 19, 30)),
    ("周五下午2点", local(2026, 11, 27, 14, 0)),
    ("下周三上午9点", local(2026, 12, 2, 9, 0)),
    ("下个星期三 9:00", local(2026, 12, 2, 9, 0)),
    ("下礼拜一 9:00", local(2026, 11, 30, 9, 0)),
    ("next Wednesday 9:30", local(2026, 12, 2, 9, 30)),
    ("next wed 9:30", local(2026, 12, 2, 9, 30)),
    ("Fri 3pm", local(2026, 11, 27, 15, 0)),
    # a time alone: today
    ("下午3点", local(2026, 11, 25, 15, 0)),
    ("晚上8点半", local(2026, 11, 25, 20, 30)),
    ("中午12点", local(2026, 11, 25, 12, 0)),
    ("中午1点", local(2026, 11, 25, 13, 0)),
    ("3点一刻", local(2026, 11, 25, 15, 15)),
    ("下午3点三刻", local(2026, 11, 25, 15, 45)),
    ("15:30", local(2026, 11, 25, 15, 30)),
    ("3pm", local(2026, 11, 25, 15, 0)),
    ("3 p.m.", local(2026, 11, 25, 15, 0)),
    ("3:30pm", local(2026, 11, 25, 15, 30)),
    ("11am", local(2026, 11, 25, 11, 0)),
    ("15点", local(2026, 11, 25, 15, 0)),
    ("15时30分", local(2026, 11, 25, 15, 30)),
    ("3点20分", local(2026, 11, 25, 15, 20)),
    ("3点20", local(2026, 11, 25, 15, 20)),
    ("3点钟", local(2026, 11, 25, 15, 0)),
    ("十五点", local(2026, 11, 25, 15, 0)),
    ("下午三点半", local(2026, 11, 25, 15, 30)),
    ("下午三点零五分", local(2026, 11, 25, 15, 5)),
    ("晚上十一点五十九分", local(2026, 11, 25, 23, 59)),
    ("两点", local(2026, 11, 25, 14, 0)),
    ("3:00", local(2026, 11, 25, 15, 0)),
    ("11点", local(2026, 11, 25, 11, 0)),
    ("noon", local(2026, 11, 25, 12, 0)),
    ("晚上12点", local(2026, 11, 26, 0, 0)),
    ("24:00", local(2026, 11, 26, 0, 0)),
    # full width, traditional characters, spaces
    ("１２月１日 １２：００", local(2026, 12, 1, 12, 0)),
    ("２０２６－１２－０１　１５：００", local(2026, 12, 1, 15, 0)),
    ("明天下午3點", local(2026, 11, 26, 15, 0)),
    ("  明天  下午 3 点  ", local(2026, 11, 26, 15, 0)),
    ("明天，下午3点", local(2026, 11, 26, 15, 0)),
]

DAYS = [
    ("2026-12-01", date(2026, 12, 1)),
    ("2026年12月1日", date(2026, 12, 1)),
    ("12月1日", date(2026, 12, 1)),
    ("12/1", date(2026, 12, 1)),
    ("今天", date(2026, 11, 25)),
    ("today", date(2026, 11, 25)),
    ("明天", date(2026, 11, 26)),
    ("tomorrow", date(2026, 11, 26)),
    ("后天", date(2026, 11, 27)),
    ("大后天", date(2026, 11, 28)),
    ("周三", date(2026, 11, 25)),  # a bare weekday is the next one, today included
    ("星期三", date(2026, 11, 25)),
    ("礼拜三", date(2026, 11, 25)),
    ("Wed", date(2026, 11, 25)),
    ("周二", date(2026, 12, 1)),
    ("周日", date(2026, 11, 29)),
    ("星期天", date(2026, 11, 29)),
    ("this fri", date(2026, 11, 27)),
    ("本周五", date(2026, 11, 27)),
    ("下周三", date(2026, 12, 2)),  # the Wednesday of next calendar week
    ("下周一", date(2026, 11, 30)),
    ("下周日", date(2026, 12, 6)),
    ("下下周一", date(2026, 12, 7)),
    ("next Wednesday", date(2026, 12, 2)),
    ("1/5", date(2027, 1, 5)),  # year-less: the nearest, here next year
    ("3月1日", date(2027, 3, 1)),
    ("11/25", date(2026, 11, 25)),
    ("5号", date(2026, 12, 5)),
    ("1 Dec", date(2026, 12, 1)),
    ("Tue 1 Dec", date(2026, 12, 1)),
]

RANGES = [
    ("12月1日 14:00-16:00", local(2026, 12, 1, 14, 0), local(2026, 12, 1, 16, 0)),
    ("12月1日 14:00－16:00", local(2026, 12, 1, 14, 0), local(2026, 12, 1, 16, 0)),
    ("12月1日 14:00～16:00", local(2026, 12, 1, 14, 0), local(2026, 12, 1, 16, 0)),
    ("12月1日 14:00—16:00", local(2026, 12, 1, 14, 0), local(2026, 12, 1, 16, 0)),
    ("12月1日 14:00至16:00", local(2026, 12, 1, 14, 0), local(2026, 12, 1, 16, 0)),
    ("12/1 9:00-11:30", local(2026, 12, 1, 9, 0), local(2026, 12, 1, 11, 30)),
    ("明天下午3点到5点", local(2026, 11, 26, 15, 0), local(2026, 11, 26, 17, 0)),
    ("明天上午9点到11点", local(2026, 11, 26, 9, 0), local(2026, 11, 26, 11, 0)),
    ("明天上午11点到1点", local(2026, 11, 26, 11, 0), local(2026, 11, 26, 13, 0)),
    ("明天下午3点到晚上8点", local(2026, 11, 26, 15, 0), local(2026, 11, 26, 20, 0)),
    ("明天晚上8点到10点", local(2026, 11, 26, 20, 0), local(2026, 11, 26, 22, 0)),
    ("明天下午2-4点", local(2026, 11, 26, 14, 0), local(2026, 11, 26, 16, 0)),
    ("明天14-16点", local(2026, 11, 26, 14, 0), local(2026, 11, 26, 16, 0)),
    (
        "2026-12-01 14:00 ~ 2026-12-01 16:30",
        local(2026, 12, 1, 14, 0),
        local(2026, 12, 1, 16, 30),
    ),
    ("2026-12-01 14:00 ~ 12-02 10:00", local(2026, 12, 1, 14, 0), local(2026, 12, 2, 10, 0)),
    ("14:00-16:00", local(2026, 11, 25, 14, 0), local(2026, 11, 25, 16, 0)),
    ("wed 3pm to 5pm", local(2026, 11, 25, 15, 0), local(2026, 11, 25, 17, 0)),
    ("from 2pm to 4pm tomorrow", local(2026, 11, 26, 14, 0), local(2026, 11, 26, 16, 0)),
    ("12月1日(周二)14:00–16:00", local(2026, 12, 1, 14, 0), local(2026, 12, 1, 16, 0)),
    ("12月1日 – 12月3日", midnight(2026, 12, 1), midnight(2026, 12, 3)),
    ("12/28-1/3", midnight(2026, 12, 28), midnight(2027, 1, 3)),
    ("周一到周五", midnight(2026, 11, 30), midnight(2026, 12, 4)),
]

REFUSALS = [
    ("", "time.unreadable", {}),
    ("   ", "time.unreadable", {}),
    ("下周开会", "time.unreadable", {}),
    ("hello", "time.unreadable", {}),
    ("2026", "time.unreadable", {}),
    ("明天 后天", "time.unreadable", {}),
    ("12月15点", "time.unreadable", {}),
    ("9999-12-31", "time.unreadable", {}),
    ("12月1日 14:00-16:00-18:00", "time.unreadable", {}),
    ("-16:00", "time.unreadable", {}),
    ("明天\x00下午3点", "time.unreadable", {}),
    ("明天" * 1000, "time.unreadable", {}),
    ("上午9点", "time.in_past", {"when": local(2026, 11, 25, 9, 0)}),
    ("9am", "time.in_past", {"when": local(2026, 11, 25, 9, 0)}),
    ("昨天", "time.in_past", {"when": date(2026, 11, 24)}),
    ("上周三", "time.in_past", {"when": date(2026, 11, 18)}),
    ("11/20", "time.in_past", {"when": date(2026, 11, 20)}),  # five days ago, not next year
    ("2026-11-25 09:59", "time.in_past", {"when": local(2026, 11, 25, 9, 59)}),
    ("2月30日", "time.no_such_date", {"y": 2026, "m": 2, "d": 30}),
    ("2/29", "time.no_such_date", {"y": 2026, "m": 2, "d": 29}),
    ("2026-02-29", "time.no_such_date", {"y": 2026, "m": 2, "d": 29}),
    ("2026-13-01", "time.no_such_date", {"y": 2026, "m": 13, "d": 1}),
    ("4月31日 9:00", "time.no_such_date", {"y": 2026, "m": 4, "d": 31}),
    ("25:00", "time.no_such_time", {}),
    ("3点70分", "time.no_such_time", {}),
    ("上午15点", "time.no_such_time", {}),
    ("13pm", "time.no_such_time", {}),
    ("24:30", "time.no_such_time", {}),
    ("12月1日周三", "time.weekday_mismatch", {"date": date(2026, 12, 1)}),
    ("Wed 1 Dec 15:00", "time.weekday_mismatch", {"date": date(2026, 12, 1)}),
    ("明天周五", "time.weekday_mismatch", {"date": date(2026, 11, 26)}),
    ("明天下午", "time.need_hour", {}),
    ("tomorrow afternoon", "time.need_hour", {}),
    ("12月1日 14:00-16:00", "time.one_only", {}),
]

RANGE_REFUSALS = [
    ("12月1日 16:00-14:00", "time.end_before_start"),
    ("12月1日 14:00-14:00", "time.end_before_start"),
    ("明天下午3点-2点", "time.end_before_start"),
    ("下午3点到明天上午10点", "time.end_before_start"),  # one date is the whole range's
    ("12月3日-12月1日", "time.end_before_start"),
    ("12月1日 - 16:00", "time.unreadable"),
    ("12月1日 14:00 - 12月2日", "time.unreadable"),
    ("14-16", "time.unreadable"),
    ("上午9点-11点", "time.in_past"),
]


@pytest.mark.parametrize(("text", "expected"), MOMENTS, ids=[m[0] for m in MOMENTS])
def test_moments(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW, SHANGHAI) == Parsed(expected, None, False)
    assert parse_range(text, NOW, SHANGHAI) == Parsed(expected, None, False)


@pytest.mark.parametrize(("text", "expected"), DAYS, ids=[d[0] for d in DAYS])
def test_days(text: str, expected: date) -> None:
    got = parse_when(text, NOW, SHANGHAI)
    assert got == Parsed(midnight(expected.year, expected.month, expected.day), None, True)
    assert got.start.astimezone(SHANGHAI).date() == expected


@pytest.mark.parametrize(("text", "start", "end"), RANGES, ids=[r[0] for r in RANGES])
def test_ranges(text: str, start: datetime, end: datetime) -> None:
    got = parse_range(text, NOW, SHANGHAI)
    assert (got.start, got.end) == (start, end)
    assert got.date_only == (start.astimezone(SHANGHAI).hour == 0)


@pytest.mark.parametrize(("text", "reason", "params"), REFUSALS, ids=[r[0][:30] for r in REFUSALS])
def test_refusals(text: str, reason: str, params: dict[str, object]) -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_when(text, NOW, SHANGHAI)
    assert caught.value.reason_key == reason
    assert caught.value.reason_key in REASONS
    given_params = {
        key: value.astimezone(UTC) if isinstance(value, datetime) else value
        for key, value in caught.value.params.items()
    }
    assert given_params == params


@pytest.mark.parametrize(("text", "reason"), RANGE_REFUSALS, ids=[r[0] for r in RANGE_REFUSALS])
def test_range_refusals(text: str, reason: str) -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_range(text, NOW, SHANGHAI)
    assert caught.value.reason_key == reason


def test_end_before_start_names_both() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_range("12月1日 16:00-14:00", NOW, SHANGHAI)
    assert caught.value.params_for(SHANGHAI, "zh") == {
        "start": "12月1日(周二)16:00",
        "end": "12月1日(周二)14:00",
    }
    assert caught.value.params_for(SHANGHAI, "en")["end"] == "Tue 1 Dec 14:00"


def test_allow_past() -> None:
    assert parse_when("上午9点", NOW, SHANGHAI, allow_past=True).start == local(2026, 11, 25, 9)
    assert parse_when("昨天", NOW, SHANGHAI, allow_past=True).start == midnight(2026, 11, 24)
    assert parse_when("11/20", NOW, SHANGHAI, allow_past=True).start == midnight(2026, 11, 20)
    # a bare weekday, past allowed: the nearer one (Monday was two days ago)
    assert parse_when("周一", NOW, SHANGHAI, allow_past=True).start == midnight(2026, 11, 23)
    assert parse_when("周一", NOW, SHANGHAI).start == midnight(2026, 11, 30)
    # the moment itself is not past
    assert parse_when("10:00", NOW, SHANGHAI).start == NOW.astimezone(UTC)


def test_year_less_dates_around_new_year() -> None:
    december = datetime(2026, 12, 20, 10, tzinfo=SHANGHAI)
    assert parse_when("1/5", december, SHANGHAI).start == midnight(2027, 1, 5)
    assert parse_when("1月5日 9:00", december, SHANGHAI).start == local(2027, 1, 5, 9)
    assert parse_when("5 Jan", december, SHANGHAI).start == midnight(2027, 1, 5)
    january = datetime(2027, 1, 10, 10, tzinfo=SHANGHAI)
    assert parse_when("12/28", january, SHANGHAI, allow_past=True).start == midnight(2026, 12, 28)
    with pytest.raises(TimeParseError) as caught:
        parse_when("12/28", january, SHANGHAI)  # last month, not eleven months ahead
    assert caught.value.reason_key == "time.in_past"
    assert parse_when("2/29", datetime(2027, 12, 1, tzinfo=SHANGHAI), SHANGHAI).start == midnight(
        2028, 2, 29
    )


def test_weekdays_from_a_sunday() -> None:
    sunday = datetime(2026, 11, 29, 10, tzinfo=SHANGHAI)
    assert parse_when("周三", sunday, SHANGHAI).start == midnight(2026, 12, 2)
    assert parse_when("下周三", sunday, SHANGHAI).start == midnight(2026, 12, 2)
    assert parse_when("周日", sunday, SHANGHAI).start == midnight(2026, 11, 29)
    assert parse_when("下周日", sunday, SHANGHAI).start == midnight(2026, 12, 6)


def test_default_minutes() -> None:
    got = parse_range("明天下午3点", NOW, SHANGHAI, default_minutes=90)
    assert (got.start, got.end) == (local(2026, 11, 26, 15), local(2026, 11, 26, 16, 30))
    assert parse_range("明天", NOW, SHANGHAI, default_minutes=90).end is None
    assert parse_range("明天下午3点", NOW, SHANGHAI).end is None


def test_other_zones_read_their_own_clock() -> None:
    now = datetime(2026, 11, 25, 10, tzinfo=BERLIN)
    assert parse_when("明天 15:00", now, BERLIN).start == datetime(2026, 11, 26, 14, tzinfo=UTC)
    # Shanghai is already on the 26th at 01:00 UTC: "today" follows the zone, not UTC
    late = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    assert parse_when("今天", late, SHANGHAI).start == midnight(2026, 11, 26)
    assert parse_when("今天", late, BERLIN).start == midnight(2026, 11, 25, BERLIN)


def test_daylight_saving_in_berlin() -> None:
    now = datetime(2026, 3, 27, 12, tzinfo=BERLIN)  # clocks go forward on Sunday 29 March
    assert parse_when("明天 10:00", now, BERLIN).start == datetime(2026, 3, 28, 9, tzinfo=UTC)
    assert parse_when("后天 10:00", now, BERLIN).start == datetime(2026, 3, 29, 8, tzinfo=UTC)
    # 02:30 does not exist that night: it moves forward by the gap, to 03:30 CEST
    skipped = parse_when("3/29 02:30", now, BERLIN).start
    assert skipped.astimezone(BERLIN).strftime("%H:%M") == "03:30"
    # a range across the change lasts its real length
    got = parse_range("3/29 01:00-04:00", now, BERLIN)
    assert got.end is not None and got.end - got.start == timedelta(hours=2)
    got = parse_range("3/28 10:00", now, BERLIN, default_minutes=24 * 60)
    assert got.end is not None and got.end.astimezone(BERLIN).hour == 11
    autumn = datetime(2026, 10, 23, 12, tzinfo=BERLIN)  # clocks go back on Sunday 25 October
    # 02:30 happens twice that night: the first one (CEST) is meant
    first = parse_when("10/25 02:30", autumn, BERLIN).start
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_when("10/25 03:00", autumn, BERLIN).start == datetime(2026, 10, 25, 2, tzinfo=UTC)
    assert parse_when("10/26", autumn, BERLIN).start == datetime(2026, 10, 25, 23, tzinfo=UTC)


def test_format_when() -> None:
    when = local(2026, 12, 1, 15, 0)
    assert format_when(when, SHANGHAI, "zh") == "12月1日(周二)15:00"
    assert format_when(when, SHANGHAI, "en") == "Tue 1 Dec 15:00"
    assert format_when(when, SHANGHAI, "zh", date_only=True) == "12月1日(周二)"
    assert format_when(date(2026, 12, 1), SHANGHAI, "en") == "Tue 1 Dec"
    assert format_when(when, BERLIN, "en") == "Tue 1 Dec 08:00"
    later = local(2027, 12, 1, 15, 0)
    assert format_when(later, SHANGHAI, "zh", now=NOW) == "2027年12月1日(周三)15:00"
    assert format_when(later, SHANGHAI, "en", now=NOW) == "Wed 1 Dec 2027 15:00"
    assert format_when(local(2027, 1, 5, 9), SHANGHAI, "en", now=NOW) == "Tue 5 Jan 09:00"


def test_format_range() -> None:
    start, end = local(2026, 12, 1, 14), local(2026, 12, 1, 16)
    assert format_range(start, end, SHANGHAI, "zh") == "12月1日(周二)14:00–16:00"
    assert format_range(start, end, SHANGHAI, "en") == "Tue 1 Dec 14:00–16:00"
    later = local(2026, 12, 2, 10)
    assert format_range(start, later, SHANGHAI, "zh") == "12月1日(周二)14:00 – 12月2日(周三)10:00"
    assert format_range(start, None, SHANGHAI, "en") == "Tue 1 Dec 14:00"
    for first, last in ((start, end), (start, later)):
        for lang in ("zh", "en"):
            got = parse_range(format_range(first, last, SHANGHAI, lang), NOW, SHANGHAI)
            assert (got.start, got.end) == (first, last)


EXAMPLES_ZH = [
    "明天下午3点",
    "12月1日 15:00",
    "2026-12-01 15:00",
    "下周三 9:30",
    "12月1日 14:00-16:00",
]
EXAMPLES_EN = ["tomorrow 3pm", "1 Dec 15:00", "next Wed 9:30", "1 Dec 14:00-16:00", "3:30pm"]


@pytest.mark.parametrize("text", [*EXAMPLES_ZH, *EXAMPLES_EN, "15:30", "下午3点半"])
def test_the_examples_in_the_messages_work(text: str) -> None:
    parse_range(text, NOW, SHANGHAI)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("明天", datetime(2026, 11, 25, 10), SHANGHAI)


# --- properties --------------------------------------------------------------------------

WORDS = [
    "明天", "后天", "今天", "下周", "周", "星期", "三", "日", "天", "上午", "下午", "晚上", "中午",
    "凌晨", "点", "时", "分", "半", "一刻", "十", "五", "两", "年", "月", "号", "1", "2", "12",
    "30", "2026", "0", ":", "：", "-", "－", "/", ".", "~", "到", "至", " ", "T", "am", "pm",
    "next", "wed", "dec", "tomorrow", "to", "(", "1st", "\x00", "\u200b", "٣", "½", "Ⅻ",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(WORDS), max_size=14).map("".join),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=600),
    ),
    allow_past=st.booleans(),
)
def test_arbitrary_text_is_read_or_refused(text: str, allow_past: bool) -> None:
    for parse in (parse_when, parse_range):
        try:
            got = parse(text, NOW, SHANGHAI, allow_past=allow_past)
        except TimeParseError as refused:
            assert refused.reason_key in REASONS
            refused.params_for(SHANGHAI, "en")
            continue
        assert got.start.tzinfo is UTC
        assert allow_past or got.start >= NOW - timedelta(days=1)
        assert got.end is None or got.end >= got.start


def test_huge_input_is_refused_quickly() -> None:
    for text in ("1" * 1_000_000, "明天下午3点" * 100_000, "\ufdfa" * 100):
        with pytest.raises(TimeParseError):
            parse_when(text, NOW, SHANGHAI)


CANONICAL = [
    lambda dt, zone: format_when(dt, zone, "zh", now=NOW),
    lambda dt, zone: format_when(dt, zone, "en", now=NOW),
    lambda dt, zone: dt.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    lambda dt, zone: dt.astimezone(zone).strftime("%Y/%m/%d %H:%M"),
    lambda dt, zone: dt.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
    lambda dt, zone: dt.astimezone(zone).strftime("%Y年%m月%d日 %H:%M"),
    lambda dt, zone: dt.astimezone(zone).strftime("%m/%d %H:%M").lstrip("0"),
]


def _unambiguous(instant: datetime, zone: ZoneInfo) -> bool:
    """Local clock readings that occur once (not in the repeated hour of a DST change)."""
    wall = instant.astimezone(zone).replace(tzinfo=None)
    return all(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) == instant for fold in (0, 1))


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.integers(min_value=-150 * 24 * 60, max_value=150 * 24 * 60),
    zone=st.sampled_from([SHANGHAI, BERLIN, ZoneInfo("America/New_York"), ZoneInfo("UTC")]),
    form=st.integers(min_value=0, max_value=len(CANONICAL) - 1),
)
def test_round_trip(minutes: int, zone: ZoneInfo, form: int) -> None:
    instant = NOW.astimezone(UTC) + timedelta(minutes=minutes)
    if not _unambiguous(instant, zone):
        return
    text = CANONICAL[form](instant, zone)
    assert parse_when(text, NOW, zone, allow_past=True).start == instant, text


@settings(max_examples=100, deadline=None)
@given(
    days=st.integers(min_value=-3000, max_value=3000),
    lang=st.sampled_from(["zh", "en"]),
    zone=st.sampled_from([SHANGHAI, BERLIN]),
)
def test_round_trip_of_days_any_year(days: int, lang: str, zone: ZoneInfo) -> None:
    day = date(2026, 11, 25) + timedelta(days=days)
    text = format_when(day, zone, lang, now=NOW)
    assert parse_when(text, NOW, zone, allow_past=True) == Parsed(
        midnight(day.year, day.month, day.day, zone), None, True
    )
