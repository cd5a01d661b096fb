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
    Reception,
    competence,
    load_overrides,
    parse_rules,
    procedures_for_unit,
    read_rules,
    receiver_of,
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
    assert (answer.handled, answer.local, answer.level, answer.agency) == (
        False,
        False,
        "tinh",
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
        (
            {"id": "a", "match": {"roles": ["truong-hoc"], "fields": ["X"]}, "handles": False},
            "không có cơ quan truong-hoc",
        ),
        ({"id": "a", "match": {"roles": ["x"], "receivers": ["agency"]}, "handles": False}, '"match" cần'),
    ],
)
def test_bad_rules_are_rejected(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ApplicabilityError, match=message):
        parse_rules({"rules": [rule]})


def test_bundled_rules_parse() -> None:
    rules = read_rules(BUNDLED_RULES)
    assert {rule.id for rule in rules.rules} >= {
        "ward-rural-fields",
        "border-outside-border-provinces",
        "border-guard-procedures",
    }
    receivers = {agency.id: agency.receiver for agency in rules.agencies}
    assert receivers["chinh-quyen-xa"] == "one_stop"
    assert receivers["cong-an-xa"] == "commune_body"
    assert receivers["thue"] == receivers["hai-quan"] == receivers["bao-hiem-xa-hoi"] == "agency"


# --- who receives the dossier: the agency table --------------------------------------------------

WHO: dict[str, dict[str, Any]] = {
    "one_stop": procedure_record(
        code="1.001776",
        name="Thực hiện trợ cấp xã hội hàng tháng",
        field="Bảo trợ xã hội",
        levels=[],
        executing_agencies=["Ủy ban nhân dân cấp xã"],
    ),
    "chairman_and_department": procedure_record(
        code="1.000288",
        name="Công nhận trường mầm non đạt chuẩn Quốc gia",
        field="Giáo dục",
        levels=["tinh", "xa"],
        implementing_agency="Sở Giáo dục và Đào tạo, Chủ tịch Ủy ban nhân dân xã",
    ),
    "police": procedure_record(
        code="1.004222",
        name="Đăng ký thường trú",
        field="Đăng ký, quản lý cư trú",
        levels=["xa"],
        executing_agencies=["Công an cấp Xã"],
        publisher="Bộ Công an",
    ),
    "police_published": procedure_record(
        code="1.012537",
        name="Giải quyết chế độ cho người tham gia bảo vệ an ninh, trật tự ở cơ sở",
        field="Chính sách",
        levels=["xa"],
        executing_agencies=["Ủy ban nhân dân cấp xã"],
        publisher="Bộ Công an",
    ),
    "customs": procedure_record(
        code="1.000005",
        name="Thủ tục hải quan đối với khí xuất khẩu bằng đường ống",
        field="Hải quan",
        levels=["xa"],  # as the portal has it: the executing body says otherwise
        implementing_agency="Chi cục Hải quan khu vực",
    ),
    "tax_field": procedure_record(
        code="1.007277", name="Khai lệ phí trước bạ nhà, đất", field="Thuế", levels=["tinh", "xa"]
    ),
    "generic": procedure_record(
        code="1.002693",
        name="Cấp giấy phép chặt hạ, dịch chuyển cây xanh",
        field="Hạ tầng kỹ thuật",
        levels=["tinh", "xa"],
        executing_agencies=["Cơ quan chức năng do Ủy ban nhân dân cấp tỉnh chỉ định"],
    ),
    "department": procedure_record(
        code="1.010805",
        name="Giải quyết chế độ ưu đãi đối với Anh hùng lực lượng vũ trang",
        field="Người có công",
        levels=[],
        executing_agencies=["Sở Nội Vụ"],
    ),
    "unknown": procedure_record(
        code="1.010803", name="Trợ cấp thờ cúng liệt sĩ", field="Người có công", levels=[]
    ),
    "school_support": procedure_record(
        code="1.001622",
        name="Hỗ trợ ăn trưa đối với trẻ em mẫu giáo",
        field="Giáo dục và Đào tạo thuộc hệ thống giáo dục quốc dân",
        levels=[],
        executing_agencies=["Cơ sở giáo dục"],
    ),
    "school_transfer": procedure_record(
        code="2.002854",
        name="Chuyển trường và tiếp nhận học sinh",
        field="Giáo dục và Đào tạo thuộc hệ thống giáo dục quốc dân",
        levels=[],
        executing_agencies=["Cơ sở giáo dục"],
    ),
    "college_admission": procedure_record(
        code="1.001942",
        name="Đăng ký xét tuyển trình độ đại học, trình độ cao đẳng ngành giáo dục mầm non",
        field="Thi, tuyển sinh",
        levels=["bo", "tinh"],
        executing_agencies=["Bộ Giáo dục và Đào tạo", "Sở Giáo dục đào tạo", "Cơ sở giáo dục"],
    ),
    "ministry_and_commune_level": procedure_record(
        code="1.012893",
        name="Bán nhà ở cũ thuộc tài sản công",
        field="Nhà ở và công sở",
        levels=["bo", "tinh", "xa"],
        executing_agencies=["Bộ Quốc phòng"],
        implementing_agency="Sở Xây dựng, Bộ Quốc phòng",
    ),
    "disability": procedure_record(
        code="1.001699",
        name="Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật",
        field="Bảo trợ xã hội",
        levels=[],
    ),
    "specific_here": procedure_record(
        code="1.115620",
        name="Thủ tục riêng của Thanh Hóa",
        field="Đất đai",
        levels=["xa"],
        executing_agencies=["Ủy ban nhân dân cấp xã"],
        portal_type="specific",
        province="38",
    ),
    "specific_elsewhere": procedure_record(
        code="1.115621",
        name="Thủ tục riêng của Hà Nội",
        field="Đất đai",
        levels=["xa"],
        executing_agencies=["Ủy ban nhân dân cấp xã"],
        portal_type="specific",
        province="01",
    ),
    "off_list": procedure_record(
        code="1.000003",
        name="Thủ tục không còn trên danh mục",
        field="Hộ tịch",
        levels=["xa"],
        on_portal_list=False,
    ),
}


@pytest.fixture
def who(session_factory: sessionmaker[Session], units_file: Path) -> Iterator[Session]:
    with session_factory.begin() as session:
        load_units(session, units_file)
        apply_catalogue(session, catalogue(*WHO.values()), "test")
    with session_factory() as session:
        yield session


def of(session: Session, role: str) -> Procedure:
    found = get_procedure(session, WHO[role]["code"])
    assert found is not None
    return found


def roles(*names: str) -> set[str]:
    return {WHO[name]["code"] for name in names}


def test_the_one_stop_list_comes_from_who_executes(who: Session) -> None:
    thuong_ninh = unit(who, "16225")  # Thanh Hóa
    communes = ("one_stop", "chairman_and_department", "generic", "specific_here")
    # A ministry named beside the commune level handles only its own sector's cases; support for
    # pupils of a commune's school is approved by the commune; the law gives disability
    # certificates to the commune even where the portal names no executing body.
    by_data_and_law = ("ministry_and_commune_level", "school_support", "disability")
    assert codes(procedures_for_unit(who, thuong_ninh)) == roles(*communes, *by_data_and_law)
    # Everything done in the commune: its police's procedures too.
    assert codes(procedures_for_unit(who, thuong_ninh, include_local=True)) == roles(
        *communes, *by_data_and_law, "police", "police_published"
    )


def test_police_run_procedures_are_received_by_the_commune_police(who: Session) -> None:
    thuong_ninh = unit(who, "16225")
    for role in ("police", "police_published"):
        answer = competence(who, thuong_ninh, of(who, role))
        assert (answer.handled, answer.local, answer.level, answer.agency) == (
            False,
            True,
            "xa",
            "Công an xã Thượng Ninh",
        )


def test_other_agencies_are_named_as_published(who: Session) -> None:
    thuong_ninh = unit(who, "16225")
    answer = competence(who, thuong_ninh, of(who, "customs"))
    assert (answer.handled, answer.local, answer.level, answer.agency) == (
        False,
        False,
        "tinh",
        "Chi cục Hải quan khu vực",
    )
    answer = competence(who, thuong_ninh, of(who, "department"))
    assert (answer.handled, answer.level, answer.agency) == (False, "tinh", "Sở Nội Vụ")
    answer = competence(who, thuong_ninh, of(who, "tax_field"))
    assert not answer.handled and answer.reason is not None and "thuế" in answer.reason
    answer = competence(who, thuong_ninh, of(who, "unknown"))
    assert (answer.handled, answer.local, answer.agency) == (False, False, None)
    answer = competence(who, thuong_ninh, of(who, "school_transfer"))
    assert (answer.handled, answer.agency) == (False, "Cơ sở giáo dục")
    answer = competence(who, thuong_ninh, of(who, "college_admission"))
    assert not answer.handled and answer.reason is not None and "nhà trường" in answer.reason
    answer = competence(who, thuong_ninh, of(who, "school_support"))
    assert answer.handled and answer.reason is not None and "Ủy ban nhân dân xã" in answer.reason


def test_specific_and_delisted_procedures(who: Session) -> None:
    thuong_ninh = unit(who, "16225")
    hong_ha = unit(who, "00097")  # Hà Nội
    assert WHO["specific_elsewhere"]["code"] in codes(procedures_for_unit(who, hong_ha))
    assert WHO["specific_here"]["code"] not in codes(procedures_for_unit(who, hong_ha))
    answer = competence(who, thuong_ninh, of(who, "specific_elsewhere"))
    assert not answer.handled and answer.reason is not None and "tỉnh khác" in answer.reason
    answer = competence(who, thuong_ninh, of(who, "off_list"))
    assert not answer.handled and answer.reason is not None and "không còn trong danh mục" in answer.reason


def test_who_receives_without_a_commune(who: Session) -> None:
    assert receiver_of(of(who, "police")) == Reception(
        "commune_body", "xa", "Công an cấp Xã", "Công an {unit}", "cong-an-xa"
    )
    assert receiver_of(of(who, "one_stop")).receiver == "one_stop"
    assert receiver_of(of(who, "customs")).body == "Chi cục Hải quan khu vực"
    assert receiver_of(of(who, "generic")).receiver == "one_stop"  # the portal implements it at commune level
    assert receiver_of(of(who, "unknown")).receiver is None


AGENCY = {"id": "x", "patterns": ["Cơ quan X"], "receiver": "agency", "level": "tinh"}


@pytest.mark.parametrize(
    ("agency", "message"),
    [
        ({**AGENCY, "receiver": "desk"}, '"receiver" phải là một trong'),
        ({**AGENCY, "level": "quan"}, "cấp không hợp lệ: 'quan'"),
        ({**AGENCY, "patterns": []}, '"patterns"'),
        ({**AGENCY, "patterns": ["^ ,"]}, "không có chữ nào"),
        ({**AGENCY, "receiver": "commune_body"}, '"label"'),
        ({**AGENCY, "generic": "yes"}, '"generic"'),
        ({**AGENCY, "where": 1}, "where"),
    ],
)
def test_bad_agency_entries_are_rejected(agency: dict[str, Any], message: str) -> None:
    with pytest.raises(ApplicabilityError, match=message):
        parse_rules({"agencies": [agency], "rules": []})


def test_duplicate_ids_and_local_rules_without_an_agency_are_rejected() -> None:
    with pytest.raises(ApplicabilityError, match="id cơ quan bị trùng"):
        parse_rules({"agencies": [AGENCY, AGENCY], "rules": []})
    with pytest.raises(ApplicabilityError, match='"local" cần'):
        parse_rules({"rules": [{"id": "a", "match": {"fields": ["X"]}, "handles": False, "local": True}]})
    with pytest.raises(ApplicabilityError, match="mã thủ tục không hợp lệ"):
        parse_rules({"rules": [{"id": "a", "match": {"codes": ["x"]}, "handles": False}]})
    with pytest.raises(ApplicabilityError, match='"match" cần'):
        parse_rules({"rules": [{"id": "a", "match": {"receivers": ["one_stop"]}, "handles": False}]})


def test_a_broken_rules_file_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "applicability.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ApplicabilityError, match="không phải JSON hợp lệ"):
        read_rules(path)
    with pytest.raises(ApplicabilityError, match="không đọc được tệp"):
        read_rules(tmp_path / "missing.json")
