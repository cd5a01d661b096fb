"""Benchmark: loading the bundled units, resolving what people type, and applicability per commune.

    .venv/bin/python -m bench.units [--database URL] [--sample N]

Targets: loading ~14k units in a couple of seconds (SQLite and PostgreSQL); a resolve in a few ms;
procedures_for_unit fast once cached. Quality: N old communes drawn with a fixed seed are typed
as a person would — unaccented name with district and province, the bare name, the name with one
letter dropped — and a hit is a first result that is, or became, one of the commune's 2025 units.
Without --database the run uses a fresh SQLite file; with a PostgreSQL URL a fresh schema, dropped
afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.applicability import procedures_for_unit
from knowledge.catalogue import BUNDLED_CATALOGUE, apply_catalogue, read_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.models import COMMUNAL_KINDS, Era, Unit
from knowledge.units import current_successors, fold, load_units, resolve_unit
from tests.databases import fresh_database

QUERIES = [
    "Xã Cát Vân, huyện Như Xuân, Thanh Hóa",
    "cat van nhu xuan",
    "thuong nin",
    "phuong phuc xa ba dinh ha noi",
    "P. Phúc Xá",
    "16225",
    "TP. Hồ Chí Minh",
    "phuong 1 quan 3",
    "van mieu quoc tu giam",
    "vinh an chau thanh an giang",
]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def milliseconds(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def quality(session: Session, sample: int) -> dict[str, float]:
    old = list(
        session.scalars(
            select(Unit).where(Unit.era == Era.THREE_TIER, Unit.kind.in_(COMMUNAL_KINDS)).order_by(Unit.code)
        )
    )
    rng = random.Random(2025)
    picked = rng.sample(old, min(sample, len(old)))
    hits = {"name+district+province": 0, "bare name": 0, "one letter dropped": 0}
    for unit in picked:
        truth = {u.id for u in current_successors(session, unit)}
        district, province = unit.parent, unit.parent.parent if unit.parent else None
        assert district is not None and province is not None
        name = fold(unit.name).split(" ", 1)[1].removeprefix("tran ")
        cut = rng.randrange(len(name))
        typed = {
            "name+district+province": f"{name} {fold(district.name)} {fold(province.name)}",
            "bare name": name,
            "one letter dropped": f"{(name[:cut] + name[cut + 1 :]).strip()}, {fold(district.name)}",
        }
        for label, query in typed.items():
            matches = resolve_unit(session, query, limit=1)
            if matches and truth & {u.id for u in matches[0].current}:
                hits[label] += 1
    return {label: 100.0 * count / len(picked) for label, count in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.units")
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--sample", type=int, default=500, help="old communes for the quality check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database, Path(folder)) as url:
        engine = make_engine(url)
        create_schema(engine)
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            load = timed(lambda: load_units(session))
        with sessions.begin() as session:
            reload = timed(lambda: load_units(session))
        with sessions.begin() as session:
            apply_catalogue(session, read_catalogue(BUNDLED_CATALOGUE), "bundled")
        print(f"backend: {engine.dialect.name}")
        print(f"load_units, empty database: {load:.2f} s; again (no change): {reload:.2f} s")
        with sessions() as session:
            print(f"resolve index build (once per engine): {timed(lambda: resolve_unit(session, 'x')):.2f} s")
            samples = [timed(partial(resolve_unit, session, q)) for _ in range(20) for q in QUERIES]
            print(f"resolve_unit over {len(QUERIES)} typical queries: {milliseconds(samples)}")
            communes = list(
                session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER, Unit.kind.in_(COMMUNAL_KINDS)))
            )[:50]
            cold = [timed(partial(procedures_for_unit, session, c)) for c in communes]
            warm = [timed(partial(procedures_for_unit, session, c)) for c in communes]
            print(f"procedures_for_unit, first call per commune: {milliseconds(cold)}")
            print(f"procedures_for_unit, cached: {milliseconds(warm)}")
            for label, rate in quality(session, args.sample).items():
                print(f"resolve quality, {label}: {rate:.1f}% first result right (n={args.sample})")
        engine.dispose()


if __name__ == "__main__":
    main()
