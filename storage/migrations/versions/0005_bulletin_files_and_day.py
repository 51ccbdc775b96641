"""bulletin files and day

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chart", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("workbook", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bulletin_day", sa.Integer(), nullable=False, server_default="5")
        )


def downgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("bulletin_day")

    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.drop_column("workbook")
        batch_op.drop_column("chart")
