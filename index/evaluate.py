"""Retrieval metrics over a labelled query file (JSON lines ``{"query", "relevant": [codes]}``).

A hit is any relevant code: top-1 and recall@k ask whether one appears in the first k results, and
MRR@10 averages 1/rank of the first one within the top ten, over the lines with relevant codes. A
line whose ``relevant`` is empty is a message that must get "no good match": ``no_match_ok`` is the
share of those that got no answer, ``no_match_wrong`` the share of the others that got none. "No
answer" is the bot's own decision (index.decision): its search shows nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.service import SearchService

METRICS = ("top1", "recall@3", "recall@5", "mrr@10")
DEPTH = 10


@dataclass(frozen=True)
class Judgement:
    query: str
    relevant: frozenset[str]


def read_judgements(path: Path) -> list[Judgement]:
    judgements = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            judgements.append(Judgement(str(item["query"]), frozenset(map(str, item["relevant"]))))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a judgement line ({exc})") from exc
    return judgements


def metrics(rankings: Iterable[tuple[list[str], frozenset[str]]]) -> dict[str, float | None]:
    """n, top-1, R@3, R@5 and MRR@10 of (ranked codes, relevant codes) pairs with relevant codes;
    with lines without any, ``no_match_ok`` and ``no_match_wrong`` too (see the module's docstring)."""
    n = 0
    totals = dict.fromkeys(METRICS, 0.0)
    unanswerable = refused = wrongly_refused = 0
    for codes, relevant in rankings:
        if not relevant:
            unanswerable += 1
            refused += not codes
            continue
        n += 1
        wrongly_refused += not codes
        first = next((rank for rank, code in enumerate(codes[:DEPTH], 1) if code in relevant), None)
        if first is None:
            continue
        totals["top1"] += first == 1
        totals["recall@3"] += first <= 3
        totals["recall@5"] += first <= 5
        totals["mrr@10"] += 1 / first
    figures: dict[str, float | None] = {"n": n}
    figures.update((name, round(value / n, 4) if n else 0.0) for name, value in totals.items())
    figures["no_match_n"] = unanswerable
    figures["no_match_ok"] = round(refused / unanswerable, 4) if unanswerable else None
    figures["no_match_wrong"] = round(wrongly_refused / n, 4) if n else 0.0
    return figures


def evaluate_ranker(
    ranker: Callable[[str], list[str]], judgements: list[Judgement]
) -> dict[str, float | None]:
    return metrics((ranker(j.query), j.relevant) for j in judgements)


def evaluate(service: SearchService, path: Path) -> dict[str, float | None]:
    """Metrics of ``service.search`` over the judgements in the file at ``path``."""

    def ranker(query: str) -> list[str]:
        return [hit.code for hit in service.search(query, top=DEPTH).hits]

    return evaluate_ranker(ranker, read_judgements(path))
