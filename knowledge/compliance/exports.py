"""Reading one-stop exports as they come: CSV in any of the encodings offices use, XLSX with title
rows above the header, the national sync JSON and VNPT iGate-style JSON; which kind a file is, is
found from the file itself (layouts: ``../shared/data/raw/DOSSIER_EXPORT_LAYOUTS.md``).

Every reader yields ``(row number, {field: raw value})`` in the canonical field names of
``knowledge.compliance.profile``; the row number is the spreadsheet's (header row included) or the
record's position in a JSON list (1-based). A file that cannot be read at all raises
``DossierFileError`` with the reason; a row that cannot be read becomes a ``RowError``.
"""

from __future__ import annotations

import codecs
import csv
import json
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.compliance.profile import (
    PROCEDURE_FIELDS,
    REQUIRED,
    UNIT_FIELDS,
    Profile,
    fold_header,
    load_profile,
)

HEADER_SEARCH_ROWS = 30  # title rows an export may have above its header
TABULAR_PROFILES = ("national", "vi-headers")
MAX_JSON_BYTES = 2 * 1024**3


class DossierFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, or a required column is missing)."""


@dataclass(frozen=True)
class CellProblem:
    """A row the reader could not split into cells (e.g. a CSV cell over the csv module's limit)."""

    reason: str


Raw = Mapping[str, Any] | Sequence[Any]
RawRow = tuple[int, "Raw | CellProblem"]


@dataclass
class Source:
    """A file opened for import: its layout, and its rows in canonical field names."""

    profile: Profile
    kind: str  # "csv", "xlsx", "national-json", "igate-json"
    fields: frozenset[str]  # the fields the file can give (a JSON record may still lack some)
    rows: Iterator[RawRow]
    notes: list[str] = field(default_factory=list)  # said to the operator (encoding, layout)
    # For a table: the column of each field, and the rows are lists of cells; else rows are dicts.
    positions: dict[str, int] | None = None


# --------------------------------------------------------------------------- text files


def _encoding(path: Path) -> tuple[str, str | None]:
    """The encoding of a CSV file, and a note when it is not UTF-8: BOMs first, then UTF-8 if the
    whole file decodes as such, else Windows-1258 (the Vietnamese code page of older Excel)."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig", None
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", "tệp mã hóa UTF-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1258", "tệp không phải UTF-8: đọc theo bảng mã Windows-1258"
    return "utf-8", None


def _csv_rows(path: Path, encoding: str) -> Iterator[Sequence[Any] | CellProblem]:
    """CSV rows; a row the csv module refuses (a cell over its 131,072-character limit) is a
    CellProblem and reading goes on with the next row."""
    try:
        handle = path.open(encoding=encoding, newline="")
    except OSError as exc:
        raise DossierFileError(f"Không đọc được tệp: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle)
        while True:  # the reader goes on with the next row after an error
            try:
                yield from reader
                return
            except csv.Error as exc:
                yield CellProblem(f"dòng không đọc được: {exc}")
            except UnicodeError as exc:
                raise DossierFileError(f"Tệp không đọc được theo mã {encoding}: {exc}") from exc


def _xlsx_rows(path: Path) -> Iterator[Sequence[Any] | CellProblem]:
    """The rows of the first sheet; a damaged workbook is refused with the reason."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise DossierFileError(f"Tệp XLSX hỏng hoặc không phải XLSX ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # openpyxl raises many kinds on a damaged part of the archive
        raise DossierFileError(f"Tệp XLSX hỏng ({type(exc).__name__}: {exc})") from exc
    try:
        if not workbook.worksheets:
            raise DossierFileError("Tệp XLSX không có trang tính nào")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except DossierFileError:
                raise
            except Exception as exc:  # a damaged sheet or cell, past the rows already read
                raise DossierFileError(f"Tệp XLSX hỏng ({type(exc).__name__}: {exc})") from exc
            yield row
    finally:
        workbook.close()


# --------------------------------------------------------------------------- tabular layouts


@dataclass(frozen=True)
class Header:
    number: int  # its row number in the file
    positions: dict[str, int]  # field → column


def _match_header(cells: Sequence[Any], profile: Profile) -> dict[str, int]:
    names = [fold_header(str(c)) if c is not None else "" for c in cells]
    positions: dict[str, int] = {}
    for name in profile.columns:
        for header in profile.headers(name):
            folded = fold_header(header)
            if folded in names:
                positions[name] = names.index(folded)
                break
    return positions


def _usable(positions: Mapping[str, int]) -> bool:
    return all(f in positions for f in REQUIRED) and any(f in positions for f in PROCEDURE_FIELDS)


def _find_header(
    head: list[Sequence[Any] | CellProblem], profiles: Sequence[Profile]
) -> tuple[Profile, Header]:
    """The profile and header row that explain the file best: the row within the first rows that
    names the most columns of a profile and all those it needs."""
    best: tuple[int, Profile, Header] | None = None
    closest: tuple[int, Profile, dict[str, int]] | None = None
    for index, cells in enumerate(head):
        if isinstance(cells, CellProblem):
            continue
        for profile in profiles:
            positions = _match_header(cells, profile)
            if closest is None or len(positions) > closest[0]:
                closest = (len(positions), profile, positions)
            if _usable(positions) and (best is None or len(positions) > best[0]):
                best = (len(positions), profile, Header(index + 1, positions))
    if best is not None:
        return best[1], best[2]
    if len(profiles) > 1 and (closest is None or not closest[0]):
        names = ", ".join(p.name for p in profiles)
        raise DossierFileError(f"Không nhận ra hàng tiêu đề (đã thử hồ sơ cột: {names})")
    profile, positions = (closest[1], closest[2]) if closest is not None else (profiles[0], {})
    missing = [profile.headers(f)[0] for f in REQUIRED if f not in positions]
    if not any(f in positions for f in PROCEDURE_FIELDS):
        missing.append(" / ".join(profile.headers(f)[0] for f in PROCEDURE_FIELDS if f in profile.columns))
    if not any(f in positions for f in UNIT_FIELDS):
        units = " / ".join(profile.headers(f)[0] for f in UNIT_FIELDS if f in profile.columns)
        missing.append(f"{units} (hoặc --unit)")
    raise DossierFileError(f"Thiếu cột bắt buộc theo hồ sơ cột {profile.name}: {', '.join(missing)}")


def _tabular(rows: Iterator[Sequence[Any] | CellProblem], profiles: Sequence[Profile], kind: str) -> Source:
    head: list[Sequence[Any] | CellProblem] = []
    for cells in rows:
        head.append(cells)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    if not head:
        raise DossierFileError("Tệp trống")
    profile, header = _find_header(head, profiles)

    def numbered() -> Iterator[RawRow]:
        for number, cells in enumerate(_chain(head[header.number :], rows), start=header.number + 1):
            if type(cells) is CellProblem or any(cell not in (None, "") for cell in cells):
                yield number, cells

    notes = [] if header.number == 1 else [f"hàng tiêu đề là dòng {header.number}"]
    return Source(profile, kind, frozenset(header.positions), numbered(), notes, dict(header.positions))


def _chain(first: Iterable[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


# --------------------------------------------------------------------------- JSON layouts


def _load_json(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise DossierFileError(f"Tệp JSON quá lớn ({size:,} byte)")
        raw = path.read_bytes()
    except OSError as exc:
        raise DossierFileError(f"Không đọc được tệp: {exc.strerror}") from exc
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return json.loads(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
        except (json.JSONDecodeError, RecursionError) as exc:
            raise DossierFileError(f"Tệp JSON không hợp lệ: {exc}") from exc
    raise DossierFileError("Tệp JSON không phải UTF-8 hay UTF-16")


def _records(document: Any) -> tuple[str, list[Any]] | None:
    """The dossier list of a JSON document and its layout, or None when it is neither."""
    items: Any = document
    if isinstance(document, dict):
        for key in ("data", "content"):
            if isinstance(document.get(key), list):
                items = document[key]
                break
        else:
            return None
    if not isinstance(items, list):
        return None
    sample = [item for item in items[:50] if isinstance(item, dict)]
    if any("MaHoSo" in item for item in sample):
        return "national-json", items
    if any("dossierNo" in item or "dossierStatusName" in item for item in sample):
        return "igate-json", items
    if not items:
        return "national-json", items
    return None


def _nonempty_list(value: Any) -> bool | None:
    """True for a non-empty list, False for an empty one, None when the key is absent or not a list."""
    return bool(value) if isinstance(value, list) else None


def _national_record(item: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """One record of the national sync (DongBoHoSoMC) in canonical fields. Flat keys come through
    the national profile's columns; the lists give what the flat keys lack:

    - supplements: ``DanhSachHoSoBoSung[]`` (one entry per request), the waiting time from each
      ``NgayBoSung`` to ``NgayTiepNhanBoSung`` unless the system already moved the appointment
      (``NgayHenTraMoi``), as ``supplement_spans``;
    - fees: ``DanhSachLePhi[]`` non-empty ⇒ fee-bearing;
    - digitisation: ``HoSoCoThanhPhanSoHoa`` = 1, or a ``TaiLieuNop[]`` file with ``DuocSoHoa`` = 1;
    - reuse: a ``TaiLieuNop[]`` file with ``DuocTaiSuDung`` other than 0;
    - electronic result: ``DanhSachGiayToKetQua[]`` non-empty;
    - unit: ``MaDonVi``, else ``MaCoQuan`` (agency code), else ``DonViXuLy`` / ``TenCoQuan`` (name).
    """
    raw: dict[str, Any] = {}
    for name, column in columns.items():
        for key in [column] if isinstance(column, str) else column:
            if key in item:
                raw[name] = item[key]
                break
    for name, keys in (("agency_code", ("MaCoQuan",)), ("agency_name", ("DonViXuLy", "TenCoQuan"))):
        for key in keys:
            if item.get(key) not in (None, ""):
                raw[name] = item[key]
                break
    supplements = item.get("DanhSachHoSoBoSung")
    if isinstance(supplements, list):
        raw["supplement_count"] = len(supplements)
        spans = []
        for entry in supplements:
            if isinstance(entry, dict) and not entry.get("NgayHenTraMoi"):
                spans.append((entry.get("NgayBoSung"), entry.get("NgayTiepNhanBoSung")))
        raw["supplement_spans"] = spans
    fees = _nonempty_list(item.get("DanhSachLePhi"))
    if fees is not None and "fee_bearing" not in raw:
        raw["fee_bearing"] = fees
    files = item.get("TaiLieuNop")
    if "digitised" not in raw:
        flag = item.get("HoSoCoThanhPhanSoHoa")
        if flag not in (None, ""):
            raw["digitised"] = str(flag).strip() == "1"
        if isinstance(files, list):
            raw["digitised"] = bool(raw.get("digitised")) or any(
                isinstance(f, dict) and str(f.get("DuocSoHoa", "")).strip() == "1" for f in files
            )
    if isinstance(files, list) and "reused" not in raw:
        raw["reused"] = any(
            isinstance(f, dict) and str(f.get("DuocTaiSuDung") or "0").strip() not in ("", "0") for f in files
        )
    results = _nonempty_list(item.get("DanhSachGiayToKetQua"))
    if results is not None and "e_result" not in raw:
        raw["e_result"] = results
    return raw


_ENDED_WORDS = ("da tra ket qua", "dung xu ly", "da huy", "tu choi", "hoan thanh", "da xu ly xong")


def _igate_record(item: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """One iGate-style record in canonical fields. Its known keys (``dossierNo``, ``procedureName``,
    ``acceptedDate``, ``appointmentDate``, ``dossierStatusName``, ``lastModifiedDate``) carry no
    submission time, end time, channel or unit: the reception is taken as the submission (the last
    change for a dossier still waiting for reception), the last change as the end of a dossier
    whose status says it ended; the channel is unknown and the unit comes from ``--unit``."""
    raw: dict[str, Any] = {}
    for name, column in columns.items():
        for key in [column] if isinstance(column, str) else column:
            if key in item:
                raw[name] = item[key]
                break
    status = fold_header(str(item.get("dossierStatusName") or ""))
    if raw.get("submitted_at") in (None, "") and "cho tiep nhan" in status:
        raw["submitted_at"] = item.get("lastModifiedDate")
    if any(words in status for words in _ENDED_WORDS):
        raw["finished_at"] = item.get("lastModifiedDate")
    return raw


def _json_source(path: Path, forced: Profile | None) -> Source:
    found = _records(_load_json(path))
    if found is None:
        raise DossierFileError(
            'Không nhận ra cấu trúc JSON: cần danh sách hồ sơ đồng bộ (MaHoSo…, có thể trong "data")'
            ' hoặc kiểu iGate (dossierNo…, có thể trong "content")'
        )
    kind, items = found
    profile = forced or load_profile("igate" if kind == "igate-json" else "national")
    convert = _igate_record if kind == "igate-json" else _national_record
    columns = profile.columns

    def numbered() -> Iterator[RawRow]:
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                yield number, CellProblem("bản ghi không phải đối tượng JSON")
                continue
            yield number, convert(item, columns)

    extra = {
        "supplement_count",
        "fee_bearing",
        "digitised",
        "reused",
        "e_result",
        "agency_code",
        "agency_name",
    }
    fields = frozenset(columns) | (extra if kind == "national-json" else {"finished_at"})
    return Source(profile, kind, fields, numbered())


# --------------------------------------------------------------------------- entry point


def open_export(path: Path, profile: Profile | str | Path | None = None) -> Source:
    """Open an export, its layout found from the file unless ``profile`` forces one."""
    forced = profile if isinstance(profile, Profile) or profile is None else load_profile(profile)
    if not path.is_file():
        raise DossierFileError(f"Không có tệp {path}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _json_source(path, forced)
    profiles = [forced] if forced is not None else [load_profile(name) for name in TABULAR_PROFILES]
    if suffix == ".xlsx":
        return _tabular(_xlsx_rows(path), profiles, "xlsx")
    if suffix == ".csv":
        encoding, note = _encoding(path)
        source = _tabular(_csv_rows(path, encoding), profiles, "csv")
        if note:
            source.notes.insert(0, note)
        return source
    raise DossierFileError(f"Chỉ nhận tệp .csv, .xlsx hoặc .json: {path.name}")
