"""Fields an export may lack, and which figures then have no data.

A dossier records, in ``Dossier.unknown``, one bit per optional field its file did not give (a column
the file lacks, a key a JSON record lacks). The stored value of such a field is a placeholder (false,
0, none); the figures that need the field count only the dossiers that have it, and say "không có
dữ liệu" when none in scope has it — never a silent 0%.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, literal, select
from sqlalchemy.orm import Session

from knowledge.compliance.models import Dossier
from knowledge.compliance.summary import count, received

# Bit i of ``Dossier.unknown`` is OPTIONAL[i]; append only (stored values depend on the order).
OPTIONAL = (
    "channel",
    "online_level",
    "accepted_at",
    "supplement_count",
    "supplement_hours",
    "fee_bearing",
    "paid_online",
    "digitised",
    "e_result",
    "reused",
    "apology",
)
BITS = {name: 1 << i for i, name in enumerate(OPTIONAL)}

# What each figure needs: a rate or count is "không có dữ liệu" when no dossier in scope has these.
NEEDS: dict[str, tuple[str, ...]] = {
    "online_rate": ("channel",),
    "online_full_rate": ("channel", "online_level"),
    "online_partial_rate": ("channel", "online_level"),
    "online_payment_rate": ("fee_bearing", "paid_online"),
    "paid_procedure_rate": ("fee_bearing", "paid_online"),
    "digitised_rate": ("digitised",),
    "e_result_rate": ("e_result",),
    "reuse_rate": ("reused",),
    "unaccepted_online": ("channel", "accepted_at"),
    "supplement_twice": ("supplement_count",),
    "late_without_apology": ("apology",),
    "average_processing_days": ("accepted_at",),
}


def mask(fields: set[str] | frozenset[str]) -> int:
    """The bits of the optional fields among ``fields``."""
    value = 0
    for name in fields:
        value |= BITS.get(name, 0)
    return value


def lacking(bits: int) -> list[str]:
    return [name for name in OPTIONAL if bits & BITS[name]]


def _lacks(name: str) -> ColumnElement[bool]:
    return Dossier.unknown.op("&")(BITS[name]) != 0


def unknown_counts(
    session: Session, tier: Any, unit_id: int, first: date, last: date, group: Any = None
) -> dict[Any, dict[str, int]]:
    """Per group (None without ``group``): how many dossiers received from ``first`` to ``last``
    (days of reception, both included, as periods count them) lack each optional field; only
    dossiers that lack something are read (a partial index holds them)."""
    key = group if group is not None else literal(None)
    query = select(key.label("key"), *(count(_lacks(n)).label(n) for n in OPTIONAL)).where(
        tier == unit_id,
        Dossier.unknown != 0,
        received(),
        Dossier.received_day >= first,
        Dossier.received_day <= last,
    )
    if group is not None:
        query = query.group_by(group)
    result: dict[Any, dict[str, int]] = {}
    for row in session.execute(query).mappings():
        counts = {name: int(row[name]) for name in OPTIONAL if row[name]}
        if counts:
            result[row["key"]] = counts
    return result
