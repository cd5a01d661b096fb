"""Officials' work lists: dossiers belong to the day of their reception, keep the applicant's name,
apology letters issued through the bot, and the morning digest an official asks for.

The summary (``dossier_daily``) is rebuilt: its days become days of reception, and its counts follow
the corrected rules (withdrawn and stopped dossiers ended, "late without an apology" only past the
appointment). Values derived from a date-only appointment are re-read only when the exports are
imported again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ALTERs (SQLite renames a column natively since 3.25): no copy of a million-row table.
    op.alter_column("dossiers", "submitted_day", new_column_name="received_day")
    op.add_column("dossiers", sa.Column("applicant", sa.String(length=255), nullable=True))
    op.drop_index("ix_dossiers_unit_day", table_name="dossiers")
    op.create_index("ix_dossiers_unit_day", "dossiers", ["unit_id", "received_day"])
    _open_index_on("received_day")
    day_of = "date(accepted_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(accepted_at AS DATE)"
    op.execute(f"UPDATE dossiers SET received_day = {day_of} WHERE accepted_at IS NOT NULL")
    op.create_table(
        "apology_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dossier_code"),
    )
    op.add_column("officials", sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("officials", sa.Column("digest_sent_on", sa.Date(), nullable=True))
    _rebuild_summary()


def _open_index_on(column: str) -> None:
    """The partial index of the open dossiers (the few percent whose figures depend on the time)."""
    where = sa.text("ended_at IS NULL")
    op.drop_index("ix_dossiers_open", table_name="dossiers", sqlite_where=where, postgresql_where=where)
    op.create_index("ix_dossiers_open", "dossiers", [column], sqlite_where=where, postgresql_where=where)


def _rebuild_summary() -> None:
    from sqlalchemy.orm import Session

    from knowledge.compliance.summary import rebuild

    session = Session(bind=op.get_bind())
    rebuild(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("officials") as batch:
        batch.drop_column("digest_sent_on")
        batch.drop_column("digest")
    op.drop_table("apology_letters")
    op.drop_index("ix_dossiers_unit_day", table_name="dossiers")
    day_of = "date(submitted_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(submitted_at AS DATE)"
    op.execute(f"UPDATE dossiers SET received_day = {day_of}")
    op.drop_column("dossiers", "applicant")
    op.alter_column("dossiers", "received_day", new_column_name="submitted_day")
    op.create_index("ix_dossiers_unit_day", "dossiers", ["unit_id", "submitted_day"])
    _open_index_on("submitted_at")
    # The summary keeps reception days until the next import of the units' dossiers.
