"""Understanding a query before it reaches the index: codes, the dictionary, typos, the whoosh query."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from index.acronyms import Acronyms
from index.analysis import chunks, fold, normalize, pairs, syllables, words
from index.schema import FIELD_BOOST, VIEW_WEIGHT, VIEWS, field_name
from index.vocabulary import Vocabulary

MAX_QUERY_CHARS = 1000  # longer input is cut: nobody types more, and it bounds the time spent
CODE_RE = re.compile(r"(?<![\w.])(\d{1,2}\.\d{6}(?:\.[0-9A-Za-z]+)*)(?![\w])")

_MIN_TYPO_LENGTH = 4  # shorter syllables are one edit away from too many others
# Terms found in more than this share of the documents of a field are left out of the BM25 query:
# they add little to it (low IDF) but most of its cost. The re-ranking still counts them.
COMMON_SHARE = 0.15
COMMON_MIN_DOCS = 200  # below this a term is cheap whatever its share (and small catalogues need them)
# How much a word of the situation a question tells before asking counts, against a word of what it
# asks (index.vocabulary: "Vợ tôi mới sinh con, nay tôi muốn đăng ký khai sinh …").
BACKGROUND_WEIGHT = 0.5


@dataclass(frozen=True)
class Plan:
    """What a query asks for, ready to run against one index."""

    text: str  # normalised query as typed
    codes: list[str]  # procedure codes mentioned in it
    rewritten: str  # after the dictionary, fillers removed
    content: list[str]  # folded content syllables after typo correction, in order
    corrections: dict[str, str]  # typed syllable → lexicon syllable
    optional: frozenset[str]  # content syllables brought in by dictionary expansions
    terms: list[tuple[str, str, float]]  # (index field, term, boost) to score with BM25F
    pairs: tuple[str, ...] = ()  # adjacent content syllables, never across a dropped filler or punctuation
    # content syllables and pairs found only in the situation told before what is asked
    background: frozenset[str] = frozenset()
    whom: frozenset[str] = frozenset()  # folded syllables of the beneficiary phrase left out


def plan_query(
    raw: str,
    vocabulary: Vocabulary,
    lexicon: frozenset[str],
    lexicon_list: list[str],
    common: frozenset[tuple[str, str]] = frozenset(),
    acronyms: Acronyms | None = None,
) -> Plan:
    """Read a query: codes, dictionary rewrite, the catalogue's ``acronyms`` the dictionary does not
    know, typo correction against ``lexicon`` (folded syllables of the index) and the terms to score,
    without the ``common`` (field, term) pairs."""
    text = normalize(raw[:MAX_QUERY_CHARS])
    codes = CODE_RE.findall(text)
    spelled = CODE_RE.sub(" ", text)
    if acronyms is not None:
        spelled = acronyms.expand(spelled, lambda word: fold(word) in lexicon or word in vocabulary)
    rewrite = vocabulary.rewrite(spelled)
    corrections: dict[str, str] = {}
    content: list[str] = []
    query_pairs: list[str] = []
    told = (0, 0)  # how many content syllables and pairs the situation before what is asked holds
    for number, phrase in enumerate(rewrite.phrases):
        if number == rewrite.background:
            told = len(content), len(query_pairs)
        for chunk in chunks(phrase):
            corrected = [_correct(syllable, lexicon, lexicon_list, corrections) for syllable in chunk]
            content.extend(corrected)
            query_pairs.extend(pairs(corrected))
    syllables_told, pairs_told = told
    background = frozenset(content[:syllables_told]).difference(content[syllables_told:]) | frozenset(
        query_pairs[:pairs_told]
    ).difference(query_pairs[pairs_told:])
    found = tuple(dict.fromkeys(query_pairs))
    terms = _terms(rewrite.text, content, found, common, background) or _terms(
        rewrite.text, content, found, frozenset(), background
    )
    optional = frozenset(s for added in rewrite.added for s in syllables(added))
    whom = frozenset(syllables(rewrite.whom))
    return Plan(text, codes, rewrite.text, content, corrections, optional, terms, found, background, whom)


def _correct(
    syllable: str, lexicon: frozenset[str], lexicon_list: list[str], corrections: dict[str, str]
) -> str:
    """The lexicon syllable one edit away from an unknown one (recorded in ``corrections``)."""
    if syllable in lexicon or len(syllable) < _MIN_TYPO_LENGTH or syllable.isdigit():
        return syllable
    if syllable not in corrections:
        match = process.extractOne(syllable, lexicon_list, scorer=Levenshtein.distance, score_cutoff=1)
        if match is None:
            return syllable
        corrections[syllable] = match[0]
    return corrections[syllable]


def _terms(
    rewritten: str,
    content: list[str],
    query_pairs: tuple[str, ...],
    common: frozenset[tuple[str, str]],
    background: frozenset[str] = frozenset(),
) -> list[tuple[str, str, float]]:
    """Every view of every field, OR-ed: BM25F then weighs each matching term; the terms of the
    ``background`` alone (a word of the words view when all its syllables are) weigh less."""
    terms_by_view = {"w": set(words(rewritten)), "f": set(content), "p": set(query_pairs)}
    told = background
    if background:  # a word of the words view is told when all its syllables are
        told = background | {
            term for term in terms_by_view["w"] if background.issuperset(syllables(term.replace("_", " ")))
        }
    terms: list[tuple[str, str, float]] = []
    for source, views in VIEWS.items():
        for view in views:
            boost = FIELD_BOOST[source] * VIEW_WEIGHT[view]
            name = field_name(source, view)
            terms.extend(
                (name, term, boost * (BACKGROUND_WEIGHT if term in told else 1.0))
                for term in sorted(terms_by_view[view])
                if (name, term) not in common
            )
    return terms
