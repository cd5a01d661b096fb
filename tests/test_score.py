"""The 766 score from figures: points, targets, points lost, and what the data cannot support."""

from __future__ import annotations

from knowledge.compliance.figures import Figures
from knowledge.compliance.score import GROUPS, INDICATORS, TOTAL_POINTS, points_for, score


def test_indicator_points_add_up_to_each_group_and_to_100() -> None:
    for group, (_name, points) in GROUPS.items():
        assert sum(i.points for i in INDICATORS if i.group == group) == points
    assert sum(points for _name, points in GROUPS.values()) == TOTAL_POINTS


def test_portal_rule_full_points_at_target_proportional_below() -> None:
    assert points_for(50.0, 12, 50) == 12
    assert points_for(90.0, 4, 80) == 4
    assert points_for(30.0, 12, 50) == 7.2
    assert points_for(80.0, 20, None) == 16


def test_score_of_hand_made_figures() -> None:
    figures = Figures(
        received=10, late=1, overdue_now=1, online=3, fee_bearing=4, paid_online=1, fee_procedures=2,
        paid_procedures=1, e_result=5, digitised=9, reused=2,
    )  # fmt: skip
    result = score(figures)
    # 2.1: 8/10 = 80% → 16 · 3.3: 30% of a 50% target → 7.2 · 3.6: 25% → 1.5 · 3.5b: 50% of 80% → 1.25
    # 4.1: 50% → 3 · 4.2: 90% ≥ 80% → 4 · 4.3: 20% of 80% → 0.5
    assert result.total == 33.45
    assert result.max_points == 52
    assert [(i.indicator.id, i.lost) for i in result.lost_points] == [
        ("3.3", 4.8), ("3.6", 4.5), ("2.1", 4.0), ("4.1", 3.0), ("4.3", 1.5), ("3.5b", 0.75),
    ]  # fmt: skip
    assert result.group_points("4") == 7.5
    assert result.group_points("5") is None


def test_unsupported_indicators_are_never_given_a_value() -> None:
    result = score(Figures(received=10, digitised=10))
    unsupported = {i.id for i in result.unsupported}
    assert unsupported == {
        "1.1", "1.2", "1.3", "1.4", "3.1", "3.2", "3.5", "4.2b", "4.4", "4.5a", "4.5b", "5.2", "5.3", "5.4",
    }  # fmt: skip
    for item in result.items:
        if item.indicator.id in unsupported:
            assert (item.ratio, item.points, item.lost, item.as_dict()["supported"]) == (
                None,
                None,
                0.0,
                False,
            )


def test_nothing_to_divide_by_scores_nothing_and_loses_nothing() -> None:
    result = score(Figures(received=4, online=2, digitised=4, e_result=4, reused=4))  # no fees at all
    payment = {i.indicator.id: i for i in result.items if i.indicator.group == "3b"}
    assert payment["3.6"].points is None and payment["3.5b"].points is None
    assert result.max_points == 52 - 8
    assert result.total == 20 + 12 + 6 + 4 + 2
    assert result.lost_points == []
    assert score(Figures()).total == 0 and score(Figures()).max_points == 0
