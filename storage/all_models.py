"""Imports every model module so that SQLModel.metadata knows all tables."""

from storage import ledger_models, models, opinion_models, study_models  # noqa: F401
