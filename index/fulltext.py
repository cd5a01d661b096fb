"""BM25 postings of the long texts of each procedure, counted beside the whoosh index.

A procedure's documents, steps, conditions, agencies and legal basis hold twenty times the words of
its name. whoosh writes postings one by one in Python, which made those texts most of the build
time; they need neither word segmentation nor anything else whoosh offers, only the BM25 weight of
a folded term in a document. So they are counted here into plain postings when the index is built,
and weighed the way whoosh weighs its own fields (same BM25F formula and idf), so that the scores of
both add up as before; ``index.weights`` keeps the weights of both.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

B, K1 = 0.75, 1.2  # BM25F's parameters, for the whoosh fields too (index.weights)

Postings = tuple[NDArray[np.intp], NDArray[np.float64]]  # document numbers, BM25F weights
NO_POSTINGS: Postings = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64))


class FullText:
    """Postings per (field, term): document numbers and term counts, with each field's lengths."""

    def __init__(
        self,
        codes: Sequence[str],
        lengths: dict[str, array[int]],
        postings: dict[str, dict[str, bytes]],
    ) -> None:
        self.codes = list(codes)
        self._lengths = lengths
        self._postings = postings
        self._length_arrays = {name: np.array(values, dtype=np.float64) for name, values in lengths.items()}
        self._average = {
            name: (sum(values) / len(values) if values else 0.0) or 1.0 for name, values in lengths.items()
        }

    @classmethod
    def build(
        cls,
        codes: Sequence[str],
        texts: Iterable[dict[str, str]],
        analyzers: dict[str, Callable[[str], list[str]]],
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
        return cls(codes, lengths, postings)

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
        norm = K1 * ((1 - B) + B * self._length_arrays[fieldname][docs] / self._average[fieldname])
        return docs, idf * counts * (K1 + 1) / (counts + norm)
