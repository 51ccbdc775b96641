"""Deadlines (截止): what members still owe, handing it in, and the office's view of it."""

from handlers.deadlines import member, organizer
from handlers.deadlines.common import feature
from handlers.deadlines.reminders import deadline_reminders

__all__ = ["deadline_reminders", "feature", "member", "organizer"]
