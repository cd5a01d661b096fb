"""Long questions: the situation told before what is asked weighs less than what is asked."""

from __future__ import annotations

from index.analysis import syllables
from index.entries import Candidate, Entry
from index.query import BACKGROUND_WEIGHT, plan_query
from index.ranking import rank
from index.vocabulary import Vocabulary, load_vocabulary
from tests.factories import plan_of

FOCUSED = Vocabulary(
    replace={},
    expand={},
    abbreviations={},
    fillers=["tôi", "muốn", "nay", "thì", "phải", "đến", "đâu", "mới", "vậy", "để", "được", "cho"],
    beneficiaries=["con"],
    focus=["muốn", "để được", "vậy"],
)


def test_what_comes_before_the_last_focus_phrase_is_the_background() -> None:
    rewrite = FOCUSED.rewrite("Vợ tôi mới sinh con, nay tôi muốn đăng ký khai sinh cho con thì phải đến đâu?")
    assert rewrite.text == "vợ sinh con đăng ký khai sinh"
    assert rewrite.phrases[: rewrite.background] == ("vợ", "sinh con")
    assert rewrite.phrases[rewrite.background :] == ("đăng ký khai sinh",)
    # the last one counts: "muốn … để được" asks for what follows "để được"
    last = FOCUSED.rewrite("muốn đánh giá an ninh cảng biển để được cấp giấy chứng nhận")
    assert last.phrases[last.background :] == ("cấp giấy chứng nhận",)


def test_a_question_without_a_story_has_no_background() -> None:
    assert FOCUSED.rewrite("tôi muốn đăng ký khai sinh cho con").background == 0
    assert FOCUSED.rewrite("đăng ký khai sinh").background == 0
    # nothing asked after the focus phrase: the words before it are what is asked
    alone = FOCUSED.rewrite("đăng ký khai sinh thì phải làm sao vậy")
    assert alone.background == 0
    assert alone.text.startswith("đăng ký khai sinh")


def test_a_focus_phrase_with_nothing_asked_after_it_leaves_the_focus_to_the_one_before() -> None:
    rewrite = FOCUSED.rewrite("vợ tôi mới sinh con, nay muốn đăng ký khai sinh thì phải làm sao vậy")
    assert rewrite.phrases[rewrite.background :][0] == "đăng ký khai sinh"
    assert rewrite.phrases[: rewrite.background] == ("vợ", "sinh con")


def test_a_focus_phrase_is_matched_like_a_dictionary_entry() -> None:
    # one syllable: its diacritics must match ("muon" is not "muốn"); two: folded forms match
    assert FOCUSED.rewrite("sinh con muon đăng ký khai sinh").background == 0
    assert FOCUSED.rewrite("sinh con de duoc đăng ký khai sinh").background == 1


def test_the_plan_marks_the_words_only_the_background_holds() -> None:
    vocabulary = load_vocabulary()
    query = "Vợ tôi mới sinh con, nay tôi muốn đăng ký khai sinh cho con của tôi thì tôi phải đến đâu?"
    lexicon = frozenset(syllables(query))
    plan = plan_query(query, vocabulary, lexicon, sorted(lexicon))
    assert {"vo", "con", "sinh_con"} <= plan.background
    assert not {"sinh", "khai", "dang", "khai_sinh"} & plan.background  # also asked
    boosts = {(field, term): boost for field, term, boost in plan.terms}
    assert boosts["name_f", "vo"] == BACKGROUND_WEIGHT * boosts["name_f", "khai"]
    assert boosts["name_w", "vợ"] == BACKGROUND_WEIGHT * boosts["name_w", "khai_sinh"]


def entry(name: str, code: str) -> Entry:
    return Entry.from_stored({"code": code, "name": name, "field": "Hộ tịch", "levels": "xa"})


def test_background_words_count_less_towards_how_much_a_name_explains() -> None:
    marriage = entry("Kết hôn", "1")  # ties are ordered by code: this one first
    birth = entry("Khai sinh", "2")
    content = ["ket", "hon", "khai", "sinh"]

    def order(background: frozenset[str]) -> list[str]:
        candidates = [Candidate(marriage, 1.0), Candidate(birth, 1.0)]
        plan = plan_of(content, phrases=("ket_hon", "khai_sinh"), background=background)
        ranked = rank(candidates, plan, None)
        return [c.entry.code for c in ranked]

    assert BACKGROUND_WEIGHT < 1
    assert order(frozenset()) == ["1", "2"]
    assert order(frozenset({"ket", "hon", "ket_hon"})) == ["2", "1"]
