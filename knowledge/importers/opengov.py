"""The national portal's own public list of procedures, and its structured detail responses.

``opengov_dvcqg_catalog`` (read its SOURCE.md) holds what the portal's public JSON API answered:

* ``catalog.jsonl.gz`` — the whole list, one line per procedure: the page's UUID, code, name, lĩnh
  vực, the publishing body (a ministry, or a province's People's Committee for a procedure of its
  own), the executing bodies, the audiences, and the type: STANDARD, SPECIFIC (one province's own)
  or STANDARD_INTERNAL (between state bodies; never offered to citizens);
* ``details/<code>.json`` — 502 full detail responses: channels with time and fee, the cases, the
  papers with their originals, copies and electronic forms, steps, legal basis, level flags.

This module turns both into partial records (only what each source states) for
``knowledge.importers.merge``; the portal's free texts go through the same parsers as the crawl's
(``knowledge.importers.procedures``), so that both sources are read alike.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.importers import procedures as parsing
from knowledge.importers.fields import channels_from_portal, documents_from_portal
from knowledge.units import BUNDLED_UNITS, fold, read_units

FOLDER = "opengov_dvcqg_catalog"
PORTAL_PAGE = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"
PORTAL_TYPES = {"STANDARD": "standard", "SPECIFIC": "specific"}
INTERNAL = "STANDARD_INTERNAL"
_UUID_RE = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")

FORMALITY_TYPES = {  # as the portal's pages name them (the crawl's loai_thu_tuc)
    "ASSIGNED_REGULATION": "TTHC được giao luật quy định chi tiết",
    "NOT_ASSIGNED_REGULATION": "TTHC không được luật giao cho địa phương quy định",
    "OTHER": "Loại khác",
}

# Levels read from an executing body's name, for a procedure known only from the list. The first
# rule that matches decides; a name no rule matches says nothing (the other bodies may).
AGENCY_LEVELS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bcấp\s+xã\b|\b(?:ủy ban nhân dân|ubnd|công an)\s+xã\b", re.IGNORECASE), "xa"),
    (
        re.compile(
            r"\bcấp\s+tỉnh\b|^(?:sở|chi cục|chi nhánh|văn phòng đăng ký đất đai|ban quản lý|thuế tỉnh"
            r"|bảo hiểm xã hội tỉnh|(?:ủy ban nhân dân|ubnd) (?:tỉnh|thành phố))\b",
            re.IGNORECASE,
        ),
        "tinh",
    ),
    (
        re.compile(
            r"^(?:bộ|cục|tổng cục|ngân hàng nhà nước việt nam|ủy ban chứng khoán nhà nước"
            r"|ủy ban tiêu chuẩn đo lường chất lượng quốc gia)\b",
            re.IGNORECASE,
        ),
        "bo",
    ),
)


@dataclass(frozen=True)
class ListEntry:
    """One line of the portal's list, its strings cleaned (the code stripped of stray spaces)."""

    code: str
    uuid: str
    name: str
    fields: tuple[str, ...]
    departments: tuple[str, ...]  # the executing bodies
    publisher: str | None
    audiences: tuple[str, ...]
    type: str  # STANDARD, SPECIFIC or STANDARD_INTERNAL

    @property
    def offered(self) -> bool:
        return self.type in PORTAL_TYPES

    @property
    def url(self) -> str | None:
        return PORTAL_PAGE + self.uuid if _UUID_RE.match(self.uuid) else None


@dataclass
class PortalCatalogue:
    entries: dict[str, ListEntry]  # by code
    details: dict[str, dict[str, Any]]  # code → the detail response's "data"
    provinces: dict[str, str]  # publisher → code of its 2025 province (specific procedures)
    unplaced: list[str]  # publishers of specific procedures no province was found for
    crawled: date
    lines: Counter[str] = field(default_factory=Counter)  # every line of the list, by type
    listed_twice: list[str] = field(default_factory=list)  # codes on two lines (one line kept)
    by_uuid: dict[str, str] = field(default_factory=dict)  # page UUID → code, of the listed procedures

    def __post_init__(self) -> None:
        self.by_uuid = {entry.uuid: code for code, entry in self.entries.items()}


def _strings(values: Any) -> tuple[str, ...]:
    items = (parsing.clean(str(value)) for value in values or [])
    return tuple(dict.fromkeys(item for item in items if item))


def read_list(path: Path) -> list[ListEntry]:
    entries = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            raw = parsing.nfc_deep(json.loads(line))
            entries.append(
                ListEntry(
                    code=str(raw.get("code") or "").strip(),
                    uuid=str(raw.get("id") or "").strip(),
                    name=parsing.clean(raw.get("name")) or "",
                    fields=_strings(raw.get("categories")),
                    departments=_strings(raw.get("departments")),
                    publisher=parsing.clean(raw.get("departmentPromulgate")),
                    audiences=_strings(raw.get("formalityTargetType")),
                    type=str(raw.get("type") or ""),
                )
            )
    return entries


def read_portal(folder: Path, units_path: Path = BUNDLED_UNITS) -> PortalCatalogue:
    """The list by code (a code listed twice keeps the line offered to citizens, else the first) and
    the detail responses."""
    entries: dict[str, ListEntry] = {}
    lines: Counter[str] = Counter()
    twice = []
    for entry in read_list(folder / "catalog.jsonl.gz"):
        lines[entry.type] += 1
        if entry.code in entries:
            twice.append(entry.code)
        if entry.code not in entries or (entry.offered and not entries[entry.code].offered):
            entries[entry.code] = entry
    details = {}
    for path in sorted((folder / "details").glob("*.json")):
        data = parsing.nfc_deep(json.loads(path.read_text(encoding="utf-8"))).get("data")
        if isinstance(data, dict) and data.get("code"):
            details[str(data["code"]).strip()] = data
    publishers = sorted({e.publisher for e in entries.values() if e.type == "SPECIFIC" and e.publisher})
    provinces = province_codes(publishers, units_path)
    unplaced = [publisher for publisher in publishers if publisher not in provinces]
    return PortalCatalogue(entries, details, provinces, unplaced, parsing.source_date(folder), lines, twice)


def province_codes(publishers: list[str], units_path: Path = BUNDLED_UNITS) -> dict[str, str]:
    """Publisher ("UBND tỉnh Bắc Ninh", "Sở Xây dựng - tỉnh Quảng Ngãi") → code of the 2025 province
    whose name it holds (the longest such name; the "Tỉnh"/"Thành phố" prefix is left out)."""
    bases: dict[str, str] = {}
    for unit in read_units(units_path).units:
        if unit.era == "2025" and unit.parent is None:
            base = re.sub(r"^(tinh|thanh pho)\s+", "", fold(unit.name))
            bases[base] = unit.code
    found = {}
    for publisher in publishers:
        words = f" {fold(publisher)} "
        names = [base for base in bases if f" {base} " in words]
        if names:
            found[publisher] = bases[max(names, key=len)]
    return found


def agency_levels(agencies: tuple[str, ...] | list[str]) -> list[str]:
    """The levels the executing bodies' names state (see AGENCY_LEVELS), in the catalogue's order."""
    found = set()
    for agency in agencies:
        for pattern, level in AGENCY_LEVELS:
            if pattern.search(" ".join(agency.split())):
                found.add(level)
                break
    return [level for level in parsing.LEVELS.values() if level in found]


def list_values(entry: ListEntry, province: str | None) -> dict[str, Any]:
    """What the list states about a procedure, as record fields."""
    portal_type = PORTAL_TYPES.get(entry.type)
    return {
        "name": entry.name,
        "field": entry.fields[0] if entry.fields else None,
        "audiences": list(entry.audiences),
        "implementing_agency": "; ".join(entry.departments) or None,
        "executing_agencies": list(entry.departments),
        "publisher": entry.publisher,
        "ministry": entry.publisher if portal_type == "standard" else None,
        "portal_type": portal_type,
        "province": province if portal_type == "specific" else None,
        "portal_url": entry.url,
    }


# ---------------------------------------------------------------------------------------------
# A detail response


def _names(items: Any) -> list[str]:
    return list(_strings(item.get("name") for item in items or [] if isinstance(item, dict)))


def _number(value: float) -> str:
    """A published number as Vietnamese writes it: 17.5 → "17,5", 7.0 → "7"."""
    return f"{value:g}".replace(".", ",")


def detail_steps(data: dict[str, Any]) -> list[str]:
    steps: list[str] = []
    for step in data.get("executionSteps") or []:
        title = parsing.clean(step.get("name"))
        title = None if title in (None, "Mặc định") else title
        description = step.get("description") or ""
        joiner = " " if title and title.endswith(":") else "\n"
        steps += parsing.split_steps(f"{title}{joiner}{description}" if title else description)
    return steps


def detail_levels(data: dict[str, Any]) -> list[str]:
    flags = {"bo": data.get("isMinistry"), "tinh": data.get("isProvince"), "xa": data.get("isWard")}
    return [level for level in parsing.LEVELS.values() if flags.get(level)]


def detail_values(data: dict[str, Any], crawled: date | None) -> dict[str, Any]:
    """What a detail response states about a procedure, as record fields; ``crawled``: the day the
    response was fetched, before which a rate's stated end means it no longer applies."""
    channels, flags = channels_from_portal(
        data.get("executionMethods") or [], data.get("cases") or [], crawled
    )
    executing = _names(data.get("unitGroupsExecuting")) + _names(data.get("departmentsExecuting"))
    competent = _names(data.get("departmentsAuthority")) + _names(data.get("unitGroupsAuthority"))
    category = data.get("category") or {}
    decision = (data.get("procedureProposal") or {}).get("proposalNumber") or data.get("decisionNo")
    online = None
    if data.get("isFullProcess"):
        online = "toan_trinh"
    elif any(row["channel"] == "truc_tuyen" for row in channels):
        online = "mot_phan"
    uuid = str(data.get("id") or "")
    return {
        "name": parsing.clean(data.get("name")),
        "field": parsing.clean(category.get("name"))
        or next(iter(_names(data.get("categoriesDetails"))), None),
        "levels": detail_levels(data),
        "type": FORMALITY_TYPES.get(str(data.get("formalityType"))),
        "implementing_agency": parsing.clean(data.get("executingAgencies"))
        or "; ".join(dict.fromkeys(executing)),
        "competent_agency": "; ".join(dict.fromkeys(competent)) or None,
        "decision": parsing.clean(decision),
        "audiences": _names(data.get("subjectTypesDetails")),
        "channels": channels,
        "online_level": online,
        "documents": documents_from_portal(data.get("executionCases") or []),
        "steps": detail_steps(data),
        "legal_basis": [
            {
                "title": parsing.clean(law.get("name")) or law.get("code"),
                "number": parsing.clean(law.get("code")),
            }
            for law in data.get("legalBasisesDetails") or []
            if parsing.clean(law.get("name")) or parsing.clean(law.get("code"))
        ],
        "conditions": parsing.clean(data.get("requirementsAndConditions")),
        "result": "; ".join(_names(data.get("resultsDetails"))) or None,
        "receiving_address": parsing.clean(data.get("dossierReceivingAddresses")),
        "keywords": parsing.split_keywords(data.get("keywords")),
        "portal_url": PORTAL_PAGE + uuid if _UUID_RE.match(uuid) else None,
        "publisher": parsing.clean(data.get("departmentPromulgateName")),
        "executing_agencies": list(dict.fromkeys(executing)),
        "flags": flags,
    }
