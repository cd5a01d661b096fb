from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.catalogue import (
    CatalogueError,
    apply_catalogue,
    current_version,
    get_procedure,
    parse_catalogue,
    read_catalogue,
)
from knowledge.models import Procedure
from tests.factories import catalogue, procedure_record


def _bytes(*records: object, version: str = "v1") -> bytes:
    return json.dumps({"version": version, "procedures": list(records)}).encode()


def test_parse_accepts_gzip_and_plain(tmp_path: Path) -> None:
    raw = _bytes(procedure_record(code="1.001193"))
    plain, packed = tmp_path / "c.json", tmp_path / "c.json.gz"
    plain.write_bytes(raw)
    packed.write_bytes(gzip.compress(raw))
    assert read_catalogue(plain).procedures[0].code == "1.001193"
    assert read_catalogue(packed).checksum == read_catalogue(plain).checksum


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"{not json", "không phải JSON"),
        (b'{"procedures": 3}', "procedures"),
        (_bytes(procedure_record(code="abc")), "mã thủ tục không hợp lệ"),
        (_bytes(procedure_record(name="   ")), "thiếu tên"),
        (_bytes({"name": "Không có mã"}), "code"),
        (_bytes(procedure_record(code="1.000001"), procedure_record(code="1.000001")), "mã trùng"),
        (_bytes(procedure_record(portal_url="https://dichvucong.gov.vn/p?ma_thu_tuc=1")), "kiểu cũ"),
        (_bytes(), "rỗng"),
    ],
)
def test_parse_rejects_with_reason(raw: bytes, needle: str) -> None:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(raw, "bad.json")
    assert needle in str(info.value)


def test_every_bad_record_is_listed() -> None:
    raw = _bytes(procedure_record(code="x"), procedure_record(), procedure_record(name=""))
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(raw)
    assert [e.index for e in info.value.errors] == [0, 2]


def test_apply_upserts_and_removes(session_factory: sessionmaker[Session]) -> None:
    first = catalogue(procedure_record(code="1.000001"), procedure_record(code="1.000002"))
    with session_factory.begin() as session:
        apply_catalogue(session, first, "first")
    second = catalogue(
        procedure_record(code="1.000001", name="Tên mới"),
        procedure_record(code="1.000003"),
        version="test-2",
    )
    with session_factory.begin() as session:
        apply_catalogue(session, second, "second")
    with session_factory() as session:
        codes = sorted(session.scalars(select(Procedure.code)))
        assert codes == ["1.000001", "1.000003"]
        renamed = get_procedure(session, "1.000001")
        assert renamed is not None and renamed.name == "Tên mới"
        current = current_version(session)
        assert current is not None and current.version == "test-2"


def test_failed_apply_keeps_previous(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        apply_catalogue(session, catalogue(procedure_record(code="1.000001")), "first")
    with pytest.raises(RuntimeError), session_factory.begin() as session:
        apply_catalogue(session, catalogue(procedure_record(code="1.000009")), "second")
        raise RuntimeError("failure after the rows were written")
    with session_factory() as session:
        assert session.scalar(select(func.count(Procedure.id))) == 1
        assert get_procedure(session, "1.000001") is not None
        version = current_version(session)
        assert version is not None and version.source == "first"
