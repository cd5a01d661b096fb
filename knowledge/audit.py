"""The audit log: who changed what, when, from which file, with what difference.

Every admin change (catalogue reload and rollback, granting and revoking roles) writes one entry in
the same transaction as the change itself, so the log never claims a change that was rolled back
and never misses one that was committed.
"""

from __future__ import annotations

import enum
import getpass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from knowledge.models import Base, utcnow


class AuditAction(enum.StrEnum):
    RELOAD = "reload"
    ROLLBACK = "rollback"
    GRANT = "grant"
    REVOKE = "revoke"
    INVITE = "invite"


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "telegram:123456" or "cli:username"
    action: Mapped[str] = mapped_column(String(32), index=True)  # AuditAction
    source: Mapped[str | None] = mapped_column(Text)  # the file, or the subject of a grant
    catalogue_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_versions.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. the diff

    def __repr__(self) -> str:
        return f"AuditEntry({self.action} by {self.actor} at {self.at:%Y-%m-%d %H:%M})"


def telegram_actor(user_id: int) -> str:
    return f"telegram:{user_id}"


def cli_actor() -> str:
    """The person at the console, as far as the operating system knows."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = "unknown"
    return f"cli:{name}"


def write_audit(
    session: Session,
    actor: str,
    action: AuditAction,
    *,
    source: str | None = None,
    detail: dict[str, Any] | None = None,
    catalogue_version_id: int | None = None,
) -> AuditEntry:
    """Add one entry inside the caller's transaction (it is committed with the change it records)."""
    entry = AuditEntry(
        actor=actor[:64],
        action=str(action),
        source=source,
        detail=dict(detail or {}),
        catalogue_version_id=catalogue_version_id,
    )
    session.add(entry)
    session.flush()
    return entry


def recent_entries(
    session: Session, limit: int = 20, actions: tuple[AuditAction, ...] = ()
) -> list[AuditEntry]:
    """The newest entries first, optionally only some actions."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actions:
        query = query.where(AuditEntry.action.in_([str(a) for a in actions]))
    return list(session.scalars(query))
