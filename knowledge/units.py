"""Administrative units of both eras: loading the bundled data, looking units up, resolving names.

The bundled ``data/units.json.gz`` (written by ``knowledge.importers.units``) holds the three-tier
units ("2008") and the two-tier ones ("2025") with the old → new successions. Codes are reused
across eras, so (era, code) is the key; a bare code means the current unit when there is one.

``resolve_unit`` turns what a person types ("cat van nhu xuan", "Xã Cát Vân, huyện Như Xuân,
Thanh Hóa", "P. Phúc Xá") into ranked units. It works on an in-memory index of folded names (no
diacritics, đ → d) built once per engine: the unit's own name is matched fuzzily against a window of
the words typed, and the words left over must be explained by the names around it — its district
and province, or, for a 2025 commune, the old districts and provinces it was made from.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.orm import Session

from knowledge.catalogue import RecordError
from knowledge.datafile import DataFileError, decode_json, gunzip_bounded, read_bounded
from knowledge.models import (
    COMMUNAL_KINDS,
    PROVINCIAL_KINDS,
    Era,
    OneStopOffice,
    Unit,
    UnitKind,
    UnitSuccession,
)

DATA_DIR = Path(__file__).parent / "data"
BUNDLED_UNITS = DATA_DIR / "units.json.gz"
BUNDLED_TAGS = DATA_DIR / "unit_tags.json"
BUNDLED_OFFICES = DATA_DIR / "offices.json"

_CODE_RE = re.compile(r"^\d{2,5}$")


class UnitDataError(DataFileError[RecordError]):
    """A units, tags or offices file was rejected; ``errors`` lists every bad record with the reason."""


# --------------------------------------------------------------------------- reading data files


MAX_DATA_FILE_BYTES = 64 * 1024 * 1024  # the bundled units file is 2 MB once decompressed


def read_json_file(path: Path) -> Any:
    """A JSON data file (optionally gzip'd), bounded as catalogue files are (knowledge.datafile)."""
    raw = read_bounded(path, MAX_DATA_FILE_BYTES, UnitDataError)
    raw = gunzip_bounded(raw, MAX_DATA_FILE_BYTES, str(path), UnitDataError)
    return decode_json(raw, str(path), UnitDataError)


def _list_of(document: Any, key: str, path: Path) -> list[Any]:
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise UnitDataError(f'{path}: thiếu danh sách "{key}"')
    items: list[Any] = document[key]
    return items


@dataclass(frozen=True)
class UnitRecord:
    era: str
    code: str
    name: str
    kind: str
    parent: str | None


@dataclass
class UnitsFile:
    units: list[UnitRecord]
    successions: list[tuple[str, str, bool]]  # (old 2008 code, new 2025 code, full)


def _str(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else None


def read_units(path: Path = BUNDLED_UNITS) -> UnitsFile:
    """Validate a units file. Raises UnitDataError listing every bad record with the reason."""
    document = read_json_file(path)
    items = _list_of(document, "units", path)
    errors: list[RecordError] = []
    records: list[UnitRecord] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RecordError(index, None, "bản ghi không phải đối tượng JSON"))
            continue
        era, code, name, kind = (_str(item, k) for k in ("era", "code", "name", "kind"))
        parent = item.get("parent")
        problems = []
        if not code or not _CODE_RE.match(code):
            problems.append(f"thiếu mã hoặc mã không hợp lệ ({item.get('code')!r})")
        if not name:
            problems.append("thiếu tên")
        if era not in set(Era):
            problems.append(f"thời kỳ không hợp lệ ({item.get('era')!r}; dùng 2008 hoặc 2025)")
        if kind not in set(UnitKind):
            problems.append(f"loại đơn vị không hợp lệ ({item.get('kind')!r})")
        if parent is not None and not isinstance(parent, str):
            problems.append("mã đơn vị cấp trên phải là chuỗi")
        if problems:
            errors.append(RecordError(index, code, "; ".join(problems)))
            continue
        assert era and code and name and kind
        if (era, code) in seen:
            errors.append(RecordError(index, code, f"trùng (thời kỳ, mã) với bản ghi #{seen[era, code] + 1}"))
            continue
        seen[era, code] = index
        records.append(UnitRecord(era, code, name, kind, parent))
    for record in records:
        if record.parent is not None and (record.era, record.parent) not in seen:
            errors.append(
                RecordError(
                    seen[record.era, record.code],
                    record.code,
                    f"đơn vị cấp trên {record.parent} không có trong thời kỳ {record.era}",
                )
            )
        elif record.parent is None and record.kind not in PROVINCIAL_KINDS:
            errors.append(RecordError(seen[record.era, record.code], record.code, "thiếu đơn vị cấp trên"))
    successions: list[tuple[str, str, bool]] = []
    for index, item in enumerate(document.get("successions") or []):
        item = item if isinstance(item, dict) else {}
        old, new, full = item.get("old"), item.get("new"), item.get("full")
        if (Era.THREE_TIER, old) not in seen or (Era.TWO_TIER, new) not in seen or not isinstance(full, bool):
            reason = "kế thừa không hợp lệ: cần old (mã 2008), new (mã 2025) có thật và full (true/false)"
            errors.append(RecordError(index, f"{old}→{new}", reason))
            continue
        successions.append((str(old), str(new), full))
    if errors:
        raise UnitDataError(f"{path}: {len(errors)} bản ghi không hợp lệ", errors)
    if not records:
        raise UnitDataError(f"{path}: không có đơn vị nào")
    return UnitsFile(records, successions)


def read_unit_tags(path: Path = BUNDLED_TAGS) -> dict[tuple[str, str], list[str]]:
    """(era, code) → sorted tags. Each entry names its unit so that a wrong code is caught by the tests."""
    document = read_json_file(path)
    tags = document.get("tags") if isinstance(document, dict) else None
    if not isinstance(tags, dict):
        raise UnitDataError(f'{path}: thiếu đối tượng "tags"')
    result: dict[tuple[str, str], set[str]] = defaultdict(set)
    errors: list[RecordError] = []
    for tag, spec in sorted(tags.items()):
        units = spec.get("units") if isinstance(spec, dict) else None
        if not isinstance(units, list):
            raise UnitDataError(f'{path}: nhãn "{tag}" thiếu danh sách "units"')
        for index, item in enumerate(units):
            era, code = (_str(item, "era"), _str(item, "code")) if isinstance(item, dict) else (None, None)
            if era not in set(Era) or not code:
                errors.append(RecordError(index, code, f'nhãn "{tag}": cần "era" (2008/2025) và "code"'))
                continue
            result[era, code].add(tag)
    if errors:
        raise UnitDataError(f"{path}: {len(errors)} bản ghi không hợp lệ", errors)
    return {key: sorted(value) for key, value in result.items()}


# --------------------------------------------------------------------------- loading


def load_units(session: Session, path: Path = BUNDLED_UNITS, *, tags_path: Path | None = BUNDLED_TAGS) -> int:
    """Load (or bring up to date) the units and successions in ``path`` inside the caller's transaction.

    Units are upserted by (era, code) in bulk and never deleted (users and overrides point at
    them). Tags come from ``tags_path``; tag entries for units not in the file are ignored, so that
    a partial units file still loads. Returns the number of rows inserted or changed: loading the
    same file again returns 0 and changes nothing.
    """
    data = read_units(path)
    tags = read_unit_tags(tags_path) if tags_path is not None else {}
    by_key = {(r.era, r.code): r for r in data.units}

    def province_of(record: UnitRecord) -> str:
        while record.parent is not None:
            record = by_key[record.era, record.parent]
        return record.code

    existing = {
        (row.era, row.code): row
        for row in session.execute(
            select(
                Unit.id,
                Unit.era,
                Unit.code,
                Unit.name,
                Unit.kind,
                Unit.parent_id,
                Unit.province_code,
                Unit.tags,
            )
        )
    }
    ids = {key: row.id for key, row in existing.items()}
    changed = 0
    # Parents before children: provinces, then districts, then communes.
    depth = {key: _depth(by_key, record) for key, record in by_key.items()}
    for level in sorted(set(depth.values())):
        inserts, updates = [], []
        for key, record in by_key.items():
            if depth[key] != level:
                continue
            values = {
                "era": record.era,
                "code": record.code,
                "name": record.name,
                "kind": record.kind,
                "parent_id": ids[record.era, record.parent] if record.parent else None,
                "province_code": province_of(record),
                "tags": tags.get(key, []),
            }
            row = existing.get(key)
            if row is None:
                inserts.append(values)
            elif any(getattr(row, name) != value for name, value in values.items()):
                updates.append({"id": row.id, **values})
        if inserts:
            session.execute(insert(Unit), inserts)
            new_ids = session.execute(
                select(Unit.id, Unit.era, Unit.code).where(Unit.code.in_({v["code"] for v in inserts}))
            )
            ids.update({(era, code): unit_id for unit_id, era, code in new_ids})
        if updates:
            session.execute(update(Unit), updates)
        changed += len(inserts) + len(updates)

    existing_successions = {
        (old_id, new_id): (succession_id, full)
        for succession_id, old_id, new_id, full in session.execute(
            select(
                UnitSuccession.id, UnitSuccession.old_unit_id, UnitSuccession.new_unit_id, UnitSuccession.full
            )
        )
    }
    inserts, updates = [], []
    for old, new, full in data.successions:
        pair = (ids[Era.THREE_TIER, old], ids[Era.TWO_TIER, new])
        current = existing_successions.get(pair)
        if current is None:
            inserts.append({"old_unit_id": pair[0], "new_unit_id": pair[1], "full": full})
        elif current[1] != full:
            updates.append({"id": current[0], "full": full})
    if inserts:
        session.execute(insert(UnitSuccession), inserts)
    if updates:
        session.execute(update(UnitSuccession), updates)
    changed += len(inserts) + len(updates)
    if changed:
        session.expire_all()
        _forget_index(session)
    return changed


def _depth(by_key: dict[tuple[str, str], UnitRecord], record: UnitRecord) -> int:
    depth = 0
    while record.parent is not None:
        record = by_key[record.era, record.parent]
        depth += 1
    return depth


_OFFICE_FIELDS = ("name", "address", "phone", "hours", "staff_on_duty")
_OFFICE_KEYS = {"unit", "source", "latitude", "longitude", "phone_verified", *_OFFICE_FIELDS}


def _office_values(item: dict[str, Any]) -> dict[str, Any] | str:
    """The columns of one office entry, or why it is rejected."""
    unknown = set(item) - _OFFICE_KEYS
    if unknown:
        return f"trường không được hỗ trợ: {', '.join(sorted(unknown))}"
    if not any(_str(item, name) for name in _OFFICE_FIELDS):
        return "không có thông tin nào về bộ phận một cửa"
    latitude, longitude = item.get("latitude"), item.get("longitude")
    if (latitude is None) != (longitude is None):
        return "cần cả vĩ độ (latitude) và kinh độ (longitude), hoặc không có cả hai"
    if latitude is not None and longitude is not None:
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (latitude, longitude)):
            return "vĩ độ, kinh độ phải là số"
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return f"tọa độ không hợp lệ: {latitude}, {longitude}"
    verified = item.get("phone_verified")
    if verified is not None and not isinstance(verified, bool):
        return '"phone_verified" phải là true hoặc false'
    return {
        **{name: _str(item, name) for name in _OFFICE_FIELDS},
        "latitude": None if latitude is None else float(latitude),
        "longitude": None if longitude is None else float(longitude),
        "phone_verified": verified,
        "source": _str(item, "source"),
    }


def load_offices(session: Session, path: Path = BUNDLED_OFFICES) -> int:
    """Load one-stop office details (see the format in the file itself); returns rows inserted or changed.

    Each entry is ``{"unit": code, "name", "address", "phone", "hours", "staff_on_duty", "latitude",
    "longitude", "phone_verified", "source"}``; a bare code means the 2025 unit. A phone not marked
    verified is shown with a note to check it. Offices are upserted by unit; none is deleted.
    """
    items = _list_of(read_json_file(path), "offices", path)
    errors: list[RecordError] = []
    rows: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RecordError(index, None, "bản ghi không phải đối tượng JSON"))
            continue
        code = _str(item, "unit")
        unit = get_unit(session, code) if code else None
        values = _office_values(item)
        if unit is None:
            errors.append(RecordError(index, code, "không có đơn vị hành chính với mã này"))
        elif isinstance(values, str):
            errors.append(RecordError(index, code, values))
        elif unit.id in rows:
            errors.append(RecordError(index, code, "trùng đơn vị"))
        else:
            rows[unit.id] = values
    if errors:
        raise UnitDataError(f"{path}: {len(errors)} bản ghi không hợp lệ", errors)
    existing = {office.unit_id: office for office in session.scalars(select(OneStopOffice))}
    changed = 0
    for unit_id, values in rows.items():
        office = existing.get(unit_id)
        if office is None:
            session.add(OneStopOffice(unit_id=unit_id, **values))
        elif all(getattr(office, name) == value for name, value in values.items()):
            continue
        else:
            for name, value in values.items():
                setattr(office, name, value)
        changed += 1
    session.flush()
    return changed


def get_office(session: Session, unit: Unit) -> OneStopOffice | None:
    return session.scalars(select(OneStopOffice).where(OneStopOffice.unit_id == unit.id)).first()


# --------------------------------------------------------------------------- lookups


def get_unit(session: Session, code: str, era: str | None = None) -> Unit | None:
    """The unit with this code: of ``era`` if given, else the current one, else the old one."""
    code = code.strip()
    eras = [era] if era is not None else [Era.TWO_TIER, Era.THREE_TIER]
    for candidate in eras:
        unit = session.scalars(select(Unit).where(Unit.era == candidate, Unit.code == code)).first()
        if unit is not None:
            return unit
    return None


def current_successors(session: Session, unit: Unit) -> list[Unit]:
    """The 2025 units an old unit went into (those it went into whole first); a current unit itself."""
    if unit.is_current:
        return [unit]
    rows = session.execute(
        select(Unit, UnitSuccession.full)
        .join(UnitSuccession, UnitSuccession.new_unit_id == Unit.id)
        .where(UnitSuccession.old_unit_id == unit.id)
    ).all()
    return [new for new, _ in sorted(rows, key=lambda row: (not row[1], row[0].code))]


def communes_within(session: Session, unit: Unit) -> list[Unit]:
    """The 2025 communes, wards and special zones someone living in ``unit`` may live in now.

    A current commune is itself; a current province its communes; an old unit (commune, district,
    province) the current communes that it, or any commune under it, went into. Sorted by name.
    Only these can be a citizen's commune: a province or a district never is.
    """
    if unit.is_current:
        found = [unit] if is_communal(unit) else descendants(session, unit)
    else:
        old_ids = [unit.id, *(u.id for u in descendants(session, unit))]
        found = list(
            session.scalars(
                select(Unit)
                .join(UnitSuccession, UnitSuccession.new_unit_id == Unit.id)
                .where(UnitSuccession.old_unit_id.in_(old_ids))
            )
        )
    communes = {u.id: u for u in found if u.is_current and is_communal(u)}
    return sorted(communes.values(), key=lambda u: (_base(u.name), u.code))


def descendants(session: Session, unit: Unit) -> list[Unit]:
    """Every unit below ``unit`` in its era, level by level, by code within a level."""
    result: list[Unit] = []
    level = [unit.id]
    while level:
        children = list(session.scalars(select(Unit).where(Unit.parent_id.in_(level)).order_by(Unit.code)))
        result.extend(children)
        level = [child.id for child in children]
    return result


def province_of(session: Session, unit: Unit) -> Unit:
    """The province (or centrally governed city) of ``unit`` in its own era."""
    while unit.parent is not None:
        unit = unit.parent
    return unit


_KIND_WORDS = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Huyện", "Quận", "Tỉnh", "Phường", "Xã")


def _lower_kind(name: str) -> str:
    for word in _KIND_WORDS:
        if name.startswith(word + " "):
            return word.lower() + name[len(word) :]
    return name


def unit_label(unit: Unit) -> str:
    """The unit with its ancestors: "Xã Cát Vân, huyện Như Xuân, tỉnh Thanh Hóa"."""
    parts = [unit.name]
    parent = unit.parent
    while parent is not None:
        parts.append(_lower_kind(parent.name))
        parent = parent.parent
    return ", ".join(parts)


def is_communal(unit: Unit) -> bool:
    return unit.kind in COMMUNAL_KINDS


# --------------------------------------------------------------------------- resolution


def fold(text: str) -> str:
    """Lowercase, no diacritics (đ → d), words separated by single spaces: "Xã Cát Vân" → "xa cat van"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", stripped))


# Words that only say what kind of unit follows, as typed; mapped to the kinds they may denote.
_DESIGNATORS: dict[tuple[str, ...], frozenset[str]] = {
    ("thanh", "pho"): frozenset({UnitKind.CITY, UnitKind.DISTRICT}),
    ("thi", "tran"): frozenset({UnitKind.TOWNSHIP}),
    ("thi", "xa"): frozenset({UnitKind.DISTRICT}),
    ("dac", "khu"): frozenset({UnitKind.SPECIAL_ZONE}),
    ("tp",): frozenset({UnitKind.CITY, UnitKind.DISTRICT}),
    ("tt",): frozenset({UnitKind.TOWNSHIP}),
    ("tx",): frozenset({UnitKind.DISTRICT}),
    ("xa",): frozenset({UnitKind.COMMUNE}),
    ("x",): frozenset({UnitKind.COMMUNE}),
    ("phuong",): frozenset({UnitKind.WARD}),
    ("p",): frozenset({UnitKind.WARD}),
    ("huyen",): frozenset({UnitKind.DISTRICT}),
    ("h",): frozenset({UnitKind.DISTRICT}),
    ("quan",): frozenset({UnitKind.DISTRICT}),
    ("q",): frozenset({UnitKind.DISTRICT}),
    ("tinh",): frozenset({UnitKind.PROVINCE}),
}
_KIND_PARTS = frozenset(word for phrase in _DESIGNATORS for word in phrase)
_ALIASES = {"hcm": "ho chi minh", "tphcm": "ho chi minh", "hn": "ha noi"}
_PREFIX_RE = re.compile(r"^(thanh pho|thi tran|thi xa|dac khu|tinh|huyen|quan|phuong|xa)\s+", re.IGNORECASE)


def _base(name: str) -> str:
    """The folded name without its kind word: "Thành phố Hà Nội" → "ha noi"."""
    folded = fold(name)
    stripped = _PREFIX_RE.sub("", folded, count=1)
    return stripped or folded


@dataclass(frozen=True)
class _Entry:
    id: int
    era: str
    kind: str
    code: str
    base: str
    accented: str  # the base with its diacritics, lowercase
    words: int
    depth: int  # 0 province, 1 district (old era) or commune (new era), 2 old commune
    context: tuple[str, ...]  # folded names that may accompany this one: ancestors, predecessors' ones
    province_id: int
    current: tuple[int, ...]


@dataclass
class _Index:
    entries: dict[int, _Entry]
    by_base: dict[str, list[int]]
    by_code: dict[str, list[int]]
    bases: list[str] = field(default_factory=list)


_indexes: weakref.WeakKeyDictionary[Engine, _Index] = weakref.WeakKeyDictionary()
_index_lock = threading.Lock()


def _forget_index(session: Session) -> None:
    """Drop the cached index now and again when the loading transaction commits."""
    engine = session.get_bind()
    if isinstance(engine, Engine):
        _indexes.pop(engine, None)
        event.listen(session, "after_commit", lambda _s: _indexes.pop(engine, None), once=True)


def _build_index(session: Session) -> _Index:
    rows = session.execute(select(Unit.id, Unit.era, Unit.code, Unit.name, Unit.kind, Unit.parent_id)).all()
    units = {row.id: row for row in rows}
    bases = {row.id: _base(row.name) for row in rows}
    successors: dict[int, list[tuple[bool, str, int]]] = defaultdict(list)
    predecessors: dict[int, list[int]] = defaultdict(list)
    for old_id, new_id, full in session.execute(
        select(UnitSuccession.old_unit_id, UnitSuccession.new_unit_id, UnitSuccession.full)
    ):
        successors[old_id].append((not full, units[new_id].code, new_id))
        predecessors[new_id].append(old_id)

    def ancestors(unit_id: int) -> list[int]:
        chain = []
        parent = units[unit_id].parent_id
        while parent is not None:
            chain.append(parent)
            parent = units[parent].parent_id
        return chain

    entries: dict[int, _Entry] = {}
    by_base: dict[str, list[int]] = defaultdict(list)
    by_code: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        chain = ancestors(row.id)
        context = [bases[a] for a in chain]
        if row.era == Era.TWO_TIER:
            current: tuple[int, ...] = (row.id,)
            for old_id in predecessors[row.id]:
                context.extend(bases[a] for a in ancestors(old_id))
        else:
            current = tuple(new_id for _, _, new_id in sorted(successors[row.id]))
            for new_id in current:
                context.extend(bases[a] for a in ancestors(new_id))
        entries[row.id] = _Entry(
            id=row.id,
            era=row.era,
            kind=row.kind,
            code=row.code,
            base=bases[row.id],
            accented=" ".join(_accented_words(row.name)[-len(bases[row.id].split()) :]),
            words=len(bases[row.id].split()),
            depth=len(chain),
            context=tuple(dict.fromkeys(c for c in context if c)),
            province_id=chain[-1] if chain else row.id,
            current=current,
        )
        by_base[bases[row.id]].append(row.id)
        by_code[row.code].append(row.id)
    return _Index(entries, dict(by_base), dict(by_code), sorted(by_base))


def _index(session: Session) -> _Index:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    index = _indexes.get(engine)
    if index is None:
        with _index_lock:
            index = _indexes.get(engine)
            if index is None:
                index = _indexes[engine] = _build_index(session)
    return index


@dataclass
class UnitMatch:
    unit: Unit
    score: float  # 0..100
    current: list[Unit]  # the 2025 units it is now part of; itself when current
    province: Unit  # its province, in its own era


def _designator_at(words: list[str], end: int) -> tuple[int, frozenset[str]] | None:
    """The kind words ending just before position ``end``: (their start, the kinds they denote)."""
    for phrase, kinds in _DESIGNATORS.items():
        start = end - len(phrase)
        if start >= 0 and tuple(words[start:end]) == phrase:
            return start, kinds
    return None


def _query_words(text: str) -> list[str]:
    words: list[str] = []
    for word in fold(text).split():
        words.extend(_ALIASES.get(word, word).split())
    return words


def _accented_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).lower())


def _typed_accents(text: str, words: list[str]) -> list[str] | None:
    """The query's words with diacritics, aligned with ``words``; None when typed without any."""
    accented = _accented_words(text)
    if len(accented) != len(words) or " ".join(accented) == " ".join(words):
        return None
    return accented


class _Scorer:
    """Scores index entries against one query; ratios are memoised since entries share names."""

    def __init__(self, words: list[str], accented: list[str] | None) -> None:
        self.words = words
        self.accented = accented  # the same words with their diacritics, when the user typed any
        self._ratios: dict[tuple[str, str], float] = {}

    def ratio(self, a: str, b: str) -> float:
        key = (a, b)
        value = self._ratios.get(key)
        if value is None:
            value = self._ratios[key] = fuzz.ratio(a, b)
        return value

    def best_window(self, words: list[str], name: str, size: int) -> tuple[float, int, int]:
        best = (0.0, 0, 0)
        for width in (size, size - 1, size + 1):
            if width < 1 or width > len(words):
                continue
            for start in range(len(words) - width + 1):
                score = self.ratio(" ".join(words[start : start + width]), name)
                if score > best[0]:
                    best = (score, start, start + width)
        return best

    def name_match(self, base: str) -> tuple[float, int, int]:
        """How well ``base`` matches some window of the query: (0..100, window start, window end)."""
        return self.best_window(self.words, base, len(base.split()))

    def score(self, entry: _Entry, name_match: tuple[float, int, int]) -> float:
        """The entry's score, unbounded: its name's match, then the words around it and kind words."""
        words = self.words
        name_score, start, end = name_match
        adjust = 0.0
        if self.accented is not None and " ".join(self.accented[start:end]).endswith(entry.accented):
            adjust += 0.5  # typed with the unit's own diacritics: "Cát Vân" rather than "Cát Văn"
        designator = _designator_at(words, start)
        if designator is not None:
            adjust += 2.0 if entry.kind in designator[1] else -10.0
            start = designator[0]
        leftover = words[:start] + words[end:]
        covered: set[int] = set()
        for name in entry.context:
            if len(covered) == len(leftover):
                break
            score, c_start, c_end = self.best_window(leftover, name, len(name.split()))
            if score >= 80:
                covered.update(range(c_start, c_end))
        # Kind words elsewhere in the query ("huyện", "tỉnh") need no explaining.
        relevant = [i for i, word in enumerate(leftover) if i in covered or word not in _KIND_PARTS]
        context_score = 100.0 * len(covered) / len(relevant) if relevant else 100.0
        return 0.7 * name_score + 0.3 * context_score + adjust


_MIN_NAME_SCORE = 60.0
_MAX_NAMES = 40


def _candidate_names(index: _Index, words: list[str], segments: list[list[str]]) -> set[str]:
    """Names worth scoring: every window of the query that is a name, and fuzzy matches of the
    leading words of each comma-separated part (where people put the unit's own name)."""
    names: set[str] = set()
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + 6) + 1):
            window = " ".join(words[start:end])
            if window in index.by_base:
                names.add(window)
    heads: list[str] = []
    for segment in segments:
        trimmed = list(segment)
        for _ in range(2):  # "tp.", "thành phố", "thị xã"… before the name
            lead = next((p for p in _DESIGNATORS if tuple(trimmed[: len(p)]) == p), None)
            if lead is not None and len(trimmed) > len(lead):
                trimmed = trimmed[len(lead) :]
        shortest = 1 if len(trimmed) < 3 else 2
        heads.extend(" ".join(trimmed[:n]) for n in range(shortest, min(len(trimmed), 5) + 1))
    for head in dict.fromkeys(heads):
        for name, _score, _ in process.extract(
            head, index.bases, scorer=fuzz.ratio, limit=8, score_cutoff=_MIN_NAME_SCORE
        ):
            names.add(name)
    return names


def resolve_unit(session: Session, text: str, limit: int = 5) -> list[UnitMatch]:
    """Units matching what a person typed, best first (current units first on ties).

    Accepts current and pre-2025 names, with or without diacritics and kind words ("xã", "P.",
    "TP."), typos, an optional district and province ("cat van nhu xuan"), or a unit code.
    """
    index = _index(session)
    words = _query_words(text)
    if not words:
        return []
    scored: dict[int, float] = {}
    if len(words) == 1 and words[0].isdigit():
        unit = get_unit(session, words[0])
        if unit is not None:
            scored[unit.id] = 100.0
    if not scored:
        segments = [segment for segment in (_query_words(part) for part in text.split(",")) if segment]
        scorer = _Scorer(words, _typed_accents(text, words))
        matches = {name: scorer.name_match(name) for name in _candidate_names(index, words, segments)}
        best = sorted((m for m in matches.items() if m[1][0] >= _MIN_NAME_SCORE), key=lambda m: -m[1][0])
        for name, match in best[:_MAX_NAMES]:
            for unit_id in index.by_base[name]:
                scored[unit_id] = scorer.score(index.entries[unit_id], match)
    ranked = sorted(
        scored.items(),
        key=lambda item: (
            -round(item[1], 1),
            index.entries[item[0]].era != Era.TWO_TIER,
            index.entries[item[0]].depth,
            index.entries[item[0]].code,
        ),
    )[:limit]
    needed = {unit_id for unit_id, _ in ranked}
    for unit_id, _ in ranked:
        entry = index.entries[unit_id]
        needed.update(entry.current)
        needed.add(entry.province_id)
    units = {unit.id: unit for unit in session.scalars(select(Unit).where(Unit.id.in_(needed)))}
    return [
        UnitMatch(
            unit=units[unit_id],
            score=round(max(0.0, min(100.0, score)), 1),
            current=[units[i] for i in index.entries[unit_id].current],
            province=units[index.entries[unit_id].province_id],
        )
        for unit_id, score in ranked
    ]
