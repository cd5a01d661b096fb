"""Level twins (with no commune known) and audience twins: the variant a query most likely means
comes first."""

from __future__ import annotations

import pytest

from index.analysis import chunks, pairs
from index.entries import Candidate, Entry
from index.levels import ORGANISATION, PERSON, audience_of, core_name, prefer_audience, preferred_levels
from index.ranking import rank
from tests.factories import plan_of

COMMUNE = Entry.from_stored(
    {"code": "1", "name": "Cấp lại thẻ căn cước (thực hiện tại cấp xã)", "levels": "xa"}
)
PROVINCE = Entry.from_stored(
    {"code": "2", "name": "Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)", "levels": "tinh"}
)
MINISTRY = Entry.from_stored(
    {"code": "3", "name": "Cấp lại thẻ căn cước (thực hiện tại cấp trung ương)", "levels": "bo"}
)
OTHER = Entry.from_stored({"code": "4", "name": "Khóa thẻ căn cước điện tử", "levels": "bo"})


def ranked(query: str, entries: list[Entry], handled: frozenset[str] | None = None) -> list[str]:
    runs = chunks(query)
    content = [s for run in runs for s in run]
    phrases = tuple(pair for run in runs for pair in pairs(run))
    candidates = [Candidate(entry, 1.0) for entry in entries]
    return [c.entry.code for c in rank(candidates, plan_of(content, phrases=phrases), handled)]


def test_the_level_notes_are_set_aside() -> None:
    assert core_name(PROVINCE.name) == core_name(MINISTRY.name) == "cap lai the can cuoc"
    assert core_name("Cấp lại thẻ căn cước") == "cap lai the can cuoc"


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("cấp lại thẻ căn cước", ["2", "1", "3"]),  # a person: province, then commune
        ("công ty xin cấp lại thẻ căn cước", ["2", "3", "1"]),  # an organisation: rarely the commune
        ("cấp lại thẻ căn cước ở cấp xã", ["1", "2", "3"]),  # a level named outright
        ("cấp lại thẻ căn cước cấp trung ương", ["3", "2", "1"]),
    ],
)
def test_twins_are_ordered_by_the_level_the_query_means(query: str, order: list[str]) -> None:
    assert ranked(query, [MINISTRY, COMMUNE, PROVINCE])[:3] == order


def test_a_known_commune_puts_the_twin_it_handles_first() -> None:
    assert ranked("cấp lại thẻ căn cước", [MINISTRY, COMMUNE, PROVINCE], frozenset({"1"}))[0] == "1"
    assert ranked("cấp lại thẻ căn cước", [MINISTRY, COMMUNE, PROVINCE], frozenset({"2"}))[0] == "2"


def test_a_commune_never_lifts_a_procedure_that_answers_another_question() -> None:
    """Only twins are reordered: what the commune handles stays below a better answer."""
    assert ranked("khóa thẻ căn cước điện tử", [OTHER, COMMUNE, PROVINCE], frozenset({"1"}))[0] == "4"


def test_procedures_that_are_not_twins_keep_their_order() -> None:
    assert ranked("khóa thẻ căn cước điện tử", [OTHER, COMMUNE, PROVINCE])[0] == "4"


def test_named_levels_come_before_the_audience_order() -> None:
    assert preferred_levels(frozenset({"doanh_nghiep", "cap_xa"})) == ("xa", "tinh", "bo")
    assert preferred_levels(frozenset()) == ("tinh", "xa", "bo")


def test_names_merely_alike_are_not_twins() -> None:
    # two procedures, one per age group, each with its level twins: a level order must not mix them
    under, over = (
        "Cấp thẻ căn cước cho người dưới 14 tuổi",
        "Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên",
    )
    entries = [
        Entry.from_stored({"code": "5", "name": under, "levels": "xa"}),
        Entry.from_stored({"code": "6", "name": f"{under} (thực hiện tại cấp tỉnh)", "levels": "tinh"}),
        Entry.from_stored({"code": "7", "name": over, "levels": "xa"}),
        Entry.from_stored({"code": "8", "name": f"{over} (thực hiện tại cấp tỉnh)", "levels": "tinh"}),
    ]
    assert ranked("cấp thẻ căn cước cho người dưới 14 tuổi", entries)[:2] == ["6", "5"]


LAND_NAME = "Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất lần đầu đối với "
FOR_ORGANISATIONS = Entry.from_stored(
    {"code": "5", "name": LAND_NAME + "tổ chức", "levels": "tinh", "audience": "organisation"}
)
FOR_PEOPLE = Entry.from_stored(
    {
        "code": "6",
        "name": LAND_NAME + "hộ gia đình, cá nhân, cộng đồng dân cư",
        "levels": "tinh",
        "audience": "person",
    }
)


def ranked_by_bm25(query: str, scored: list[tuple[Entry, float]]) -> list[str]:
    runs = chunks(query)
    content = [s for run in runs for s in run]
    phrases = tuple(pair for run in runs for pair in pairs(run))
    candidates = [Candidate(entry, bm25) for entry, bm25 in scored]
    return [c.entry.code for c in rank(candidates, plan_of(content, phrases=phrases), None)]


def test_audiences_are_read_from_the_catalogue_labels() -> None:
    assert audience_of(["Công dân Việt Nam", "Người nước ngoài"]) == {PERSON}
    assert audience_of(["Tổ chức (không bao gồm doanh nghiệp, HTX)", "Doanh nghiệp", "Hợp tác xã"]) == {
        ORGANISATION
    }
    assert audience_of(["Cán bộ, công chức, viên chức", "Doanh nghiệp có vốn đầu tư nước ngoài"]) == {
        PERSON,
        ORGANISATION,
    }
    assert audience_of([]) == frozenset()


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("cấp giấy chứng nhận quyền sử dụng đất lần đầu", "6"),  # nobody named: a person asks
        ("doanh nghiệp xin cấp giấy chứng nhận quyền sử dụng đất lần đầu", "5"),
    ],
)
def test_audience_twins_are_ordered_by_whom_the_query_is_about(query: str, first: str) -> None:
    # The organisations' shorter name scores higher in BM25, as in the real catalogue.
    assert ranked_by_bm25(query, [(FOR_ORGANISATIONS, 1.0), (FOR_PEOPLE, 0.85)])[0] == first


def test_a_query_naming_an_organisation_puts_the_organisations_variant_first() -> None:
    query = "cấp giấy chứng nhận quyền sử dụng đất lần đầu cho tổ chức"
    assert ranked_by_bm25(query, [(FOR_PEOPLE, 1.0), (FOR_ORGANISATIONS, 0.85)])[0] == "5"


def test_a_clear_lead_is_not_reordered_by_audience() -> None:
    lead = [Candidate(FOR_ORGANISATIONS, 1.0, score=1.0), Candidate(FOR_PEOPLE, 1.0, score=0.5)]
    close = [Candidate(FOR_ORGANISATIONS, 1.0, score=1.0), Candidate(FOR_PEOPLE, 1.0, score=0.95)]
    assert [c.entry.code for c in prefer_audience(lead, frozenset())] == ["5", "6"]
    assert [c.entry.code for c in prefer_audience(close, frozenset())] == ["6", "5"]
