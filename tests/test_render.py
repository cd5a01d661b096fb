from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.keyboards import MAX_CALLBACK_BYTES, Action, callback, parse_callback
from bot.render import (
    MESSAGE_LIMIT,
    CardFacts,
    Doc,
    Office,
    b,
    documents_doc,
    fill,
    html_chunks,
    link,
    procedure_card,
    telegram_length,
    to_html,
    to_plain,
)
from knowledge.catalogue import ProcedureRecord
from knowledge.models import Procedure
from tests.factories import procedure_record

HOSTILE = '<script>alert("x")</script> & <b>not bold</b> <a href="javascript:evil()">x</a>'
ALLOWED_TAGS = {"b", "i", "code", "a"}


def procedure(**overrides: object) -> Procedure:
    record = ProcedureRecord.model_validate(procedure_record(**overrides))
    values = record.model_dump(mode="json")
    values["source_date"] = record.source_date
    return Procedure(**values)


class TagChecker(HTMLParser):
    """Collects the tags of Telegram-style HTML and fails on anything unbalanced or not allowed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.seen: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, tag
        self.open.append(tag)
        self.seen.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text += data


def check_html(html: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(html)
    checker.close()
    assert checker.open == []
    return checker


def test_hostile_text_is_escaped_everywhere_it_can_enter_a_card() -> None:
    hostile = procedure(
        name=HOSTILE,
        field=HOSTILE,
        result=HOSTILE,
        documents=[{"name": HOSTILE, "quantity": HOSTILE, "form": HOSTILE}],
        channels=[{"channel": "truc_tiep", "time": HOSTILE, "fee": HOSTILE, "note": HOSTILE}],
        receiving_address=HOSTILE,
    )
    office = Office(HOSTILE, HOSTILE, HOSTILE, HOSTILE)
    url = 'https://dichvucong.gov.vn/thu-tuc-hanh-chinh/x?a=1&b="2"'
    facts = CardFacts(hostile, url, HOSTILE, True, office=office)
    html = to_html(procedure_card(facts))
    checker = check_html(html)
    assert HOSTILE in checker.text  # shown to the user verbatim, as text
    assert "<script>" not in html
    hrefs = [attrs["href"] for tag, attrs in checker.seen if tag == "a"]
    assert hrefs and all(href and href.startswith("https://dichvucong.gov.vn/") for href in hrefs)


def test_unsafe_link_is_shown_as_text_not_as_a_link() -> None:
    doc = Doc().add(link("bấm vào đây", "javascript:alert(1)"))
    assert to_html(doc) == "bấm vào đây"
    assert to_plain(doc) == "bấm vào đây"


def test_plain_text_shows_links() -> None:
    doc = Doc().add("Xem trên ", link("Cổng DVC", "https://dichvucong.gov.vn/a"), " nhé")
    assert to_plain(doc) == "Xem trên Cổng DVC: https://dichvucong.gov.vn/a nhé"
    assert to_html(doc) == 'Xem trên <a href="https://dichvucong.gov.vn/a">Cổng DVC</a> nhé'


def test_fill_styles_values_and_escapes_them() -> None:
    doc = Doc().add(fill("Đã chọn {unit}.", unit=b("Xã <A & B>")))
    assert to_html(doc) == "Đã chọn <b>Xã &lt;A &amp; B&gt;</b>."


def test_card_says_who_handles_it_and_where_to_submit() -> None:
    card = procedure(code="1.001193", name="Đăng ký khai sinh")
    office = Office("Bộ phận Một cửa UBND xã Cát Vân", "Thôn 1", "7h30–17h", "0237 000 000")
    url = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/u"
    facts = CardFacts(card, url, "Xã Cát Vân", True, office=office)
    text = to_plain(procedure_card(facts))
    assert "Đăng ký khai sinh" in text and "1.001193" in text
    assert "Xã Cát Vân giải quyết" in text
    assert "Thôn 1" in text and "7h30–17h" in text and "0237 000 000" in text
    assert "Tờ khai đăng ký khai sinh" in text
    assert "Nộp trực tiếp / trực tuyến: 1 Ngày làm việc; lệ phí: Miễn phí" in text
    assert "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/u" in text


def test_card_for_a_procedure_handled_elsewhere_names_level_and_agency() -> None:
    card = procedure(levels=["tinh"])
    url = "https://dichvucong.gov.vn/x"
    facts = CardFacts(card, url, "Xã Cát Vân", False, level="tinh", agency="Sở Tư pháp")
    text = to_plain(procedure_card(facts))
    assert "Xã Cát Vân không giải quyết" in text
    assert "cấp tỉnh" in text and "Sở Tư pháp" in text
    assert "Bộ phận Một cửa" not in text


def test_card_never_invents_an_office() -> None:
    card = procedure(channels=[{"channel": "truc_tiep", "time": "3 ngày"}])
    text = to_plain(procedure_card(CardFacts(card, "https://dichvucong.gov.vn/x", "Xã A", True)))
    assert "Địa chỉ" not in text and "Điện thoại" not in text and "Nơi nộp" not in text


def test_long_card_is_split_under_the_limit_between_lines() -> None:
    documents = [{"name": f"Giấy tờ số {n} " + "rất dài " * 30, "quantity": "1 bản"} for n in range(200)]
    card = procedure(documents=documents)
    chunks = html_chunks(documents_doc(card))
    assert len(chunks) > 1
    for chunk in chunks:
        assert 0 < telegram_length(check_html(chunk).text) <= MESSAGE_LIMIT
    joined = "\n".join(chunks)
    assert all(f"Giấy tờ số {n} " in joined for n in range(200))


def test_a_single_huge_line_is_split_inside_without_breaking_tags() -> None:
    doc = Doc().add(b("đ&<" * 3000), " ", link("liên kết " * 800, "https://example.org/"))
    chunks = html_chunks(doc, limit=1000)
    assert all(telegram_length(check_html(chunk).text) <= 1000 for chunk in chunks)
    text = "".join(check_html(chunk).text for chunk in chunks)
    assert text.replace(" ", "") == ("đ&<" * 3000 + "liên kết " * 800).replace(" ", "")


def test_emoji_count_twice_towards_the_limit() -> None:
    chunks = html_chunks(Doc().add("📄" * 3000), limit=MESSAGE_LIMIT)
    assert [telegram_length(chunk) for chunk in chunks] == [4096, 1904]


@given(st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=40), st.integers(60, 600))
@example(["00000" + "𐀀" * 21 + "𝒀𝒗𝒘𝒙 "], 62)  # a space just past the longest prefix that fits
def test_chunks_always_fit_and_lose_nothing(lines: list[str], limit: int) -> None:
    doc = Doc()
    for line in lines:
        doc.add(b(line), line)
    chunks = html_chunks(doc, limit=limit)
    assert all(0 < telegram_length(check_html(chunk).text) <= limit for chunk in chunks)
    visible = "".join(check_html(chunk).text for chunk in chunks)
    expected = "".join(line + line for line in lines)
    assert re.sub(r"\s", "", visible) == re.sub(r"\s", "", expected)


def test_length_is_counted_as_telegram_does_and_a_link_is_never_cut() -> None:
    """Telegram counts a message's visible text (UTF-16 units), not its markup: a short link to a
    long address costs its label only, and is never cut apart (issue 13, item 2)."""
    long_url = "https://dichvucong.gov.vn/tim-kiem?keyword=" + "%C4%91" * 2000
    doc = Doc().add("x" * 3000, " ", link("Cổng Dịch vụ công quốc gia", long_url))
    [chunk] = html_chunks(doc)
    assert chunk.endswith(f'<a href="{long_url}">Cổng Dịch vụ công quốc gia</a>')
    escaped = Doc().add("&" * MESSAGE_LIMIT)  # 4,096 visible characters, 20,480 of HTML
    assert html_chunks(escaped) == ["&amp;" * MESSAGE_LIMIT]
    doc = Doc().add("y " * 2040, link("Cổng Dịch vụ công quốc gia", long_url), " z")
    first, second = html_chunks(doc)
    assert "<a" not in first and second.startswith(f'<a href="{long_url}">Cổng Dịch vụ công quốc gia</a>')


def test_callback_data_fits_64_bytes_for_the_longest_codes() -> None:
    longest_code = "1." + "9" * 6 + ".000.00.00.H12" * 2
    longest_code = longest_code[:32]  # the column holds 32 characters
    for action in (Action.CARD, Action.DOCUMENTS, Action.LEGAL, Action.RELATED):
        data = callback(action, longest_code)
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        assert parse_callback(data) == (action, [longest_code])
    assert parse_callback(callback(Action.UNIT, "2025", "26734")) == (Action.UNIT, ["2025", "26734"])


def test_callback_data_refuses_names_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callback(Action.CARD, "Đăng ký khai sinh cho người đã có hồ sơ giấy tờ cá nhân")
    with pytest.raises(ValueError):
        callback(Action.UNIT, "2025:1")


@pytest.mark.parametrize("data", ["", "x:1", "p:", "p", "zz:1.001193", "u::1"])
def test_foreign_callback_data_is_not_ours(data: str) -> None:
    assert parse_callback(data) is None


def test_document_list_marks_from_the_catalogue_are_tidied() -> None:
    card = procedure(
        documents=[
            {"name": "* Giấy tờ phải nộp:"},
            {"name": "- Tờ khai đăng ký khai sinh", "quantity": "1 bản chính"},
        ]
    )
    assert to_plain(documents_doc(card)).splitlines()[1:] == [
        "Giấy tờ phải nộp:",
        "• Tờ khai đăng ký khai sinh (1 bản chính)",
    ]


def test_card_lists_what_everyone_brings_then_the_cases() -> None:
    card = procedure(
        documents=[
            {"name": "Tờ khai đăng ký khai sinh", "original": 1, "copies": 0, "e_form": True},
            {"name": "Hộ chiếu/Thẻ căn cước", "original": 1, "group": "* Giấy tờ phải xuất trình:"},
            {"name": "Biên bản về việc trẻ bị bỏ rơi", "original": 1, "case": "Trường hợp trẻ em bị bỏ rơi"},
            {"name": "Văn bản ủy quyền", "original": 1, "case": "Trường hợp ủy quyền"},
            {"name": "Bản sao giấy tờ của người ủy quyền", "copies": 1, "case": "Trường hợp ủy quyền"},
        ],
        notes=["Người tiếp nhận có trách nhiệm tiếp nhận đúng, đủ hồ sơ."],
    )
    lines = to_plain(procedure_card(CardFacts(card, "https://dichvucong.gov.vn/x"))).splitlines()
    start = lines.index("📄 Hồ sơ cần chuẩn bị")
    assert lines[start + 1 : start + 6] == [
        "• Tờ khai đăng ký khai sinh (1 bản chính) · có biểu mẫu điện tử",
        "• Hộ chiếu/Thẻ căn cước (1 bản chính, xuất trình)",
        "Tùy trường hợp, cần thêm:",
        "◦ Trường hợp trẻ em bị bỏ rơi: Biên bản về việc trẻ bị bỏ rơi",
        "◦ Trường hợp ủy quyền (2 giấy tờ)",
    ]
    assert "Người tiếp nhận" not in "\n".join(lines)  # notes only in the «Giấy tờ» reply
    papers = to_plain(documents_doc(card))
    assert papers.index("Trường hợp ủy quyền:") < papers.index("Bản sao giấy tờ của người ủy quyền")
    assert papers.index("📝 Lưu ý") < papers.index("Người tiếp nhận có trách nhiệm")


def test_equal_time_and_fee_share_a_line_and_nothing_is_invented() -> None:
    card = procedure(
        channels=[
            {"channel": "truc_tiep", "time": "7 ngày làm việc", "fee": "20.000 đồng", "fee_vnd": 20000},
            {"channel": "truc_tuyen", "time": "7 ngày làm việc", "fee": "20.000 đồng", "fee_vnd": 20000},
            {"channel": "buu_chinh", "time": None, "fee": None},
        ]
    )
    text = to_plain(procedure_card(CardFacts(card, "https://dichvucong.gov.vn/x")))
    assert "• Nộp trực tiếp / trực tuyến: 7 ngày làm việc; lệ phí: 20.000 đồng" in text
    assert "• Qua bưu chính: thời hạn chưa công bố; lệ phí chưa công bố" in text
    no_channels = to_plain(procedure_card(CardFacts(procedure(channels=[]), "https://dichvucong.gov.vn/x")))
    assert "Thời hạn và lệ phí chưa được công bố" in no_channels and "Miễn phí" not in no_channels


def test_a_procedure_known_only_from_the_list_gets_an_honest_card() -> None:
    card = procedure(
        name="Hưởng trợ cấp thất nghiệp",
        details="summary",
        executing_agencies=["", "Sở Nội vụ"],
        audiences=["Công dân Việt Nam"],
        channels=[],
        documents=[],
        result=None,
    )
    url = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/abc"
    text = to_plain(procedure_card(CardFacts(card, url)))
    assert "🏢 Cơ quan thực hiện: Sở Nội vụ" in text and "👥 Đối tượng: Công dân Việt Nam" in text
    assert f"📄 Hồ sơ, thời hạn, lệ phí: xem trên Cổng Dịch vụ công quốc gia: {url}" in text
    assert "Hồ sơ cần chuẩn bị" not in text and "Thời hạn và lệ phí" not in text and "• Nộp" not in text


def test_marks_near_the_top_specific_not_listed_flagged() -> None:
    url = "https://dichvucong.gov.vn/x"
    specific = procedure(portal_type="specific", province="38", publisher="UBND tỉnh Thanh Hóa")
    lines = to_plain(procedure_card(CardFacts(specific, url, province_name="Tỉnh Thanh Hóa"))).splitlines()
    assert lines[2] == "🏛 Thủ tục riêng của Tỉnh Thanh Hóa."
    assert "UBND tỉnh Thanh Hóa" in to_plain(procedure_card(CardFacts(specific, url)))
    gone = to_plain(procedure_card(CardFacts(procedure(on_portal_list=False), url))).splitlines()
    assert gone[2].startswith("⚠️ Thủ tục này không có trong danh sách") and url in gone[2]
    flagged = to_plain(procedure_card(CardFacts(procedure(flags=["fee_value_mismatch"]), url))).splitlines()
    assert flagged[2].startswith("⚠️ Một số thông tin") and url in flagged[2]
    assert not any(
        line.startswith("⚠️") for line in to_plain(procedure_card(CardFacts(procedure(), url))).splitlines()
    )


def test_a_name_in_capitals_is_shown_in_sentence_case() -> None:
    card = procedure(name="THỦ TỤC ĐĂNG KÝ SINH HOẠT TÔN GIÁO TẬP TRUNG (CẤP XÃ)")
    text = to_plain(procedure_card(CardFacts(card, "https://dichvucong.gov.vn/x")))
    assert text.splitlines()[0] == "Thủ tục đăng ký sinh hoạt tôn giáo tập trung (cấp xã)"
