"""Reloading the catalogue while the bot runs: compare, apply after confirmation, roll back, export.

A reload is two steps so that an admin sees the difference before anything changes:
:func:`plan_reload` validates nothing more than :func:`~knowledge.catalogue.parse_catalogue` did and
computes the :class:`CatalogueDiff` against the loaded rows; :func:`apply_reload` applies the plan in
one transaction together with its audit entry and the notification to the bot's processes. If
another reload or a rollback got in between, the plan is stale and is refused rather than applied
over a catalogue the admin never saw.

In Telegram the confirmation may reach another bot process than the one that showed the diff
(several behind a load balancer), so :func:`stage_reload` keeps the file in the database
(:class:`PendingReload`) and :func:`confirm_reload` applies it from there, in whichever process.

"Previous version" follows the history of changes, not row ids: every reload records the version
it replaced, and a rollback restores that one. Rolling back twice goes two steps back; a rollback
itself creates a new version row (a copy of the restored catalogue), so the history stays append-only.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text, delete, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from knowledge.audit import AuditAction, AuditEntry, write_audit
from knowledge.catalogue import (
    Catalogue,
    ProcedureRecord,
    apply_catalogue,
    current_version,
    parse_catalogue,
)
from knowledge.db import without_statement_timeout
from knowledge.models import Base, CatalogueVersion, Procedure, ProcedureStatus, utcnow
from knowledge.versionwatch import announce

_FIELDS = list(ProcedureRecord.model_fields)
_LOCK_KEY = 0x7474_6863_0001  # pg_advisory_xact_lock key shared by every catalogue change
PENDING_TTL = timedelta(days=1)  # a diff nobody confirmed within a day is dropped


class ReloadError(Exception):
    """The change was refused; nothing was changed. The message says why (in Vietnamese)."""


class StaleReloadError(ReloadError):
    pass


@dataclass(frozen=True)
class ProcedureChange:
    code: str
    name: str
    fields: tuple[str, ...] = ()  # for a changed procedure: which fields differ


@dataclass
class CatalogueDiff:
    added: list[ProcedureChange] = field(default_factory=list)
    changed: list[ProcedureChange] = field(default_factory=list)
    abolished: list[ProcedureChange] = field(default_factory=list)  # in force before, abolished now
    removed: list[ProcedureChange] = field(default_factory=list)  # absent from the new file
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.abolished or self.removed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "abolished": len(self.abolished),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
        }

    def as_dict(self) -> dict[str, Any]:
        """What the audit log keeps: the counts and the codes in each group."""
        return {
            "counts": self.counts(),
            "added": [c.code for c in self.added],
            "changed": {c.code: list(c.fields) for c in self.changed},
            "abolished": [c.code for c in self.abolished],
            "removed": [c.code for c in self.removed],
        }


def procedure_values(procedure: Procedure) -> dict[str, Any]:
    """A row as the catalogue file states it (JSON types), for comparing and exporting."""
    values = {name: getattr(procedure, name) for name in _FIELDS}
    values["source_date"] = procedure.source_date.isoformat() if procedure.source_date else None
    values["status"] = str(procedure.status)
    return values


def diff_catalogue(session: Session, catalogue: Catalogue) -> CatalogueDiff:
    """How the loaded procedures would change if ``catalogue`` replaced them."""
    existing = {p.code: p for p in session.scalars(select(Procedure))}
    diff = CatalogueDiff()
    for record in catalogue.procedures:
        row = existing.get(record.code)
        if row is None:
            diff.added.append(ProcedureChange(record.code, record.name))
            continue
        old, new = procedure_values(row), record.model_dump(mode="json")
        fields = tuple(name for name in _FIELDS if old[name] != new[name])
        if not fields:
            diff.unchanged += 1
        elif old["status"] == ProcedureStatus.IN_FORCE and new["status"] == ProcedureStatus.ABOLISHED:
            diff.abolished.append(ProcedureChange(record.code, record.name, fields))
        else:
            diff.changed.append(ProcedureChange(record.code, record.name, fields))
    incoming = {record.code for record in catalogue.procedures}
    diff.removed = [
        ProcedureChange(code, row.name) for code, row in sorted(existing.items()) if code not in incoming
    ]
    for group in (diff.added, diff.changed, diff.abolished):
        group.sort(key=lambda change: change.code)
    return diff


@dataclass
class ReloadPlan:
    catalogue: Catalogue
    source: str
    diff: CatalogueDiff
    base_version_id: int | None  # the version the diff was computed against


@dataclass
class ChangeResult:
    version: CatalogueVersion  # the new current version
    previous_id: int | None
    diff: CatalogueDiff
    audit: AuditEntry


def plan_reload(sessions: sessionmaker[Session], catalogue: Catalogue, source: str) -> ReloadPlan:
    with sessions() as session:
        base = current_version(session)
        return ReloadPlan(catalogue, source, diff_catalogue(session, catalogue), base.id if base else None)


def _lock(session: Session) -> None:
    """Serialise catalogue changes, before anything is read: the version check that follows must
    see the last change committed, and no other change may commit until this one does.

    PostgreSQL: an advisory lock held until the transaction ends. SQLite: the write lock, taken at
    once (``BEGIN IMMEDIATE``); Python's driver would otherwise begin the transaction only at the
    first write, after the version was read outside it, and two overlapping confirmations would
    both pass the check.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        without_statement_timeout(session)  # another admin's change may hold the lock a while
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def apply_reload(sessions: sessionmaker[Session], plan: ReloadPlan, actor: str) -> ChangeResult:
    """Apply a plan: rows, version, audit entry and notification commit together or not at all."""
    with sessions.begin() as session:
        _lock(session)
        base = current_version(session)
        if (base.id if base else None) != plan.base_version_id:
            raise StaleReloadError(
                "danh mục đã thay đổi kể từ khi so sánh (có người khác vừa nạp hoặc khôi phục); "
                "hãy xem lại sự khác biệt rồi xác nhận lại"
            )
        version = apply_catalogue(session, plan.catalogue, plan.source, loaded_by=actor)
        audit = write_audit(
            session,
            actor,
            AuditAction.RELOAD,
            source=plan.source,
            catalogue_version_id=version.id,
            detail={
                "from_version": plan.base_version_id,
                "to_version": version.id,
                "version": plan.catalogue.version,
                "checksum": plan.catalogue.checksum,
                "diff": plan.diff.as_dict(),
            },
        )
        announce(session, version.id)
    return ChangeResult(version, plan.base_version_id, plan.diff, audit)


def previous_version(session: Session, version: CatalogueVersion) -> CatalogueVersion | None:
    """The version that was current before ``version`` was loaded (see the module docstring)."""
    while True:
        entry = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.catalogue_version_id == version.id,
                AuditEntry.action.in_([AuditAction.RELOAD, AuditAction.ROLLBACK]),
            )
            .order_by(AuditEntry.id.desc())
        ).first()
        if entry is None:  # loaded without an audit entry (bundled data, importer): go by load order
            return session.scalars(
                select(CatalogueVersion)
                .where(CatalogueVersion.id < version.id)
                .order_by(CatalogueVersion.id.desc())
            ).first()
        if entry.action == AuditAction.ROLLBACK:
            restored = session.get(CatalogueVersion, entry.detail["restores"])
            if restored is None:
                return None
            version = restored  # a restored copy's predecessor is the original's predecessor
            continue
        previous_id = entry.detail.get("from_version")
        return session.get(CatalogueVersion, previous_id) if previous_id is not None else None


def rollback(sessions: sessionmaker[Session], actor: str) -> ChangeResult:
    """Return to the previous catalogue version, in one transaction with its audit entry."""
    with sessions.begin() as session:
        _lock(session)
        current = current_version(session)
        if current is None:
            raise ReloadError("chưa có danh mục nào được nạp")
        target = previous_version(session, current)
        if target is None:
            raise ReloadError(f"phiên bản hiện tại #{current.id} không có phiên bản nào trước nó")
        if target.payload is None:
            raise ReloadError(f"phiên bản #{target.id} không lưu nội dung nên không khôi phục được")
        catalogue = parse_catalogue(gzip.decompress(target.payload), f"phiên bản #{target.id}")
        diff = diff_catalogue(session, catalogue)
        version = apply_catalogue(
            session, catalogue, f"khôi phục phiên bản #{target.id} ({target.source})", loaded_by=actor
        )
        audit = write_audit(
            session,
            actor,
            AuditAction.ROLLBACK,
            source=target.source,
            catalogue_version_id=version.id,
            detail={
                "from_version": current.id,
                "to_version": version.id,
                "restores": target.id,
                "version": catalogue.version,
                "diff": diff.as_dict(),
            },
        )
        announce(session, version.id)
    return ChangeResult(version, current.id, diff, audit)


def export_catalogue(session: Session) -> Catalogue:
    """The loaded procedures as a catalogue file (the format ``reload`` reads), sorted by code.

    The header (version label and any extra keys) comes from the current version's stored file.
    """
    current = current_version(session)
    header: dict[str, Any] = {}
    if current is not None and current.payload is not None:
        header = json.loads(gzip.decompress(current.payload))
        header.pop("procedures", None)
    records = [
        ProcedureRecord.model_validate(procedure_values(row))
        for row in session.scalars(select(Procedure).order_by(Procedure.code))
    ]
    return Catalogue(
        version=str(header.pop("version", None) or (current.version if current else "export")),
        checksum=current.checksum if current else "",
        procedures=records,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        extra={key: value for key, value in header.items() if key != "generated"},
    )


class PendingReload(Base):
    """A validated catalogue file waiting for an admin's confirmation."""

    __tablename__ = "pending_reloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_versions.id", ondelete="CASCADE")
    )
    payload: Mapped[bytes] = mapped_column()  # the file as received, gzip'd


def stage_reload(
    sessions: sessionmaker[Session], raw: bytes, source: str, actor: str
) -> tuple[int, ReloadPlan]:
    """Validate a file (CatalogueError if bad), compare it, and keep it for :func:`confirm_reload`."""
    plan = plan_reload(sessions, parse_catalogue(raw, source), source)
    with sessions.begin() as session:
        session.execute(delete(PendingReload).where(PendingReload.created_at < utcnow() - PENDING_TTL))
        pending = PendingReload(
            actor=actor[:64],
            source=source,
            base_version_id=plan.base_version_id,
            payload=raw if raw[:2] == b"\x1f\x8b" else gzip.compress(raw),
        )
        session.add(pending)
        session.flush()
        return pending.id, plan


def confirm_reload(sessions: sessionmaker[Session], pending_id: int, actor: str) -> ChangeResult:
    """Apply a staged file, if it is still there and nothing changed since its diff was shown."""
    with sessions() as session:
        pending = session.get(PendingReload, pending_id)
        if pending is None:
            raise ReloadError("không còn tệp chờ xác nhận này (đã áp dụng, đã huỷ hoặc quá hạn)")
        catalogue = parse_catalogue(pending.payload, pending.source)
        plan = ReloadPlan(
            catalogue, pending.source, diff_catalogue(session, catalogue), pending.base_version_id
        )
    result = apply_reload(sessions, plan, actor)
    discard_reload(sessions, pending_id)
    return result


def discard_reload(sessions: sessionmaker[Session], pending_id: int) -> bool:
    """Drop a staged file; False if it was not there."""
    with sessions.begin() as session:
        pending = session.get(PendingReload, pending_id)
        if pending is None:
            return False
        session.delete(pending)
    return True
