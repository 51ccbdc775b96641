"""rectification ledger

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RANDOM_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_org_id"), ["org_id"], unique=False)

    op.create_table(
        "rectification_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("goal", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("measures", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("pledge", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("finished_on", sa.Date(), nullable=True),
        sa.Column("rating_closes_on", sa.Date(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("reminded", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["rectification_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.create_index("ix_item_org_status", ["org_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rectification_item_leader_id"), ["leader_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rectification_item_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rectification_item_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rectification_item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestone_item_id"), ["item_id"], unique=False)

    op.create_table(
        "progress_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rectification_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_report_item_id"), ["item_id"], unique=False)

    op.create_table(
        "rating_comment",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rectification_item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rating_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_comment_item_id"), ["item_id"], unique=False)

    op.create_table(
        "rating_participation",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rectification_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("item_id", "member_id"),
    )
    op.create_table(
        "rating_tally",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("choice", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rectification_item.id"],
        ),
        sa.PrimaryKeyConstraint("item_id", "choice"),
    )
    with op.batch_alter_table("problem_item", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_problem_item_item", "rectification_item", ["item_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("problem_item", schema=None) as batch_op:
        batch_op.drop_constraint("fk_problem_item_item", type_="foreignkey")

    op.drop_table("rating_tally")
    op.drop_table("rating_participation")
    with op.batch_alter_table("rating_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_comment_item_id"))

    op.drop_table("rating_comment")
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_report_item_id"))

    op.drop_table("progress_report")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_item_id"))

    op.drop_table("milestone")
    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_item_person_id"))
        batch_op.drop_index(batch_op.f("ix_rectification_item_parent_id"))
        batch_op.drop_index(batch_op.f("ix_rectification_item_leader_id"))
        batch_op.drop_index("ix_item_org_status")

    op.drop_table("rectification_item")
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_org_id"))

    op.drop_table("bulletin")
