"""Procedures: publisher, province-specific scope, executing agencies, field sources and checks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_LISTS = ("executing_agencies", "flags", "notes")


def upgrade() -> None:
    with op.batch_alter_table("procedures") as batch:
        batch.add_column(sa.Column("publisher", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("portal_type", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("province", sa.String(length=8), nullable=True))
        for name in _LISTS:
            batch.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("on_portal_list", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("details", sa.String(length=16), nullable=False, server_default="full"))
        batch.add_column(sa.Column("sources", sa.JSON(), nullable=False, server_default="{}"))
        batch.create_index("ix_procedures_province", ["province"])
    with op.batch_alter_table("procedures") as batch:
        for name in (*_LISTS, "details", "sources"):
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("procedures") as batch:
        batch.drop_index("ix_procedures_province")
        for name in ("publisher", "portal_type", "province", *_LISTS, "on_portal_list", "details", "sources"):
            batch.drop_column(name)
