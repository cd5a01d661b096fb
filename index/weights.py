"""Every term's BM25F weights, computed once, when the index is built.

A query is scored by adding up, term by term, the weights of the documents that hold the term
(``index.service``). Working out a term's weights means walking its postings in Python; done for
every term at build time (about a second for the whole catalogue, in the building process), it
leaves a query nothing but array additions, from its very first term.

The whoosh fields are weighed with whoosh's own BM25F — the same formula, operands and order as
``whoosh.scoring.BM25FScorer``, with the field lengths as whoosh stores them (rounded to a byte) —
and the long texts of ``index.fulltext`` with its own: the very floats a searcher would compute.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from whoosh.index import FileIndex
from whoosh.scoring import BM25F

from index.fulltext import K1, NO_POSTINGS, B, FullText, Postings

WEIGHTS_FILE = "weights.pickle"
_FORMAT = 1
_DOCS, _WEIGHTS = np.dtype(np.int32), np.dtype(np.float64)


class TermWeights:
    """(field, term) → the numbers and BM25F weights of the documents holding the term."""

    def __init__(self, codes: Sequence[str], postings: dict[str, dict[str, tuple[bytes, bytes]]]) -> None:
        self.codes = list(codes)
        self._postings = postings

    @classmethod
    def compute(cls, index: FileIndex, fulltext: FullText, fields: Iterable[str]) -> TermWeights:
        """The weights of every term of the whoosh ``fields`` of ``index`` and of ``fulltext``."""
        weighting = BM25F(B=B, K1=K1)
        postings: dict[str, dict[str, tuple[bytes, bytes]]] = {}
        with index.searcher(weighting=weighting) as searcher:
            reader = searcher.reader()
            count = reader.doc_count_all()
            for fieldname in fields:
                lengths = np.array(
                    [reader.doc_field_length(n, fieldname, 1) for n in range(count)], dtype=np.float64
                )
                average = searcher.avg_field_length(fieldname) or 1
                by_term = postings[fieldname] = {}
                for raw in reader.lexicon(fieldname):
                    term = raw.decode("utf-8")
                    matcher = reader.postings(fieldname, term)
                    docs: list[int] = []
                    frequencies: list[float] = []
                    while matcher.is_active():
                        docs.append(matcher.id())
                        frequencies.append(matcher.weight())
                        matcher.next()
                    numbers = np.array(docs, dtype=np.intp)
                    tf = np.array(frequencies, dtype=np.float64)
                    idf = weighting.idf(searcher, fieldname, term)
                    weights = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * lengths[numbers] / average)))
                    by_term[term] = _pack(numbers, weights)
        for fieldname in fulltext.fields:
            postings[fieldname] = {
                term: _pack(*fulltext.weights(fieldname, term)) for term in fulltext.terms(fieldname)
            }
        return cls(fulltext.codes, postings)

    def save(self, folder: Path) -> None:
        data = {"format": _FORMAT, "codes": self.codes, "postings": self._postings}
        with open(folder / WEIGHTS_FILE, "wb") as out:
            pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, folder: Path) -> TermWeights:
        """The weights saved in ``folder``; ValueError when the file is missing or not one of ours."""
        try:
            with open(folder / WEIGHTS_FILE, "rb") as stream:
                data = pickle.load(stream)  # our own build output, in our own directory
            if data["format"] != _FORMAT:
                raise ValueError(f"term weights format {data['format']!r}, expected {_FORMAT}")
            return cls(data["codes"], data["postings"])
        except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"unreadable term weights: {exc}") from exc

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self._postings)

    def terms(self, fieldname: str) -> Iterable[str]:
        return self._postings.get(fieldname, {}).keys()

    def doc_frequency(self, fieldname: str, term: str) -> int:
        packed = self._postings.get(fieldname, {}).get(term)
        return len(packed[0]) // _DOCS.itemsize if packed else 0

    def get(self, fieldname: str, term: str) -> Postings:
        """Document numbers and BM25F weights of every document holding ``term`` in ``fieldname``."""
        packed = self._postings.get(fieldname, {}).get(term)
        if packed is None:
            return NO_POSTINGS
        return np.frombuffer(packed[0], dtype=_DOCS), np.frombuffer(packed[1], dtype=_WEIGHTS)


def _pack(docs: np.ndarray, weights: np.ndarray) -> tuple[bytes, bytes]:
    return docs.astype(_DOCS).tobytes(), weights.astype(_WEIGHTS).tobytes()
