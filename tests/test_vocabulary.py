"""The everyday-words dictionary: rewriting rules, and the bundled file itself."""

from __future__ import annotations

import json

import pytest

from index.analysis import syllables, text_pairs
from index.vocabulary import VOCABULARY_FILE, Vocabulary, foreigner_entries, load_vocabulary
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
    assert set(data) <= {
        "about",
        "replace",
        "expand",
        "abbreviations",
        "fillers",
        "beneficiaries",
        "foreigners",
        "focus",
    }
    assert all(syllables(phrase) for phrase in data["focus"])
    assert set(data["foreigners"]) == {"means", "leads", "countries", "words"}
    assert set(data["beneficiaries"]) == {"kin", "possessives"}
    for section in ("replace", "expand", "abbreviations"):
        for source, target in data[section].items():
            assert syllables(source), f"{section}: empty entry"
            assert syllables(source) != syllables(target), f"{section}: {source!r} maps to itself"
    assert all(syllables(filler) for filler in data["fillers"])


def test_indexed_text_spells_abbreviations_out_as_queries_do() -> None:
    vocabulary = Vocabulary(
        replace={},
        expand={},
        abbreviations={"tnlđ": "tai nạn lao động", "kcb": "khám bệnh chữa bệnh", "bhyt": "bảo hiểm y tế"},
        fillers=[],
    )
    name = "Giải quyết chế độ TNLĐ, BNN đối với trường hợp bị TNLĐ lần đầu"
    assert vocabulary.spell_out(name) == (
        "Giải quyết chế độ tai nạn lao động tnlđ, BNN đối với trường hợp bị tai nạn lao động tnlđ lần đầu"
    )
    # the full words keep their spelling and punctuation and bring the abbreviation along
    assert vocabulary.spell_out("Chi phí khám bệnh, chữa bệnh BHYT") == (
        "Chi phí khám bệnh, chữa bệnh kcb bảo hiểm y tế bhyt"
    )
    # a full stop ends the phrase: these are two list items, not the abbreviated words
    assert vocabulary.spell_out("Khám bệnh. Chữa bệnh") == "Khám bệnh. Chữa bệnh"
    # a query and a name written either way end up with the same words in the same order
    for query in ("TNLĐ lần đầu", "tai nan lao dong lan dau"):
        assert text_pairs(vocabulary.rewrite(query).text) == text_pairs(vocabulary.spell_out("TNLĐ lần đầu"))


def test_spelling_normalises_only_the_abbreviated_words() -> None:
    vocabulary = Vocabulary(
        replace={}, expand={}, abbreviations={"dsphsk": "dưỡng sức phục hồi sức khỏe"}, fillers=[]
    )
    assert vocabulary.spell_out("nghỉ dưỡng sức phục hồi sức khoẻ 14/2020/NĐ-CP") == (
        "nghỉ dưỡng sức phục hồi sức khoẻ dsphsk 14/2020/NĐ-CP"
    )


def test_dictionary_targets_are_spelled_like_indexed_text() -> None:
    vocabulary = Vocabulary(
        replace={"sổ bhxh": "sổ bảo hiểm xã hội"},
        expand={},
        abbreviations={"bhxh": "bảo hiểm xã hội"},
        fillers=[],
    )
    assert vocabulary.rewrite("cấp lại sổ bhxh").text == "cấp lại sổ bảo hiểm xã hội bhxh"


@pytest.fixture
def with_kin() -> Vocabulary:
    return Vocabulary(
        replace={"làm giấy khai sinh": "đăng ký khai sinh"},
        expand={"nhận con": "nhận cha mẹ con"},
        abbreviations={},
        fillers=["cho", "tôi", "mình", "em", "ạ", "với ạ", "ở đâu", "xin"],
        beneficiaries=["con", "bé", "mẹ", "bà", "bố", "em", "người nhà"],
        possessives=["nhà"],
    )


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("làm giấy khai sinh cho con", "đăng ký khai sinh"),
        ("xin cấp căn cước cho bé", "cấp căn cước"),
        ("đăng ký thường trú cho mẹ", "đăng ký thường trú"),
        ("đăng ký thường trú cho mẹ tôi ạ", "đăng ký thường trú"),
        ("làm giấy khai sinh cho bé nhà mình ở đâu", "đăng ký khai sinh"),
        ("cấp lại căn cước cho em", "cấp lại căn cước"),
        ("đăng ký tạm trú cho người nhà với ạ", "đăng ký tạm trú"),
        # not a trailing "cho" + relative: the words are the procedure's
        ("nhận cha mẹ con", "nhận cha mẹ con"),
        ("đăng ký nhận con", "đăng ký nhận con nhận cha mẹ con"),
        ("cho thuê nhà", "thuê nhà"),
        ("tặng cho con", "tặng con"),  # "cho" belongs to the verb
        ("cho con nuôi", "con nuôi"),
        ("khai sinh cho con ngoài giá thú", "khai sinh con ngoài giá thú"),
        ("xây nhà cho thuê", "xây nhà thuê"),
        ("cấp phép cho nhà", "cấp phép nhà"),  # a possessive alone names nobody
        ("cho con", "con"),  # nothing else asked: the words stay
        ("đăng ký thường trú cho bò", "đăng ký thường trú bò"),  # one syllable: exact spelling only
    ],
)
def test_a_trailing_beneficiary_is_not_searched_for(with_kin: Vocabulary, query: str, text: str) -> None:
    assert with_kin.rewrite(query).text == text


def test_the_beneficiary_left_out_is_kept_apart(with_kin: Vocabulary) -> None:
    assert with_kin.rewrite("làm giấy khai sinh cho bé nhà mình ở đâu").whom == "cho bé nhà mình ở đâu"
    assert with_kin.rewrite("cho thuê nhà").whom == ""


def test_the_bundled_vocabulary_drops_beneficiaries() -> None:
    vocabulary = load_vocabulary()
    assert vocabulary.rewrite("làm giấy khai sinh cho con").text == "đăng ký khai sinh"
    assert vocabulary.rewrite("đăng ký thường trú cho bố mẹ tôi").text == "đăng ký thường trú"
    assert "con" in vocabulary.rewrite("đăng ký nhận cha mẹ con").text.split()


def test_foreigners_are_spelled_out_from_leads_and_countries() -> None:
    entries = foreigner_entries(
        {"means": "nước ngoài", "leads": ["người", "chồng"], "countries": ["mỹ"], "words": ["việt kiều"]}
    )
    assert entries == {"người mỹ": "nước ngoài", "chồng mỹ": "nước ngoài", "việt kiều": "nước ngoài"}
    assert foreigner_entries({}) == {}


def test_a_foreign_person_brings_the_foreign_element_along() -> None:
    vocabulary = load_vocabulary()
    married = vocabulary.rewrite("tôi có chồng người Mỹ, muốn khai sinh cho con")
    assert "nước ngoài" in married.added
    assert "nước ngoài" in vocabulary.rewrite("lấy chồng Hàn Quốc").text
    assert "nước ngoài" in vocabulary.rewrite("Việt kiều về nước mua nhà").added
    # a country word that is not about a person of that country, or a Vietnamese ethnic group
    assert vocabulary.rewrite("mỹ phẩm nhập khẩu").added == ()
    assert vocabulary.rewrite("người thái ở sơn la").added == ()
    assert vocabulary.rewrite("anh tôi đăng ký kết hôn").added == ()


def test_filler_words_are_those_no_rewritten_query_holds() -> None:
    vocabulary = Vocabulary(
        replace={"sao y": "bản sao từ bản chính"},
        expand={},
        abbreviations={},
        fillers=["mới", "từ", "thủ tục", "là"],
    )
    # "từ" comes back with "sao y"; "thủ tục" is two syllables
    assert vocabulary.filler_words == {"mới", "là"}
    assert {"mới", "của", "các"} <= load_vocabulary().filler_words
