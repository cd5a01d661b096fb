"""Which of a procedure's twins a query most likely means: level twins when no commune is known,
and audience twins.

Many procedures exist once per level of government: "Cấp lại thẻ căn cước" (commune), "… (thực hiện
tại cấp tỉnh)", "… (thực hiện tại cấp trung ương)". Their names match a query equally well, so their
order was left to chance. With a commune known, the variant it handles comes first. With none, the
province's variant comes first: it is the general one, where the commune's covers small cases
and the ministry's central bodies, and it is the one portal answers most often point to. Then the
commune's for a person, the ministry's for a business or other organisation, which rarely deals with
a commune. A query naming a level ("cấp xã", "trung ương", "UBND tỉnh") means that level.

Only twins are reordered, among the places they already hold: candidates whose names are the same once
the level notes are set aside and whose scores are close. Everything else keeps its place. Names that
are merely alike are not twins: "Cấp thẻ căn cước cho người dưới 14 tuổi" and "… cho người từ đủ 14
tuổi trở lên" are two procedures, and "… giống thủy sản (trừ …)" and "… (đối với …)" cover different
cases, which a query may name; reordering them by level would mix them up.

Audience twins are one procedure for people and one for organisations, named alike but for the
scope after "đối với": "Đăng ký đất đai, … cấp Giấy chứng nhận … lần đầu đối với hộ gia đình, cá
nhân, …" and "… lần đầu đối với tổ chức đang sử dụng đất". The shorter name wins on BM25 alone, so
"làm sổ đỏ" showed the organisations' procedure first. A query that names no organisation is a
person's (citizens are who ask in everyday words), so among close-scoring twins whose names are the
same without their scope, the one whose audiences (the catalogue's "đối tượng thực hiện") include
people comes first; a query naming an organisation ("công ty", "doanh nghiệp") puts the
organisations' first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from index.analysis import fold
from index.entries import Candidate

# Folded word pairs of a query that show an organisation asks (the first decides).
ORGANISATION_PAIRS = frozenset({"doanh_nghiep", "cong_ty", "to_chuc", "hop_tac", "co_so", "chi_nhanh"})
# Folded word pairs naming a level of government outright.
LEVEL_PAIRS: dict[str, str] = {
    "cap_xa": "xa",
    "ubnd_xa": "xa",
    "ubnd_phuong": "xa",
    "cap_huyen": "xa",  # the districts' procedures went to the communes in 2025
    "cap_tinh": "tinh",
    "ubnd_tinh": "tinh",
    "trung_uong": "bo",
}
PERSON_ORDER = ("tinh", "xa", "bo")
ORGANISATION_ORDER = ("tinh", "bo", "xa")
TWIN_MARGIN = 0.05  # twins score within this of each other
TWIN_DEPTH = 10  # only the head of the ranking is looked at
# Audience twins: a name's longer scope ("… đối với hộ gia đình, cá nhân, cộng đồng dân cư, người gốc
# Việt Nam định cư ở nước ngoài") weighs in BM25 against the shorter one ("… đối với tổ chức"), so
# their scores lie further apart than level twins'.
AUDIENCE_MARGIN = 0.1
PERSON, ORGANISATION = "person", "organisation"
# Folded openings of the catalogue's audience labels that name people rather than organisations.
_PERSON_LABELS = ("cong dan", "nguoi", "can bo", "dang vien")
_LEVEL_NOTE_RE = re.compile(r"\([^)]*\b(?:cấp|trung ương|tỉnh|xã|huyện)\b[^)]*\)", re.IGNORECASE)


def preferred_levels(query_pairs: frozenset[str]) -> tuple[str, ...]:
    """Levels in the order a query most likely means them."""
    named = [level for pair, level in LEVEL_PAIRS.items() if pair in query_pairs]
    order = ORGANISATION_ORDER if query_pairs & ORGANISATION_PAIRS else PERSON_ORDER
    return tuple(dict.fromkeys([*named, *order]))


def core_name(name: str) -> str:
    """A name without the notes that tell one level's variant from another's, folded."""
    return " ".join(fold(_LEVEL_NOTE_RE.sub(" ", name)).split()).strip(" .")


def _rank_of(levels: tuple[str, ...], order: tuple[str, ...]) -> int:
    return min((order.index(level) for level in levels if level in order), default=len(order))


def prefer_twins(
    ranked: list[Candidate], query_pairs: frozenset[str], handled: frozenset[str] | None = None
) -> list[Candidate]:
    """``ranked`` with each group of level twins at its head reordered: with the codes a commune
    ``handled``, its own variant first, whatever their scores (they answer the same question); else
    close-scoring twins by ``preferred_levels``."""
    order = preferred_levels(query_pairs)
    cores = {id(c): core_name(c.entry.name) for c in ranked[:TWIN_DEPTH]}
    if handled is not None:
        return _reorder_twins(
            ranked,
            lambda a, b: set(a.entry.levels) != set(b.entry.levels) and cores[id(a)] == cores[id(b)],
            lambda c: 0 if c.entry.code in handled else 1 + _rank_of(c.entry.levels, order),
        )
    return _reorder_twins(
        ranked,
        lambda a, b: (
            set(a.entry.levels) != set(b.entry.levels)
            and a.score - b.score <= TWIN_MARGIN
            and cores[id(a)] == cores[id(b)]
        ),
        lambda c: _rank_of(c.entry.levels, order),
    )


def preferred_audience(query_pairs: frozenset[str]) -> str:
    """Whom a query is most likely about: an organisation when it names one, else a person."""
    return ORGANISATION if query_pairs & ORGANISATION_PAIRS else PERSON


def prefer_audience(ranked: list[Candidate], query_pairs: frozenset[str]) -> list[Candidate]:
    """``ranked`` with each group of audience twins at its head reordered: the variant for whom the
    query is most likely about (``preferred_audience``) first."""
    wanted = preferred_audience(query_pairs)
    return _reorder_twins(
        ranked,
        lambda a, b: (
            a.entry.audience != b.entry.audience
            and a.score - b.score <= AUDIENCE_MARGIN
            and a.entry.core_syllables == b.entry.core_syllables
        ),
        lambda c: 0 if wanted in c.entry.audience else 1,
    )


def audience_of(audiences: Iterable[str]) -> frozenset[str]:
    """Whom a procedure is for, from the catalogue's audience labels: a person ("Công dân Việt
    Nam", "Người nước ngoài", "Cán bộ, công chức, viên chức"…), an organisation ("Tổ chức …",
    "Doanh nghiệp", "Hợp tác xã"…), or both."""
    kinds = set()
    for label in audiences:
        folded = fold(label)
        kinds.add(PERSON if folded.startswith(_PERSON_LABELS) else ORGANISATION)
    return frozenset(kinds)


def _reorder_twins(
    ranked: list[Candidate],
    alike: Callable[[Candidate, Candidate], bool],
    preference: Callable[[Candidate], int],
) -> list[Candidate]:
    """``ranked`` with the twins at its head (``alike`` pairs, and whatever they chain to) reordered
    by ``preference`` (lowest first): a group keeps the places (and scores) it held, its members
    take them in order of preference, and everything else keeps its place."""
    head = ranked[:TWIN_DEPTH]
    group = list(range(len(head)))  # union-find over the head's places

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i, first in enumerate(head):
        for j in range(i + 1, len(head)):
            if alike(first, head[j]):
                group[root(j)] = root(i)
    members: dict[int, list[int]] = {}
    for i in range(len(head)):
        members.setdefault(root(i), []).append(i)
    result = list(head)
    for places in members.values():
        if len(places) < 2:
            continue
        scores = [head[i].score for i in places]
        chosen = sorted(places, key=lambda i: (preference(head[i]), i))
        for place, score, i in zip(places, scores, chosen, strict=True):
            result[place] = head[i]
            head[i].score = score
    return result + ranked[TWIN_DEPTH:]
