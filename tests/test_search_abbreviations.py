"""Abbreviations in the catalogue's own names: the words people type find them, and the other way round."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from index.decision import Answer
from index.service import SearchService
from index.vocabulary import Vocabulary
from tests.factories import procedure_record, search_service

VOCABULARY = Vocabulary(
    replace={},
    expand={},
    abbreviations={"tnlđ": "tai nạn lao động", "bnn": "bệnh nghề nghiệp", "bhyt": "bảo hiểm y tế"},
    fillers=["thủ tục", "cho"],
)
FIRST_ACCIDENT = procedure_record(
    code="9.100001", name="Giải quyết hưởng chế độ TNLĐ, BNN đối với trường hợp bị TNLĐ lần đầu"
)
# shares "trợ cấp", "tai nạn" and "lao động" with the queries below, written in full
RESCUE_FORCE = procedure_record(
    code="9.100002",
    name="Trợ cấp tai nạn (suy giảm khả năng lao động từ 5% trở lên) cho lực lượng xung kích cấp xã",
)
RELAPSE = procedure_record(
    code="9.100004", name="Giải quyết hưởng chế độ TNLĐ, BNN do thương tật, bệnh tật tái phát"
)
HEALTH_CARD = procedure_record(code="9.100003", name="Cấp lại thẻ bảo hiểm y tế do bị mất")
FIRST_LICENCE = procedure_record(code="9.100005", name="Cấp giấy phép lao động lần đầu")
RECORDS = [FIRST_ACCIDENT, RESCUE_FORCE, RELAPSE, HEALTH_CARD, FIRST_LICENCE]


@pytest.fixture
def service(session_factory: sessionmaker[Session], tmp_path: Path) -> SearchService:
    return search_service(session_factory, tmp_path / "index", *RECORDS, vocabulary=VOCABULARY)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("trợ cấp tai nạn lao động lần đầu", FIRST_ACCIDENT["code"]),
        ("tai nan lao dong lan dau", FIRST_ACCIDENT["code"]),
        ("bệnh nghề nghiệp tái phát", RELAPSE["code"]),
        ("TNLĐ lần đầu", FIRST_ACCIDENT["code"]),
        ("cấp lại thẻ BHYT bị mất", HEALTH_CARD["code"]),  # the name is in full, the query abbreviates
    ],
)
def test_abbreviated_and_full_words_find_each_other(service: SearchService, query: str, code: str) -> None:
    result = service.search(query)
    assert result.hits[0].code == code
    assert result.answer is not Answer.NONE


def test_hits_show_the_name_as_the_catalogue_writes_it(service: SearchService) -> None:
    hit = service.search("tai nạn lao động lần đầu").hits[0]
    assert hit.name == FIRST_ACCIDENT["name"]
