"""Which procedures a commune handles: commune level, data rules, tags, overrides, abolished ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from knowledge.applicability import (
    BUNDLED_OVERRIDES,
    BUNDLED_RULES,
    ApplicabilityError,
    competence,
    load_overrides,
    parse_rules,
    procedures_for_unit,
    read_rules,
)
from knowledge.catalogue import apply_catalogue, get_procedure
from knowledge.models import Procedure, Unit
from knowledge.units import UnitDataError, fold, get_unit, load_units
from tests.factories import catalogue, procedure_record

# One procedure of each interesting sort, by role.
RECORDS: dict[str, dict[str, Any]] = {
    "birth": procedure_record(code="1.001193", name="Thủ tục đăng ký khai sinh", field="Hộ tịch"),
    "marriage": procedure_record(code="1.000894", name="Thủ tục đăng ký kết hôn", field="Hộ tịch"),
    "forest": procedure_record(
        code="1.012922", name="Kiểm tra hiện trường rừng trồng bị thiệt hại", field="Lâm nghiệp"
    ),
    "border": procedure_record(
        code="1.000110",
        name="Thủ tục đăng ký khai sinh có yếu tố nước ngoài tại khu vực biên giới",
        field="Hộ tịch",
    ),
    "border_guard": procedure_record(
        code="1.013590",
        name="Thủ tục biên phòng điện tử cửa khẩu biên giới đất liền",
        field="Quản lý biên giới",
        competent_agency="Đội Thủ tục thuộc Biên phòng cửa khẩu",
    ),
    "province": procedure_record(
        code="1.000001",
        name="Cấp giấy phép hoạt động",
        field="Y tế",
        levels=["tinh"],
        competent_agency="Sở Y tế",
    ),
    "abolished": procedure_record(
        code="1.000002",
        name="Thủ tục cũ",
        field="Hộ tịch",
        status="abolished",
        abolished_by="Quyết định 1/QĐ-BTP",
    ),
}


@pytest.fixture
def session(session_factory: sessionmaker[Session], units_file: Path) -> Iterator[Session]:
    with session_factory.begin() as session:
        load_units(session, units_file)
        apply_catalogue(session, catalogue(*RECORDS.values()), "test")
    with session_factory() as session:
        yield session


def unit(session: Session, code: str, era: str | None = None) -> Unit:
    found = get_unit(session, code, era)
    assert found is not None
    return found


def procedure(session: Session, role: str) -> Procedure:
    found = get_procedure(session, RECORDS[role]["code"])
    assert found is not None
    return found


def codes(procedures: list[Procedure]) -> set[str]:
    return {p.code for p in procedures}


def code_of(*roles: str) -> set[str]:
    return {RECORDS[role]["code"] for role in roles}


def write_overrides(path: Path, *entries: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"overrides": list(entries)}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_rural_commune_in_a_border_province(session: Session) -> None:
    thuong_ninh = unit(session, "16225")  # Xã Thượng Ninh, Thanh Hóa (land border with Laos)
    assert codes(procedures_for_unit(session, thuong_ninh)) == code_of(
        "birth", "marriage", "forest", "border"
    )


def test_an_urban_ward_away_from_the_border(session: Session) -> None:
    hong_ha = unit(session, "00097")  # Phường Hồng Hà, Hà Nội
    assert codes(procedures_for_unit(session, hong_ha)) == code_of("birth", "marriage")
    answer = competence(session, hong_ha, procedure(session, "forest"))
    assert not answer.handled and answer.reason is not None and "Phường" in answer.reason
    answer = competence(session, hong_ha, procedure(session, "border"))
    assert not answer.handled and answer.reason is not None and "biên giới" in answer.reason


def test_border_guard_procedures_are_never_the_communes(session: Session) -> None:
    answer = competence(session, unit(session, "16225"), procedure(session, "border_guard"))
    assert (answer.handled, answer.level, answer.agency) == (
        False,
        "xa",
        "Đội Thủ tục thuộc Biên phòng cửa khẩu",
    )


def test_results_are_sorted_and_filtered_by_field(session: Session) -> None:
    result = procedures_for_unit(session, unit(session, "16225"))
    assert [p.field for p in result] == ["Hộ tịch", "Hộ tịch", "Hộ tịch", "Lâm nghiệp"]
    # Names sort without regard to diacritics: "kết hôn" before "khai sinh", as in a dictionary.
    assert [p.name for p in result[:3]] == sorted((p.name for p in result[:3]), key=fold)
    assert codes(procedures_for_unit(session, unit(session, "16225"), field="ho tich")) == code_of(
        "birth", "marriage", "border"
    )


def test_competence_of_a_provincial_procedure_names_the_agency(session: Session) -> None:
    answer = competence(session, unit(session, "16225"), procedure(session, "province"))
    assert (answer.handled, answer.level, answer.agency) == (False, "tinh", "Sở Y tế")
    assert answer.reason is not None and "cấp tỉnh" in answer.reason
    answer = competence(session, unit(session, "16225"), procedure(session, "birth"))
    assert (answer.handled, answer.level, answer.agency, answer.reason) == (True, "xa", None, None)


def test_an_old_unit_is_answered_for_its_2025_commune(session: Session) -> None:
    cat_van = unit(session, "16195")  # old Xã Cát Vân → Xã Thượng Ninh
    assert codes(procedures_for_unit(session, cat_van)) == codes(
        procedures_for_unit(session, unit(session, "16225"))
    )
    nhu_xuan = unit(session, "402")  # an old district: the union over the communes it became
    assert code_of("birth", "forest") <= codes(procedures_for_unit(session, nhu_xuan))


def test_a_province_is_not_a_commune(session: Session) -> None:
    with pytest.raises(ValueError, match="không phải đơn vị hành chính cấp xã"):
        procedures_for_unit(session, unit(session, "38"))


def test_overrides_add_and_remove_but_never_revive_an_abolished_procedure(
    session: Session, tmp_path: Path
) -> None:
    path = write_overrides(
        tmp_path / "overrides.json",
        {
            "unit": "00097",
            "procedure": RECORDS["forest"]["code"],
            "handles": True,
            "reason": "Phường có rừng",
        },
        {"unit": "00097", "procedure": RECORDS["marriage"]["code"], "handles": False, "reason": "Thử"},
        {"unit": "00097", "procedure": RECORDS["abolished"]["code"], "handles": True},
    )
    assert load_overrides(session, path) == 3
    assert load_overrides(session, path) == 0
    hong_ha = unit(session, "00097")
    assert codes(procedures_for_unit(session, hong_ha)) == code_of("birth", "forest")
    answer = competence(session, hong_ha, procedure(session, "forest"))
    assert (answer.handled, answer.reason) == (True, "Phường có rừng")
    answer = competence(session, hong_ha, procedure(session, "abolished"))
    assert not answer.handled and answer.reason == "Thủ tục đã bị bãi bỏ (Quyết định 1/QĐ-BTP)."


def test_bad_overrides_are_rejected(session: Session, tmp_path: Path) -> None:
    path = write_overrides(tmp_path / "o.json", {"unit": "38", "procedure": "1.001193", "handles": True})
    with pytest.raises(UnitDataError, match="không có đơn vị cấp xã 2025"):
        load_overrides(session, path)
    path = write_overrides(tmp_path / "o.json", {"unit": "16225", "procedure": "x", "handles": True})
    with pytest.raises(UnitDataError, match="mã thủ tục không hợp lệ"):
        load_overrides(session, path)


def test_bundled_overrides_file_loads(session: Session) -> None:
    assert load_overrides(session, BUNDLED_OVERRIDES) == 0


def test_answers_follow_a_new_catalogue_version(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    thuong_ninh = unit(session, "16225")
    assert RECORDS["marriage"]["code"] in codes(procedures_for_unit(session, thuong_ninh))
    with session_factory.begin() as writer:
        abolished = {**RECORDS["marriage"], "status": "abolished"}
        others = [r for role, r in RECORDS.items() if role != "marriage"]
        apply_catalogue(writer, catalogue(abolished, *others, version="test-2"), "test")
    session.expire_all()
    assert RECORDS["marriage"]["code"] not in codes(procedures_for_unit(session, thuong_ninh))


def test_rules_are_data(session: Session) -> None:
    rules = parse_rules(
        {
            "commune_levels": ["xa", "tinh"],
            "rules": [
                {
                    "id": "no-birth-in-thanh-hoa",
                    "match": {"codes": [RECORDS["birth"]["code"]]},
                    "when": {"provinces": ["38"], "unit_kinds": ["commune"]},
                    "handles": False,
                    "level": "tinh",
                    "agency": "Sở Tư pháp",
                    "reason": "Ví dụ",
                }
            ],
        }
    )
    thuong_ninh = unit(session, "16225")
    assert codes(procedures_for_unit(session, thuong_ninh, rules=rules)) == code_of(
        "marriage", "forest", "border", "border_guard", "province"
    )
    answer = competence(session, thuong_ninh, procedure(session, "birth"), rules=rules)
    assert answer == type(answer)(False, "tinh", "Sở Tư pháp", "Ví dụ")
    assert RECORDS["birth"]["code"] in codes(
        procedures_for_unit(session, unit(session, "00097"), rules=rules)
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"id": "a", "match": {}, "handles": False}, '"match" cần'),
        ({"id": "a", "match": {"fields": ["X"]}, "handles": "no"}, '"handles"'),
        (
            {"id": "a", "match": {"fields": ["X"]}, "when": {"unit_kinds": ["village"]}, "handles": False},
            "loại đơn vị không hợp lệ: village",
        ),
        ({"id": "a", "match": {"fields": ["X"]}, "handles": False, "colour": 1}, "colour"),
    ],
)
def test_bad_rules_are_rejected(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ApplicabilityError, match=message):
        parse_rules({"rules": [rule]})


def test_bundled_rules_parse() -> None:
    rules = read_rules(BUNDLED_RULES)
    assert {rule.id for rule in rules.rules} == {
        "ward-rural-fields",
        "border-outside-border-provinces",
        "border-guard-procedures",
    }
