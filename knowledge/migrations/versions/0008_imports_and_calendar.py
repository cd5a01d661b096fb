"""Dossier imports from real exports (the optional fields a file lacked, the agency table) and the
admins' corrections to the working-time calendar.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("dossiers", sa.Column("unknown", sa.SmallInteger(), server_default="0", nullable=False))
    op.create_index(
        "ix_dossiers_unknown",
        "dossiers",
        ["received_day"],
        unique=False,
        sqlite_where=sa.text("unknown != 0"),
        postgresql_where=sa.text("unknown != 0"),
    )
    op.create_table(
        "agency_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("agency", sa.String(length=255), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "calendar_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("calendar_changes")
    op.drop_table("agency_units")
    op.drop_index("ix_dossiers_unknown", table_name="dossiers")
    op.drop_column("dossiers", "unknown")
