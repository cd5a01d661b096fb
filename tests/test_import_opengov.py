"""Reading the portal's public list and its detail responses (knowledge/importers/opengov.py), and
putting ALL-CAPS names in sentence case (knowledge/importers/names.py). The detail pieces are cut
from the real responses under opengov_dvcqg_catalog/details."""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.importers.fields import channels_from_portal
from knowledge.importers.names import NameCasing, is_all_caps
from knowledge.importers.opengov import (
    agency_levels,
    detail_steps,
    detail_values,
    province_codes,
)


def _method(unit: str, time: Any, fees: list[dict[str, Any]], method: str = "DIRECT") -> dict[str, Any]:
    return {"submissionMethod": method, "processingTime": time, "processingTimeUnit": unit, "fees": fees}


def _channels(*methods: dict[str, Any], cases: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    data = {"name": "Thủ tục đăng ký khai tử", "executionMethods": list(methods), "cases": cases or []}
    rows, _flags = channels_from_portal(data["executionMethods"], data["cases"])
    return rows


FREE = {"type": "SERVICE_FEE", "value": 0, "currencyId": "", "description": ""}


def test_equal_rows_once_and_no_fee_is_no_fee() -> None:
    rows = _channels(_method("DAY", 5, [FREE, FREE]), _method("DAY", 5, [], "POSTAL"))
    assert [(r["channel"], r["fee"], r["fee_vnd"]) for r in rows] == [
        ("truc_tiep", "Miễn phí", 0),
        ("buu_chinh", None, None),
    ]


def test_steps_join_a_heading_to_its_text() -> None:
    data = {
        "executionSteps": [
            {
                "name": "Bước 5:",
                "description": "Ủy ban nhân dân cấp xã xem xét ban hành quyết định giao đất,\ncho cá nhân.",
            },
            {"name": "Mặc định", "description": "- Nộp hồ sơ.\n- Nhận kết quả."},
        ]
    }
    assert detail_steps(data) == [
        "Bước 5: Ủy ban nhân dân cấp xã xem xét ban hành quyết định giao đất, cho cá nhân.",
        "- Nộp hồ sơ.",
        "- Nhận kết quả.",
    ]


def test_levels_agencies_and_online_level_from_the_flags() -> None:
    data = {
        "id": "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7",
        "name": "Thủ tục đăng ký khai sinh",
        "isWard": True,
        "isProvince": False,
        "isMinistry": True,
        "isFullProcess": False,
        "executionMethods": [_method("WORKING_DAY", 1, [FREE], "ONLINE")],
        "unitGroupsExecuting": [{"name": "Ủy ban nhân dân cấp xã"}],
        "departmentsExecuting": [{"name": "Ủy ban nhân dân cấp xã"}, {"name": "Công an cấp xã"}],
        "formalityType": "ASSIGNED_REGULATION",
        "procedureProposal": {"proposalNumber": "163/QĐ-BTP"},
        "legalBasisesDetails": [{"name": "Luật Hộ tịch", "code": "60/2014/QH13"}],
        "resultsDetails": [{"name": "Giấy khai sinh"}, {"name": "Giấy khai sinh"}],
        "departmentPromulgateName": "Bộ Tư pháp",
    }
    values = detail_values(data, None)
    assert values["levels"] == ["bo", "xa"] and values["online_level"] == "mot_phan"
    assert values["executing_agencies"] == ["Ủy ban nhân dân cấp xã", "Công an cấp xã"]
    assert values["implementing_agency"] == "Ủy ban nhân dân cấp xã; Công an cấp xã"
    assert values["type"] == "TTHC được giao luật quy định chi tiết" and values["decision"] == "163/QĐ-BTP"
    assert values["legal_basis"] == [{"title": "Luật Hộ tịch", "number": "60/2014/QH13"}]
    assert values["result"] == "Giấy khai sinh" and values["publisher"] == "Bộ Tư pháp"
    assert values["portal_url"].endswith("/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7")
    assert detail_values({**data, "isFullProcess": True}, None)["online_level"] == "toan_trinh"


@pytest.mark.parametrize(
    ("agencies", "levels"),
    [
        (["Ủy ban nhân dân cấp xã"], ["xa"]),
        (["UBND cấp  xã"], ["xa"]),
        (["Công an cấp Xã", "Công an cấp Tỉnh"], ["tinh", "xa"]),
        (["Sở Nông nghiệp và Môi trường - Tỉnh Đắk Lắk"], ["tinh"]),
        (["Chi nhánh Văn phòng đăng ký đất đai khu vực"], ["tinh"]),
        (["Cục Quản lý Dược - Bộ Y tế", "Bộ Công an"], ["bo"]),
        (["Ngân hàng Nhà nước Việt Nam"], ["bo"]),
        (["Cơ quan khác", "Thuế cơ sở"], []),
    ],
)
def test_levels_read_from_executing_bodies(agencies: list[str], levels: list[str]) -> None:
    assert agency_levels(agencies) == levels


def test_publishers_are_placed_in_their_2025_province() -> None:
    publishers = [
        "UBND tỉnh Bắc Ninh",
        "UBND Thành phố Đồng Nai",
        "Trung tâm phục vụ hành chính công Thành phố Hà Nội",
        "Sở Xây dựng - tỉnh Quảng Ngãi",
        "UBND tỉnh Quảng Ninh",
        "Bộ Y tế",
    ]
    assert province_codes(publishers) == {
        "UBND tỉnh Bắc Ninh": "24",
        "UBND Thành phố Đồng Nai": "75",
        "Trung tâm phục vụ hành chính công Thành phố Hà Nội": "01",
        "Sở Xây dựng - tỉnh Quảng Ngãi": "51",
        "UBND tỉnh Quảng Ninh": "22",
    }


NORMAL_NAMES = [
    "Cấp thẻ thường trú cho người nước ngoài tại Việt Nam",
    "Cấp thị thực cho người nước ngoài tại Việt Nam",
    "Đăng ký khai sinh cho người đã có hồ sơ tại UBND cấp xã",
    "Thông báo kết quả đến UBND cấp tỉnh",
    "Cấp giấy phép lao động cho lao động nam, nữ",
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "THỦ TỤC ĐỀ NGHỊ SINH HOẠT TÔN GIÁO TẬP TRUNG TẠI VIỆT NAM (CẤP TỈNH)",
            "Thủ tục đề nghị sinh hoạt tôn giáo tập trung tại Việt Nam (cấp tỉnh)",
        ),
        (
            "HƯỞNG CHẾ ĐỘ THAI SẢN ĐỐI VỚI LAO ĐỘNG NAM TẠI UBND",
            "Hưởng chế độ thai sản đối với lao động nam tại UBND",
        ),
        ("THỦ TỤC QUỸ TỰ GIẢI THỂ (Cấp xã)", "Thủ tục quỹ tự giải thể (cấp xã)"),
        ("Đăng ký khai sinh", "Đăng ký khai sinh"),  # not ALL CAPS: unchanged
        ("Cấp thẻ ABTC", "Cấp thẻ ABTC"),
    ],
)
def test_all_caps_names_in_sentence_case(name: str, expected: str) -> None:
    casing = NameCasing(NORMAL_NAMES)
    assert casing.sentence_case(name) == expected
    assert is_all_caps(name) is (name != expected)
