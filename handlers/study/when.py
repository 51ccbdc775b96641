"""A session's time as the organizer types it, read with handlers/timeparse.py in the
organization's zone ("明天下午3点到5点", "12月1日 14:30-16:30", "2026-12-01 14:30"): a
start alone makes a session of the usual length; a day alone, or a sitting longer than
twelve hours, is refused with an example."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.timeparse import TimeParseError, format_range, format_when, parse_range, parse_when

WhenError = TimeParseError
LONGEST = timedelta(hours=12)  # one sitting; a three-day course is three sessions
DEFAULT_MINUTES = 120  # when only the start is typed

__all__ = ["WhenError", "example", "format_day", "format_span", "format_when", "parse_span"]


def parse_span(text: str, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    found = parse_range(text, now, zone, default_minutes=DEFAULT_MINUTES)
    if found.date_only or found.end is None:
        raise TimeParseError("study.when_need_hours", example=example(now, zone))
    if found.end - found.start > LONGEST:
        raise TimeParseError("study.when_too_long", hours=int(LONGEST.total_seconds() // 3600))
    return found.start, found.end


def parse_time(text: str, now: datetime, zone: ZoneInfo, *, allow_past: bool = False) -> datetime:
    """One moment with its hour (the command line's --start and --end)."""
    found = parse_when(text, now, zone, allow_past=allow_past)
    if found.date_only:
        raise TimeParseError("time.need_hour")
    return found.start


def example(now: datetime, zone: ZoneInfo) -> str:
    """Tomorrow afternoon, as the organizer would type it."""
    day = (now.astimezone(zone) + timedelta(days=1)).date()
    return f"{day.isoformat()} 14:30-16:30"


def format_span(start: datetime, end: datetime, zone: ZoneInfo, lang: str) -> str:
    """``12月1日(周二)14:30–16:30``; both ends in full when it runs past midnight."""
    return format_range(start, end, zone, lang)


def format_day(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    return format_when(moment, zone, lang, date_only=True)
