"""A procedure as the ranking sees it (``Entry``, read from the index's stored fields) and a
candidate for a query (``Candidate``): what its name says it does — the follow-up action it opens
with ("Cấp lại …"), the special cases it is for ("… có yếu tố nước ngoài"), its core name without
qualifiers — and whom it is for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from index.analysis import fold, pairs, syllables, text_pairs

HEAD_PAIRS = 2  # how many pairs at the start of a name say what the procedure does
# Words every other name has ("thủ tục đăng ký …"): they should not make a name look precise.
_NAME_NOISE = frozenset({"thu", "tuc"})
# Follow-up actions that tell a sibling from the procedure it follows, folded, as they open a name,
# each with the words that show a query asks for it ("cấp lại" is asked for by "lại", "làm lại").
FOLLOW_UPS: dict[tuple[str, ...], frozenset[str]] = {
    ("cap", "lai"): frozenset({"lai"}),
    ("cap", "doi"): frozenset({"doi"}),
    ("doi",): frozenset({"doi"}),
    ("gia", "han"): frozenset({"gia_han"}),
    ("cap", "gia", "han"): frozenset({"gia_han"}),
    ("dieu", "chinh"): frozenset({"dieu_chinh"}),
    ("thu", "hoi"): frozenset({"thu_hoi"}),
    ("sua", "doi"): frozenset({"sua_doi", "sua"}),
    ("bo", "sung"): frozenset({"bo_sung"}),
    ("thay", "doi"): frozenset({"thay_doi", "doi"}),
    ("huy",): frozenset({"huy"}),
    ("huy", "bo"): frozenset({"huy"}),
    ("rut",): frozenset({"rut"}),
    ("cham", "dut"): frozenset({"cham_dut"}),
    ("dinh", "chi"): frozenset({"dinh_chi"}),
    ("tam", "ngung"): frozenset({"tam_ngung", "ngung"}),
    ("xoa",): frozenset({"xoa"}),
    ("dang", "ky", "lai"): frozenset({"lai"}),
    ("dang", "ky", "thay", "doi"): frozenset({"thay_doi", "doi"}),
    ("chuyen", "doi"): frozenset({"chuyen_doi"}),
    ("giai", "the"): frozenset({"giai_the"}),
    # adjusting, returning, suspending, locking and restoring what one already holds
    ("cap", "dieu", "chinh"): frozenset({"dieu_chinh"}),
    ("tra", "lai"): frozenset({"tra_lai"}),
    ("tam", "dung"): frozenset({"tam_dung", "dung"}),
    ("khoa",): frozenset({"khoa"}),
    ("mo", "khoa"): frozenset({"mo_khoa"}),
    ("khoi", "phuc"): frozenset({"khoi_phuc"}),
}
_FOLLOW_UP_LONGEST = max(len(key) for key in FOLLOW_UPS)
# Variants of a procedure for a special case, told apart by a phrase anywhere in the name: "Đăng ký
# khai sinh", "… có yếu tố nước ngoài", "… lưu động", "… tại khu vực biên giới". Each phrase, folded,
# with the words or pairs that show a query asks for that case; a variant whose case the query does
# not ask for is pushed down, as a follow-up is, so that a plain question lands on the plain procedure.
_CHILDREN = frozenset({"tuoi", "tre", "tre_em", "be", "em_be", "con", "chau", "thieu_nien", "chua_thanh"})
SPECIAL_CASES: dict[tuple[str, ...], frozenset[str]] = {
    ("yeu", "to", "nuoc", "ngoai"): frozenset({"nuoc_ngoai", "yeu_to"}),
    ("luu", "dong"): frozenset({"luu_dong"}),
    ("khu", "vuc", "bien", "gioi"): frozenset({"bien_gioi"}),
    # for children: "Cấp thẻ căn cước cho người dưới 14 tuổi", "… cho trẻ em dưới 6 tuổi"
    ("duoi", "14", "tuoi"): _CHILDREN,
    ("duoi", "6", "tuoi"): _CHILDREN,
    ("tre", "em"): _CHILDREN,
}
# A name's parentheses qualify it: the level that runs it ("(thực hiện tại cấp tỉnh)"), the cases it
# covers or leaves out ("(trừ …)", "(công trình …/…/…)"), an abbreviation. So does what follows
# "đối với" (SCOPE_CUTS): "Gia hạn giấy phép xây dựng đối với công trình cấp III, …". A query that
# names the procedure rarely repeats them, so precision ("how much of the name was asked for") leaves
# them out, and a general procedure with a long scope no longer loses to a narrow one with a short
# name; coverage, BM25 and the phrase signal still see them, so a query that repeats them still gains.
# Level twins then differ in none of the name signals, and index.levels orders them.
_QUALIFIER_RE = re.compile(r"\([^()]*\)")
_WORD_RE = re.compile(r"\w+")
SCOPE_CUTS: tuple[tuple[str, ...], ...] = (("doi", "voi"),)


def core_name_syllables(name: str, unasked: frozenset[str] = frozenset()) -> frozenset[str]:
    """The folded syllables of a name that a query may ask for: without its qualifiers (parenthesised
    notes, and the scope after "đối với": "Gia hạn giấy phép xây dựng đối với công trình cấp III, …"),
    nor the ``unasked`` words (lowercase, with diacritics) a query never keeps: "Cấp mới thẻ ABTC" is
    all asked for by "cấp thẻ ABTC", since "mới" is a filler that no query holds."""
    words = _WORD_RE.findall(_QUALIFIER_RE.sub(" ", name).lower())
    folded = [fold(word) for word in words]
    for cut in SCOPE_CUTS:
        for start in range(1, len(folded) - len(cut) + 1):
            if tuple(folded[start : start + len(cut)]) == cut:
                words = words[:start]
                break
    return frozenset(syllables(" ".join(word for word in words if word not in unasked))) - _NAME_NOISE


def special_cases(name_syllables: list[str]) -> tuple[tuple[str, ...], ...]:
    """The special-case phrases (``SPECIAL_CASES``) a name holds, in the order of that table."""
    text = f" {' '.join(name_syllables)} "
    return tuple(case for case in SPECIAL_CASES if f" {' '.join(case)} " in text)


def follow_up(name_syllables: list[str]) -> tuple[str, ...] | None:
    """The follow-up action a name opens with ("Thủ tục cấp lại …" → ("cap", "lai")), if any."""
    head = name_syllables[2:] if name_syllables[:2] == ["thu", "tuc"] else name_syllables
    for length in range(min(_FOLLOW_UP_LONGEST, len(head)), 0, -1):
        if tuple(head[:length]) in FOLLOW_UPS:
            return tuple(head[:length])
    return None


@dataclass(frozen=True)
class Entry:
    """A procedure as ranking sees it."""

    code: str
    name: str
    field: str | None
    levels: tuple[str, ...]
    folded_name: str
    name_syllables: frozenset[str]
    all_syllables: frozenset[str]  # of every indexed field
    aliases: tuple[tuple[str, frozenset[str]], ...] = ()  # keywords: other names, folded
    name_pairs: frozenset[str] = frozenset()  # adjacent syllables of the name and the keywords
    action: tuple[str, ...] | None = None  # the follow-up action the name opens with
    head: tuple[str, ...] = ()  # the first syllable pairs of the name: what the procedure does
    core_syllables: frozenset[str] = frozenset()  # of the name without its qualifiers
    cases: tuple[tuple[str, ...], ...] = ()  # the special cases the name is for
    audience: frozenset[str] = frozenset()  # whom the procedure is for: index.levels.audience_of

    def names(self) -> tuple[tuple[str, frozenset[str]], ...]:
        return ((self.folded_name, self.name_syllables), *self.aliases)

    def cores(self) -> tuple[frozenset[str], ...]:
        """The syllables against which precision is measured: the name's core, and each keyword."""
        return (self.core_syllables or self.name_syllables, *(keyword for _, keyword in self.aliases))

    @classmethod
    def from_stored(cls, stored: dict[str, Any], unasked: frozenset[str] = frozenset()) -> Entry:
        """The entry of a stored document; ``unasked``: words no query keeps (one-syllable fillers,
        lowercase, with diacritics), left out of the core name."""
        name = str(stored["name"])
        # ranking compares the query with the name as indexed, abbreviations spelled out
        spelled = str(stored.get("spelled_name", name))
        spelled_keywords = [str(k) for k in stored.get("spelled_keywords", stored.get("keywords")) or []]
        spelled_keywords += [str(name) for name in stored.get("everyday") or []]
        folded = syllables(spelled)
        levels = tuple(level for level in str(stored.get("levels") or "").split(",") if level)
        keywords = [syllables(keyword) for keyword in spelled_keywords]
        aliases = tuple((" ".join(k), frozenset(k)) for k in keywords if k)
        name_pairs = frozenset(text_pairs(spelled)).union(*(text_pairs(k) for k in spelled_keywords))
        return cls(
            str(stored["code"]),
            name,
            stored.get("field"),
            levels,
            " ".join(folded),
            frozenset(folded) - _NAME_NOISE,
            frozenset(str(stored.get("vocabulary") or "").split()),
            aliases,
            name_pairs,
            follow_up(folded),
            tuple(pairs(folded[2:] if folded[:2] == ["thu", "tuc"] else folded)[:HEAD_PAIRS]),
            core_name_syllables(spelled, unasked),
            special_cases(folded),
            frozenset(str(stored.get("audience") or "").split()),
        )


@dataclass
class Candidate:
    entry: Entry
    bm25: float
    parts: tuple[float, ...] = ()  # the BM25F parts of the groups of fields (index.schema.FIELD_GROUPS)
    score: float = 0.0
    features: tuple[float, ...] = ()  # index.model.FEATURES, as measure() finds them
