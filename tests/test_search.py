"""Vietnamese search: what citizens type finds the right procedure, and honest answers otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from index.decision import Answer
from index.model import load_model
from index.service import SearchResult, SearchService
from knowledge.everyday import load_everyday
from knowledge.models import Unit
from tests.factories import procedure_record, search_service, unit

BIRTH = procedure_record(code="1.001193", name="Thủ tục đăng ký khai sinh", field="Hộ tịch")
BIRTH_PROVINCE = procedure_record(
    code="2.001023",
    name="Thủ tục đăng ký khai sinh có yếu tố nước ngoài",
    field="Hộ tịch",
    levels=["tinh"],
)
MARRIAGE = procedure_record(
    code="1.000894", name="Thủ tục đăng ký kết hôn", field="Hộ tịch", result="Giấy chứng nhận kết hôn"
)
SINGLE = procedure_record(
    code="1.004873", name="Thủ tục cấp Giấy xác nhận tình trạng hôn nhân", field="Hộ tịch"
)
RESIDENCE = procedure_record(
    code="1.004222", name="Đăng ký thường trú", field="Đăng ký, quản lý cư trú", result="Thông báo"
)
TEMPORARY = procedure_record(
    code="1.004194", name="Đăng ký tạm trú", field="Đăng ký, quản lý cư trú", result="Thông báo"
)
LAND = procedure_record(
    code="1.013978",
    name="Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất lần đầu đối với hộ gia đình, cá nhân",
    field="Đất đai",
    result="Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
)
COPY = procedure_record(
    code="2.000815", name="Chứng thực bản sao từ bản chính giấy tờ, văn bản", field="Chứng thực"
)
ID_CARD = procedure_record(
    code="1.014064", name="Cấp lại thẻ căn cước", field="Căn cước", result="Thẻ căn cước"
)
ID_CARD_PROVINCE = procedure_record(
    code="2.001194",
    name="Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)",
    field="Căn cước",
    levels=["tinh"],
    result="Thẻ căn cước",
)
ACCIDENT = procedure_record(
    code="1.001632",
    name="Giải quyết hưởng chế độ TNLĐ, BNN đối với trường hợp bị TNLĐ lần đầu",
    field="An toàn, vệ sinh lao động",
    levels=["tinh", "xa"],
)
SHIP = procedure_record(
    code="1.003663",
    name="Cấp giấy chứng nhận xóa đăng ký quốc tịch tàu bay Việt Nam",
    field="Hàng không",
    levels=["bo"],
    documents=[{"name": "Tờ khai xóa đăng ký quốc tịch tàu bay"}],
)
HOUSEHOLD = procedure_record(
    code="1.001612",
    name="Đăng ký thành lập hộ kinh doanh",
    field="Thành lập và hoạt động của hộ kinh doanh",
    keywords=["mở quán bán hàng"],
)
ABOLISHED = procedure_record(
    code="1.000001", name="Đăng ký tạm vắng", field="Đăng ký, quản lý cư trú", status="abolished"
)
RECORDS = [
    BIRTH,
    BIRTH_PROVINCE,
    MARRIAGE,
    SINGLE,
    RESIDENCE,
    TEMPORARY,
    LAND,
    COPY,
    ID_CARD,
    ID_CARD_PROVINCE,
    ACCIDENT,
    SHIP,
    HOUSEHOLD,
    ABOLISHED,
]


@pytest.fixture
def service(session_factory: sessionmaker[Session], tmp_path: Path) -> SearchService:
    """The test catalogue with the bundled everyday names of its procedures."""
    return search_service(session_factory, tmp_path / "index", *RECORDS, everyday=load_everyday())


@pytest.fixture
def deciding(session_factory: sessionmaker[Session], tmp_path: Path) -> SearchService:
    """The test catalogue searched with the bundled model's "không tìm thấy" decision."""
    return search_service(session_factory, tmp_path / "index", *RECORDS, model=load_model())


def codes(result: SearchResult) -> list[str]:
    return [hit.code for hit in result.hits]


def first(service: SearchService, query: str, **kwargs: Any) -> str:
    result = service.search(query, **kwargs)
    assert result.hits, f"no hit for {query!r}"
    return result.hits[0].code


@pytest.mark.parametrize(
    ("query", "record"),
    [
        ("đăng ký kết hôn", MARRIAGE),
        ("dang ky ket hon", MARRIAGE),  # without diacritics
        ("DANG KY KET HON", MARRIAGE),
        ("dăng ký kêt hôn", MARRIAGE),  # wrong diacritics
        ("đăng kí thường chú", RESIDENCE),  # kí → ký, chú → trú
        ("dang ky tam chu cho nguoi thue tro", TEMPORARY),
        ("làm sổ đỏ", LAND),  # everyday words
        ("lam so do lan dau", LAND),
        ("xin giấy xác nhận độc thân", SINGLE),
        ("nhập hộ khẩu cho con", RESIDENCE),
        ("báo mất CCCD", ID_CARD),
        ("công chứng bản sao giấy tờ", COPY),
        ("trợ cấp tai nạn lao động lần đầu", ACCIDENT),  # the catalogue writes TNLĐ
        ("giấy phép kinh doanh hộ", HOUSEHOLD),
        ("mo quan ban hang", HOUSEHOLD),  # a record's own keywords
    ],
)
def test_what_citizens_type_finds_the_procedure(
    service: SearchService, query: str, record: dict[str, Any]
) -> None:
    result = service.search(query)
    assert codes(result)[0] == record["code"]
    assert result.answer is not Answer.NONE
    assert result.query == query


@pytest.mark.parametrize("query", ["thủ tục 2.000815", "2.000815", "cho hỏi mã 2.000815 cần giấy tờ gì"])
def test_a_procedure_code_goes_straight_to_the_procedure(service: SearchService, query: str) -> None:
    result = service.search(query)
    assert codes(result)[0] == COPY["code"]
    assert result.hits[0].score == 1.0
    assert result.answer is not Answer.NONE


def test_filler_phrases_do_not_drive_the_ranking(service: SearchService) -> None:
    plain = service.search("đăng ký kết hôn")
    padded = service.search("cho tôi hỏi thủ tục đăng ký kết hôn làm thế nào, cần giấy tờ gì, ở đâu?")
    assert codes(padded)[:1] == codes(plain)[:1] == [MARRIAGE["code"]]
    assert service.search("thủ tục làm thế nào ở đâu").hits == []


def test_a_long_question_finds_the_procedure(service: SearchService) -> None:
    query = (
        "Cá nhân hay tổ chức muốn cấp giấy chứng nhận xóa đăng ký quốc tịch tàu bay Việt Nam thì phải "
        "chuẩn bị hồ sơ, tài liệu và tiến hành các thủ tục như thế nào?"
    )
    assert first(service, query) == SHIP["code"]


def test_hits_are_ranked_with_scores(service: SearchService) -> None:
    result = service.search("đăng ký khai sinh", top=3)
    assert len(result.hits) <= 3
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert result.hits[0].name == BIRTH["name"]
    assert result.hits[0].field == "Hộ tịch"
    assert all(hit.handled_by_unit is None for hit in result.hits)  # no unit given
    assert service.search("đăng ký khai sinh", top=0).hits == []


def test_no_good_match_is_said_honestly_with_suggestions(deciding: SearchService) -> None:
    nonsense = deciding.search("xyzzy qwerty plugh")
    assert nonsense.answer is Answer.NONE
    assert nonsense.hits == []
    vague = deciding.search("đăng ký kết hụn tàu hỏa bay")  # half a known name, half noise
    assert vague.answer is Answer.NONE
    assert vague.suggestions, "a near miss should come with 'did you mean'"


def test_an_unknown_short_typo_is_offered_as_did_you_mean(deciding: SearchService) -> None:
    """ "hn" is too short to correct and unknown to the catalogue: rather than guess, the bot asks."""
    result = deciding.search("dang ky ket hn")
    assert result.answer is Answer.NONE
    assert MARRIAGE["name"] in result.suggestions


def test_a_typo_is_corrected_in_the_suggestions(deciding: SearchService) -> None:
    result = deciding.search("chứng thựcc xyzw qqqq")
    assert result.answer is Answer.NONE
    assert result.suggestions[0] == "chung thuc xyzw qqqq"


def test_filters_by_level_and_field(service: SearchService) -> None:
    provincial = service.search("khai sinh", level="tinh", top=20)
    assert codes(provincial)[0] == BIRTH_PROVINCE["code"]
    levels = {record["code"]: record["levels"] for record in RECORDS}
    assert all("tinh" in levels[code] for code in codes(provincial))
    assert codes(service.search("khai sinh", level="xa"))[0] == BIRTH["code"]
    by_field = service.search("đăng ký", field="dang ky, quan ly cu tru", top=10)
    assert set(codes(by_field)) == {RESIDENCE["code"], TEMPORARY["code"]}  # accents ignored
    assert service.search("kết hôn", field="Đất đai").hits == []


def test_weak_matches_are_left_out(service: SearchService) -> None:
    # every record lists "Tờ khai đăng ký khai sinh" among its documents; only names should answer
    result = service.search("đăng ký kết hôn", top=20)
    assert MARRIAGE["code"] in codes(result)
    assert SHIP["code"] not in codes(result)


def test_abolished_procedures_are_not_offered(service: SearchService) -> None:
    assert ABOLISHED["code"] not in codes(service.search("đăng ký tạm vắng", top=10))


def test_with_a_commune_its_procedures_and_commune_variants_come_first(
    service: SearchService, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        province = unit(session, "38", kind="province", era="2025", name="Tỉnh Thanh Hóa")
        commune: Unit = unit(session, "16225", kind="commune", parent=province, era="2025")
    without = service.search("cap lai the can cuoc", top=5)
    assert set(codes(without)[:2]) == {ID_CARD["code"], ID_CARD_PROVINCE["code"]}

    result = service.search("cap lai the can cuoc (thuc hien tai cap tinh)", unit=commune, top=5)
    assert codes(result)[0] == ID_CARD["code"]  # the commune's variant beats its provincial twin
    handled = {hit.code: hit.handled_by_unit for hit in result.hits}
    assert handled[ID_CARD["code"]] is True
    assert handled[ID_CARD_PROVINCE["code"]] is False

    province_result = service.search("căn cước", unit=province)
    assert all(hit.handled_by_unit is None for hit in province_result.hits)  # not a commune


@pytest.mark.parametrize("query", ["chung thuc", "thủ tục chứng thực", "Đất đai"])
def test_a_query_that_names_only_a_field_is_broad(service: SearchService, query: str) -> None:
    """A whole field's procedures are offered as choices, not one of them as the answer."""
    result = service.search(query)
    assert result.hits and result.answer is Answer.LIST


@pytest.mark.parametrize("query", ["chứng thực bản sao", "đăng ký kết hôn", "1.001193", "kết hôn hộ tịch"])
def test_a_query_about_one_procedure_is_not_broad(service: SearchService, query: str) -> None:
    assert service.search(query).answer is Answer.CARD


LAND_BAC_NINH = procedure_record(
    code="1.115461",
    name="Xóa ghi nợ tiền sử dụng đất, lệ phí trước bạ trên Giấy chứng nhận đã cấp",
    field="Đất đai",
    levels=["tinh"],
    portal_type="specific",
    province="24",
    publisher="UBND tỉnh Bắc Ninh",
)
LAND_DA_NANG = procedure_record(
    **{**LAND_BAC_NINH, "code": "1.115780", "province": "48", "publisher": "UBND Thành phố Đà Nẵng"}
)
LAND_NATIONAL = procedure_record(
    code="1.013978", name="Đăng ký đất đai lần đầu", field="Đất đai", portal_type="standard"
)


def test_a_provinces_own_procedures_are_offered_to_its_users_only(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    service = search_service(session_factory, tmp_path / "index", LAND_BAC_NINH, LAND_DA_NANG, LAND_NATIONAL)
    with session_factory.begin() as session:
        bac_ninh = unit(session, "24", kind="province", era="2025", name="Tỉnh Bắc Ninh")
        commune: Unit = unit(session, "07420", kind="commune", parent=bac_ninh, era="2025")
        da_nang = unit(session, "48", kind="city", era="2025", name="Thành phố Đà Nẵng")
    query = "xóa ghi nợ tiền sử dụng đất"
    assert codes(service.search(query, unit=commune)) == [LAND_BAC_NINH["code"]]
    assert codes(service.search(query, unit=bac_ninh)) == [LAND_BAC_NINH["code"]]
    assert codes(service.search(query, unit=da_nang)) == [LAND_DA_NANG["code"]]
    # no province known: no province's own procedure, not even as "did you mean"
    nowhere = service.search(query)
    assert not {LAND_BAC_NINH["code"], LAND_DA_NANG["code"]} & set(codes(nowhere))
    assert (
        LAND_BAC_NINH["name"] not in service.search("xoa ghi no tien su dung dat le phi truoc ba").suggestions
    )
    assert codes(service.search("đăng ký đất đai lần đầu")) == [LAND_NATIONAL["code"]]
    # a code typed in full is answered: the user asked for that very procedure
    assert codes(service.search("1.115780", unit=commune)) == [LAND_DA_NANG["code"]]
