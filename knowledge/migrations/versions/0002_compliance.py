"""Compliance: dossiers imported from one-stop systems, their daily summary, officials bound to units,
and their invites.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_daily",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("procedure_code", sa.String(length=32), nullable=False),
        sa.Column("tier1_id", sa.Integer(), nullable=False),
        sa.Column("tier2_id", sa.Integer(), nullable=True),
        sa.Column("tier3_id", sa.Integer(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("in_progress", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("early", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("online_full", sa.Integer(), nullable=False),
        sa.Column("online_partial", sa.Integer(), nullable=False),
        sa.Column("offers_online", sa.Integer(), nullable=False),
        sa.Column("fee_bearing", sa.Integer(), nullable=False),
        sa.Column("paid_online", sa.Integer(), nullable=False),
        sa.Column("digitised", sa.Integer(), nullable=False),
        sa.Column("e_result", sa.Integer(), nullable=False),
        sa.Column("reused", sa.Integer(), nullable=False),
        sa.Column("supplement_twice", sa.Integer(), nullable=False),
        sa.Column("slow_acceptance", sa.Integer(), nullable=False),
        sa.Column("late_unapologised", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("processing_hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", "day", "procedure_code"),
    )
    op.create_index("ix_dossier_daily_tier1", "dossier_daily", ["tier1_id", "day"])
    op.create_index("ix_dossier_daily_tier2", "dossier_daily", ["tier2_id", "day"])
    op.create_index("ix_dossier_daily_tier3", "dossier_daily", ["tier3_id", "day"])
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("tier1_id", sa.Integer(), nullable=False),
        sa.Column("tier2_id", sa.Integer(), nullable=True),
        sa.Column("tier3_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("online_level", sa.String(length=16), nullable=True),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_day", sa.Date(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=True),
        sa.Column("supplement_count", sa.SmallInteger(), nullable=False),
        sa.Column("supplement_hours", sa.Float(), nullable=False),
        sa.Column("fee_bearing", sa.Boolean(), nullable=False),
        sa.Column("paid_online", sa.Boolean(), nullable=False),
        sa.Column("digitised", sa.Boolean(), nullable=False),
        sa.Column("e_result", sa.Boolean(), nullable=False),
        sa.Column("reused", sa.Boolean(), nullable=False),
        sa.Column("apology", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("effective_due_at", sa.DateTime(), nullable=True),
        sa.Column("timeliness", sa.SmallInteger(), nullable=True),
        sa.Column("late_hours", sa.Float(), nullable=True),
        sa.Column("accept_hours", sa.Float(), nullable=True),
        sa.Column("processing_hours", sa.Float(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tier1_id"], ["units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tier2_id"], ["units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tier3_id"], ["units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(
        "ix_dossiers_open",
        "dossiers",
        ["submitted_at"],
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_dossiers_unit_day", "dossiers", ["unit_id", "submitted_day"])
    op.create_table(
        "official_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_table(
        "officials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_officials_telegram_id"), "officials", ["telegram_id"])
    op.create_index("uq_officials_user_unit", "officials", ["telegram_id", "unit_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_officials_user_unit", table_name="officials")
    op.drop_index(op.f("ix_officials_telegram_id"), table_name="officials")
    op.drop_table("officials")
    op.drop_table("official_invites")
    op.drop_index("ix_dossiers_unit_day", table_name="dossiers")
    op.drop_index(
        "ix_dossiers_open",
        table_name="dossiers",
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_table("dossiers")
    op.drop_index("ix_dossier_daily_tier3", table_name="dossier_daily")
    op.drop_index("ix_dossier_daily_tier2", table_name="dossier_daily")
    op.drop_index("ix_dossier_daily_tier1", table_name="dossier_daily")
    op.drop_table("dossier_daily")
