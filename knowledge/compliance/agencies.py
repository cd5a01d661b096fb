"""The agency table: an agency code or name as exports write it → the unit whose dossiers they are.

Entries come from the bundled ``knowledge/data/agencies.json`` (sourced, curated) and from admins
(``tthc-bot agency add``, ``/coquan`` in Telegram), kept in the database so that every host sees
them. A name no entry knows is looked up as a unit name once its office prefix is taken off
("UBND xã Cát Vân" → Xã Cát Vân), and used only when exactly one unit has that name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from knowledge.compliance.models import AgencyUnit
from knowledge.compliance.profile import fold_header
from knowledge.models import Unit
from knowledge.units import get_unit, resolve_unit

BUNDLED_AGENCIES = Path(__file__).resolve().parent.parent / "data" / "agencies.json"
SURE = 99.0  # resolve_unit's score for a name typed in full


@dataclass(frozen=True)
class AgencyEntry:
    agency: str
    unit: str
    era: str | None
    source: str


@dataclass(frozen=True)
class AgencyFile:
    prefixes: tuple[str, ...]
    entries: tuple[AgencyEntry, ...]


@lru_cache(maxsize=1)
def bundled() -> AgencyFile:
    data = json.loads(BUNDLED_AGENCIES.read_text(encoding="utf-8"))
    entries = tuple(
        AgencyEntry(e["agency"], e["unit"], e.get("era"), e["source"]) for e in data.get("entries", [])
    )
    prefixes = tuple(sorted((fold_header(p) for p in data.get("prefixes", [])), key=len, reverse=True))
    return AgencyFile(prefixes, entries)


def strip_prefix(name: str) -> str:
    """The unit's name inside an agency name: "UBND xã Cát Vân" → "xã Cát Vân"."""
    folded = fold_header(name)
    for prefix in bundled().prefixes:
        if folded.startswith(prefix + " "):
            words = name.split()
            return " ".join(words[len(prefix.split()) :])
    return name


def find_agency(session: Session, agency: str) -> int | None:
    """The unit id an agency code or name stands for, or None when it is unknown or ambiguous."""
    key = fold_header(agency)
    if not key:
        return None
    found = session.scalar(select(AgencyUnit.unit_id).where(AgencyUnit.key == key))
    if found is not None:
        return found
    for entry in bundled().entries:
        if fold_header(entry.agency) == key:
            unit = get_unit(session, entry.unit, entry.era)
            return unit.id if unit is not None else None
    name = strip_prefix(agency)
    if name == agency or not any(c.isalpha() for c in name):
        return None
    matches = resolve_unit(session, name, limit=2)
    if not matches or matches[0].score < SURE or (len(matches) > 1 and matches[1].score >= SURE):
        return None
    return matches[0].unit.id


def add_agency(session: Session, agency: str, unit: Unit, actor: str) -> AgencyUnit:
    """Map ``agency`` to ``unit`` (replacing an earlier mapping of the same agency)."""
    key = fold_header(agency)
    if not key:
        raise ValueError("tên hoặc mã cơ quan trống")
    if len(agency) > 255:
        raise ValueError("tên hoặc mã cơ quan dài quá 255 ký tự")
    entry = session.scalars(select(AgencyUnit).where(AgencyUnit.key == key)).first()
    if entry is None:
        entry = AgencyUnit(key=key, agency=agency.strip(), unit_id=unit.id, added_by=actor)
        session.add(entry)
    else:
        entry.agency, entry.unit_id, entry.added_by = agency.strip(), unit.id, actor
    session.flush()
    return entry


def remove_agency(session: Session, agency: str) -> bool:
    removed = session.execute(delete(AgencyUnit).where(AgencyUnit.key == fold_header(agency)))
    return bool(removed.rowcount)  # type: ignore[attr-defined]


def agencies(session: Session) -> list[AgencyUnit]:
    return list(session.scalars(select(AgencyUnit).order_by(AgencyUnit.agency)))
