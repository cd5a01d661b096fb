"""What is indexed of a procedure and how each part weighs: the schema the index is built with
(index.building), queried with (index.query) and ranked with (index.ranking, index.service).

Each source text of a procedure (its name, everyday names, papers, steps…) is indexed in one or more
views — w: words (underthesea's segmentation), f: folded syllables, p: folded syllable pairs — each
view an index field of its own ("name_w", "documents_f"). A query's terms are weighed per source and
view; the BM25F parts of the groups of sources are features of the ranking.
"""

from __future__ import annotations

# Which views each indexed text gets: w = words, f = folded syllables, p = folded pairs.
# Segmenting long texts costs the most at build time, so the long texts are folded only.
VIEWS: dict[str, str] = {
    "name": "wfp",
    "keywords": "wfp",  # everyday phrases some records carry ("làm giấy khai sinh")
    "everyday": "wfp",  # the everyday names of knowledge/data/everyday.json ("sang tên sổ đỏ")
    "events": "f",  # the words of the life events that lead to a procedure ("sinh con", "mua xe")
    "field": "wf",
    "result": "wfp",
    "documents": "fp",
    "audiences": "f",
    # what portal questions talk about besides the name: the situation, conditions, agency, law
    "steps": "f",
    "conditions": "f",
    "agencies": "f",
    "legal": "f",
}
# Sources weighed with exact lengths; the others as whoosh weighed them (see index.fulltext).
LONG_TEXTS = frozenset({"events", "documents", "audiences", "steps", "conditions", "agencies", "legal"})
# The sources whose syllables make a procedure's ``vocabulary``, against which ranking checks that
# the best hit explains the query. Steps, conditions and the law mention too much to be evidence.
DESCRIBING = ("name", "keywords", "everyday", "field", "result", "documents", "audiences")
# Boosts per indexed field and per view; the name says most about what a procedure is.
FIELD_BOOST = {
    "name": 3.0,
    "keywords": 2.0,
    "everyday": 2.0,
    "events": 0.3,
    "field": 0.8,
    "result": 1.0,
    "documents": 0.35,
    "audiences": 0.4,
    # low: they hold many words, and only break ties between names that match alike
    "steps": 0.3,
    "conditions": 0.3,
    "agencies": 0.2,
    "legal": 0.3,
}
# The fields' groups, whose BM25F parts the ranking weighs apart (index.model.FEATURES): what names
# the procedure, what it does and gives, what it asks for and whom, and how it goes.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "names": ("name", "keywords", "everyday"),
    "purpose": ("field", "result", "events"),
    "papers": ("documents", "audiences"),
    "process": ("steps", "conditions", "agencies", "legal"),
}
GROUP_OF = {source: number for number, sources in enumerate(FIELD_GROUPS.values()) for source in sources}
VIEW_WEIGHT = {"w": 1.0, "f": 0.6, "p": 1.0}


def field_name(source: str, view: str) -> str:
    """The index field of a source's view: "name_w", "documents_f"…"""
    return f"{source}_{view}"
