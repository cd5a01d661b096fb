"""The learned weights of the search (``index/model.json``): how candidates are ordered, and when the
bot answers with one card, a list, or "không tìm thấy".

The weights are not set by hand: ``python -m index.learning`` fits them on the everyday questions of
``knowledge/data/everyday.json`` (written from the procedures, never from an evaluation set) and on
messages that are about no procedure (``knowledge/data/offtopic.json`` and generated gibberish), and
writes this file with what it was trained on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).resolve().parent / "model.json"
# What tells how well a candidate answers a query (index.ranking computes them).
FEATURES = (
    "bm25",
    "bm25_names",
    "bm25_purpose",
    "bm25_papers",
    "bm25_process",
    "coverage",
    "precision",
    "fuzzy",
    "phrase",
    "head",
    "sibling",
    "case",
    "long_bm25",
    "long_coverage",
    "long_precision",
    "long_fuzzy",
)
# What tells whether the best candidates answer the message at all (index.decision computes them).
EVIDENCE = (
    "score",
    "margin",
    "explained",
    "known",
    "missed",
    "coverage",
    "phrase",
    "said",
    "long_score",
    "long_explained",
    "long_missed",
    "long_known",
)


@dataclass(frozen=True)
class Logistic:
    """A logistic model over named features: the probability that its event holds."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, values, strict=True))
        return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_json(self, names: Sequence[str]) -> dict[str, Any]:
        return {"weights": dict(zip(names, self.weights, strict=True)), "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict[str, Any], names: Sequence[str]) -> Logistic:
        return cls(tuple(float(data["weights"][name]) for name in names), float(data["bias"]))


@dataclass(frozen=True)
class Model:
    """``ranking``: a weight per ranking feature (index.ranking.FEATURES); ``answerable``: whether
    any procedure shown answers the message; ``card``: whether the first one does. Below
    ``none_below`` the bot says it found nothing; from ``card_from`` on it shows the first as a card."""

    ranking: tuple[float, ...]
    answerable: Logistic
    card: Logistic
    none_below: float
    card_from: float


def read_model(path: Path) -> Model:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Model(
        tuple(float(data["ranking"][name]) for name in FEATURES),
        Logistic.from_json(data["answerable"], EVIDENCE),
        Logistic.from_json(data["card"], EVIDENCE),
        float(data["none_below"]),
        float(data["card_from"]),
    )


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> Model:
    """The bundled model."""
    return read_model(path)
