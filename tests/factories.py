"""Factories for test data: small, explicit, overridable (no fixtures copied by hand)."""

from __future__ import annotations

import csv
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from index.analysis import pairs
from index.model import Model, load_model
from index.query import Plan
from index.service import SearchService
from index.vocabulary import Vocabulary
from knowledge.catalogue import Catalogue, ProcedureRecord, apply_catalogue
from knowledge.everyday import Everyday

_codes = itertools.count(900001)


def procedure_record(**overrides: Any) -> dict[str, Any]:
    """A valid catalogue record as a plain dict, as it stands in a catalogue file."""
    record: dict[str, Any] = {
        "code": f"9.{next(_codes):06d}",
        "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch",
        "levels": ["xa"],
        "channels": [
            {"channel": "truc_tiep", "time": "1 Ngày làm việc", "days": 1, "fee": "Miễn phí", "fee_vnd": 0},
            {"channel": "truc_tuyen", "time": "1 Ngày làm việc", "days": 1, "fee": "Miễn phí", "fee_vnd": 0},
        ],
        "documents": [{"name": "Tờ khai đăng ký khai sinh", "quantity": "1 bản chính"}],
        "legal_basis": [{"title": "Luật Hộ tịch", "number": "60/2014/QH13"}],
        "result": "Giấy khai sinh",
        "source": "test",
    }
    record.update(overrides)
    return record


def catalogue(*records: dict[str, Any], version: str = "test-1") -> Catalogue:
    parsed = [ProcedureRecord.model_validate(r) for r in records]
    return Catalogue(version=version, checksum=version, procedures=parsed)


NO_EVERYDAY_NAMES = Everyday(digest="none")


def plan_of(
    content: list[str],
    *,
    phrases: tuple[str, ...] | None = None,
    background: frozenset[str] = frozenset(),
    whom: frozenset[str] = frozenset(),
) -> Plan:
    """The plan of a query of the folded ``content`` syllables (its ``phrases``: every adjacent pair
    unless given), for tests of the ranking alone."""
    text = " ".join(content)
    found = tuple(pairs(content)) if phrases is None else phrases
    return Plan(text, [], text, list(content), {}, frozenset(), [], found, background, whom)


def answering(model: Model | None = None) -> Model:
    """The bundled model (or ``model``) that never answers "không tìm thấy" when something matches.

    Its evidence (how rare a word is in the catalogue…) means little in a test's catalogue of a few
    records, so tests of the ranking use this one; the decision is tested on the bundled catalogue
    (tests/test_search_decision.py)."""
    return replace(model or load_model(), none_below=0.0)


def search_service(
    sessions: sessionmaker[Session],
    index_dir: Path,
    *records: dict[str, Any],
    vocabulary: Vocabulary | None = None,
    everyday: Everyday | None = None,
    model: Model | None = None,
) -> SearchService:
    """A search service with its index built over a catalogue of ``records`` loaded into ``sessions``;
    the everyday names are ``everyday`` (none by default: a test's records are all it searches), the
    model ``answering()`` unless another is given."""
    with sessions.begin() as session:
        apply_catalogue(session, catalogue(*records), "test")
    service = SearchService(
        sessions, index_dir, vocabulary, everyday or NO_EVERYDAY_NAMES, model or answering()
    )
    service.ensure_index()
    return service


# --- compliance (dossier records, units) ---

_dossier_codes = itertools.count(1)


def unit(
    session: Any,
    code: str,
    kind: str = "commune",
    parent: Any = None,
    era: str = "2008",
    name: str | None = None,
) -> Any:
    """A unit row (flushed), by default a pre-2025 commune."""
    from knowledge.models import Unit

    row = Unit(
        era=era,
        code=code,
        name=name or f"Đơn vị {code}",
        kind=kind,
        parent_id=parent.id if parent is not None else None,
        province_code=parent.province_code if parent is not None else code,
        tags=[],
    )
    session.add(row)
    session.flush()
    return row


def dossier(**overrides: Any) -> Any:
    """A dossier record received in person on Monday 8 March 2021 and returned early (due Wednesday)."""
    from datetime import datetime

    from knowledge.compliance.dossiers import DossierRecord

    values: dict[str, Any] = {
        "code": f"T-210308-{next(_dossier_codes):06d}",
        "procedure_code": "1.001193",
        "unit_code": "16174",
        "channel": 1,
        "status": 10,
        "submitted_at": datetime(2021, 3, 8, 9, 0),
        "accepted_at": datetime(2021, 3, 8, 9, 0),
        "due_at": datetime(2021, 3, 10, 9, 0),
        "finished_at": datetime(2021, 3, 9, 15, 0),
        "returned_at": datetime(2021, 3, 9, 16, 0),
    }
    values.update(overrides)
    return DossierRecord(**values)


# --------------------------------------------------------------------------- dossier exports

NATIONAL_HEADER = ["MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "MucDo", "TrangThaiHoSo", "NgayNopHoSo",
                   "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "SoLanBoSung",
                   "ThoiGianChoBoSung", "CoPhiLePhi", "DuocThanhToanTrucTuyen", "DaSoHoa", "CoKetQuaDienTu",
                   "TaiSuDungDuLieu", "CoThuXinLoi", "ChuHoSo"]  # fmt: skip


def national_row(**overrides: Any) -> dict[str, Any]:
    """One exported dossier in the national sync vocabulary: online, full-process, returned early."""
    row: dict[str, Any] = {
        "MaHoSo": "H38.402-210308-0001", "MaTTHC": "1.001193", "MaDonVi": "16174", "KenhThucHien": "2",
        "MucDo": "4", "TrangThaiHoSo": "10", "NgayNopHoSo": "20210308090000",
        "NgayTiepNhan": "20210308100000",
        "NgayHenTra": "20210310100000", "NgayKetThucXuLy": "20210309150000", "NgayTra": "20210309160000",
        "SoLanBoSung": "0", "ThoiGianChoBoSung": "", "CoPhiLePhi": "1", "DuocThanhToanTrucTuyen": "2",
        "DaSoHoa": "1", "CoKetQuaDienTu": "1", "TaiSuDungDuLieu": "0", "CoThuXinLoi": "0",
        "ChuHoSo": "Nguyễn Thị Lan",
    }  # fmt: skip
    row.update(overrides)
    return row


def write_csv(
    path: Path, *rows: dict[str, Any], header: list[str] | None = None, encoding: str = "utf-8-sig"
) -> Path:
    """A national-profile CSV export of ``rows`` (or with another ``header``)."""
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.DictWriter(out, header or NATIONAL_HEADER, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def dossier_units(session: Session) -> None:
    """Thanh Hóa (38) › huyện Như Xuân (402) › thị trấn 16174 and xã 16177, pre-2025 codes."""
    province = unit(session, "38", "province")
    district = unit(session, "402", "district", province)
    unit(session, "16174", "township", district)
    unit(session, "16177", "commune", district)
