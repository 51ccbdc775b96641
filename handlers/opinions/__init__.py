"""The opinion box (意见箱): named and anonymous opinions, every one answered.

The modules register their commands, buttons and steps on one feature when imported.
"""

from handlers.opinions import compose, inbox, mine, receipt, submit, triage
from handlers.opinions.common import feature

__all__ = ["compose", "feature", "inbox", "mine", "receipt", "submit", "triage"]
