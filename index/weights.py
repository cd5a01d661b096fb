"""Every term's BM25F weights, computed once, when the index is built.

A query is scored by adding up, term by term, the weights of the documents that hold the term
(``index.service``). The weights of every term of every field are worked out at build time from the
postings ``index.fulltext`` counts (the short texts with whoosh's BM25F, the field lengths as whoosh
stores them, the very floats a whoosh searcher computed; the long texts with exact lengths), so a
query is nothing but array additions, from its very first term.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from index.fulltext import NO_POSTINGS, FullText, Postings

WEIGHTS_FILE = "weights.pickle"
_FORMAT = 1
_DOCS, _WEIGHTS = np.dtype(np.int32), np.dtype(np.float64)
_CACHED = 100_000  # decoded terms kept; about 200 bytes each


class TermWeights:
    """(field, term) → the numbers and BM25F weights of the documents holding the term."""

    def __init__(self, codes: Sequence[str], postings: dict[str, dict[str, tuple[bytes, bytes]]]) -> None:
        self.codes = list(codes)
        self._postings = postings
        self._arrays: dict[tuple[str, str], Postings] = {}

    @classmethod
    def compute(cls, *fulltexts: FullText) -> TermWeights:
        """The weights of every term of every field of ``fulltexts`` (built over the same codes)."""
        postings: dict[str, dict[str, tuple[bytes, bytes]]] = {}
        for fulltext in fulltexts:
            for fieldname in fulltext.fields:
                postings[fieldname] = {
                    term: _pack(*fulltext.weights(fieldname, term)) for term in fulltext.terms(fieldname)
                }
        return cls(fulltexts[0].codes, postings)

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
        """Document numbers and BM25F weights of every document holding ``term`` in ``fieldname``
        (views on the packed bytes, kept for the terms queries meet again: ``_CACHED`` of them)."""
        key = (fieldname, term)
        found = self._arrays.get(key)
        if found is None:
            packed = self._postings.get(fieldname, {}).get(term)
            if packed is None:
                return NO_POSTINGS
            found = np.frombuffer(packed[0], dtype=_DOCS), np.frombuffer(packed[1], dtype=_WEIGHTS)
            if len(self._arrays) >= _CACHED:
                self._arrays.clear()
            self._arrays[key] = found
        return found


def _pack(docs: np.ndarray, weights: np.ndarray) -> tuple[bytes, bytes]:
    return docs.astype(_DOCS).tobytes(), weights.astype(_WEIGHTS).tobytes()
