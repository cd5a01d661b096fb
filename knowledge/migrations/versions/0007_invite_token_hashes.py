"""Invite tokens are kept as their SHA-256 only: the column becomes ``token_hash`` and each stored
token is replaced by its hash.

An invite sent before still opens (its token is hashed when it is used); the database no longer
holds a usable one. A downgrade cannot bring the tokens back: invites made before it stay hashed and
stop opening under the older code, which compares tokens as they are.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("official_invites") as batch:
        batch.alter_column("token", new_column_name="token_hash", existing_type=sa.String(64))
    invites = sa.table(
        "official_invites", sa.column("id", sa.Integer), sa.column("token_hash", sa.String(64))
    )
    connection = op.get_bind()
    for invite_id, token in connection.execute(sa.select(invites.c.id, invites.c.token_hash)).all():
        hashed = hashlib.sha256(token.encode()).hexdigest()
        connection.execute(sa.update(invites).where(invites.c.id == invite_id).values(token_hash=hashed))


def downgrade() -> None:
    """The column takes its old name back; the hashes cannot be turned back into tokens."""
    with op.batch_alter_table("official_invites") as batch:
        batch.alter_column("token_hash", new_column_name="token", existing_type=sa.String(64))
