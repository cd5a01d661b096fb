"""The everyday-words dictionary: rewriting rules, and the bundled file itself."""

from __future__ import annotations

import json

import pytest

from index.analysis import syllables
from index.vocabulary import VOCABULARY_FILE, Vocabulary, load_vocabulary
from knowledge.catalogue import BUNDLED_CATALOGUE, read_catalogue


@pytest.fixture
def vocabulary() -> Vocabulary:
    return Vocabulary(
        replace={"sổ đỏ": "giấy chứng nhận quyền sử dụng đất", "kí": "ký", "thường chú": "thường trú"},
        expand={"thế chấp": "biện pháp bảo đảm"},
        abbreviations={"tnlđ": "tai nạn lao động"},
        fillers=["thủ tục", "làm thế nào", "đang"],
    )


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("làm sổ đỏ", "làm giấy chứng nhận quyền sử dụng đất"),
        ("lam so do", "lam giấy chứng nhận quyền sử dụng đất"),  # unaccented matches accented entries
        ("Sổ Đỏ", "giấy chứng nhận quyền sử dụng đất"),
        ("đăng kí thường chú", "đăng ký thường trú"),
        ("dang ki", "dang ki"),  # one-syllable entries need the exact spelling
        ("thủ tục đăng ký làm thế nào", "đăng ký"),  # fillers go
        ("đăng ký đang", "đăng ký"),
        ("dang ky", "dang ky"),  # "dang" may be đăng: a one-syllable filler is never folded
        ("thế chấp nhà", "thế chấp biện pháp bảo đảm nhà"),
        ("TNLĐ", "tai nạn lao động tnlđ"),
        ("tai nạn lao động", "tai nạn lao động tnlđ"),
        ("", ""),
        ("😀 ?!", ""),  # nothing to search for
    ],
)
def test_rewrite(vocabulary: Vocabulary, query: str, text: str) -> None:
    assert vocabulary.rewrite(query).text == text


def test_rewrite_reports_what_changed(vocabulary: Vocabulary) -> None:
    assert not vocabulary.rewrite("đăng ký kết hôn").changed
    assert not vocabulary.rewrite("thủ tục kết hôn").changed  # dropping fillers is not a change
    expanded = vocabulary.rewrite("thế chấp nhà")
    assert expanded.changed
    assert expanded.added == ("biện pháp bảo đảm",)


def test_the_longest_entry_wins() -> None:
    vocabulary = Vocabulary(
        replace={"hộ khẩu": "thường trú", "tách hộ khẩu": "tách hộ"}, expand={}, abbreviations={}, fillers=[]
    )
    assert vocabulary.rewrite("tách hộ khẩu").text == "tách hộ"
    assert vocabulary.rewrite("nhập hộ khẩu").text == "nhập thường trú"


def test_bundled_vocabulary_covers_the_everyday_words_of_the_issue() -> None:
    vocabulary = load_vocabulary()
    expected = {
        "sổ đỏ": "quyền sử dụng đất",
        "sổ hồng": "quyền sử dụng đất",
        "hộ khẩu": "thường trú",
        "nhập hộ khẩu": "thường trú",
        "độc thân": "tình trạng hôn nhân",
        "CCCD": "căn cước",
        "căn cước công dân": "căn cước",
        "công chứng bản sao": "chứng thực bản sao",
        "báo tử": "khai tử",
        "giấy phép kinh doanh hộ": "hộ kinh doanh",
        "thường chú": "thường trú",
        "đăng kí": "đăng ký",
    }
    for everyday, official in expected.items():
        assert official in vocabulary.rewrite(everyday).text, everyday


def test_rewrite_cuts_phrases_where_fillers_were_dropped(vocabulary: Vocabulary) -> None:
    rewrite = vocabulary.rewrite("thủ tục đăng ký đang làm thế nào sổ đỏ")
    assert rewrite.text == "đăng ký giấy chứng nhận quyền sử dụng đất"
    assert rewrite.phrases == ("đăng ký", "giấy chứng nhận quyền sử dụng đất")
    assert vocabulary.rewrite("thế chấp nhà").phrases == ("thế chấp biện pháp bảo đảm nhà",)
    assert vocabulary.rewrite("thủ tục").phrases == ()


def test_an_entry_is_known_without_diacritics(vocabulary: Vocabulary) -> None:
    assert "so do" in vocabulary and "TNLĐ" in vocabulary and "đang" in vocabulary
    assert "khai sinh" not in vocabulary


def test_replaced_words_never_occur_in_the_catalogue_names() -> None:
    """A word the catalogue uses must keep its place (expand): replacing it would lose the procedures
    named with it, as replacing "nhập khẩu" (household sense) lost every import procedure."""
    names = [" " + " ".join(syllables(p.name)) + " " for p in read_catalogue(BUNDLED_CATALOGUE).procedures]
    replace = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))["replace"]
    used = [word for word in replace if any(f" {' '.join(syllables(word))} " in name for name in names)]
    assert used == []


def test_bundled_vocabulary_is_well_formed() -> None:
    data = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    assert set(data) <= {"about", "replace", "expand", "abbreviations", "fillers"}
    for section in ("replace", "expand", "abbreviations"):
        for source, target in data[section].items():
            assert syllables(source), f"{section}: empty entry"
            assert syllables(source) != syllables(target), f"{section}: {source!r} maps to itself"
    assert all(syllables(filler) for filler in data["fillers"])
