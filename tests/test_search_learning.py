"""Fitting the search's weights (index.learning): the logistic fit, the thresholds, the folds, the
gibberish, and the bundled model file's shape."""

from __future__ import annotations

import json

import numpy as np

from index.learning import fit_logistic, fold_of, gibberish, thresholds
from index.model import EVIDENCE, FEATURES, MODEL_FILE, Logistic, load_model


def test_the_logistic_fit_finds_which_way_each_feature_points() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    y = (2 * x[:, 0] - x[:, 1] + 0.1 * rng.normal(size=400) > 0).astype(np.float64)
    model = fit_logistic(x, y, bias=True)
    assert model.weights[0] > 1 and model.weights[1] < -0.5 and abs(model.weights[2]) < 0.5
    assert model.probability((2.0, -1.0, 0.0)) > 0.95 > 0.05 > model.probability((-2.0, 1.0, 0.0))


def test_the_classes_weigh_the_same_however_many_of_each() -> None:
    """Ten times more of one class must not move the boundary towards the other."""
    x = np.array([[v] for v in [*np.linspace(0.6, 1.0, 100), *np.linspace(0.0, 0.4, 10)]])
    y = np.array([1.0] * 100 + [0.0] * 10)
    model = fit_logistic(x, y, bias=True)
    assert abs(model.probability((0.5,)) - 0.5) < 0.1


def test_thresholds_refuse_few_answerable_questions_and_cards_are_right() -> None:
    p_answer = np.linspace(0.0, 1.0, 101)
    answerable = p_answer > 0.2
    p_card = np.linspace(0.0, 1.0, 101)
    first = p_card > 0.5  # every card above 0.5 is right
    none_below, card_from = thresholds(p_answer, p_card, answerable, first)
    refused = (p_answer < none_below) & answerable
    assert refused.sum() / answerable.sum() <= 0.04
    shown = p_card >= card_from
    assert first[shown].mean() >= 0.95


def test_folds_are_stable_and_both_used() -> None:
    keys = [f"1.00{n:04d}" for n in range(200)]
    assert [fold_of(k) for k in keys] == [fold_of(k) for k in keys]
    assert {fold_of(k) for k in keys} == {0, 1}


def test_gibberish_is_the_same_every_time_and_not_words() -> None:
    assert gibberish(30) == gibberish(30)
    assert all(message.strip() for message in gibberish(30))


def test_the_bundled_model_weighs_every_feature_and_piece_of_evidence() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert set(data["ranking"]) == set(FEATURES)
    assert set(data["answerable"]["weights"]) == set(data["card"]["weights"]) == set(EVIDENCE)
    model = load_model()
    assert 0 < model.none_below < 1 and 0 < model.card_from < 1
    assert isinstance(model.answerable, Logistic)
    assert data["trained"]["out_of_fold"], "the file records what its fit scored out of fold"
