"""Whom a request is for ("… cho con", "… cho mẹ") does not pull up procedures named with kinship words."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from index.service import SearchService
from index.vocabulary import load_vocabulary
from tests.factories import procedure_record, search_service

BIRTH = procedure_record(code="9.200001", name="Thủ tục đăng ký khai sinh")
BIRTH_AND_PARENTS = procedure_record(
    code="9.200002", name="Thủ tục đăng ký khai sinh kết hợp đăng ký nhận cha, mẹ, con"
)
PARENTS = procedure_record(code="9.200003", name="Thủ tục đăng ký nhận cha, mẹ, con")
RESIDENCE = procedure_record(code="9.200004", name="Đăng ký thường trú", result="Thông báo")
MOTHER_AND_CHILD = procedure_record(
    code="9.200005", name="Đăng ký thường trú cho người chưa thành niên sống cùng cha, mẹ"
)
ID_CARD = procedure_record(code="9.200006", name="Cấp thẻ căn cước cho người dưới 14 tuổi")
LEASE = procedure_record(code="9.200007", name="Cho thuê nhà ở công vụ")
GIFT = procedure_record(
    code="9.200008", name="Đăng ký biến động do tặng cho quyền sử dụng đất", result="Giấy chứng nhận"
)
RECORDS = [BIRTH, BIRTH_AND_PARENTS, PARENTS, RESIDENCE, MOTHER_AND_CHILD, ID_CARD, LEASE, GIFT]


@pytest.fixture
def service(session_factory: sessionmaker[Session], tmp_path: Path) -> SearchService:
    return search_service(session_factory, tmp_path / "index", *RECORDS, vocabulary=load_vocabulary())


@pytest.mark.parametrize(
    ("query", "plain", "record"),
    [
        ("làm giấy khai sinh cho con", "làm giấy khai sinh", BIRTH),
        ("đăng ký khai sinh cho bé nhà mình ạ", "đăng ký khai sinh", BIRTH),
        ("đăng ký thường trú cho mẹ tôi", "đăng ký thường trú", RESIDENCE),
        ("xin cấp căn cước cho bé", "xin cấp căn cước", ID_CARD),
    ],
)
def test_a_beneficiary_does_not_change_the_answer(
    service: SearchService, query: str, plain: str, record: dict[str, object]
) -> None:
    asked = service.search(query)
    assert asked.hits[0].code == record["code"]
    assert [hit.code for hit in asked.hits] == [hit.code for hit in service.search(plain).hits]


@pytest.mark.parametrize(
    ("query", "record"),
    [
        ("nhận cha mẹ con", PARENTS),
        ("đăng ký nhận con", PARENTS),
        ("khai sinh kết hợp nhận cha mẹ con", BIRTH_AND_PARENTS),
        ("cho thuê nhà công vụ", LEASE),
        ("tặng cho đất cho con", GIFT),
    ],
)
def test_kinship_words_that_are_the_request_still_count(
    service: SearchService, query: str, record: dict[str, object]
) -> None:
    assert service.search(query).hits[0].code == record["code"]
