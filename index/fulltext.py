"""BM25 postings of every indexed text of each procedure, counted when the index is built.

whoosh writes postings one by one in Python, which made them most of the build time, while a search
needs nothing of whoosh but each term's BM25F weight in each document (``index.weights``). So the
terms are counted here into plain postings and weighed with whoosh's BM25F formula and idf.

Two kinds of fields are kept, as the ranking was tuned on them: the short texts (name, keywords,
field, result) weighed exactly as whoosh weighed them when it indexed them — with the field lengths
as whoosh stores them, rounded to a byte, and its very expression, so that every weight is the same
float — and the long texts (documents, steps, conditions, agencies, legal basis), which were always
counted here, with exact lengths.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from whoosh.util.numeric import byte_to_length, length_to_byte

B, K1 = 0.75, 1.2  # BM25F's parameters, for the whoosh fields too (index.weights)

Postings = tuple[NDArray[np.intp], NDArray[np.float64]]  # document numbers, BM25F weights
NO_POSTINGS: Postings = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64))


class FullText:
    """Postings per (field, term): document numbers and term counts, with each field's lengths.

    With ``whoosh_lengths`` a document's field length is the one whoosh stores (rounded to a byte),
    and a weight is computed the way ``whoosh.scoring.BM25F`` computed it."""

    def __init__(
        self,
        codes: Sequence[str],
        lengths: dict[str, array[int]],
        postings: dict[str, dict[str, bytes]],
        *,
        whoosh_lengths: bool = False,
    ) -> None:
        self.codes = list(codes)
        self._lengths = lengths
        self._postings = postings
        self._whoosh = whoosh_lengths
        stored = (lambda n: byte_to_length(length_to_byte(n))) if whoosh_lengths else (lambda n: n)
        self._length_arrays = {
            name: np.array([stored(n) for n in values], dtype=np.float64) for name, values in lengths.items()
        }
        # whoosh's average is the exact total over the documents, as here
        self._average = {
            name: (sum(values) / len(values) if values else 0.0) or 1.0 for name, values in lengths.items()
        }

    @classmethod
    def build(
        cls,
        codes: Sequence[str],
        texts: Iterable[dict[str, str]],
        analyzers: dict[str, Callable[[str], list[str]]],
        *,
        whoosh_lengths: bool = False,
    ) -> FullText:
        """Count the terms ``analyzers`` (index field → analyzer) find in each document's text for
        the field (``texts`` in the order of ``codes``; a field reads the text under its source name,
        the part before the last "_")."""
        lengths: dict[str, array[int]] = {name: array("I") for name in analyzers}
        found: dict[str, dict[str, array[int]]] = {name: {} for name in analyzers}
        for docnum, text in enumerate(texts):
            for name, analyze in analyzers.items():
                terms = analyze(text.get(name.rpartition("_")[0], ""))
                lengths[name].append(len(terms))
                by_term = found[name]
                for term, count in Counter(terms).items():
                    by_term.setdefault(term, array("I")).extend((docnum, count))
        postings = {
            name: {term: values.tobytes() for term, values in by_term.items()}
            for name, by_term in found.items()
        }
        return cls(codes, lengths, postings, whoosh_lengths=whoosh_lengths)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self._postings)

    def terms(self, fieldname: str) -> Iterable[str]:
        return self._postings.get(fieldname, {}).keys()

    def weights(self, fieldname: str, term: str) -> Postings:
        """Document numbers and BM25 weights of every document holding ``term`` in ``fieldname``."""
        raw = self._postings.get(fieldname, {}).get(term)
        if not raw:
            return NO_POSTINGS
        values = np.frombuffer(raw, dtype=np.uint32).reshape(-1, 2)
        docs = values[:, 0].astype(np.intp)
        counts = values[:, 1].astype(np.float64)
        idf = math.log(len(self.codes) / (len(docs) + 1)) + 1  # whoosh's idf
        lengths, average = self._length_arrays[fieldname], self._average[fieldname]
        if self._whoosh:  # whoosh.scoring.BM25F's own expression, term for term
            return docs, idf * ((counts * (K1 + 1)) / (counts + K1 * ((1 - B) + B * lengths[docs] / average)))
        norm = K1 * ((1 - B) + B * lengths[docs] / average)
        return docs, idf * counts * (K1 + 1) / (counts + norm)
