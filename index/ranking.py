"""Re-ranking whoosh's candidates, the "no good match" signal and "did you mean" suggestions.

BM25F finds the candidates; the final order also asks how well the procedure's *name* matches the
query — how much of the query the name explains, how much of the name (its qualifiers aside) the query
asked for, how many of the query's adjacent word pairs the name holds in the same order (so "chứng
nhận lưu hành" beats a name that merely contains the three syllables somewhere), and a rapidfuzz
similarity that forgives typos and word order — each weighed as index/model.json says (learned by
index.learning). Among the variants of one procedure at several levels (index.levels), the one the
user's commune handles comes first; with no commune known, the level the query most likely means.

Sibling procedures share almost every word and differ in the action at the head of the name: "Cấp
giấy phép X", "Cấp lại giấy phép X", "Gia hạn giấy phép X", "Thu hồi giấy phép X". A name that starts
with such a follow-up action the query does not mention is pushed down, so that a question about X
itself lands on the first-issue procedure rather than on a sibling that merely shares its words.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process

from index.analysis import fold
from index.entries import FOLLOW_UPS, SPECIAL_CASES, Candidate, Entry
from index.levels import prefer_audience, prefer_twins
from index.model import Model, load_model
from index.query import BACKGROUND_WEIGHT, Plan
from index.schema import FIELD_GROUPS

SUGGESTION_CUTOFF = 60.0
# Hits scoring under this share of the best are dropped: they matched a word of a document list,
# not the procedure asked for, and would only push noise into the bot's short answer.
MIN_RELATIVE_SCORE = 0.5
# A query of this many distinct content syllables or more is long (a portal question telling its
# case): the features weigh otherwise there (index.model.FEATURES).
LONG_QUERY = 12
NO_PARTS = [0.0] * len(FIELD_GROUPS)  # a candidate made without its BM25F parts (a test's)


def _mass(terms: frozenset[str], background: frozenset[str]) -> float:
    """How much ``terms`` of a query weigh: one each, ``BACKGROUND_WEIGHT`` for those of the background."""
    return len(terms) - (1 - BACKGROUND_WEIGHT) * len(terms & background) if background else len(terms)


def measure(candidates: list[Candidate], plan: Plan) -> None:
    """Set each candidate's ``features`` (index.model.FEATURES) for a query's ``plan``: its folded
    content syllables and pairs; the syllables and pairs of the situation a question tells before
    what it asks (``background``), which count less towards how much of the query a name explains;
    the syllables of the beneficiary phrase left out (``whom``: "cho bé"), which still say whom a
    special case is for."""
    content, background = plan.content, plan.background
    wanted = frozenset(content)
    query_pairs = frozenset(plan.pairs)
    wanted_mass = _mass(wanted, background) or 1.0
    pairs_mass = _mass(query_pairs, background)
    asked = wanted | query_pairs | plan.whom
    query_text = " ".join(content)
    best_bm25 = max((c.bm25 for c in candidates), default=0.0) or 1.0
    groups = max((len(c.parts) for c in candidates), default=0)
    best_parts = [max((c.parts[g] for c in candidates if c.parts), default=0.0) or 1.0 for g in range(groups)]
    long = min(len(wanted) / LONG_QUERY, 1.0)
    # the typo-forgiving similarity of the query to every name of every candidate, in one call
    names = [folded for candidate in candidates for folded, _ in candidate.entry.names()]
    similarity = process.cdist([query_text], names, scorer=fuzz.token_set_ratio)[0].tolist() if names else []
    offset = 0
    for candidate in candidates:
        entry = candidate.entry
        phrase = _mass(query_pairs & entry.name_pairs, background) / pairs_mass if query_pairs else 0.0
        head = sum(pair in query_pairs for pair in entry.head) / len(entry.head) if entry.head else 0.0
        coverage = precision = 0.0
        own = entry.names()  # the name, and the keywords and everyday names standing for it
        for _, name_syllables in own:
            coverage = max(coverage, _mass(wanted & name_syllables, background) / wanted_mass)
        fuzzy = max(similarity[offset : offset + len(own)]) / 100
        offset += len(own)
        for core in entry.cores():
            precision = max(precision, len(wanted & core) / len(core) if core else 0.0)
        sibling = entry.action is not None and not FOLLOW_UPS[entry.action] & asked
        case = any(not SPECIAL_CASES[case] & asked for case in entry.cases)
        parts = [part / best for part, best in zip(candidate.parts, best_parts, strict=True)] or NO_PARTS
        bm25 = candidate.bm25 / best_bm25
        candidate.features = (
            bm25,
            *parts,
            coverage,
            precision,
            fuzzy,
            phrase,
            head,
            float(sibling),
            float(case),
            long * bm25,
            long * coverage,
            long * precision,
            long * fuzzy,
        )


def rank(
    candidates: list[Candidate],
    plan: Plan,
    handled: frozenset[str] | None,
    *,
    model: Model | None = None,
) -> list[Candidate]:
    """Candidates of a query's ``plan`` scored by the ``model``'s weights (the bundled one by default)
    of their features (``measure``), best first. ``handled``: the codes of the procedures the user's
    commune handles, which come first among the twins of one procedure (its variants for each level)
    and never above a procedure that answers the question better."""
    if not candidates or not plan.content:
        return []
    weights = np.array((model or load_model()).ranking)
    measure(candidates, plan)
    for candidate, score in zip(
        candidates, (np.array([c.features for c in candidates]) @ weights).tolist(), strict=True
    ):
        candidate.score = score
    ranked = sorted(candidates, key=lambda c: (-c.score, c.entry.code))
    query_pairs = frozenset(plan.pairs)
    ranked = prefer_twins(ranked, query_pairs, handled)
    return prefer_audience(ranked, query_pairs)


def leading(ranked: list[Candidate]) -> list[Candidate]:
    """The head of a ranking worth showing: the candidates scoring at least MIN_RELATIVE_SCORE of
    the best."""
    if not ranked:
        return []
    floor = ranked[0].score - (1 - MIN_RELATIVE_SCORE) * abs(ranked[0].score)
    return [c for c in ranked if c.score >= floor]


def suggest(plan: Plan, entries: list[Entry], limit: int = 3) -> list[str]:
    """ "Did you mean": the query with typos corrected, then the names closest to the query."""
    suggestions: list[str] = []
    if plan.corrections:
        suggestions.append(" ".join(plan.content))
    query_text = " ".join(plan.content) or fold(plan.text)
    if query_text:
        # plain edit-distance ratio: the weighted scorers cost ~20 ms over a whole catalogue
        matches = process.extract(
            query_text,
            [entry.folded_name for entry in entries],
            scorer=fuzz.ratio,
            limit=limit * 3,
            score_cutoff=SUGGESTION_CUTOFF,
        )
        for _, _, number in matches:
            if entries[number].name not in suggestions:
                suggestions.append(entries[number].name)
    return suggestions[:limit]
