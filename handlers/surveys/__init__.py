"""Surveys (民主测评 / 满意度测评 / 群众评议): anonymous by design, answered in a few taps."""

from handlers.surveys import manage, take
from handlers.surveys.common import feature, open_survey_from_template
from handlers.surveys.reminders import flush_answers, survey_dues

__all__ = ["feature", "flush_answers", "manage", "open_survey_from_template", "survey_dues", "take"]
