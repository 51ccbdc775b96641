"""SPEC §6 in the schema: nothing reachable from an anonymous opinion can hold its author's
member id, chat id, update or message id, or a hash of one; its dates are days."""

from __future__ import annotations

from sqlalchemy import Date, ForeignKey
from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel

import storage.all_models  # noqa: F401
from storage.types import UTCDateTime

ANONYMOUS = {"anon_thread", "anon_post"}
# Every column, by name, so that adding one makes this test ask whether it is safe.
EXPECTED = {
    "anon_thread": {
        "id", "org_id", "receipt_hash", "pseudonym", "target", "target_id", "category",
        "status", "assignee_id", "problem_id", "closed_reason", "received_on",
        "released_on", "answered_on", "reminded",
    },
    "anon_post": {
        "id", "thread_id", "position", "side", "text", "office", "received_on", "released",
    },
}  # fmt: skip
# The one member an anonymous thread names is the leader it is assigned to for an answer,
# chosen by the office; never the author.
STAFF_REFERENCES = {("anon_thread", "assignee_id")}


def _fk_targets(table: str) -> dict[str, str]:
    found = {}
    for column in SQLModel.metadata.tables[table].columns:
        for fk in column.foreign_keys:
            assert isinstance(fk, ForeignKey)
            found[column.name] = fk.target_fullname.split(".")[0]
    return found


def test_anonymous_tables_have_exactly_the_reviewed_columns() -> None:
    for table, columns in EXPECTED.items():
        assert set(SQLModel.metadata.tables[table].columns.keys()) == columns, table


def test_no_reference_to_a_member_or_chat_account_but_the_assigned_leader() -> None:
    for table in ANONYMOUS:
        for column, target in _fk_targets(table).items():
            if target in ("member", "channel_identity"):
                assert (table, column) in STAFF_REFERENCES, f"{table}.{column} → {target}"
            assert target in ("organization", "member", "problem", "anon_thread"), target


def test_nothing_else_points_at_anonymous_rows() -> None:
    """No other table (outbox, audit, dialogue…) can tie an anonymous thread to anyone."""
    for name, table in SQLModel.metadata.tables.items():
        if name in ANONYMOUS:
            continue
        for column in table.columns:
            for fk in column.foreign_keys:
                assert fk.target_fullname.split(".")[0] not in ANONYMOUS, f"{name}.{column.name}"


def test_anonymous_dates_are_days_and_ids_are_random() -> None:
    for table in ANONYMOUS:
        for column in SQLModel.metadata.tables[table].columns:
            assert not isinstance(column.type, UTCDateTime), f"{table}.{column.name}"
            if column.name.endswith("_on"):
                assert isinstance(column.type, Date)
        id_column = SQLModel.metadata.tables[table].columns["id"]
        assert id_column.autoincrement is False and id_column.default is not None
        # On SQLite the id must be the rowid itself, or a hidden sequential rowid remains.
        assert id_column.type.compile(dialect=sqlite.dialect()) == "INTEGER"


def test_ratings_keep_who_apart_from_what() -> None:
    tables = SQLModel.metadata.tables
    assert set(tables["rating_participation"].columns.keys()) == {"item_id", "member_id"}
    assert set(tables["rating_tally"].columns.keys()) == {"item_id", "choice", "count"}
    assert set(tables["rating_comment"].columns.keys()) == {"id", "item_id", "text", "day"}
    assert tables["rating_comment"].columns["id"].autoincrement is False
    for name in ("rating_tally", "rating_comment"):
        assert "member" not in _fk_targets(name).values(), name


def test_survey_answers_keep_who_apart_from_what() -> None:
    tables = SQLModel.metadata.tables
    assert set(tables["survey_participation"].columns.keys()) == {"survey_id", "member_id"}
    assert set(tables["survey_response"].columns.keys()) == {"id", "survey_id", "day"}
    assert set(tables["survey_answer"].columns.keys()) == {
        "id", "response_id", "question_id", "choices", "text",
    }  # fmt: skip
    for name in ("survey_response", "survey_answer"):
        assert "member" not in _fk_targets(name).values(), name
        assert tables[name].columns["id"].autoincrement is False
        assert tables[name].columns["id"].type.compile(dialect=sqlite.dialect()) == "INTEGER"
