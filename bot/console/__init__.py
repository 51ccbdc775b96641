"""The web console for the campaign office, leaders and supervisors (see app.py)."""

from bot.console.app import Console

__all__ = ["Console"]
