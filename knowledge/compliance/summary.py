"""The daily summary of dossiers (``dossier_daily``), rebuilt by SQL for the units and days an import
touched (or an apology letter changed): DELETE the affected rows, then INSERT … SELECT … GROUP BY from
``dossiers``. Days are days of reception (``Dossier.received_day``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from knowledge.compliance.models import (
    CLOSED_EARLY,
    NOT_RECEIVED,
    ApologyLetter,
    Channel,
    Dossier,
    DossierSummary,
    OnlineLevel,
    Timeliness,
)

ACCEPT_WITHIN_HOURS = 6
_CHUNK = 500  # unit ids per statement


def flag(column: Any) -> ColumnElement[bool]:
    return column.is_(True)


def received() -> ColumnElement[bool]:
    """Received dossiers: neither waiting for reception (status 1) nor refused at it (status 3)."""
    return Dossier.status.not_in([int(s) for s in NOT_RECEIVED])


def still_open() -> ColumnElement[bool]:
    """Not ended: no end of processing, and neither withdrawn nor stopped (which end a dossier even
    when the export gives them no end time). ``ended_at IS NULL`` first, for the partial index."""
    return Dossier.ended_at.is_(None) & Dossier.status.not_in([int(s) for s in CLOSED_EARLY])


def ended() -> ColumnElement[bool]:
    return ~still_open()


def apologised() -> ColumnElement[bool]:
    """The export says an apology letter was sent, or one was issued through the bot."""
    letter = exists().where(ApologyLetter.dossier_code == Dossier.code)
    return flag(Dossier.apology) | letter


def static_conditions() -> dict[str, ColumnElement[bool]]:
    """The conditions counted in the summary: none depends on the time of asking."""
    got = received()
    online = got & (Dossier.channel == int(Channel.ONLINE))
    late = got & (Dossier.timeliness == int(Timeliness.LATE))
    return {
        "received": got,
        "in_progress": got & still_open(),
        "finished": got & ended(),
        "early": got & (Dossier.timeliness == int(Timeliness.EARLY)),
        "on_time": got & (Dossier.timeliness == int(Timeliness.ON_TIME)),
        "late": late,
        "online": online,
        "online_full": online & (Dossier.online_level == OnlineLevel.FULL.value),
        "online_partial": online & (Dossier.online_level == OnlineLevel.PARTIAL.value),
        "offers_online": got & Dossier.online_level.is_not(None),
        "fee_bearing": got & flag(Dossier.fee_bearing),
        "paid_online": got & flag(Dossier.fee_bearing) & flag(Dossier.paid_online),
        "digitised": got & flag(Dossier.digitised),
        "e_result": got & flag(Dossier.e_result),
        "reused": got & flag(Dossier.reused),
        "supplement_twice": got & (Dossier.supplement_count > 1),
        "slow_acceptance": (Dossier.channel == int(Channel.ONLINE))
        & (Dossier.accept_hours > ACCEPT_WITHIN_HOURS),
        # Past the appointment, not merely late by the supplements-asked-twice rule.
        "late_unapologised": late & (Dossier.late_hours > 0) & ~apologised(),
    }


def count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def refresh(session: Session, unit_ids: Collection[int], first: date, last: date) -> None:
    """Rebuild the summary rows of these units between these days (both included)."""
    conditions = static_conditions()
    finished_hours = case((conditions["finished"], Dossier.processing_hours))
    ids = sorted(unit_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(
            delete(DossierSummary).where(
                DossierSummary.unit_id.in_(chunk), DossierSummary.day >= first, DossierSummary.day <= last
            )
        )
        rows = (
            select(
                Dossier.unit_id,
                Dossier.received_day,
                Dossier.procedure_code,
                func.min(Dossier.tier1_id),
                func.min(Dossier.tier2_id),
                func.min(Dossier.tier3_id),
                *(count(c) for c in conditions.values()),
                func.count(finished_hours),
                func.coalesce(func.sum(finished_hours), 0.0),
            )
            .where(Dossier.unit_id.in_(chunk), Dossier.received_day >= first, Dossier.received_day <= last)
            .group_by(Dossier.unit_id, Dossier.received_day, Dossier.procedure_code)
        )
        columns = [
            "unit_id", "day", "procedure_code", "tier1_id", "tier2_id", "tier3_id", *conditions,
            "processed", "processing_hours",
        ]  # fmt: skip
        session.execute(insert(DossierSummary).from_select(columns, rows))


def rebuild(session: Session) -> None:
    """Rebuild the whole summary (after a change of its rules)."""
    session.execute(delete(DossierSummary))
    first, last = session.execute(
        select(func.min(Dossier.received_day), func.max(Dossier.received_day))
    ).one()
    if first is not None:
        units = session.scalars(select(Dossier.unit_id).distinct()).all()
        refresh(session, units, first, last)
