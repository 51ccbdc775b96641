"""Imports every model module so that SQLModel.metadata knows all tables."""

from storage import (  # noqa: F401
    console_models,
    examine_models,
    files,
    ledger_models,
    models,
    opinion_models,
    study_models,
)
