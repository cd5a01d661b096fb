"""Loading units, looking them up by code, resolving what people type, offices and tags."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.models import OneStopOffice, Unit, UnitSuccession
from knowledge.units import (
    BUNDLED_OFFICES,
    BUNDLED_TAGS,
    BUNDLED_UNITS,
    UnitDataError,
    current_successors,
    descendants,
    get_unit,
    load_offices,
    load_units,
    read_unit_tags,
    read_units,
    resolve_unit,
    unit_label,
)


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], units_file: Path) -> Iterator[Session]:
    with session_factory.begin() as session:
        load_units(session, units_file)
    with session_factory() as session:
        yield session


def units_document(units_file: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(gzip.decompress(units_file.read_bytes()))
    return document


def write_units(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Unit)) or 0,
        session.scalar(select(func.count()).select_from(UnitSuccession)) or 0,
    )


# --------------------------------------------------------------------------- loading


def test_load_is_idempotent(session_factory: sessionmaker[Session], units_file: Path) -> None:
    with session_factory.begin() as session:
        first = load_units(session, units_file)
    with session_factory.begin() as session:
        assert load_units(session, units_file) == 0
        assert counts(session) == (76, 77)
    assert first == 76 + 77


def test_load_applies_tags_of_units_present(loaded: Session) -> None:
    thanh_hoa = get_unit(loaded, "38")
    ha_noi = get_unit(loaded, "01")
    assert thanh_hoa is not None and ha_noi is not None
    assert thanh_hoa.tags == ["border"]
    assert ha_noi.tags == []


def test_reload_updates_a_changed_unit(
    session_factory: sessionmaker[Session], units_file: Path, tmp_path: Path
) -> None:
    with session_factory.begin() as session:
        load_units(session, units_file)
    document = units_document(units_file)
    for unit in document["units"]:
        if unit["code"] == "16195":
            unit["name"] = "Xã Cát Vân Mới"
    with session_factory.begin() as session:
        assert load_units(session, write_units(tmp_path / "u.json", document)) == 1
    with session_factory() as session:
        unit = get_unit(session, "16195")
        assert unit is not None and unit.name == "Xã Cát Vân Mới"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["units"][5].pop("code"), "thiếu mã"),
        (lambda d: d["units"][5].update(name=" "), "thiếu tên"),
        (lambda d: d["units"].append(dict(d["units"][5])), "trùng (thời kỳ, mã) với bản ghi #6"),
        (lambda d: d["units"][5].update(parent="999"), "đơn vị cấp trên 999 không có trong thời kỳ"),
        (lambda d: d["units"][5].update(kind="village"), "loại đơn vị không hợp lệ"),
        (lambda d: d["successions"][0].update(new="99999"), "kế thừa không hợp lệ"),
    ],
)
def test_malformed_files_are_rejected_with_the_reason_and_nothing_changes(
    session_factory: sessionmaker[Session], units_file: Path, tmp_path: Path, change: Any, reason: str
) -> None:
    document = units_document(units_file)
    change(document)
    bad = write_units(tmp_path / "bad.json", document)
    with pytest.raises(UnitDataError, match="bản ghi") as raised, session_factory.begin() as session:
        load_units(session, bad)
    assert reason in str(raised.value)
    with session_factory() as session:
        assert counts(session) == (0, 0)


def test_not_json_is_rejected(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(UnitDataError, match="không phải JSON hợp lệ"), session_factory.begin() as session:
        load_units(session, bad)


def test_a_failed_reload_keeps_what_was_loaded(
    session_factory: sessionmaker[Session], units_file: Path, tmp_path: Path
) -> None:
    with session_factory.begin() as session:
        load_units(session, units_file)
    document = units_document(units_file)
    document["units"][0]["name"] = "Đổi tên"
    document["units"][7]["parent"] = "nowhere"
    with pytest.raises(UnitDataError), session_factory.begin() as session:
        load_units(session, write_units(tmp_path / "bad.json", document))
    with session_factory() as session:
        assert counts(session) == (76, 77)
        assert session.scalar(select(Unit.name).where(Unit.name == "Đổi tên")) is None


# --------------------------------------------------------------------------- lookups


def test_bare_code_means_the_current_unit_else_the_old_one(loaded: Session) -> None:
    current = get_unit(loaded, "16225")
    assert current is not None and (current.era, current.name) == ("2025", "Xã Thượng Ninh")
    old = get_unit(loaded, "16225", era="2008")
    assert old is not None and old.era == "2008" and old.id != current.id
    cat_van = get_unit(loaded, "16195")
    assert cat_van is not None and (cat_van.era, cat_van.name) == ("2008", "Xã Cát Vân")
    district = get_unit(loaded, " 402 ")
    assert district is not None and district.name == "Huyện Như Xuân"
    assert get_unit(loaded, "99999") is None


def test_labels_successors_and_descendants(loaded: Session) -> None:
    cat_van = get_unit(loaded, "16195")
    assert cat_van is not None
    assert unit_label(cat_van) == "Xã Cát Vân, huyện Như Xuân, tỉnh Thanh Hóa"
    [thuong_ninh] = current_successors(loaded, cat_van)
    assert unit_label(thuong_ninh) == "Xã Thượng Ninh, tỉnh Thanh Hóa"
    assert current_successors(loaded, thuong_ninh) == [thuong_ninh]
    phuc_xa = get_unit(loaded, "00001")
    assert phuc_xa is not None
    assert unit_label(phuc_xa) == "Phường Phúc Xá, quận Ba Đình, thành phố Hà Nội"
    assert [u.name for u in current_successors(loaded, phuc_xa)] == ["Phường Hồng Hà"]
    nhu_xuan = get_unit(loaded, "402")
    assert nhu_xuan is not None
    assert {u.code for u in current_successors(loaded, nhu_xuan)} >= {"16225", "16174"}
    old_thanh_hoa = get_unit(loaded, "38", era="2008")
    assert old_thanh_hoa is not None
    below = descendants(loaded, old_thanh_hoa)
    assert below[0].name == "Huyện Như Xuân" and cat_van in below
    assert all(u.era == "2008" for u in below)


# --------------------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    ("text", "era", "name", "current"),
    [
        ("Xã Cát Vân, huyện Như Xuân, Thanh Hóa", "2008", "Xã Cát Vân", ["Xã Thượng Ninh"]),
        ("cat van nhu xuan", "2008", "Xã Cát Vân", ["Xã Thượng Ninh"]),
        ("cat van", "2008", "Xã Cát Vân", ["Xã Thượng Ninh"]),
        ("thuong nin", "2025", "Xã Thượng Ninh", ["Xã Thượng Ninh"]),
        ("X. Thượng Ninh", "2025", "Xã Thượng Ninh", ["Xã Thượng Ninh"]),
        ("phuong phuc xa ba dinh ha noi", "2008", "Phường Phúc Xá", ["Phường Hồng Hà"]),
        ("P. Phúc Xá", "2008", "Phường Phúc Xá", ["Phường Hồng Hà"]),
        ("phuc xaa", "2008", "Phường Phúc Xá", ["Phường Hồng Hà"]),
        ("Hồng Hà", "2025", "Phường Hồng Hà", ["Phường Hồng Hà"]),
        ("TP. Hà Nội", "2025", "Thành phố Hà Nội", ["Thành phố Hà Nội"]),
        ("huyen nhu xuan", "2008", "Huyện Như Xuân", None),
        ("16225", "2025", "Xã Thượng Ninh", ["Xã Thượng Ninh"]),
        ("402", "2008", "Huyện Như Xuân", None),
        ("bach long vi", "2025", "Đặc khu Bạch Long Vĩ", ["Đặc khu Bạch Long Vĩ"]),
    ],
)
def test_resolve_what_people_type(
    loaded: Session, text: str, era: str, name: str, current: list[str] | None
) -> None:
    best = resolve_unit(loaded, text)[0]
    assert (best.unit.era, best.unit.name) == (era, name)
    assert 0 < best.score <= 100
    if current is not None:
        assert [u.name for u in best.current] == current
    assert best.province.parent is None and best.province.era == era


def test_ties_prefer_the_current_unit_and_results_are_ranked(loaded: Session) -> None:
    matches = resolve_unit(loaded, "Thượng Ninh", limit=3)
    assert [(m.unit.era, m.unit.code) for m in matches[:2]] == [("2025", "16225"), ("2008", "16225")]
    assert matches[0].score >= matches[1].score >= matches[2].score
    assert len(resolve_unit(loaded, "ninh", limit=2)) == 2


def test_district_words_disambiguate(loaded: Session) -> None:
    # "Như Xuân" alone is the 2025 commune (current first); with "huyện" it is the old district.
    assert resolve_unit(loaded, "nhu xuan")[0].unit.era == "2025"
    assert resolve_unit(loaded, "huyện Như Xuân")[0].unit.kind == "district"


def test_nothing_typed_resolves_to_nothing(loaded: Session) -> None:
    assert resolve_unit(loaded, " ,. ") == []


def test_the_index_follows_a_reload(
    session_factory: sessionmaker[Session], units_file: Path, tmp_path: Path
) -> None:
    with session_factory.begin() as session:
        load_units(session, units_file)
    with session_factory() as session:
        assert resolve_unit(session, "cat van")[0].unit.name == "Xã Cát Vân"
    document = units_document(units_file)
    for unit in document["units"]:
        if unit["code"] == "16195":
            unit["name"] = "Xã Cát Ngọc"
    with session_factory.begin() as session:
        load_units(session, write_units(tmp_path / "u.json", document))
    with session_factory() as session:
        assert resolve_unit(session, "cat ngoc")[0].unit.code == "16195"


def test_bundled_units_load_and_resolve(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        assert load_units(session) > 14000
    with session_factory() as session:
        best = resolve_unit(session, "Xã Cát Vân, huyện Như Xuân, Thanh Hóa")[0]
        assert (best.unit.code, [u.code for u in best.current]) == ("16195", ["16225"])
        best = resolve_unit(session, "phuong phuc xa ba dinh ha noi")[0]
        assert [u.name for u in best.current] == ["Phường Hồng Hà"]
        border = get_unit(session, "15")  # 2025 Lào Cai
        assert border is not None and border.tags == ["border"]


# --------------------------------------------------------------------------- tags and offices


def test_bundled_tags_name_real_units_and_follow_the_successions() -> None:
    units = {(u.era, u.code): u for u in read_units(BUNDLED_UNITS).units}
    document = json.loads(BUNDLED_TAGS.read_text(encoding="utf-8"))
    for entry in document["tags"]["border"]["units"]:
        assert units[entry["era"], entry["code"]].name == entry["name"]
        assert units[entry["era"], entry["code"]].parent is None  # provinces only
    tags = read_unit_tags(BUNDLED_TAGS)
    old_border = {code for (era, code) in tags if era == "2008"}
    new_border = {code for (era, code) in tags if era == "2025"}
    assert len(old_border) == 25 and len(new_border) == 22
    derived = {new for old, new, _ in read_units(BUNDLED_UNITS).successions if old in old_border}
    assert derived == new_border


def test_bundled_offices_load_with_the_bundled_units(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        load_units(session)
        assert load_offices(session, BUNDLED_OFFICES) == 94  # every unit of Đà Nẵng (2025)
        assert load_offices(session, BUNDLED_OFFICES) == 0
        hai_chau = get_unit(session, "20242")
        assert hai_chau is not None and hai_chau.name == "Phường Hải Châu"
        office = session.scalars(select(OneStopOffice).where(OneStopOffice.unit_id == hai_chau.id)).one()
        assert office.address == "Số 15 đường Lê Hồng Phong, phường Hải Châu"
        assert (office.phone, office.phone_verified) == ("0903570134", False)
        assert office.latitude == pytest.approx(16.063728) and office.longitude == pytest.approx(108.222472)
        assert office.source is not None and "duckvhuynh" in office.source


def test_offices_load_and_update(loaded: Session, tmp_path: Path) -> None:
    path = tmp_path / "offices.json"
    office = {"unit": "16225", "address": "Thôn 1", "phone": "0237 000 000", "source": "test"}
    path.write_text(json.dumps({"offices": [office]}), encoding="utf-8")
    assert load_offices(loaded, path) == 1
    assert load_offices(loaded, path) == 0
    path.write_text(json.dumps({"offices": [{**office, "phone": "0237 111 111"}]}), encoding="utf-8")
    assert load_offices(loaded, path) == 1
    row = loaded.scalars(select(OneStopOffice)).one()
    assert (row.unit.code, row.unit.era, row.phone, row.address) == (
        "16225",
        "2025",
        "0237 111 111",
        "Thôn 1",
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"latitude": 16.0}, "cần cả vĩ độ"),
        ({"latitude": "16", "longitude": 108.0}, "phải là số"),
        ({"latitude": 96.0, "longitude": 108.0}, "tọa độ không hợp lệ"),
        ({"phone_verified": "no"}, "phone_verified"),
        ({"fax": "1"}, "fax"),
    ],
)
def test_bad_office_entries_are_rejected_and_nothing_is_loaded(
    loaded: Session, tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    path = tmp_path / "offices.json"
    good = {"unit": "00097", "address": "Số 1"}
    path.write_text(
        json.dumps({"offices": [good, {"unit": "16225", "address": "Thôn 2", **extra}]}), encoding="utf-8"
    )
    with pytest.raises(UnitDataError, match=message):
        load_offices(loaded, path)
    assert loaded.scalars(select(OneStopOffice)).first() is None


def test_offices_with_unknown_units_are_rejected(loaded: Session, tmp_path: Path) -> None:
    path = tmp_path / "offices.json"
    path.write_text(json.dumps({"offices": [{"unit": "99999", "phone": "1"}]}), encoding="utf-8")
    with pytest.raises(UnitDataError, match="99999"):
        load_offices(loaded, path)
