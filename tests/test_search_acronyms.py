"""Acronyms the dictionary does not list, read from the initials of the catalogue's names."""

from __future__ import annotations

from index.acronyms import Acronyms

NAMES = [
    "Cấp Giấy phép lưu hành xe quá tải trọng",
    "Kiểm dịch hàng hóa gửi kho ngoại quan",
    "Cấp giấy chứng nhận kiểm dịch sản phẩm nhập, xuất kho ngoại quan",
    "Sửa đổi Giấy chứng nhận đăng ký cảng hàng không, sân bay",
    "Đăng ký kinh doanh",
]


def test_an_acronym_reads_as_the_run_of_syllables_it_abbreviates() -> None:
    acronyms = Acronyms(NAMES)
    assert acronyms.reading("GPLHX") == "giay phep luu hanh xe"
    assert acronyms.reading("KNQ") == "kho ngoai quan"  # found in two names
    assert acronyms.reading("CHKSB") == "cang hang khong san bay"  # across the comma


def test_short_acronyms_need_their_reading_twice() -> None:
    acronyms = Acronyms(NAMES)
    assert acronyms.reading("DKK") is None  # "đăng ký kinh" once: chance, not an acronym
    assert acronyms.reading("XYZQ") is None


def test_only_unknown_upper_case_words_are_expanded() -> None:
    acronyms = Acronyms(NAMES)
    known = {"KNQ"}.__contains__  # an indexed word, or a dictionary entry
    assert acronyms.expand("cơ quan nào cấp GPLHX?", known) == "cơ quan nào cấp giay phep luu hanh xe?"
    assert acronyms.expand("hàng gửi vào KNQ", known) == "hàng gửi vào KNQ"
    assert acronyms.expand("hàng gửi vào knq", known) == "hàng gửi vào knq"  # typed in lower case
    assert acronyms.expand("cấp GPLHXbị", known) == "cấp GPLHXbị"
