"""indexes for a city-wide campaign (issue 9, target 5: BENCHMARKS.md shows the plans)

The ledger's listings by organization in order; the scheduler's look-ups across
organizations by time (sessions, deadlines, ledger items, open surveys, submissions), run
every few seconds; and the sub-item index made partial, since most items have no parent
and SQLite used the full index for "parent_id IS NULL", reading most of the table
through it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NOT_NULL = sa.text("parent_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.create_index("ix_item_org_seq", ["org_id", "seq"], unique=False)
        batch_op.create_index("ix_item_deadline", ["deadline"], unique=False)
        batch_op.drop_index("ix_rectification_item_parent_id")
        batch_op.create_index(
            "ix_rectification_item_parent_id",
            ["parent_id"],
            unique=False,
            sqlite_where=NOT_NULL,
            postgresql_where=NOT_NULL,
        )
    with op.batch_alter_table("study_session", schema=None) as batch_op:
        batch_op.create_index("ix_study_session_starts", ["starts_at"], unique=False)
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_due", ["due_at"], unique=False)
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index("ix_survey_open", ["status", "closes_at"], unique=False)
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index("ix_submission_submitted", ["submitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_submitted")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_open")
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_due")
    with op.batch_alter_table("study_session", schema=None) as batch_op:
        batch_op.drop_index("ix_study_session_starts")
    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.drop_index("ix_rectification_item_parent_id")
        batch_op.create_index("ix_rectification_item_parent_id", ["parent_id"], unique=False)
        batch_op.drop_index("ix_item_deadline")
        batch_op.drop_index("ix_item_org_seq")
