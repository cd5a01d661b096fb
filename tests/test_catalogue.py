from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.catalogue import (
    MAX_CATALOGUE_BYTES,
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


# --- files that are not a catalogue at all (issue 13, items 5 and 6) --------------------------


def _gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip'd, made without ever holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join([*parts, packer.compress(bytes(size % len(chunk))), packer.flush()])


def _nested(depth: int) -> list[object]:
    value: list[object] = [1]
    for _ in range(depth):
        value = [value]
    return value


def _corrupt(raw: bytes) -> bytes:
    packed = bytearray(gzip.compress(raw))
    for position in range(20, len(packed) - 10, 7):
        packed[position] ^= 0x5A
    return bytes(packed)


GOOD = _bytes(procedure_record(code="1.001193"), procedure_record(code="1.001194"))


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (gzip.compress(GOOD)[:-30], "gzip"),  # truncated: EOFError
        (_corrupt(GOOD), "gzip"),  # corrupt: zlib.error or a bad CRC
        (b"[" * 200_000 + b"]" * 200_000, "lồng nhau quá sâu"),  # RecursionError
        (json.dumps({"procedures": [procedure_record()], "x": _nested(24)}), "sâu"),
        (_gzip_bomb(MAX_CATALOGUE_BYTES + 1), "quá lớn"),
        (b" " * (MAX_CATALOGUE_BYTES + 1), "quá lớn"),
    ],
    ids=["truncated gzip", "corrupt gzip", "deep nesting", "deep envelope", "gzip bomb", "too big"],
)
def test_a_broken_file_is_refused_with_the_reason(raw: bytes | str, needle: str) -> None:
    data = raw.encode() if isinstance(raw, str) else raw
    tracemalloc.start()
    try:
        with pytest.raises(CatalogueError) as info:
            parse_catalogue(data, "bad.json.gz")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert needle in str(info.value) and str(info.value).startswith("bad.json.gz: ")
    assert peak < 2 * MAX_CATALOGUE_BYTES + len(data)  # never the whole decompressed bomb


def test_a_server_file_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="không phải tệp thường"):
        read_catalogue(Path("/dev/zero"))
    with pytest.raises(CatalogueError, match="không phải tệp thường"):
        read_catalogue(tmp_path)  # a folder
    with pytest.raises(CatalogueError, match="không đọc được"):
        read_catalogue(tmp_path / "missing.json")
    big = tmp_path / "big.json"
    with big.open("wb") as file:
        file.truncate(MAX_CATALOGUE_BYTES + 1)  # sparse: nothing to write
    with pytest.raises(CatalogueError, match="quá lớn"):
        read_catalogue(big)


@pytest.mark.parametrize(
    ("record", "needle"),
    [
        (procedure_record(channels=[{"channel": "truc_tiep", "days": float("nan")}]), "NaN"),
        (procedure_record(channels=[{"channel": "truc_tiep", "days": float("inf")}]), "Infinity"),
        (procedure_record(name="Đăng ký\x00khai sinh"), "NUL"),
        (procedure_record(documents=[{"name": "Tờ khai \ud800"}]), "surrogate"),
    ],
    ids=["NaN", "Infinity", "NUL", "lone surrogate"],
)
def test_what_either_database_cannot_store_is_refused(
    session_factory: sessionmaker[Session], record: dict[str, object], needle: str
) -> None:
    """NaN, Infinity and NUL passed validation, loaded on SQLite and failed the apply on PostgreSQL;
    a lone surrogate fails on SQLite too. The record is refused with its position and the reason."""
    raw = json.dumps({"procedures": [procedure_record(code="1.000001"), record]}).encode()
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(raw, "bad.json")
    [error] = info.value.errors
    assert error.index == 1 and needle in error.reason
    storable = procedure_record(code="1.000002", name="Đăng ký\tkhai sinh 📄", keywords=["ü", "đ"])
    parsed = parse_catalogue(json.dumps({"procedures": [storable]}).encode(), "good.json")
    with session_factory.begin() as session:  # what is accepted loads on both databases
        apply_catalogue(session, parsed, "good.json")
    with session_factory() as session:
        loaded = get_procedure(session, "1.000002")
        assert loaded is not None and loaded.name == "Đăng ký\tkhai sinh 📄"
