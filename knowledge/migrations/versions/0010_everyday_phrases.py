"""Everyday names of procedures added by admins (/themtu, ``tthc-bot everyday add``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "everyday_phrases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=32), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_everyday_phrases_procedure_code", "everyday_phrases", ["procedure_code"])


def downgrade() -> None:
    op.drop_index("ix_everyday_phrases_procedure_code", table_name="everyday_phrases")
    op.drop_table("everyday_phrases")
