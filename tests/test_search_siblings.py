"""Re-ranking among sibling procedures: follow-up actions, phrases in order, what a name opens with."""

from __future__ import annotations

from typing import Any

import pytest

from index.analysis import chunks, pairs
from index.entries import Candidate, Entry, core_name_syllables, follow_up
from index.ranking import rank
from index.vocabulary import Vocabulary
from tests.factories import plan_of


def entry(name: str, code: str, **stored: Any) -> Entry:
    return Entry.from_stored({"code": code, "name": name, "field": "Thú y", "levels": "bo", **stored})


ISSUE = entry("Cấp Giấy chứng nhận lưu hành thuốc thú y", "1")
REISSUE = entry("Cấp lại Giấy chứng nhận lưu hành thuốc thú y", "2")
RENEWAL = entry("Gia hạn giấy chứng nhận lưu hành thuốc thú y", "3")
WITHDRAWAL = entry("Thủ tục thu hồi Giấy chứng nhận lưu hành thuốc thú y", "4")
SIBLINGS = [REISSUE, RENEWAL, WITHDRAWAL, ISSUE]
PLAIN = Vocabulary(replace={}, expand={}, abbreviations={}, fillers=["thủ tục", "là", "bao lâu", "của"])


def ranked(query: str, entries: list[Entry], bm25: list[float] | None = None) -> list[str]:
    """Codes in ranked order for a query, each entry with the same BM25 score unless given."""
    rewrite = PLAIN.rewrite(query)
    runs = [chunk for phrase in rewrite.phrases for chunk in chunks(phrase)]
    content = [s for run in runs for s in run]
    phrases = tuple(pair for run in runs for pair in pairs(run))
    scores = bm25 or [1.0] * len(entries)
    candidates = [Candidate(e, score) for e, score in zip(entries, scores, strict=True)]
    return [c.entry.code for c in rank(candidates, plan_of(content, phrases=phrases), None)]


def test_follow_up_actions_are_read_from_the_head_of_a_name() -> None:
    assert follow_up(["cap", "lai", "the"]) == ("cap", "lai")
    assert follow_up(["thu", "tuc", "thu", "hoi", "giay"]) == ("thu", "hoi")
    assert follow_up(["cap", "gia", "han", "giay"]) == ("cap", "gia", "han")
    assert follow_up(["cap", "giay", "phep"]) is None
    assert follow_up(["dang", "ky", "khai", "sinh"]) is None
    assert follow_up([]) is None


def test_a_question_about_the_thing_itself_finds_the_first_issue() -> None:
    assert ranked("giấy chứng nhận lưu hành thuốc thú y", SIBLINGS)[0] == "1"
    # "thời hạn" shares "hạn" with "gia hạn", but asks for no renewal
    assert ranked("thời hạn của giấy chứng nhận lưu hành thuốc thú y là bao lâu", SIBLINGS)[0] == "1"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("cấp lại giấy chứng nhận lưu hành thuốc thú y", "2"),
        ("làm lại giấy chứng nhận lưu hành thuốc thú y bị mất", "2"),
        ("gia hạn giấy chứng nhận lưu hành thuốc thú y", "3"),
        ("thu hồi giấy chứng nhận lưu hành thuốc thú y", "4"),
    ],
)
def test_a_follow_up_the_query_asks_for_wins(query: str, code: str) -> None:
    assert ranked(query, SIBLINGS)[0] == code


def test_words_in_the_order_asked_beat_the_same_words_scattered() -> None:
    in_order = entry("Cấp giấy chứng nhận lưu hành tự do", "5")
    scattered = entry("Cấp giấy lưu hành có chứng nhận", "6")  # shorter, but not the phrase asked for
    assert ranked("chứng nhận lưu hành", [scattered, in_order]) == ["5", "6"]


def test_a_name_that_opens_with_the_action_asked_for_comes_first() -> None:
    first = entry("Đăng ký khai sinh", "7")
    combined = entry("Đăng ký nhận cha, mẹ, con kết hợp đăng ký khai sinh", "8")
    assert ranked("đăng ký khai sinh", [combined, first]) == ["7", "8"]


def test_returning_or_locking_a_paper_is_a_follow_up() -> None:
    permit = entry("Cấp giấy phép thăm dò nước dưới đất", "1")
    returned = entry("Trả lại giấy phép thăm dò nước dưới đất", "2")
    card = entry("Cấp thẻ căn cước", "3")
    locked = entry("Khóa căn cước điện tử", "4")
    assert ranked("thời hạn của giấy phép thăm dò nước dưới đất", [returned, permit])[0] == "1"
    assert ranked("trả lại giấy phép thăm dò nước dưới đất", [permit, returned])[0] == "2"
    assert ranked("làm căn cước", [locked, card])[0] == "3"
    assert ranked("khóa căn cước", [card, locked])[0] == "4"


def test_qualifiers_do_not_make_a_name_less_precise() -> None:
    # the general procedure, whose name goes on with the works it covers, against a narrow one
    general = entry(
        "Gia hạn giấy phép xây dựng đối với công trình cấp III, cấp IV (công trình không theo tuyến/"
        "theo tuyến trong đô thị/tín ngưỡng, tôn giáo/dự án) và nhà ở riêng lẻ",
        "1",
    )
    narrow = entry("Gia hạn giấy phép xây dựng, cải tạo, nâng cấp đường ngang", "2")
    assert ranked("gia hạn giấy phép xây dựng", [narrow, general])[0] == "1"
    # a query that asks for the narrow one still finds it
    assert ranked("gia hạn giấy phép xây dựng đường ngang", [general, narrow])[0] == "2"


def test_level_notes_and_scopes_are_not_part_of_the_core_name() -> None:
    assert "tinh" not in entry("Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)", "1").core_syllables
    scoped = entry("Gia hạn giấy phép xây dựng đối với công trình cấp III, cấp IV", "2")
    assert scoped.core_syllables == {"gia", "han", "giay", "phep", "xay", "dung"}
    # a name that opens with the scope keeps its words
    opening = entry("Thủ tục đối với hàng hóa xuất khẩu có giá trị dưới năm triệu", "3")
    assert opening.cores()[0] == opening.name_syllables


def test_a_special_case_variant_needs_a_query_that_asks_for_its_case() -> None:
    plain = entry("Thủ tục đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá nhân", "1")
    foreign = entry(
        "Thủ tục đăng ký khai sinh có yếu tố nước ngoài cho người đã có hồ sơ, giấy tờ cá nhân", "2"
    )
    mobile = entry("Thủ tục đăng ký khai sinh lưu động", "3")
    # "có" of the question is also a word of the foreign variant's name, and its name is no less
    # precise for it: only its case tells the two apart
    question = "tôi có đủ hồ sơ, giấy tờ cá nhân, muốn đăng ký khai sinh"
    assert ranked(question, [foreign, plain])[0] == "1"
    assert ranked("đăng ký khai sinh có yếu tố nước ngoài cho người đã có hồ sơ", [plain, foreign])[0] == "2"
    assert ranked("đăng ký khai sinh", [mobile, entry("Thủ tục đăng ký khai sinh", "4")])[0] == "4"
    assert ranked("đăng ký khai sinh lưu động", [entry("Thủ tục đăng ký khai sinh", "4"), mobile])[0] == "3"


def test_special_cases_are_read_anywhere_in_a_name() -> None:
    assert entry("Thủ tục đăng ký kết hôn có yếu tố nước ngoài tại khu vực biên giới", "1").cases == (
        ("yeu", "to", "nuoc", "ngoai"),
        ("khu", "vuc", "bien", "gioi"),
    )
    assert entry("Cấp giấy phép thành lập công ty luật nước ngoài", "2").cases == ()
    assert entry("Thủ tục đăng ký khai tử lưu động", "3").cases == (("luu", "dong"),)


def test_a_variant_for_children_needs_a_query_about_a_child() -> None:
    adult = entry("Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên", "1")
    child = entry("Cấp thẻ căn cước cho người dưới 14 tuổi", "2")  # the shorter name
    assert ranked("làm căn cước lần đầu", [child, adult])[0] == "1"
    assert ranked("làm căn cước cho con 10 tuổi", [adult, child])[0] == "2"
    # a child named only in the beneficiary phrase the query left out of its content
    content = ["cap", "can", "cuoc"]
    candidates = [Candidate(adult, 1.0), Candidate(child, 1.0)]
    assert rank(candidates, plan_of(content, whom=frozenset({"cho", "be"})), None)[0].entry.code == "2"


def test_words_no_query_keeps_do_not_make_a_name_less_precise() -> None:
    unasked = PLAIN.filler_words | {"mới"}
    first = Entry.from_stored({"code": "1", "name": "Cấp mới thẻ ABTC", "levels": "bo"}, unasked)
    again = Entry.from_stored({"code": "2", "name": "Cấp lại thẻ ABTC", "levels": "bo"}, unasked)
    assert first.core_syllables == {"cap", "the", "abtc"}
    # the shorter BM25 document, a follow-up: only the filler "mới" made the first issue look less precise
    assert ranked("lệ phí cấp thẻ ABTC là bao nhiêu", [again, first], [1.0, 0.6])[0] == "1"
    assert core_name_syllables("Bổ nhiệm và cấp thẻ giám định viên", frozenset({"và"})) == {
        "bo",
        "nhiem",
        "cap",
        "the",
        "giam",
        "dinh",
        "vien",
    }
