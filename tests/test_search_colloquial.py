"""Everyday words that decide between procedures named alike: each query has a rival its literal words
favour ("mất cavet" is not about a new owner, "nhận con nuôi" is not "nhận cha, mẹ, con")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from index.service import SearchService
from knowledge.everyday import load_everyday
from tests.factories import procedure_record, search_service

VEHICLE = "Đăng ký, quản lý phương tiện giao thông cơ giới, xe máy chuyên dùng"
TAX = "Thuế"


def record(code: str, name: str, field: str, result: str = "Văn bản trả lời") -> dict[str, Any]:
    return procedure_record(code=code, name=name, field=field, result=result, documents=[])


LOST_PAPERS = record("1.013080", "Cấp lại chứng nhận đăng ký xe, biển số xe", VEHICLE)
NEW_OWNER = record(
    "1.013076",
    "Cấp chứng nhận đăng ký xe, biển số xe trong trường hợp thay đổi chủ xe (đăng ký sang tên xe)",
    VEHICLE,
)
ADOPTION = record("2.001263", "Đăng ký việc nuôi con nuôi trong nước", "Nuôi con nuôi")
PARENTAGE = record("1.001022", "Thủ tục đăng ký nhận cha, mẹ, con", "Hộ tịch")
CORRECTION = record(
    "1.004859", "Thủ tục thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc", "Hộ tịch"
)
BIRTH_COPY = record("2.000635", "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh", "Hộ tịch")
SHOP_CLOSED = record(
    "1.001266", "Chấm dứt hoạt động hộ kinh doanh", "Thành lập và hoạt động doanh nghiệp (hộ kinh doanh)"
)
SHOP_OPENED = record(
    "1.001612", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động doanh nghiệp (hộ kinh doanh)"
)
SHOP_UPDATE = record(
    "1.014034",
    "Đăng ký cập nhật, bổ sung thông tin trong hồ sơ đăng ký hộ kinh doanh",
    "Thành lập và hoạt động doanh nghiệp (hộ kinh doanh)",
)
SHOP_TAX = record("1.011022", "Khai thuế đối với hộ kinh doanh, cá nhân kinh doanh", TAX)
SHOP_REFUND = record("1.014979", "Hoàn nộp thừa các loại thuế đối với hộ kinh doanh, cá nhân kinh doanh", TAX)
OWN_SETTLEMENT = record(
    "2.002233",
    "Khai quyết toán thuế đối với cá nhân cư trú có thu nhập từ tiền lương, tiền công quyết toán thuế "
    "trực tiếp với cơ quan thuế",
    TAX,
)
EMPLOYER_SETTLEMENT = record(
    "1.008309",
    "Khai quyết toán thuế thu nhập cá nhân đối với tổ chức, cá nhân trả thu nhập từ tiền lương, tiền công",
    TAX,
)
HOUSE_SALE_TAX = record(
    "1.007674", "Khai thuế TNCN đối với cá nhân có thu nhập từ chuyển nhượng bất động sản", TAX
)
OLD_HOUSE_SALE = record("1.012893", "Bán nhà ở cũ thuộc tài sản công", "Nhà ở và công sở")
INHERITANCE_REFUSAL = record("2.001016", "Chứng thực văn bản từ chối nhận di sản", "Chứng thực")
INHERITANCE_TAX = record(
    "1.008538", "Khai thuế thu nhập cá nhân đối với cá nhân có thu nhập từ nhận thừa kế, quà tặng", TAX
)
HOUSE_REPAIR = record(
    "1.013229",
    "Cấp giấy phép xây dựng sửa chữa, cải tạo đối với công trình cấp III, cấp IV và nhà ở riêng lẻ",
    "Hoạt động xây dựng",
)
TOOL_REPAIR = record(
    "1.013437", "Cấp Giấy phép sửa chữa công cụ hỗ trợ", "Quản lý vũ khí, vật liệu nổ, công cụ hỗ trợ và pháo"
)
SERVICE_MOVED = record(
    "1.013134",
    "Thủ tục đăng ký nghĩa vụ quân sự chuyển đi khi thay đổi nơi cư trú hoặc nơi làm việc, học tập",
    "Nghĩa vụ quân sự",
)
SERVICE_ABSENT = record("1.013138", "Thủ tục đăng ký nghĩa vụ quân sự tạm vắng", "Nghĩa vụ quân sự")
SERVICE_FIRST = record("1.013133", "Thủ tục đăng ký nghĩa vụ quân sự lần đầu", "Nghĩa vụ quân sự")

RECORDS = [
    LOST_PAPERS,
    NEW_OWNER,
    ADOPTION,
    PARENTAGE,
    CORRECTION,
    BIRTH_COPY,
    SHOP_CLOSED,
    SHOP_OPENED,
    SHOP_UPDATE,
    SHOP_TAX,
    SHOP_REFUND,
    OWN_SETTLEMENT,
    EMPLOYER_SETTLEMENT,
    HOUSE_SALE_TAX,
    OLD_HOUSE_SALE,
    INHERITANCE_REFUSAL,
    INHERITANCE_TAX,
    HOUSE_REPAIR,
    TOOL_REPAIR,
    SERVICE_MOVED,
    SERVICE_ABSENT,
    SERVICE_FIRST,
]


@pytest.fixture
def service(session_factory: sessionmaker[Session], tmp_path: Path) -> SearchService:
    """The records searched with the bundled everyday names (knowledge/data/everyday.json)."""
    return search_service(session_factory, tmp_path / "index", *RECORDS, everyday=load_everyday())


@pytest.mark.parametrize(
    ("query", "wanted", "rival"),
    [
        ("mat cavet xe may", LOST_PAPERS, NEW_OWNER),
        ("nhận con nuôi trong nước", ADOPTION, PARENTAGE),
        ("sửa năm sinh trong giấy khai sinh", CORRECTION, BIRTH_COPY),
        ("đóng cửa hộ kinh doanh", SHOP_CLOSED, SHOP_OPENED),
        ("nghỉ kinh doanh hộ cá thể", SHOP_CLOSED, SHOP_OPENED),
        ("đăng ký hộ kinh doanh quán ăn", SHOP_OPENED, SHOP_UPDATE),
        ("mở quán cà phê", SHOP_OPENED, SHOP_UPDATE),
        ("nộp thuế khoán", SHOP_TAX, SHOP_REFUND),
        ("tự quyết toán thuế thu nhập cá nhân tiền lương", OWN_SETTLEMENT, EMPLOYER_SETTLEMENT),
        ("đóng thuế khi bán nhà", HOUSE_SALE_TAX, OLD_HOUSE_SALE),
        ("từ chối nhận thừa kế", INHERITANCE_REFUSAL, INHERITANCE_TAX),
        ("xin giay phep sua nha", HOUSE_REPAIR, TOOL_REPAIR),
        ("chuyển đăng ký nghĩa vụ quân sự khi đổi chỗ ở", SERVICE_MOVED, SERVICE_ABSENT),
    ],
)
def test_an_everyday_word_decides_between_procedures_named_alike(
    service: SearchService, query: str, wanted: dict[str, Any], rival: dict[str, Any]
) -> None:
    ranked = [hit.code for hit in service.search(query, top=10).hits]
    assert ranked[0] == wanted["code"], ranked
    # the rival is a real contender: its own name finds it
    assert service.search(rival["name"], top=1).hits[0].code == rival["code"]
