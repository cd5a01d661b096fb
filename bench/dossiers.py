"""Benchmark: import a one-stop export of N dossiers (default 1,000,000) and report on the province.

    .venv/bin/python -m bench.dossiers [--rows N] [--database URL] [--keep]

Targets (issue 5): the import of 1,000,000 dossiers ≤ 60 s on SQLite; the province-wide report over
them ≤ 1 s, on SQLite and PostgreSQL. The export is generated first (not timed) by the demo
generator for every commune of Thanh Hóa before 2025 (27 districts, about 560 communes), Q1 2021,
written as CSV in the national profile. Without --database the run uses a fresh SQLite file; with a
PostgreSQL URL it uses a fresh schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from knowledge.compliance.demo import Offer, Scenario, UnitBehaviour, generate
from knowledge.compliance.dossiers import DossierRecord, import_dossiers
from knowledge.compliance.figures import Period
from knowledge.compliance.profile import FIELDS, load_profile
from knowledge.compliance.ranking import unit_report
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.models import Era, Unit
from knowledge.units import get_unit, load_units
from knowledge.workcalendar import default_calendar
from tests.databases import fresh_database

SCENARIO = Scenario(
    "bench-thanh-hoa-2021",
    "Thanh Hóa, quý I/2021",
    Era.THREE_TIER,
    "38",
    date(2021, 1, 1),
    date(2021, 3, 31),
    datetime(2021, 4, 2, 8, 0),
)
OFFERS: tuple[tuple[Offer, float], ...] = (("full", 0.45), ("partial", 0.25), ("partial", 0.0), ("none", 0.0))


def records(communes: list[Unit], rows: int) -> Iterator[DossierRecord]:
    calendar = default_calendar()
    per_unit, extra = divmod(rows, len(communes))
    for i, commune in enumerate(communes):
        offer, uptake = OFFERS[i % len(OFFERS)]
        behaviour = UnitBehaviour(commune.code, offer, uptake, per_unit + (1 if i < extra else 0))
        yield from generate(SCENARIO, commune.code, behaviour, calendar)


def write_export(path: Path, communes: list[Unit], rows: int) -> None:
    profile = load_profile("national")
    names = [name for name in FIELDS if name in profile.columns]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([profile.headers(name)[0] for name in names])
        for record in records(communes, rows):
            values = []
            for name in names:
                value = getattr(record, name)
                if isinstance(value, bool):
                    value = int(value)
                elif isinstance(value, datetime):
                    value = value.isoformat(sep=" ")
                values.append("" if value is None else value)
            writer.writerow(values)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dossiers")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--export", type=Path, help="reuse (or write) the CSV export here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with fresh_database(args.database, folder) as url:
            engine = make_engine(url)
            try:
                create_schema(engine)
                sessions = make_sessionmaker(engine)
                with sessions.begin() as session:
                    load_units(session)
                    province = get_unit(session, "38", Era.THREE_TIER)
                    assert province is not None
                    districts = [d.id for d in province.children]
                    communes = list(
                        session.scalars(select(Unit).where(Unit.parent_id.in_(districts)).order_by(Unit.code))
                    )
                export = args.export or folder / "export.csv"
                if not export.exists():
                    started = time.perf_counter()
                    write_export(export, communes, args.rows)
                    print(
                        f"export: {args.rows} rows written in {time.perf_counter() - started:.1f} s",
                        file=sys.stderr,
                    )
                started = time.perf_counter()
                with sessions.begin() as session:
                    result = import_dossiers(session, export, "national")
                import_seconds = time.perf_counter() - started
                assert not result.errors, result.errors[:5]
                timings = []
                with sessions() as session:
                    province = get_unit(session, "38", Era.THREE_TIER)
                    assert province is not None
                    for _ in range(5):
                        started = time.perf_counter()
                        report = unit_report(
                            session, province, Period(SCENARIO.start, SCENARIO.end), SCENARIO.as_of
                        )
                        timings.append(time.perf_counter() - started)
                backend = engine.dialect.name
                print(
                    f"| {backend} | import {result.imported:,} dossiers | {import_seconds:.1f} s "
                    f"({result.imported / import_seconds:,.0f} rows/s) |"
                )
                print(
                    f"| {backend} | province report ({len(report.children)} districts, "
                    f"{report.own.figures.received:,} received) | median {statistics.median(timings):.3f} s, "
                    f"best {min(timings):.3f} s |"
                )
            finally:
                engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
