"""The catalogue file: its schema, validation, and loading it into the database in one transaction.

A catalogue file is JSON (optionally gzip-compressed) of the form
``{"version": str, "generated": str, "procedures": [ProcedureRecord, ...]}``. It is what the bundled
importer writes, what ``tthc-bot export-catalogue`` writes and what ``tthc-bot reload`` reads.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from knowledge.datafile import DataFileError, decode_json, gunzip_bounded, read_bounded, unstorable
from knowledge.models import CatalogueVersion, Level, Procedure, ProcedureStatus

BUNDLED_CATALOGUE = Path(__file__).parent / "data" / "procedures.json.gz"
# The largest catalogue read, as a file and once decompressed: the whole national catalogue is
# about 24 MB of JSON; a file past this is refused rather than read into memory.
MAX_CATALOGUE_BYTES = 64 * 1024 * 1024
CODE_RE = re.compile(r"^\d{1,2}\.\d{6}(\.[0-9A-Za-z]+)*$")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChannelRecord(_Record):
    channel: Literal["truc_tiep", "truc_tuyen", "buu_chinh"]
    time: str | None = None  # as published: "7 Ngày làm việc"
    days: float | None = None  # working days when the time is given in days
    fee: str | None = None  # as published: "10.000 Đồng", "Miễn phí"
    fee_vnd: int | None = None
    note: str | None = None


class DocumentRecord(_Record):
    name: str
    quantity: str | None = None  # as published: "1 bản chính", "Bản chính: 1, bản sao: 0"
    form: str | None = None  # the form's name or file: "Mẫu TP/HT-2020-KS.1"
    original: int | None = None  # number of originals (bản chính) asked for
    copies: int | None = None  # number of copies (bản sao) asked for
    e_form: bool | None = None  # the portal has an electronic form for it
    case: str | None = None  # the case it is asked in ("Trường hợp trẻ em bị bỏ rơi"); None: everyone
    group: str | None = None  # the portal's heading it is listed under ("Giấy tờ phải xuất trình")


class LegalBasisRecord(_Record):
    title: str
    number: str | None = None


class ProcedureRecord(_Record):
    code: str
    name: str
    field: str | None = None
    levels: list[Level] = []
    type: str | None = None
    implementing_agency: str | None = None
    competent_agency: str | None = None
    ministry: str | None = None
    decision: str | None = None
    audiences: list[str] = []
    channels: list[ChannelRecord] = []
    online_level: Literal["toan_trinh", "mot_phan"] | None = None
    documents: list[DocumentRecord] = []
    steps: list[str] = []
    legal_basis: list[LegalBasisRecord] = []
    conditions: str | None = None
    result: str | None = None
    receiving_address: str | None = None
    related: list[str] = []
    keywords: list[str] = []
    portal_url: str | None = None
    status: ProcedureStatus = ProcedureStatus.IN_FORCE
    abolished_by: str | None = None
    source: str = "manual"
    source_date: date | None = None
    publisher: str | None = None  # cơ quan công bố: a ministry, or a province for specific procedures
    portal_type: Literal["standard", "specific"] | None = None  # specific: one province's own procedure
    province: str | None = None  # specific procedures: code of the 2025 province that published it
    executing_agencies: list[str] = []  # cơ quan thực hiện, as the portal lists them
    on_portal_list: bool | None = None  # False: absent from the portal's current public list
    details: Literal["full", "summary"] = "full"  # summary: papers, time and fee only on the portal
    sources: dict[str, str] = {}  # field name -> where its value came from
    flags: list[str] = []  # import checks the record failed: the card sends the reader to the portal
    notes: list[str] = []  # notes published among the papers that are not papers ("Lưu ý: …")

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        if not CODE_RE.match(value):
            raise ValueError(f"mã thủ tục không hợp lệ: {value!r} (dạng đúng: 1.001193)")
        return value

    @field_validator("name")
    @classmethod
    def _name_present(cls, value: str) -> str:
        value = nfc(value)
        if not value:
            raise ValueError("thiếu tên thủ tục")
        return value

    @field_validator("portal_url")
    @classmethod
    def _no_dead_links(cls, value: str | None) -> str | None:
        if value and "ma_thu_tuc=" in value:
            raise ValueError("liên kết kiểu cũ ?ma_thu_tuc= không còn hoạt động")
        return value


@dataclass(frozen=True)
class RecordError:
    index: int  # 0-based position in the file's "procedures" list
    code: str | None
    reason: str

    def __str__(self) -> str:
        where = f"bản ghi #{self.index + 1}" + (f" ({self.code})" if self.code else "")
        return f"{where}: {self.reason}"


class CatalogueError(DataFileError[RecordError]):
    """A catalogue file was rejected; ``errors`` lists every bad record with the reason."""


@dataclass
class Catalogue:
    version: str
    checksum: str
    procedures: list[ProcedureRecord]
    generated: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def by_code(self) -> dict[str, ProcedureRecord]:
        return {record.code: record for record in self.procedures}


def _format_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)


def parse_catalogue(raw: bytes, source: str = "<bytes>") -> Catalogue:
    """Validate a catalogue file's bytes. Raises CatalogueError listing every bad record, or saying
    why the file as a whole is refused (too big, broken gzip, not JSON; see knowledge.datafile)."""
    raw = gunzip_bounded(raw, MAX_CATALOGUE_BYTES, source, CatalogueError)
    checksum = hashlib.sha256(raw).hexdigest()
    document = decode_json(raw, source, CatalogueError)
    if isinstance(document, list):
        document = {"procedures": document}
    if not isinstance(document, dict) or not isinstance(document.get("procedures"), list):
        raise CatalogueError(f'{source}: thiếu danh sách "procedures"')
    problem = unstorable({key: value for key, value in document.items() if key != "procedures"})
    if problem:
        raise CatalogueError(f"{source}: {problem}")

    records: list[ProcedureRecord] = []
    errors: list[RecordError] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(document["procedures"]):
        code = item.get("code") if isinstance(item, dict) else None
        code = code if isinstance(code, str) else None
        if not isinstance(item, dict):
            errors.append(RecordError(index, None, "bản ghi không phải đối tượng JSON"))
            continue
        problem = unstorable(item)  # what either database would refuse when it is applied
        if problem:
            errors.append(RecordError(index, code, problem))
            continue
        try:
            record = ProcedureRecord.model_validate(item)
        except ValidationError as exc:
            errors.append(RecordError(index, code, _format_validation_error(exc)))
            continue
        if record.code in seen:
            errors.append(RecordError(index, record.code, f"mã trùng với bản ghi #{seen[record.code] + 1}"))
            continue
        seen[record.code] = index
        records.append(record)
    if errors:
        raise CatalogueError(f"{source}: {len(errors)} bản ghi không hợp lệ", errors)
    if not records:
        raise CatalogueError(f"{source}: danh mục rỗng")
    version = str(document.get("version") or checksum[:12])
    extra = {k: v for k, v in document.items() if k not in {"procedures", "version", "generated"}}
    return Catalogue(version, checksum, records, document.get("generated"), extra)


def read_catalogue_file(path: Path) -> bytes:
    """A catalogue file's bytes: a regular file of at most ``MAX_CATALOGUE_BYTES`` (CatalogueError)."""
    return read_bounded(path, MAX_CATALOGUE_BYTES, CatalogueError)


def read_catalogue(path: Path) -> Catalogue:
    return parse_catalogue(read_catalogue_file(path), str(path))


def serialize_catalogue(catalogue: Catalogue) -> bytes:
    document = {
        "version": catalogue.version,
        "generated": catalogue.generated,
        **catalogue.extra,
        "procedures": [record.model_dump(mode="json") for record in catalogue.procedures],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


_COLUMNS = [name for name in ProcedureRecord.model_fields]


def _row_values(record: ProcedureRecord) -> dict[str, Any]:
    values = record.model_dump(mode="json")
    values["source_date"] = record.source_date
    return {name: values[name] for name in _COLUMNS}


def apply_catalogue(
    session: Session, catalogue: Catalogue, source: str, loaded_by: str | None = None
) -> CatalogueVersion:
    """Replace the loaded catalogue with ``catalogue`` inside the caller's transaction.

    Procedures are upserted by code and those absent from the file are deleted, so a failure
    anywhere rolls the whole change back and the previous catalogue stays in place.
    """
    existing = {p.code: p for p in session.scalars(select(Procedure))}
    incoming = catalogue.by_code()
    for code, record in incoming.items():
        values = _row_values(record)
        row = existing.get(code)
        if row is None:
            session.add(Procedure(**values))
        else:
            for name, value in values.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
    gone = [code for code in existing if code not in incoming]
    if gone:
        session.execute(delete(Procedure).where(Procedure.code.in_(gone)))
    session.execute(update(CatalogueVersion).values(is_current=False))
    version = CatalogueVersion(
        version=catalogue.version,
        checksum=catalogue.checksum,
        source=source,
        procedure_count=len(incoming),
        loaded_by=loaded_by,
        is_current=True,
        payload=gzip.compress(serialize_catalogue(catalogue)),
    )
    session.add(version)
    session.flush()
    return version


def current_version(session: Session) -> CatalogueVersion | None:
    return session.scalars(select(CatalogueVersion).where(CatalogueVersion.is_current.is_(True))).first()


CURRENT_VERSION_ID = select(CatalogueVersion.id).where(CatalogueVersion.is_current.is_(True))


def catalogue_version_id(session: Session) -> int | None:
    """The id of the current catalogue version, read on its own: the version row also holds the
    gzip'd catalogue, and loading that on every answer was most of what a card cost."""
    return session.scalar(CURRENT_VERSION_ID)


def get_procedure(session: Session, code: str) -> Procedure | None:
    return session.scalars(select(Procedure).where(Procedure.code == code.strip())).first()
