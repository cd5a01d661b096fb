"""Column profiles: how a one-stop system's export maps onto the national sync vocabulary.

A profile is a JSON file in ``knowledge/data/profiles/`` (or any path)::

    {"name": str, "description": str,
     "columns": {FIELD: "header" | ["header", "other header", ...], ...},  # FIELDS below
     "values": {FIELD: {"vendor value": canonical, ...}},  # optional, merged over the defaults
     "patterns": {FIELD: [["words in the value", canonical], ...]},  # free text, first match wins
     "datetime_formats": ["%d/%m/%Y %H:%M", ...],           # tried after ISO 8601 and yyyyMMddHHmmss
     "supplement_unit": "hours" | "days"}                   # unit of the supplement waiting time

Headers are matched without regard to case, diacritics or spacing, and the header row may come after
title rows. A profile must map ``code``, ``status``, ``submitted_at``, the procedure (its code or its
name) and, unless the importer is given a default unit, the unit (a unit code, or an agency code or
name that the agency table maps to a unit). Every other field may be missing from a file: the figures
that need it then say "không có dữ liệu" instead of counting the dossiers as "no".

Canonical values: ``channel`` 1 trực tiếp, 2 trực tuyến, 3 bưu chính; ``status`` the national codes
1–10; ``online_level`` "toan_trinh" / "mot_phan" (4 and 3, the pre-2022 levels, map to them; 1 and 2
mean no online service); flags are true/false (1/0, x, có/không…); times are local (UTC+7) — a time
with an offset is converted. ``supplement_hours`` is the working time spent waiting for the applicant
to supplement the dossier; in days it is converted at 8 working hours a day.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PROFILE_DIR = Path(__file__).resolve().parent.parent / "data" / "profiles"
DEFAULT_PROFILE = "national"
VIETNAM = timezone(timedelta(hours=7))
HOURS_PER_DAY = 8

REQUIRED = ("code", "status", "submitted_at")
PROCEDURE_FIELDS = ("procedure_code", "procedure_name")  # one is needed
UNIT_FIELDS = ("unit_code", "agency_code", "agency_name")  # one is needed, or a default unit
TEXT_FIELDS = (
    "code",
    "procedure_code",
    "unit_code",
    "procedure_name",
    "agency_code",
    "agency_name",
    "applicant",
)
INT_FIELDS = ("channel", "status", "supplement_count")
TIME_FIELDS = ("submitted_at", "accepted_at", "due_at", "finished_at", "returned_at")
FLAG_FIELDS = ("fee_bearing", "paid_online", "digitised", "e_result", "reused", "apology")
FIELDS = (
    *TEXT_FIELDS,
    "channel",
    "online_level",
    "status",
    *TIME_FIELDS,
    "supplement_count",
    "supplement_hours",
    *FLAG_FIELDS,
)

_LEVELS: dict[str, str | None] = {
    "4": "toan_trinh",
    "toan_trinh": "toan_trinh",
    "toàn trình": "toan_trinh",
    "muc 4": "toan_trinh",
    "mức 4": "toan_trinh",
    "3": "mot_phan",
    "mot_phan": "mot_phan",
    "một phần": "mot_phan",
    "muc 3": "mot_phan",
    "mức 3": "mot_phan",
    "1": None,
    "2": None,
    "0": None,
}
_FLAGS: dict[str, bool] = {
    "1": True,
    "true": True,
    "x": True,
    "có": True,
    "co": True,
    "yes": True,
    "y": True,
    "0": False,
    "false": False,
    "không": False,
    "khong": False,
    "no": False,
    "n": False,
}


class ProfileError(ValueError):
    """The profile file is missing or malformed."""


class ValueProblem(ValueError):
    """A cell's value cannot be read; the message is the reason shown for the row."""


def _key(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().casefold()


def fold_header(text: str) -> str:
    """A header or free-text value as compared: lower case, no diacritics (đ → d), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").split())


@dataclass(frozen=True)
class Profile:
    name: str
    columns: Mapping[str, str | list[str]]
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    datetime_formats: tuple[str, ...] = ()
    supplement_unit: str = "hours"
    patterns: Mapping[str, list[tuple[str, Any]]] = field(default_factory=dict)
    description: str = ""

    def headers(self, name: str) -> list[str]:
        """The headers a field may have in an export, as written in the profile."""
        column = self.columns[name]
        return [column] if isinstance(column, str) else list(column)

    def converters(self) -> dict[str, Callable[[Any], Any]]:
        """One function per mapped field turning a raw cell into the canonical value."""
        return {name: self.converter(name) for name in self.columns}

    def time_converter(self) -> Callable[[Any], datetime | None]:
        """How this profile reads a time (for times inside a field, e.g. the national sync's lists)."""
        return self.converter("submitted_at")

    def converter(self, name: str) -> Callable[[Any], Any]:
        """The function turning a raw value of field ``name`` into its canonical value."""
        mapping = {_key(k): v for k, v in self.values.get(name, {}).items()}
        if name in TEXT_FIELDS:
            return _text
        if name in INT_FIELDS:
            exact = {**{str(n): n for n in range(11)}, "": None, **dict(self.values.get(name, {}))}
            patterns = [(fold_header(words), value) for words, value in self.patterns.get(name, [])]
            return _fast(lambda raw: _integer(raw, mapping, patterns), exact)
        if name == "online_level":
            levels = {**_LEVELS, **mapping}
            return _fast(
                lambda raw: _level(raw, levels), {**levels, "": None, **dict(self.values.get(name, {}))}
            )
        if name in FLAG_FIELDS:
            flags = {**_FLAGS, **{k: bool(v) for k, v in mapping.items()}}
            exact = {**flags, "": False, **{k: bool(v) for k, v in self.values.get(name, {}).items()}}
            return _fast(lambda raw: _flag(raw, flags), exact)
        if name in TIME_FIELDS:
            formats = self.datetime_formats
            return lambda raw: _iso_time(raw) or _time(raw, formats)
        factor = HOURS_PER_DAY if self.supplement_unit == "days" else 1
        return lambda raw: _number(raw) * factor


def _fast(slow: Callable[[Any], Any], exact: Mapping[Any, Any]) -> Callable[[Any], Any]:
    """A converter that looks the raw cell up as it is first (most cells are "1", "0", ""), and reads
    it the careful way only when that fails — a million rows make the difference."""

    def convert(raw: Any) -> Any:
        try:
            return exact[raw]
        except (KeyError, TypeError):
            return slow(raw)

    return convert


def _iso_time(raw: Any) -> datetime | None:
    """The common case: an ISO 8601 local time in a string; None when it is anything else."""
    if type(raw) is not str or len(raw) < 10:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is None else None


def load_profile(name_or_path: str | Path = DEFAULT_PROFILE) -> Profile:
    """A bundled profile by name ("national", "vi-headers") or a profile file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILE_DIR / f"{name_or_path}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(f"Không có hồ sơ cột {name_or_path}") from exc
    except json.JSONDecodeError as exc:
        raise ProfileError(f"Hồ sơ cột {path} không phải JSON hợp lệ: {exc}") from exc
    columns = data.get("columns") or {}
    unknown = sorted(set(columns) - set(FIELDS))
    missing = [f for f in REQUIRED if f not in columns]
    if not any(f in columns for f in PROCEDURE_FIELDS):
        missing.append("procedure_code")
    if unknown or missing:
        raise ProfileError(f"Hồ sơ cột {path.name}: trường lạ {unknown}, thiếu trường bắt buộc {missing}")
    unit = data.get("supplement_unit", "hours")
    if unit not in ("hours", "days"):
        raise ProfileError(f"Hồ sơ cột {path.name}: supplement_unit phải là hours hoặc days")
    return Profile(
        name=data.get("name", path.stem),
        columns=columns,
        values=data.get("values") or {},
        datetime_formats=tuple(data.get("datetime_formats") or ()),
        supplement_unit=unit,
        patterns={k: [(str(p[0]), p[1]) for p in v] for k, v in (data.get("patterns") or {}).items()},
        description=data.get("description", ""),
    )


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _text(raw: Any) -> str | None:
    if type(raw) is str and raw.isascii():
        return raw.strip() or None
    if _blank(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return unicodedata.normalize("NFC", str(raw)).strip()


def _integer(raw: Any, mapping: Mapping[str, Any], patterns: Sequence[tuple[str, Any]] = ()) -> int | None:
    if _blank(raw):
        return None
    if isinstance(raw, bool):
        raise ValueProblem(f"không phải số: {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueProblem(f"không phải số nguyên: {raw!r}")
    text = _key(str(raw))
    if text in mapping:
        return int(mapping[text])
    try:
        return int(text)
    except ValueError:
        pass
    folded = f" {fold_header(text)} "
    for words, value in patterns:
        if f" {words} " in folded:
            return int(value)
    raise ValueProblem(f"không phải số nguyên hay giá trị đã biết: {raw!r}")


def _number(raw: Any) -> float:
    if _blank(raw):
        return 0.0
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    else:
        try:
            value = float(str(raw).strip().replace(",", "."))
        except ValueError:
            raise ValueProblem(f"không phải số: {raw!r}") from None
    if value < 0:
        raise ValueProblem(f"số âm: {raw!r}")
    return value


def _level(raw: Any, levels: Mapping[str, str | None]) -> str | None:
    if _blank(raw):
        return None
    text = _key(str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw))
    if text not in levels:
        raise ValueProblem(f"mức độ dịch vụ trực tuyến không rõ: {raw!r}")
    return levels[text]


def _flag(raw: Any, flags: Mapping[str, bool]) -> bool:
    if _blank(raw):
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    text = _key(str(raw))
    if text not in flags:
        raise ValueProblem(f"giá trị đúng/sai không rõ: {raw!r}")
    return flags[text]


def _time(raw: Any, formats: tuple[str, ...]) -> datetime | None:
    if _blank(raw):
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day)
    else:
        value = _parse_time(str(raw).strip(), formats)
    if value.tzinfo is not None:
        value = value.astimezone(VIETNAM).replace(tzinfo=None)
    return value


def _parse_time(text: str, formats: tuple[str, ...]) -> datetime:
    if len(text) == 14 and text.isdigit():  # yyyyMMddHHmmss of the national sync; strptime is slow
        try:
            return datetime(
                int(text[:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[8:10]),
                int(text[10:12]),
                int(text[12:]),
            )
        except ValueError:
            raise ValueProblem(f"thời gian không hợp lệ: {text!r}") from None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueProblem(f"thời gian không đọc được: {text!r}")


def as_local(moment: datetime) -> datetime:
    """A time as the naive local (UTC+7) time the dossier tables hold."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(VIETNAM).replace(tzinfo=None)


def local_now() -> datetime:
    return datetime.now(UTC).astimezone(VIETNAM).replace(tzinfo=None)
