"""Invite tokens are kept as their SHA-256 only: each stored token is replaced by its hash.

An invite sent before still opens (its token is hashed when it is used); the database no longer
holds a usable one. The column keeps its name and type (64 hex characters fit it exactly), so there
is no DDL. A downgrade cannot bring the tokens back: invites made before it stay hashed and stop
opening under the older code, which compares tokens as they are.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_invites = sa.table("official_invites", sa.column("id", sa.Integer), sa.column("token", sa.String(64)))


def upgrade() -> None:
    connection = op.get_bind()
    for invite_id, token in connection.execute(sa.select(_invites.c.id, _invites.c.token)).all():
        hashed = hashlib.sha256(token.encode()).hexdigest()
        connection.execute(sa.update(_invites).where(_invites.c.id == invite_id).values(token=hashed))


def downgrade() -> None:
    """Nothing to undo in the schema; the hashes cannot be turned back into tokens."""
