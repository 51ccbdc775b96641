"""Study (学习): sessions and their reminders, 我会参加 / 请假, check-in, self-study and
study hours, the member's calendar feed, and the campaign office's session management.

The modules register their commands, buttons and steps on one feature when imported;
``session_reminders`` is the scheduler's source of reminder moments.
"""

from handlers.study import answers, attendance, checkin, hours, manage, organize, overview
from handlers.study.common import feature
from handlers.study.reminders import session_reminders

__all__ = [
    "answers",
    "attendance",
    "checkin",
    "feature",
    "hours",
    "manage",
    "organize",
    "overview",
    "session_reminders",
]
