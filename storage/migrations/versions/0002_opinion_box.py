"""opinion box

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RANDOM_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "app_secret",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_org_id"), ["org_id"], unique=False)

    op.create_table(
        "problem_item",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problem.id"],
        ),
        sa.PrimaryKeyConstraint("problem_id", "item_id"),
    )
    op.create_table(
        "anon_thread",
        sa.Column("id", RANDOM_ID, nullable=False, autoincrement=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("receipt_hash", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("pseudonym", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("closed_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problem.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "pseudonym"),
        sa.UniqueConstraint("receipt_hash"),
    )
    with op.batch_alter_table("anon_thread", schema=None) as batch_op:
        batch_op.create_index("ix_anon_thread_inbox", ["org_id", "status"], unique=False)

    op.create_table(
        "opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("closed_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problem.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opinion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opinion_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_opinion_inbox", ["org_id", "status"], unique=False)

    op.create_table(
        "anon_post",
        sa.Column("id", RANDOM_ID, nullable=False, autoincrement=False),
        sa.Column("thread_id", RANDOM_ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("side", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("office", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["anon_thread.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("anon_post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_anon_post_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "opinion_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("side", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("office", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinion.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opinion_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opinion_message_opinion_id"), ["opinion_id"], unique=False
        )

    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymous_min_members", sa.Integer(), nullable=False, server_default="5")
        )
        batch_op.add_column(
            sa.Column("opinion_reply_days", sa.Integer(), nullable=False, server_default="5")
        )
        batch_op.add_column(
            sa.Column("anonymous_release_hour", sa.Integer(), nullable=False, server_default="8")
        )


def downgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("anonymous_release_hour")
        batch_op.drop_column("opinion_reply_days")
        batch_op.drop_column("anonymous_min_members")

    with op.batch_alter_table("opinion_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opinion_message_opinion_id"))

    op.drop_table("opinion_message")
    with op.batch_alter_table("anon_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anon_post_thread_id"))

    op.drop_table("anon_post")
    with op.batch_alter_table("opinion", schema=None) as batch_op:
        batch_op.drop_index("ix_opinion_inbox")
        batch_op.drop_index(batch_op.f("ix_opinion_author_id"))

    op.drop_table("opinion")
    with op.batch_alter_table("anon_thread", schema=None) as batch_op:
        batch_op.drop_index("ix_anon_thread_inbox")

    op.drop_table("anon_thread")
    op.drop_table("problem_item")
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_org_id"))

    op.drop_table("problem")
    op.drop_table("app_secret")
