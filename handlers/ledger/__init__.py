"""The rectification ledger (整改台帐) in chat: tasks and progress, review, the public notice
and the masses' rating, creating items."""

from handlers.ledger import (
    bulletin_chat,
    create,
    evidence,
    public,
    ratings,
    review,
    structure,
    tasks,
)
from handlers.ledger.common import feature
from handlers.ledger.reminders import item_reminders

__all__ = [
    "bulletin_chat",
    "create",
    "evidence",
    "feature",
    "item_reminders",
    "public",
    "ratings",
    "review",
    "structure",
    "tasks",
]
