"""Which procedures a commune handles, judged against real communes' published lists.

The figures are those bench/scope.py reports (BENCHMARKS.md, "Commune scope"), on the bundled
catalogue; this test keeps them from falling. It is a quality floor, not a timed test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bench.scope import commune_lists, measure
from knowledge.catalogue import BUNDLED_CATALOGUE, apply_catalogue, read_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.units import load_units

# (precision, recall over all listed codes, recall over listed codes in the catalogue) reached on
# the bundled catalogue; precision is None for a list that is only a part of the commune's list.
FLOORS = {
    "nui_cam": (0.920, 0.830, 0.832),
    "vinh_bao": (None, 0.940, 0.979),
}


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    path = tmp_path_factory.mktemp("scope") / "scope.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        load_units(session)
        apply_catalogue(session, read_catalogue(BUNDLED_CATALOGUE), "bundled")
    with sessions() as session:
        yield session
    engine.dispose()


def test_every_list_has_a_floor_and_a_source() -> None:
    lists = commune_lists()
    assert {commune.name for commune in lists} == set(FLOORS)
    source = (Path(__file__).parent / "fixtures" / "commune_lists" / "SOURCE.md").read_text(encoding="utf-8")
    for commune in lists:
        assert f"{commune.name}.json" in source
        assert commune.codes and all(code.count(".") == 1 for code in commune.codes)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_scope_stays_at_or_above_what_was_reached(bundled: Session, name: str) -> None:
    commune = next(c for c in commune_lists() if c.name == name)
    scores = measure(bundled, commune)
    precision, recall, recall_in_catalogue = FLOORS[name]
    assert commune.complete == (precision is not None)
    if precision is not None:
        assert scores.precision >= precision
    assert scores.recall >= recall
    assert scores.recall_in_catalogue >= recall_in_catalogue
