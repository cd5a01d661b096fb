"""Reading the portal's public list and its detail responses (knowledge/importers/opengov.py), and
putting ALL-CAPS names in sentence case (knowledge/importers/names.py). The detail pieces are cut
from the real responses under opengov_dvcqg_catalog/details."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from knowledge.importers.names import NameCasing, is_all_caps
from knowledge.importers.opengov import (
    agency_levels,
    detail_channels,
    detail_documents,
    detail_steps,
    detail_values,
    province_codes,
)


def _method(unit: str, time: Any, fees: list[dict[str, Any]], method: str = "DIRECT") -> dict[str, Any]:
    return {"submissionMethod": method, "processingTime": time, "processingTimeUnit": unit, "fees": fees}


def _channels(*methods: dict[str, Any], cases: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    data = {"name": "Thủ tục đăng ký khai tử", "executionMethods": list(methods), "cases": cases or []}
    return detail_channels(data, Counter())


def _case(code: str, qty: int, unit: str, name: str = "Thủ tục đăng ký khai tử") -> dict[str, Any]:
    return {"code": code, "name": name, "processingDay": {"qty": qty, "type": unit}}


FREE = {"type": "SERVICE_FEE", "value": 0, "currencyId": "", "description": ""}


def test_time_in_working_days_and_decimal_days() -> None:
    rows = _channels(_method("WORKING_DAY", 7, [FREE]), _method("WORKING_DAY", 17.5, [FREE], "ONLINE"))
    assert [(r["channel"], r["time"], r["days"]) for r in rows] == [
        ("truc_tiep", "7 Ngày làm việc", 7.0),
        ("truc_tuyen", "17,5 Ngày làm việc", 17.5),
    ]


def test_time_other_is_read_from_the_cases() -> None:
    # 1.001193: OTHER 1, one case of 1 working day
    one = _channels(_method("OTHER", 1, [FREE]), cases=[_case("1.001193.01", 1, "WORKING_DAY")])
    assert (one[0]["time"], one[0]["days"]) == ("1 Ngày làm việc", 1.0)
    # 1.000656: three cases with three times: all are shown, none is picked
    several = _channels(
        _method("OTHER", 1, [FREE]),
        cases=[
            _case("1.000656.03", 2, "DAY"),
            _case("1.000656.01", 5, "WORKING_DAY"),
            _case("1.000656.02", 1, "DAY"),
        ],
    )
    assert (several[0]["time"], several[0]["days"]) == ("5 Ngày làm việc; 1 Ngày; 2 Ngày", None)
    named = _channels(
        _method("OTHER", 1, [FREE]),
        cases=[_case("1.009122.01", 15, "DAY", "Cấp giấy phép có thời hạn"), _case("1.009122.02", 10, "DAY")],
    )
    assert named[0]["time"] == "Cấp giấy phép có thời hạn: 15 Ngày; 10 Ngày"
    # 1.115716: OTHER with the time in words and no case
    text = "Không quá 10 ngày làm việc."
    assert _channels(_method("OTHER", text, [FREE]))[0]["time"] == text


def test_fees_are_read_as_the_portals_page_shows_them() -> None:
    rows = _channels(
        _method(
            "WORKING_DAY",
            7,
            [
                {
                    "value": 10000,
                    "currencyName": "Việt Nam Đồng",
                    "description": "thu 10.000 đồng/lần đăng ký.",
                },
                {"value": 8000, "currencyId": "", "description": ""},  # 2.000635: no currency, shown in VNĐ
                {"value": 3, "currencyName": "USD", "description": ""},
                {
                    "value": None,
                    "currencyName": "Việt Nam Đồng",
                    "description": "Hội đồng nhân dân cấp tỉnh quy định.",
                },
                FREE,
            ],
        )
    )
    assert [(r["fee"], r["fee_vnd"]) for r in rows] == [
        ("10.000 đồng (thu 10.000 đồng/lần đăng ký.)", 10000),
        ("8.000 đồng", 8000),
        ("3 USD", None),
        ("Hội đồng nhân dân cấp tỉnh quy định.", None),
        ("Miễn phí", 0),
    ]
    # the description is kept whole for the fee's reader (knowledge/importers/fields.py)
    condition = (
        "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định. Miễn lệ phí cho người thuộc hộ nghèo."
    )
    priced = _channels(_method("WORKING_DAY", 3, [{**FREE, "description": condition}]))
    assert condition in priced[0]["fee"]


def test_equal_rows_once_and_no_fee_is_no_fee() -> None:
    rows = _channels(_method("DAY", 5, [FREE, FREE]), _method("DAY", 5, [], "POSTAL"))
    assert [(r["channel"], r["fee"], r["fee_vnd"]) for r in rows] == [
        ("truc_tiep", "Miễn phí", 0),
        ("buu_chinh", None, None),
    ]


def test_papers_keep_their_heading_counts_and_forms() -> None:
    data = {
        "executionCases": [
            {
                "name": " * Giấy tờ phải xuất trình:",
                "profileComponents": [
                    {
                        "name": "- Giấy chứng sinh;",
                        "originalQty": 1,
                        "copyQty": 0,
                        "hasElectronicForm": False,
                    },
                    {"name": "  ", "originalQty": 1, "copyQty": 0, "hasElectronicForm": False},
                ],
            },
            {
                "name": "",
                "profileComponents": [
                    {
                        "name": "- Đơn đề nghị hỗ trợ (Mẫu 1).",
                        "originalQty": 1,
                        "copyQty": 2,
                        "hasElectronicForm": True,
                        "attachments": [{"fileName": "Mẫu 1..docx"}],
                    }
                ],
            },
        ]
    }
    assert detail_documents(data) == [
        {
            "name": "- Giấy chứng sinh;",
            "quantity": "1 bản chính",
            "form": None,
            "original": 1,
            "copies": 0,
            "e_form": False,
            "group": "* Giấy tờ phải xuất trình:",
        },
        {
            "name": "- Đơn đề nghị hỗ trợ (Mẫu 1).",
            "quantity": "1 bản chính, 2 bản sao",
            "form": "Mẫu 1..docx",
            "original": 1,
            "copies": 2,
            "e_form": True,
            "group": None,
        },
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
    values = detail_values(data, Counter())
    assert values["levels"] == ["bo", "xa"] and values["online_level"] == "mot_phan"
    assert values["executing_agencies"] == ["Ủy ban nhân dân cấp xã", "Công an cấp xã"]
    assert values["implementing_agency"] == "Ủy ban nhân dân cấp xã; Công an cấp xã"
    assert values["type"] == "TTHC được giao luật quy định chi tiết" and values["decision"] == "163/QĐ-BTP"
    assert values["legal_basis"] == [{"title": "Luật Hộ tịch", "number": "60/2014/QH13"}]
    assert values["result"] == "Giấy khai sinh" and values["publisher"] == "Bộ Tư pháp"
    assert values["portal_url"].endswith("/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7")
    assert detail_values({**data, "isFullProcess": True}, Counter())["online_level"] == "toan_trinh"


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
