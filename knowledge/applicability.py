"""Which procedures a commune handles — as data an administrator can change.

The answer for a 2025 commune, ward or special zone is built in three steps:

1. every procedure in force whose levels include a commune level (``commune_levels``, "xa");
2. the rules of ``data/applicability.json``, in order, each matching procedures (by field, words of
   the name or of the agency, or code) and units (by kind, tags, province) and saying whether such
   units handle them — e.g. wards do not handle forestry procedures;
3. the per-unit overrides of ``data/overrides.json`` (loaded into ``ApplicabilityOverride``).

An abolished procedure is never handled. An old (three-tier) unit is answered for the 2025
commune(s) it went into. Steps 1–2 are cached per (unit, catalogue version, rules); overrides are
read on every call since an administrator may change them at any time.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


class ApplicabilityError(ValueError):
    """The rules file was rejected; the message says which rule and why."""


@dataclass(frozen=True)
class Rule:
    id: str
    fields: frozenset[str] = frozenset()  # folded
    name_keywords: tuple[str, ...] = ()  # folded
    agency_keywords: tuple[str, ...] = ()  # folded
    codes: frozenset[str] = frozenset()
    unit_kinds: frozenset[str] = frozenset()
    tags_any: frozenset[str] = frozenset()
    tags_none: frozenset[str] = frozenset()
    provinces: frozenset[str] = frozenset()
    handles: bool = False
    level: str | None = None
    agency: str | None = None
    reason: str | None = None

    def matches(self, procedure: _Proc) -> bool:
        return (
            procedure.code in self.codes
            or procedure.field in self.fields
            or any(keyword in procedure.name for keyword in self.name_keywords)
            or any(keyword in procedure.agencies for keyword in self.agency_keywords)
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
    rules: tuple[Rule, ...]


_MATCH_KEYS = {"fields", "name_keywords", "agency_keywords", "codes"}
_WHEN_KEYS = {"unit_kinds", "tags_any", "tags_none", "provinces"}
_RULE_KEYS = {"id", "match", "when", "handles", "level", "agency", "reason", "description"}


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ApplicabilityError(f"{where}: cần một danh sách chuỗi")
    return [item.strip() for item in value]


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
    if not isinstance(match, dict) or not match or set(match) - _MATCH_KEYS:
        raise ApplicabilityError(f'{where}: "match" cần ít nhất một trong {", ".join(sorted(_MATCH_KEYS))}')
    if not isinstance(when, dict) or set(when) - _WHEN_KEYS:
        raise ApplicabilityError(f'{where}: "when" chỉ nhận {", ".join(sorted(_WHEN_KEYS))}')
    kinds = _strings(when.get("unit_kinds", []), f"{where}.when.unit_kinds")
    bad_kinds = set(kinds) - set(COMMUNAL_KINDS)
    if bad_kinds:
        raise ApplicabilityError(f"{where}: loại đơn vị không hợp lệ: {', '.join(sorted(bad_kinds))}")
    level = item.get("level")
    if level is not None and level not in set(Level):
        raise ApplicabilityError(f"{where}: cấp không hợp lệ: {level!r}")
    for key in ("agency", "reason"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise ApplicabilityError(f'{where}: "{key}" phải là chuỗi')
    return Rule(
        id=item["id"],
        fields=frozenset(fold(f) for f in _strings(match.get("fields", []), f"{where}.match.fields")),
        name_keywords=tuple(fold(k) for k in _strings(match.get("name_keywords", []), f"{where}.match")),
        agency_keywords=tuple(fold(k) for k in _strings(match.get("agency_keywords", []), f"{where}.match")),
        codes=frozenset(_strings(match.get("codes", []), f"{where}.match.codes")),
        unit_kinds=frozenset(kinds),
        tags_any=frozenset(_strings(when.get("tags_any", []), f"{where}.when.tags_any")),
        tags_none=frozenset(_strings(when.get("tags_none", []), f"{where}.when.tags_none")),
        provinces=frozenset(_strings(when.get("provinces", []), f"{where}.when.provinces")),
        handles=item["handles"],
        level=level,
        agency=item.get("agency"),
        reason=item.get("reason"),
    )


def parse_rules(document: Any, source: str = "<rules>") -> Rules:
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise ApplicabilityError(f'{source}: thiếu danh sách "rules"')
    levels = _strings(document.get("commune_levels", [Level.COMMUNE.value]), f"{source}: commune_levels")
    if set(levels) - set(Level):
        raise ApplicabilityError(f"{source}: commune_levels chỉ nhận {', '.join(Level)}")
    rules = tuple(
        _parse_rule(item, f"{source}: quy tắc #{index + 1}") for index, item in enumerate(document["rules"])
    )
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise ApplicabilityError(f"{source}: id quy tắc bị trùng")
    return Rules(frozenset(levels), rules)


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


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Proc:
    """What the rules look at in a procedure, folded once per catalogue version."""

    code: str
    name: str
    field: str
    agencies: str
    levels: tuple[str, ...]
    in_force: bool


@dataclass(frozen=True)
class _UnitProfile:
    kind: str
    tags: frozenset[str]  # its own and its ancestors'
    province_code: str


@dataclass(frozen=True)
class Competence:
    handled: bool  # the commune's one-stop office takes this procedure
    level: str  # the level that handles it for this unit: "xa", "tinh", "bo" (or "huyen")
    agency: str | None  # whom to turn to when it is not the commune
    reason: str | None  # why, when there is something to explain


@dataclass(frozen=True)
class _Verdict:
    handled: bool
    rule: Rule | None  # the last rule that applied
    in_force: bool


@dataclass(frozen=True)
class _Snapshot:
    procs: dict[str, _Proc]
    order: dict[str, int]  # rank by field, then name (both folded), then code


@dataclass
class _EngineCache:
    snapshots: dict[int | None, _Snapshot]
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
            cache = _caches[engine] = _EngineCache({}, OrderedDict())
        return cache


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
            )
        )
        procs = {
            row.code: _Proc(
                code=row.code,
                name=fold(row.name),
                field=fold(row.field or ""),
                agencies=fold(f"{row.competent_agency or ''} {row.implementing_agency or ''}"),
                levels=tuple(row.levels or ()),
                in_force=row.status == "in_force",
            )
            for row in rows
        }
        ranked = sorted(procs.values(), key=lambda p: (p.field, p.name, p.code))
        snapshot = _Snapshot(procs, {proc.code: rank for rank, proc in enumerate(ranked)})
        cache.snapshots = {version_id: snapshot}  # only the current version is worth keeping
    return snapshot


def _profile(unit: Unit) -> _UnitProfile:
    tags: set[str] = set(unit.tags or ())
    parent = unit.parent
    while parent is not None:
        tags.update(parent.tags or ())
        parent = parent.parent
    return _UnitProfile(unit.kind, frozenset(tags), unit.province_code)


def _evaluate(procedure: _Proc, unit: _UnitProfile, rules: Rules) -> _Verdict:
    handled = any(level in rules.commune_levels for level in procedure.levels)
    applied: Rule | None = None
    for rule in rules.rules:
        if rule.matches(procedure) and rule.applies_to(unit):
            handled, applied = rule.handles, rule
    return _Verdict(procedure.in_force and handled, applied, procedure.in_force)


def _verdicts(session: Session, unit: Unit, rules: Rules) -> dict[str, _Verdict]:
    cache = _cache(session)
    key = (catalogue_version_id(session), unit.id, rules)
    with _lock:
        verdicts = cache.verdicts.get(key)
        if verdicts is not None:
            cache.verdicts.move_to_end(key)
            return verdicts
    snapshot = _snapshot(session, cache, key[0])
    profile = _profile(unit)
    verdicts = {code: _evaluate(proc, profile, rules) for code, proc in snapshot.procs.items()}
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
    session: Session, unit: Unit, field: str | None = None, *, rules: Rules | None = None
) -> list[Procedure]:
    """The procedures the unit's one-stop office handles, sorted by field then name.

    ``field`` keeps one field (compared without case or diacritics). For an old unit, the union
    over the 2025 communes it went into. Raises ValueError for a unit that is not a commune.
    """
    rules = rules or read_rules()
    communes = _communes(session, unit)
    overrides = _overrides(session, communes)
    wanted = fold(field) if field is not None else None
    codes: set[str] = set()
    for commune in communes:
        verdicts = _verdicts(session, commune, rules)
        handled = {code for code, verdict in verdicts.items() if verdict.handled}
        for (unit_id, code), override in overrides.items():
            # An override cannot bring back an abolished procedure.
            if unit_id == commune.id and code in verdicts and verdicts[code].in_force:
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
    """Whether the unit's one-stop office handles ``procedure``, and if not, who does and why.

    For an old unit that went into several communes, the answer of the first one that handles it.
    """
    rules = rules or read_rules()
    other = _other_level(procedure.levels or [])
    agency = procedure.competent_agency or procedure.implementing_agency
    if not procedure.in_force:
        when = f" ({procedure.abolished_by})" if procedure.abolished_by else ""
        return Competence(False, other, agency, f"Thủ tục đã bị bãi bỏ{when}.")
    communes = _communes(session, unit)
    overrides = _overrides(session, communes)
    answers: list[Competence] = []
    for commune in communes:
        verdict = _verdicts(session, commune, rules).get(procedure.code)
        if verdict is None:  # not in the catalogue snapshot (added since): evaluate it now
            proc = _Proc(
                procedure.code,
                fold(procedure.name),
                fold(procedure.field or ""),
                fold(f"{procedure.competent_agency or ''} {procedure.implementing_agency or ''}"),
                tuple(procedure.levels or ()),
                True,
            )
            verdict = _evaluate(proc, _profile(commune), rules)
        handled, rule = verdict.handled, verdict.rule
        override = overrides.get((commune.id, procedure.code))
        if override is not None:
            answer = Competence(
                override.handles,
                Level.COMMUNE.value if override.handles else other,
                None if override.handles else agency,
                override.reason,
            )
        elif handled:
            answer = Competence(True, Level.COMMUNE.value, None, rule.reason if rule else None)
        elif rule is not None:
            answer = Competence(False, rule.level or other, rule.agency or agency, rule.reason)
        else:
            answer = Competence(
                False,
                other,
                agency,
                f"Thủ tục không thực hiện ở cấp xã mà ở cấp {_LEVEL_NAMES.get(Level(other), other)}."
                if other != Level.COMMUNE
                else None,
            )
        if answer.handled:
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
