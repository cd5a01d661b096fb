"""Fit the search's weights (``index/model.json``) on questions written from the procedures.

    .venv/bin/python -m index.learning [--eval-dir ../shared/eval] [--out index/model.json]

The training questions are the typical questions of ``knowledge/data/everyday.json`` (written from
each procedure, kept out of the index), each with the procedure it asks for, and the labelled dev
sets (``*_dev.jsonl`` of the eval folder), every one of them in one of two folds; the messages about
no procedure are ``knowledge/data/offtopic.json`` and generated gibberish. ``bench/queries/`` is
never read: it stays a check on questions nobody trained on. On the bundled catalogue, in a fresh
database:

1. ranking: a pairwise logistic model, the features (index.model.FEATURES) of the procedure asked for
   against those of every other candidate (its own variants at other levels aside), gives a weight
   per feature;
2. the decision: with that ranking, two logistic models over the evidence (index.decision) — whether
   a procedure shown answers (training questions whose procedure is among the first five, against
   the messages about none) and whether the first one does (training questions);
3. the thresholds: "không tìm thấy" below the probability that refuses at most ``MAX_REFUSED`` of the
   answerable training questions, a card from the one whose cards are right at least
   ``CARD_PRECISION`` of the time, both read on predictions out of fold (each half of the questions
   predicted by the models fitted on the other half), so that they hold on questions not trained on.

The models are then fitted on everything and written with the counts and the out-of-fold figures.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.entries import Candidate
from index.evaluate import DEPTH, metrics, read_judgements
from index.levels import core_name
from index.model import EVIDENCE, FEATURES, MODEL_FILE, Logistic, Model
from index.ranking import leading, measure, rank
from index.service import SearchService
from knowledge.catalogue import BUNDLED_CATALOGUE, apply_catalogue, read_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.everyday import load_everyday

DEFAULT_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
OFFTOPIC_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "offtopic.json"
MAX_REFUSED = 0.03
CARD_PRECISION = 0.95
SHOWN = 5  # a list shows this many
GIBBERISH = 150
# The first everyday name of each procedure, as a short message: short questions are asked too, and
# the messages about nothing are mostly short. The names are indexed, so they teach the decision
# only (what a fully explained short message looks like), never the ranking.
NAMES = "names"
RIVALS = 20  # the candidates ranked near the right one are the ones it must beat
L2 = 1.0


@dataclass
class Example:
    text: str
    relevant: frozenset[str]  # none: about no procedure
    candidates: list[Candidate]
    source: str  # everyday, names, offtopic, or the labelled set it comes from
    fold: int


def fit_logistic(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    bias: bool,
    weights: NDArray[np.float64] | None = None,
) -> Logistic:
    """L2-regularised logistic regression by Newton's method, the classes weighed equally (and each
    row by its ``weights``, if given, which sum to the number of rows)."""
    rows = np.hstack([x, np.ones((len(x), 1))]) if bias else x
    positive = y.mean() if len(y) else 0.5
    sample = np.where(y > 0.5, 0.5 / max(positive, 1e-9), 0.5 / max(1 - positive, 1e-9))
    if weights is not None:
        sample = sample * weights
    w = np.zeros(rows.shape[1])
    penalty = np.full(rows.shape[1], L2)
    if bias:
        penalty[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(rows @ w, -50, 50)))
        gradient = rows.T @ (sample * (p - y)) + penalty * w
        hessian = (rows * (sample * p * (1 - p))[:, None]).T @ rows + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] if bias else w
    return Logistic(tuple(round(float(v), 4) for v in weights), round(float(w[-1]), 4) if bias else 0.0)


def gibberish(count: int, seed: int = 12) -> list[str]:
    """Keyboard mashes, letter soup and symbols: messages in no language."""
    rng = random.Random(seed)
    letters = "qwertyuiopasdfghjklzxcvbnm"
    rows = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
    out = []
    for number in range(count):
        kind = number % 3
        if kind == 0:
            words = [
                "".join(rng.choice(letters) for _ in range(rng.randint(3, 7)))
                for _ in range(rng.randint(1, 4))
            ]
        elif kind == 1:
            row = rng.choice(rows)
            start = rng.randrange(len(row) - 3)
            words = [row[start : start + rng.randint(3, len(row) - start)] * rng.randint(1, 2)]
        else:
            words = ["".join(rng.choice("!?.…:)(;-_=+*123456789") for _ in range(rng.randint(2, 6)))]
        out.append(" ".join(words))
    return out


def _pairs(examples: Sequence[Example]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Feature differences, the procedure asked for minus each of the first RIVALS other candidates
    (its own variants at other levels aside), and their weights: each source of questions weighs
    the same, and within it each question."""
    rows, weights = [], []
    per_source = Counter(e.source for e in examples)
    for example in examples:
        right = [c for c in example.candidates if c.entry.code in example.relevant]
        cores = {core_name(c.entry.name) for c in right}
        rivals = [
            c
            for c in example.candidates
            if c.entry.code not in example.relevant and core_name(c.entry.name) not in cores
        ][:RIVALS]
        found = [np.subtract(r.features, other.features) for other in rivals for r in right]
        if not found:
            continue
        rows.extend(found)
        weights.extend([1 / (len(found) * per_source[example.source] * len(per_source))] * len(found))
    total = np.array(weights, dtype=np.float64)
    return np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)), total * len(total) / (
        total.sum() or 1
    )


def fit_ranking(examples: Sequence[Example]) -> tuple[float, ...]:
    """The pairwise model's weights, scaled so that a perfect candidate scores about 1."""
    diffs, sample = _pairs(examples)
    x = np.vstack([diffs, -diffs])
    y = np.concatenate([np.ones(len(diffs)), np.zeros(len(diffs))])
    weights = np.array(fit_logistic(x, y, bias=False, weights=np.concatenate([sample, sample])).weights)
    scale = weights[weights > 0].sum() or 1.0
    return tuple(round(float(w / scale), 4) for w in weights)


def _predict(
    service: SearchService, examples: Sequence[Example], model: Model
) -> tuple[NDArray[np.float64], list[list[str]]]:
    """The evidence (index.decision) and the first DEPTH codes the ``model`` ranks, per example."""
    rows, ranked_codes = [], []
    for example in examples:
        plan = service.plan(example.text)
        fresh = [Candidate(c.entry, c.bm25) for c in example.candidates]
        ranked = rank(fresh, plan, None, model=model)
        rows.append(service.evidence(plan, ranked))
        ranked_codes.append([c.entry.code for c in leading(ranked)[:DEPTH]])
    return np.array(rows, dtype=np.float64).reshape(-1, len(EVIDENCE)), ranked_codes


def _labels(
    examples: Sequence[Example], ranked: list[list[str]]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(answerable: a relevant procedure is among the SHOWN first; first: one is the first), per example."""
    pairs = list(zip(examples, ranked, strict=True))
    answerable = np.array([bool(e.relevant.intersection(codes[:SHOWN])) for e, codes in pairs], dtype=bool)
    first = np.array([bool(e.relevant.intersection(codes[:1])) for e, codes in pairs], dtype=bool)
    return answerable, first


def fold_of(key: str) -> int:
    """The fold (0 or 1) of a labelled line, or of all the questions of one procedure: a stable hash."""
    return zlib.crc32(key.encode()) % 2


def fit(service: SearchService, examples: Sequence[Example]) -> Model:
    """The ranking and decision models fitted on ``examples`` (thresholds left at 0.5)."""
    ranking = fit_ranking([e for e in examples if e.relevant and e.source != NAMES])
    blank = Logistic((0.0,) * len(EVIDENCE), 0.0)
    x, ranked = _predict(service, examples, Model(ranking, blank, blank, 0.5, 0.5))
    answerable, first = _labels(examples, ranked)
    questions = np.array([bool(e.relevant) for e in examples])
    keep = ~questions | answerable  # a question whose procedure is not shown teaches nothing here
    answer_model = fit_logistic(x[keep], answerable[keep].astype(np.float64), bias=True)
    card_model = fit_logistic(x[questions], first[questions].astype(np.float64), bias=True)
    return Model(ranking, answer_model, card_model, 0.5, 0.5)


def thresholds(
    p_answer: NDArray[np.float64],
    p_card: NDArray[np.float64],
    answerable: NDArray[np.bool_],
    first: NDArray[np.bool_],
) -> tuple[float, float]:
    """The "không tìm thấy" and card thresholds (see the module's docstring), from the predictions on
    the questions."""
    none_below = float(np.quantile(p_answer[answerable], MAX_REFUSED)) if answerable.any() else 0.5
    order = np.argsort(-p_card, kind="stable")
    right = first[order].astype(np.float64)
    precision = np.cumsum(right) / np.arange(1, len(right) + 1)
    good = np.flatnonzero(precision >= CARD_PRECISION)
    card_from = float(p_card[order][good[-1]]) if good.size else 1.0
    return round(none_below, 4), round(card_from, 4)


def _examples(service: SearchService, lines: Sequence[tuple[str, frozenset[str], str, str]]) -> list[Example]:
    """(text, relevant codes, source, fold key) → examples with their measured candidates; lines
    asking for procedures not offered nationwide (a province's own, or no longer in force) are left out."""
    offered = {entry.code for entry in service.offered()}
    examples = []
    for text, relevant, source, key in lines:
        if relevant and not relevant & offered:
            continue
        plan = service.plan(text)
        candidates = service.candidates(plan)
        measure(candidates, plan)
        examples.append(Example(text, relevant & offered, candidates, source, fold_of(key)))
    return examples


def _report(
    examples: Sequence[Example], ranked: list[list[str]], refused: NDArray[np.bool_]
) -> dict[str, dict[str, float | None]]:
    """Per source and fold (each fold predicted by the models fitted on the other): the metrics of
    index.evaluate over its questions (a refused one shows nothing), and the share refused."""
    report = {}
    for source in dict.fromkeys(e.source for e in examples):
        for fold in (0, 1):
            rows = [i for i, e in enumerate(examples) if e.source == source and e.fold == fold]
            asked = [i for i in rows if examples[i].relevant]
            figures: dict[str, float | None] = {"n": len(rows)}
            if asked:
                figures.update(
                    metrics(([] if refused[i] else ranked[i], examples[i].relevant) for i in asked)
                )
            figures["refused"] = round(float(refused[rows].mean()), 4) if rows else 0.0
            report[f"{source} fold {fold}"] = figures
    return report


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m index.learning", description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL, help="the labelled *_dev.jsonl sets")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    everyday = load_everyday()
    offtopic = json.loads(OFFTOPIC_FILE.read_text(encoding="utf-8"))["messages"]
    negatives = [m for messages in offtopic.values() for m in messages] + gibberish(GIBBERISH)
    lines = [(text, frozenset({code}), "everyday", code) for text, code in everyday.questions]
    lines += [(names[0], frozenset({code}), NAMES, code) for code, names in everyday.names.items() if names]
    lines += [(text, frozenset(), "offtopic", text) for text in negatives]
    for path in sorted(args.eval_dir.glob("*_dev.jsonl")):
        lines += [(j.query, j.relevant, path.stem, j.query) for j in read_judgements(path)]
    catalogue = read_catalogue(BUNDLED_CATALOGUE)
    with tempfile.TemporaryDirectory(prefix="tthc-learning-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'learning.sqlite3'}")
        create_schema(engine)
        with make_sessionmaker(engine).begin() as session:
            apply_catalogue(session, catalogue, "learning")
        service = SearchService(make_sessionmaker(engine), Path(tmp) / "index", everyday=everyday)
        service.ensure_index()
        examples = _examples(service, lines)

        # out of fold: each half predicted by the models fitted on the other
        p_answer, p_card = np.zeros(len(examples)), np.zeros(len(examples))
        ranked: list[list[str]] = [[] for _ in examples]
        for fold in (0, 1):
            model = fit(service, [e for e in examples if e.fold != fold])
            where = [i for i, e in enumerate(examples) if e.fold == fold]
            x, codes = _predict(service, [examples[i] for i in where], model)
            for i, row, found in zip(where, x, codes, strict=True):
                p_answer[i] = model.answerable.probability(row)
                p_card[i] = model.card.probability(row)
                ranked[i] = found
        answerable, first = _labels(examples, ranked)
        questions = np.array([bool(e.relevant) for e in examples])
        asked = questions & np.array([e.source != NAMES for e in examples])  # the names are too easy
        none_below, card_from = thresholds(p_answer[asked], p_card[asked], answerable[asked], first[asked])
        final = fit(service, examples)
        engine.dispose()
    refused = p_answer < none_below
    cards = questions & ~refused & (p_card >= card_from)
    report = {
        "out_of_fold": _report(examples, ranked, refused),
        "cards": {
            "n": int(cards.sum()),
            "right": round(float(first[cards].mean()), 4) if cards.any() else 0.0,
        },
    }
    data = {
        "about": __doc__.splitlines()[0] + " Made by `python -m index.learning`; do not edit by hand.",
        "trained": report,
        "ranking": dict(zip(FEATURES, final.ranking, strict=True)),
        "answerable": final.answerable.to_json(EVIDENCE),
        "card": final.card.to_json(EVIDENCE),
        "none_below": none_below,
        "card_from": card_from,
    }
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
