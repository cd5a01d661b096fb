"""Which procedures a commune handles, and who receives the dossier otherwise — as data an
administrator can change (``data/applicability.json``).

The answer comes from who executes a procedure, not from its level alone:

1. Each executing body the portal lists (``executing_agencies``, and the published "cơ quan thực
   hiện" text) is looked up in the agency table: the first entry with a pattern in the body's name
   says who receives the dossier — the commune's one-stop (the People's Committee, its Chairman, its
   offices), another body of the commune (its police, its military command), or an agency elsewhere
   (tax, customs, social insurance, a land registration office, a provincial department, a
   ministry…). One body of the commune's own government among them makes the procedure the
   commune's. A procedure the portal implements at commune level whose only named bodies are generic
   provincial or national ones ("cơ quan chức năng do UBND cấp tỉnh chỉ định") is the commune's too;
   a procedure naming no body at all falls back on its levels (``commune_levels``).
2. The rules, in order (a later one wins), adjust this by field, name, body, publisher or code —
   optionally only for what a given receiver or agency-table entry got in step 1 — and by the kind
   of unit (wards do not handle forestry…).
3. The per-unit overrides of ``data/overrides.json`` (loaded into ``ApplicabilityOverride``).

Never the commune's: an abolished procedure, one the portal's current public list no longer has, and
a province's own (specific) procedure outside that province. An old (three-tier) unit is answered
for the 2025 commune(s) it went into. Steps 1–2 are cached per (unit, catalogue version, rules);
overrides are read on every call since an administrator may change them at any time.
"""

from __future__ import annotations

import functools
import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, defer

from knowledge.catalogue import CODE_RE, RecordError, catalogue_version_id
from knowledge.models import (
    COMMUNAL_KINDS,
    ApplicabilityOverride,
    Era,
    Level,
    Procedure,
    Unit,
)
from knowledge.units import DATA_DIR, UnitDataError, current_successors, fold, get_unit, read_json_file

BUNDLED_RULES = DATA_DIR / "applicability.json"
BUNDLED_OVERRIDES = DATA_DIR / "overrides.json"

_LIST_COLUMNS = (
    Procedure.audiences,
    Procedure.channels,
    Procedure.documents,
    Procedure.steps,
    Procedure.legal_basis,
    Procedure.related,
    Procedure.keywords,
)
_DEFERRED = [defer(column) for column in _LIST_COLUMNS]
_LEVEL_NAMES = {Level.COMMUNE: "xã", Level.DISTRICT: "huyện", Level.PROVINCE: "tỉnh", Level.MINISTRY: "bộ"}
_BODY_SEPARATORS = re.compile(r"[;,\n]+")

Receiver = Literal["one_stop", "commune_body", "agency"]
RECEIVERS: tuple[Receiver, ...] = ("one_stop", "commune_body", "agency")


class ApplicabilityError(ValueError):
    """The rules file was rejected; the message says which entry and why."""


@dataclass(frozen=True)
class AgencyRole:
    """One line of the agency table: bodies whose name holds one of ``patterns`` receive like this."""

    id: str
    patterns: tuple[str, ...]  # folded; a leading "^" anchors the pattern at the start of the name
    receiver: Receiver
    level: str  # a Level value: where that body sits
    label: str | None = None  # how to name the body to a citizen ("Công an {unit}"); None: as published
    generic: bool = False  # a body the portal names in general terms: the portal's levels decide
    source: str | None = None

    def matches(self, folded_body: str) -> bool:
        padded = f" {folded_body} "
        return any(
            padded.startswith(f" {pattern[1:]} ") if pattern[0] == "^" else f" {pattern} " in padded
            for pattern in self.patterns
        )


@dataclass(frozen=True)
class Rule:
    id: str
    fields: frozenset[str] = frozenset()  # folded
    name_keywords: tuple[str, ...] = ()  # folded
    agency_keywords: tuple[str, ...] = ()  # folded
    publishers: tuple[str, ...] = ()  # folded
    codes: frozenset[str] = frozenset()
    receivers: frozenset[str] = frozenset()  # only procedures the agency table gives to these
    roles: frozenset[str] = frozenset()  # only procedures these agency table entries decided
    unit_kinds: frozenset[str] = frozenset()
    tags_any: frozenset[str] = frozenset()
    tags_none: frozenset[str] = frozenset()
    provinces: frozenset[str] = frozenset()
    handles: bool = False
    local: bool = False  # handled in the commune, by ``agency`` rather than the one-stop
    level: str | None = None
    agency: str | None = None
    reason: str | None = None

    def matches(self, procedure: _Proc, base: Reception) -> bool:
        if self.receivers and base.receiver not in self.receivers:
            return False
        if self.roles and base.role not in self.roles:
            return False
        return (
            procedure.code in self.codes
            or procedure.field in self.fields
            or any(keyword in procedure.name for keyword in self.name_keywords)
            or any(keyword in procedure.agency_text for keyword in self.agency_keywords)
            or any(publisher in procedure.publisher for publisher in self.publishers)
        )

    def applies_to(self, unit: _UnitProfile) -> bool:
        return (
            (not self.unit_kinds or unit.kind in self.unit_kinds)
            and (not self.tags_any or bool(self.tags_any & unit.tags))
            and not (self.tags_none & unit.tags)
            and (not self.provinces or unit.province_code in self.provinces)
        )


@dataclass(frozen=True)
class Rules:
    commune_levels: frozenset[str]
    agencies: tuple[AgencyRole, ...]
    rules: tuple[Rule, ...]


_MATCH_KEYS = {"fields", "name_keywords", "agency_keywords", "publishers", "codes", "receivers", "roles"}
_FILTER_KEYS = {"receivers", "roles"}  # narrow what the other match keys select
_WHEN_KEYS = {"unit_kinds", "tags_any", "tags_none", "provinces"}
_RULE_KEYS = {"id", "match", "when", "handles", "local", "level", "agency", "reason", "description"}
_AGENCY_KEYS = {"id", "patterns", "receiver", "level", "label", "generic", "source", "description"}
_DOCUMENT_KEYS = {"description", "format", "source", "commune_levels", "agencies", "rules"}


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ApplicabilityError(f"{where}: cần một danh sách chuỗi")
    return [item.strip() for item in value]


def _optional_string(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ApplicabilityError(f'{where}: "{key}" phải là chuỗi khác rỗng')
    return value.strip() if isinstance(value, str) else None


def _level(value: Any, where: str) -> str | None:
    if value is not None and value not in set(Level):
        raise ApplicabilityError(f"{where}: cấp không hợp lệ: {value!r} (chỉ nhận {', '.join(Level)})")
    return value if value is None else str(value)


def _folded_patterns(values: list[str], where: str) -> tuple[str, ...]:
    patterns = []
    for value in values:
        anchored = value.startswith("^")
        folded = fold(value[1:] if anchored else value)
        if not folded:
            raise ApplicabilityError(f"{where}: mẫu {value!r} không có chữ nào")
        patterns.append("^" + folded if anchored else folded)
    return tuple(patterns)


def _parse_agency(item: Any, where: str) -> AgencyRole:
    if not isinstance(item, dict):
        raise ApplicabilityError(f"{where}: mục không phải đối tượng JSON")
    where = f"{where} ({item.get('id')})" if isinstance(item.get("id"), str) else where
    unknown = set(item) - _AGENCY_KEYS
    if unknown:
        raise ApplicabilityError(f"{where}: khóa không được hỗ trợ: {', '.join(sorted(unknown))}")
    if not isinstance(item.get("id"), str) or not item["id"].strip():
        raise ApplicabilityError(f'{where}: cần "id" (chuỗi)')
    if item.get("receiver") not in RECEIVERS:
        raise ApplicabilityError(f'{where}: "receiver" phải là một trong {", ".join(RECEIVERS)}')
    level = _level(item.get("level"), where)
    if level is None:
        raise ApplicabilityError(f'{where}: cần "level" (cấp của cơ quan)')
    if not isinstance(item.get("generic", False), bool):
        raise ApplicabilityError(f'{where}: "generic" phải là true hoặc false')
    if not item.get("patterns"):
        raise ApplicabilityError(f'{where}: cần "patterns" (các cụm từ trong tên cơ quan)')
    label = _optional_string(item, "label", where)
    if item["receiver"] == "commune_body" and label is None:
        raise ApplicabilityError(f'{where}: cơ quan cấp xã cần "label", ví dụ "Công an {{unit}}"')
    return AgencyRole(
        id=item["id"].strip(),
        patterns=_folded_patterns(_strings(item["patterns"], f"{where}.patterns"), where),
        receiver=item["receiver"],
        level=level,
        label=label,
        generic=item.get("generic", False),
        source=_optional_string(item, "source", where),
    )


def _parse_rule(item: Any, where: str) -> Rule:
    if not isinstance(item, dict):
        raise ApplicabilityError(f"{where}: quy tắc không phải đối tượng JSON")
    where = f"{where} ({item.get('id')})" if isinstance(item.get("id"), str) else where
    unknown = set(item) - _RULE_KEYS
    match, when = item.get("match"), item.get("when", {})
    if unknown:
        raise ApplicabilityError(f"{where}: khóa không được hỗ trợ: {', '.join(sorted(unknown))}")
    if not isinstance(item.get("id"), str) or not isinstance(item.get("handles"), bool):
        raise ApplicabilityError(f'{where}: cần "id" (chuỗi) và "handles" (true/false)')
    if not isinstance(item.get("local", False), bool):
        raise ApplicabilityError(f'{where}: "local" phải là true hoặc false')
    if not isinstance(match, dict) or not set(match) - _FILTER_KEYS or set(match) - _MATCH_KEYS:
        raise ApplicabilityError(f'{where}: "match" cần ít nhất một trong {", ".join(sorted(_MATCH_KEYS))}')
    if not isinstance(when, dict) or set(when) - _WHEN_KEYS:
        raise ApplicabilityError(f'{where}: "when" chỉ nhận {", ".join(sorted(_WHEN_KEYS))}')
    kinds = _strings(when.get("unit_kinds", []), f"{where}.when.unit_kinds")
    bad_kinds = set(kinds) - set(COMMUNAL_KINDS)
    if bad_kinds:
        raise ApplicabilityError(f"{where}: loại đơn vị không hợp lệ: {', '.join(sorted(bad_kinds))}")
    receivers = _strings(match.get("receivers", []), f"{where}.match.receivers")
    if set(receivers) - set(RECEIVERS):
        raise ApplicabilityError(f'{where}: "receivers" chỉ nhận {", ".join(RECEIVERS)}')
    agency = _optional_string(item, "agency", where)
    if item.get("local") and (item["handles"] or agency is None):
        raise ApplicabilityError(
            f'{where}: "local" cần "handles": false và "agency" (cơ quan cấp xã tiếp nhận)'
        )
    codes = _strings(match.get("codes", []), f"{where}.match.codes")
    bad_codes = [code for code in codes if not CODE_RE.match(code)]
    if bad_codes:
        raise ApplicabilityError(f"{where}: mã thủ tục không hợp lệ: {', '.join(bad_codes)}")
    return Rule(
        id=item["id"],
        fields=frozenset(fold(f) for f in _strings(match.get("fields", []), f"{where}.match.fields")),
        name_keywords=tuple(fold(k) for k in _strings(match.get("name_keywords", []), f"{where}.match")),
        agency_keywords=tuple(fold(k) for k in _strings(match.get("agency_keywords", []), f"{where}.match")),
        publishers=tuple(fold(k) for k in _strings(match.get("publishers", []), f"{where}.match")),
        codes=frozenset(codes),
        receivers=frozenset(receivers),
        roles=frozenset(_strings(match.get("roles", []), f"{where}.match.roles")),
        unit_kinds=frozenset(kinds),
        tags_any=frozenset(_strings(when.get("tags_any", []), f"{where}.when.tags_any")),
        tags_none=frozenset(_strings(when.get("tags_none", []), f"{where}.when.tags_none")),
        provinces=frozenset(_strings(when.get("provinces", []), f"{where}.when.provinces")),
        handles=item["handles"],
        local=item.get("local", False),
        level=_level(item.get("level"), where),
        agency=agency,
        reason=_optional_string(item, "reason", where),
    )


def parse_rules(document: Any, source: str = "<rules>") -> Rules:
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise ApplicabilityError(f'{source}: thiếu danh sách "rules"')
    unknown = set(document) - _DOCUMENT_KEYS
    if unknown:
        raise ApplicabilityError(f"{source}: khóa không được hỗ trợ: {', '.join(sorted(unknown))}")
    levels = _strings(document.get("commune_levels", [Level.COMMUNE.value]), f"{source}: commune_levels")
    if set(levels) - set(Level):
        raise ApplicabilityError(f"{source}: commune_levels chỉ nhận {', '.join(Level)}")
    if not isinstance(document.get("agencies", []), list):
        raise ApplicabilityError(f'{source}: "agencies" phải là danh sách')
    agencies = tuple(
        _parse_agency(item, f"{source}: cơ quan #{index + 1}")
        for index, item in enumerate(document.get("agencies", []))
    )
    rules = tuple(
        _parse_rule(item, f"{source}: quy tắc #{index + 1}") for index, item in enumerate(document["rules"])
    )
    for kind, ids in (("cơ quan", [a.id for a in agencies]), ("quy tắc", [r.id for r in rules])):
        if len(set(ids)) != len(ids):
            raise ApplicabilityError(f"{source}: id {kind} bị trùng")
    known = {agency.id for agency in agencies}
    for rule in rules:
        missing = ", ".join(sorted(rule.roles - known))
        if missing:
            raise ApplicabilityError(f"{source}: quy tắc {rule.id}: không có cơ quan {missing} trong bảng")
    return Rules(frozenset(levels), agencies, rules)


_rules_cache: dict[tuple[Path, int], Rules] = {}


def read_rules(path: Path = BUNDLED_RULES) -> Rules:
    """The rules in ``path``, re-read when the file changes."""
    try:
        key = (path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise ApplicabilityError(f"{path}: không đọc được tệp ({exc.strerror})") from exc
    rules = _rules_cache.get(key)
    if rules is None:
        try:
            document = read_json_file(path)
        except UnitDataError as exc:
            raise ApplicabilityError(str(exc)) from exc
        rules = _rules_cache[key] = parse_rules(document, str(path))
    return rules


# --------------------------------------------------------------------------- who receives


def executing_bodies(
    executing_agencies: list[Any] | None, implementing_agency: str | None
) -> tuple[str, ...]:
    """The executing bodies of a procedure: the portal's list, then the published text split at
    commas ("Ủy ban nhân dân cấp xã, Sở Tư pháp"), each once."""
    bodies = [str(body).strip() for body in executing_agencies or () if str(body).strip()]
    bodies += [part.strip() for part in _BODY_SEPARATORS.split(implementing_agency or "") if part.strip()]
    return tuple(dict.fromkeys(bodies))


@dataclass(frozen=True)
class Reception:
    """Who receives a procedure's dossier, before any commune is known."""

    receiver: Receiver | None  # None: no body listed that the agency table knows
    level: str  # a Level value
    body: str | None  # the body as published ("Công an cấp Xã", "Chi cục Hải quan khu vực")
    label: str | None  # how to name it for a given commune ("Công an {unit}")
    role: str | None  # the agency table entry that decided


@functools.lru_cache(maxsize=8192)
def _role(body: str, agencies: tuple[AgencyRole, ...]) -> AgencyRole | None:
    """The agency table's entry for one body; bodies repeat across thousands of procedures."""
    folded = fold(body)
    return next((role for role in agencies if role.matches(folded)), None)


def reception(
    bodies: tuple[str, ...],
    competent: tuple[str, ...],
    levels: tuple[str, ...],
    rules: Rules,
) -> Reception:
    """Who receives the dossier: see the module docstring, step 1."""
    found = [(role, body) for body in bodies if (role := _role(body, rules.agencies)) is not None]
    if not found:
        found = [(role, body) for body in competent if (role := _role(body, rules.agencies)) is not None]
    for wanted in ("one_stop", "commune_body"):
        for role, body in found:
            if role.receiver == wanted:
                return Reception(role.receiver, role.level, body, role.label, role.id)
    commune_level = any(level in rules.commune_levels for level in levels)
    if found and not (commune_level and all(role.generic for role, _ in found)):
        order = {role.id: rank for rank, role in enumerate(rules.agencies)}
        role, body = min(found, key=lambda pair: order[pair[0].id])
        return Reception(role.receiver, role.level, body, role.label, role.id)
    if commune_level:
        return Reception("one_stop", Level.COMMUNE.value, None, None, None)
    return Reception(None, _other_level(list(levels)), None, None, None)


def receiver_of(procedure: Procedure, *, rules: Rules | None = None) -> Reception:
    """Who receives ``procedure``'s dossier in general (no commune chosen)."""
    rules = rules or read_rules()
    return reception(
        executing_bodies(procedure.executing_agencies, procedure.implementing_agency),
        executing_bodies(None, procedure.competent_agency),
        tuple(procedure.levels or ()),
        rules,
    )


def general_reception(procedure: Procedure, *, rules: Rules | None = None) -> Reception:
    """Who receives ``procedure``'s dossier when no commune is chosen: the agency table, then the
    rules that hold for every unit (those without conditions on the unit). A commune body comes with
    its ``label`` ("Công an {unit}") for the caller to fill."""
    rules = rules or read_rules()
    base = found = receiver_of(procedure, rules=rules)
    proc = _proc_of(procedure)
    for rule in rules.rules:
        if rule.unit_kinds or rule.tags_any or rule.tags_none or rule.provinces:
            continue
        if not rule.matches(proc, base):
            continue
        if rule.handles:
            found = Reception("one_stop", Level.COMMUNE.value, None, None, rule.id)
        elif rule.local:
            found = Reception("commune_body", rule.level or Level.COMMUNE.value, None, rule.agency, rule.id)
        else:
            body = base.body if rule.agency is None else rule.agency
            found = Reception("agency", rule.level or base.level, body, None, rule.id)
    return found


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Proc:
    """What the rules look at in a procedure, folded once per catalogue version."""

    code: str
    name: str
    field: str
    agency_text: str  # folded executing and competent bodies
    publisher: str  # folded; the publishing ministry when the publisher is not known
    levels: tuple[str, ...]
    bodies: tuple[str, ...]
    competent: tuple[str, ...]
    in_force: bool
    on_list: bool  # False only when the portal's current list is known not to have it
    province: str | None  # a specific procedure's province


@dataclass(frozen=True)
class _UnitProfile:
    kind: str
    tags: frozenset[str]  # its own and its ancestors'
    province_code: str
    name: str


@dataclass(frozen=True)
class Competence:
    handled: bool  # the commune's one-stop office receives this procedure's dossier
    level: str  # the level that handles it for this unit: "xa", "tinh", "bo" (or "huyen")
    agency: str | None  # who receives the dossier when not the one-stop
    reason: str | None  # why, when there is something to explain
    local: bool = False  # ``agency`` is a body of this commune (its police…): done in the commune


@dataclass(frozen=True)
class _Verdict:
    handled: bool
    local: bool
    level: str
    agency: str | None
    reason: str | None
    rule: Rule | None  # the last rule that applied
    in_force: bool
    specific_elsewhere: bool  # another province's own procedure


@dataclass(frozen=True)
class _Snapshot:
    procs: dict[str, _Proc]
    order: dict[str, int]  # rank by field, then name (both folded), then code


@dataclass
class _EngineCache:
    snapshots: dict[int | None, _Snapshot]
    receptions: dict[tuple[int | None, Rules], dict[str, Reception]]
    verdicts: OrderedDict[tuple[int | None, int, Rules], dict[str, _Verdict]]


_MAX_UNITS_CACHED = 512
_caches: weakref.WeakKeyDictionary[Engine, _EngineCache] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cache(session: Session) -> _EngineCache:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = _EngineCache({}, {}, OrderedDict())
        return cache


def _proc(
    *,
    code: str,
    name: str,
    field: str | None,
    levels: list[Any] | None,
    status: str,
    competent_agency: str | None,
    implementing_agency: str | None,
    executing_agencies: list[Any] | None,
    publisher: str | None,
    ministry: str | None,
    portal_type: str | None,
    province: str | None,
    on_portal_list: bool | None,
) -> _Proc:
    bodies = executing_bodies(executing_agencies, implementing_agency)
    competent = executing_bodies(None, competent_agency)
    return _Proc(
        code=code,
        name=fold(name),
        field=fold(field or ""),
        agency_text=fold(" ; ".join(bodies + competent)),
        publisher=fold(publisher or ministry or ""),
        levels=tuple(levels or ()),
        bodies=bodies,
        competent=competent,
        in_force=status == "in_force",
        on_list=on_portal_list is not False,
        province=province if portal_type == "specific" else None,
    )


def _proc_of(procedure: Procedure) -> _Proc:
    return _proc(
        code=procedure.code,
        name=procedure.name,
        field=procedure.field,
        levels=procedure.levels,
        status=procedure.status,
        competent_agency=procedure.competent_agency,
        implementing_agency=procedure.implementing_agency,
        executing_agencies=procedure.executing_agencies,
        publisher=procedure.publisher,
        ministry=procedure.ministry,
        portal_type=procedure.portal_type,
        province=procedure.province,
        on_portal_list=procedure.on_portal_list,
    )


def _snapshot(session: Session, cache: _EngineCache, version_id: int | None) -> _Snapshot:
    snapshot = cache.snapshots.get(version_id)
    if snapshot is None:
        rows = session.execute(
            select(
                Procedure.code,
                Procedure.name,
                Procedure.field,
                Procedure.levels,
                Procedure.status,
                Procedure.competent_agency,
                Procedure.implementing_agency,
                Procedure.executing_agencies,
                Procedure.publisher,
                Procedure.ministry,
                Procedure.portal_type,
                Procedure.province,
                Procedure.on_portal_list,
            )
        )
        procs = {row.code: _proc(**row._asdict()) for row in rows}
        ranked = sorted(procs.values(), key=lambda p: (p.field, p.name, p.code))
        snapshot = _Snapshot(procs, {proc.code: rank for rank, proc in enumerate(ranked)})
        cache.snapshots = {version_id: snapshot}  # only the current version is worth keeping
        cache.receptions = {}
    return snapshot


def _receptions(
    cache: _EngineCache, version_id: int | None, snapshot: _Snapshot, rules: Rules
) -> dict[str, Reception]:
    key = (version_id, rules)
    with _lock:
        found = cache.receptions.get(key)
    if found is None:
        found = {
            code: reception(proc.bodies, proc.competent, proc.levels, rules)
            for code, proc in snapshot.procs.items()
        }
        with _lock:
            cache.receptions = {key: found}
    return found


def _profile(unit: Unit) -> _UnitProfile:
    tags: set[str] = set(unit.tags or ())
    parent = unit.parent
    while parent is not None:
        tags.update(parent.tags or ())
        parent = parent.parent
    return _UnitProfile(unit.kind, frozenset(tags), unit.province_code, unit.name)


def _named(label: str | None, body: str | None, unit: _UnitProfile) -> str | None:
    """The receiving body as a citizen of ``unit`` should read it: "Công an xã Núi Cấm"."""
    if label is None:
        return body
    name = unit.name[:1].lower() + unit.name[1:]
    return label.replace("{unit}", name)


def _evaluate(procedure: _Proc, base: Reception, unit: _UnitProfile, rules: Rules) -> _Verdict:
    handled = base.receiver == "one_stop"
    local = base.receiver == "commune_body"
    level, agency = base.level, None if handled else _named(base.label, base.body, unit)
    reason: str | None = None
    applied: Rule | None = None
    for rule in rules.rules:
        if rule.matches(procedure, base) and rule.applies_to(unit):
            handled, local, applied, reason = rule.handles, rule.local, rule, rule.reason
            if rule.level is not None:
                level = rule.level
            if rule.agency is not None:
                agency = _named(rule.agency, None, unit)
            if handled:
                level, agency = Level.COMMUNE.value, None
    elsewhere = procedure.province is not None and procedure.province != unit.province_code
    return _Verdict(
        handled=procedure.in_force and procedure.on_list and not elsewhere and handled,
        local=procedure.in_force and procedure.on_list and not elsewhere and local,
        level=level,
        agency=agency,
        reason=reason,
        rule=applied,
        in_force=procedure.in_force,
        specific_elsewhere=elsewhere,
    )


def _verdicts(session: Session, unit: Unit, rules: Rules) -> dict[str, _Verdict]:
    cache = _cache(session)
    key = (catalogue_version_id(session), unit.id, rules)
    with _lock:
        verdicts = cache.verdicts.get(key)
        if verdicts is not None:
            cache.verdicts.move_to_end(key)
            return verdicts
    snapshot = _snapshot(session, cache, key[0])
    bases = _receptions(cache, key[0], snapshot, rules)
    profile = _profile(unit)
    verdicts = {code: _evaluate(proc, bases[code], profile, rules) for code, proc in snapshot.procs.items()}
    with _lock:
        cache.verdicts[key] = verdicts
        while len(cache.verdicts) > _MAX_UNITS_CACHED:
            cache.verdicts.popitem(last=False)
    return verdicts


def _communes(session: Session, unit: Unit) -> list[Unit]:
    """The 2025 communes to answer for: the unit itself, or those an old unit went into."""
    targets = [u for u in current_successors(session, unit) if u.kind in COMMUNAL_KINDS]
    if not targets:
        raise ValueError(f"{unit.name} ({unit.era}:{unit.code}) không phải đơn vị hành chính cấp xã")
    return targets


def _overrides(session: Session, units: list[Unit]) -> dict[tuple[int, str], ApplicabilityOverride]:
    rows = session.scalars(
        select(ApplicabilityOverride).where(ApplicabilityOverride.unit_id.in_([u.id for u in units]))
    )
    return {(row.unit_id, row.procedure_code): row for row in rows}


def procedures_for_unit(
    session: Session,
    unit: Unit,
    field: str | None = None,
    *,
    rules: Rules | None = None,
    include_local: bool = False,
) -> list[Procedure]:
    """The procedures the unit's one-stop office receives, sorted by field then name.

    ``include_local`` adds those another body of the commune receives (its police, its military
    command): everything done in the commune. ``field`` keeps one field (compared without case or
    diacritics). For an old unit, the union over the 2025 communes it went into. Raises ValueError
    for a unit that is not a commune.
    """
    rules = rules or read_rules()
    communes = _communes(session, unit)
    overrides = _overrides(session, communes)
    wanted = fold(field) if field is not None else None
    codes: set[str] = set()
    for commune in communes:
        verdicts = _verdicts(session, commune, rules)
        handled = {
            code for code, verdict in verdicts.items() if verdict.handled or (include_local and verdict.local)
        }
        for (unit_id, code), override in overrides.items():
            # An override cannot bring back an abolished procedure, nor another province's own one.
            verdict = verdicts.get(code)
            if (
                unit_id == commune.id
                and verdict is not None
                and verdict.in_force
                and not verdict.specific_elsewhere
            ):
                (handled.add if override.handles else handled.discard)(code)
        codes |= handled
    snapshot = _snapshot(session, _cache(session), catalogue_version_id(session))
    if wanted is not None:
        codes = {code for code in codes if code in snapshot.procs and snapshot.procs[code].field == wanted}
    # The lists (documents, steps…) are JSON, costly to decode for hundreds of rows and rarely
    # shown for more than one procedure: they load when first read.
    rows = session.scalars(select(Procedure).where(Procedure.code.in_(codes)).options(*_DEFERRED))
    return sorted(rows, key=lambda p: snapshot.order.get(p.code, len(snapshot.order)))


def _other_level(levels: list[Any]) -> str:
    for level in (Level.PROVINCE, Level.MINISTRY, Level.DISTRICT):
        if level in levels:
            return level.value
    return Level.COMMUNE.value


def competence(
    session: Session, unit: Unit, procedure: Procedure, *, rules: Rules | None = None
) -> Competence:
    """Whether the unit's one-stop office receives ``procedure``, and if not, who does and why.

    For an old unit that went into several communes, the answer of the first one that handles it.
    """
    rules = rules or read_rules()
    base = receiver_of(procedure, rules=rules)
    if not procedure.in_force:
        when = f" ({procedure.abolished_by})" if procedure.abolished_by else ""
        return Competence(False, base.level, base.body, f"Thủ tục đã bị bãi bỏ{when}.")
    if procedure.on_portal_list is False:
        return Competence(
            False,
            base.level,
            base.body,
            "Thủ tục không còn trong danh mục công khai hiện hành của Cổng Dịch vụ công quốc gia.",
        )
    communes = _communes(session, unit)
    overrides = _overrides(session, communes)
    answers: list[Competence] = []
    for commune in communes:
        verdict = _verdicts(session, commune, rules).get(procedure.code)
        if verdict is None:  # not in the catalogue snapshot (added since): evaluate it now
            proc = _proc_of(procedure)
            verdict = _evaluate(proc, base, _profile(commune), rules)
        override = overrides.get((commune.id, procedure.code))
        if verdict.specific_elsewhere:
            answer = Competence(
                False,
                verdict.level,
                verdict.agency,
                "Thủ tục riêng của một tỉnh khác, không áp dụng ở xã/phường của bạn.",
            )
        elif override is not None:
            answer = Competence(
                override.handles,
                Level.COMMUNE.value if override.handles else verdict.level,
                None if override.handles else verdict.agency,
                override.reason,
            )
        elif verdict.handled or verdict.local:
            answer = Competence(
                verdict.handled, Level.COMMUNE.value, verdict.agency, verdict.reason, verdict.local
            )
        else:
            level = verdict.level
            explained = verdict.reason or (
                f"Thủ tục không thực hiện ở cấp xã mà ở cấp {_LEVEL_NAMES.get(Level(level), level)}."
                if level != Level.COMMUNE
                else None
            )
            answer = Competence(False, level, verdict.agency, explained)
        if answer.handled or answer.local:
            return answer
        answers.append(answer)
    return answers[0]


# --------------------------------------------------------------------------- overrides


def load_overrides(session: Session, path: Path = BUNDLED_OVERRIDES) -> int:
    """Load per-unit exceptions inside the caller's transaction; returns rows inserted or changed.

    Entries are upserted by (unit, procedure); none is deleted, so exceptions recorded another
    way survive a reload. Units are 2025 communes (a bare code); procedures are catalogue codes.
    """
    document = read_json_file(path)
    items = document.get("overrides") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise UnitDataError(f'{path}: thiếu danh sách "overrides"')
    errors: list[RecordError] = []
    wanted: dict[tuple[int, str], tuple[bool, str | None]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RecordError(index, None, "bản ghi không phải đối tượng JSON"))
            continue
        unit_code, code = item.get("unit"), item.get("procedure")
        unit = get_unit(session, unit_code, Era.TWO_TIER) if isinstance(unit_code, str) else None
        reason = item.get("reason")
        if unit is None or unit.kind not in COMMUNAL_KINDS:
            errors.append(RecordError(index, str(unit_code), "không có đơn vị cấp xã 2025 với mã này"))
        elif not isinstance(code, str) or not CODE_RE.match(code):
            errors.append(RecordError(index, str(unit_code), f"mã thủ tục không hợp lệ: {code!r}"))
        elif not isinstance(item.get("handles"), bool):
            errors.append(RecordError(index, str(unit_code), '"handles" phải là true hoặc false'))
        elif reason is not None and not isinstance(reason, str):
            errors.append(RecordError(index, str(unit_code), '"reason" phải là chuỗi'))
        elif (unit.id, code) in wanted:
            errors.append(RecordError(index, str(unit_code), f"trùng ngoại lệ cho thủ tục {code}"))
        else:
            wanted[unit.id, code] = (item["handles"], reason)
    if errors:
        raise UnitDataError(f"{path}: {len(errors)} bản ghi không hợp lệ", errors)
    existing = {
        (row.unit_id, row.procedure_code): row for row in session.scalars(select(ApplicabilityOverride))
    }
    changed = 0
    for (unit_id, code), (handles, reason) in wanted.items():
        row = existing.get((unit_id, code))
        if row is None:
            session.add(
                ApplicabilityOverride(unit_id=unit_id, procedure_code=code, handles=handles, reason=reason)
            )
        elif (row.handles, row.reason) == (handles, reason):
            continue
        else:
            row.handles, row.reason = handles, reason
        changed += 1
    session.flush()
    return changed
