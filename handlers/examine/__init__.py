"""The examine stage (查摆问题、开展批评): heart-to-heart talks and their coverage, the
main leader's review of self-examination reports, and the democratic life meeting.

The modules register their commands, buttons and steps on one feature when imported.
"""

from handlers.examine import confirm, coverage, meeting, meeting_new, minutes, reports, talks
from handlers.examine.common import feature
from handlers.examine.reminders import examine_reminders

__all__ = [
    "confirm",
    "coverage",
    "examine_reminders",
    "feature",
    "meeting",
    "meeting_new",
    "minutes",
    "reports",
    "talks",
]
