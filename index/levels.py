"""Which of a procedure's level twins a query most likely means, when no commune is known.

Many procedures exist once per level of government: "Cấp lại thẻ căn cước" (commune), "… (thực hiện
tại cấp tỉnh)", "… (thực hiện tại cấp trung ương)". Their names match a query equally well, so their
order was left to chance. With no commune known (one that is known already lifts what it handles),
the province's variant comes first: it is the general one, where the commune's covers small cases
and the ministry's central bodies, and it is the one portal answers most often point to. Then the
commune's for a person, the ministry's for a business or other organisation, which rarely deals with
a commune. A query naming a level ("cấp xã", "trung ương", "UBND tỉnh") means that level.

Only twins are reordered, among the places they already hold: candidates whose names are the same once
the level notes are set aside and whose scores are close. Everything else keeps its place. Names that
are merely alike are not twins: "Cấp thẻ căn cước cho người dưới 14 tuổi" and "… cho người từ đủ 14
tuổi trở lên" are two procedures, and "… giống thủy sản (trừ …)" and "… (đối với …)" cover different
cases, which a query may name; reordering them by level would mix them up.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from index.analysis import fold

if TYPE_CHECKING:
    from index.ranking import Candidate

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


def prefer_twins(ranked: list[Candidate], query_pairs: frozenset[str]) -> list[Candidate]:
    """``ranked`` with each group of level twins at its head reordered by ``preferred_levels``: the
    group keeps the places (and scores) it held, its members take them in order of preference."""
    order = preferred_levels(query_pairs)
    head = ranked[:TWIN_DEPTH]
    cores = [core_name(c.entry.name) for c in head]
    group = list(range(len(head)))  # union-find over the head's places

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i, first in enumerate(head):
        for j in range(i + 1, len(head)):
            second = head[j]
            if (
                set(first.entry.levels) != set(second.entry.levels)
                and first.score - second.score <= TWIN_MARGIN
                and cores[i] == cores[j]
            ):
                group[root(j)] = root(i)
    members: dict[int, list[int]] = {}
    for i in range(len(head)):
        members.setdefault(root(i), []).append(i)
    result = list(head)
    for places in members.values():
        if len(places) < 2:
            continue
        scores = [head[i].score for i in places]
        chosen = sorted(places, key=lambda i: (_rank_of(head[i].entry.levels, order), i))
        for place, score, i in zip(places, scores, chosen, strict=True):
            result[place] = head[i]
            head[i].score = score
    return result + ranked[TWIN_DEPTH:]
