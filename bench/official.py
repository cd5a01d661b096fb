"""Benchmark: officials' commands on a province of the two-tier era (the thanh-hoa-2026 demo scenario).

    .venv/bin/python -m bench.official [--database URL] [--runs N]

Times what a Telegram handler runs in its worker thread — database work, 766 scoring, rendering —
for a commune official (/tinhhinh, /quahan, /xephang with its chart among the province's ~166
communes, the Excel file) and a province official (/tinhhinh with every commune ranked). Network
time to Telegram is not included. Without --database the run uses a fresh SQLite file; with a
PostgreSQL URL, a fresh schema dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import struct
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

from bot.handlers.official import overdue, ranking_answer, report, spreadsheet
from knowledge.compliance import roles
from knowledge.compliance.demo import SCENARIOS, load_scenario
from knowledge.compliance.figures import Period
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.models import Era
from knowledge.settings import Settings
from knowledge.store import Store
from knowledge.units import get_unit, load_units
from tests.databases import fresh_database

SCENARIO = SCENARIOS["thanh-hoa-2026"]
COMMUNE_OFFICIAL, PROVINCE_OFFICIAL = 1, 2


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, float, Any]:
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), min(timings), result


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.official")
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--runs", type=int, default=5)
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
                    loaded = load_scenario(session, SCENARIO.name)
                    province = get_unit(session, SCENARIO.parent_code, Era.TWO_TIER)
                    assert province is not None and loaded.created
                    commune = min(province.children, key=lambda unit: unit.code)
                    roles.grant(session, COMMUNE_OFFICIAL, commune)
                    roles.grant(session, PROVINCE_OFFICIAL, province)
                    siblings = len(province.children)
                store = Store(Settings(TTHC_DATA_DIR=folder, DATABASE_URL=url), engine, sessions)
                now = datetime.combine(SCENARIO.end, day_time(16, 0))
                quarter = Period.of("quy", now.date())
                backend = engine.dialect.name
                rows = [
                    ("/tinhhinh quý, commune", lambda: report(store, COMMUNE_OFFICIAL, ["quy"], now)),
                    ("/quahan, commune", lambda: overdue(store, COMMUNE_OFFICIAL, [], now)),
                    (
                        f"/xephang quý, commune among {siblings} (chart)",
                        lambda: ranking_answer(store, COMMUNE_OFFICIAL, ["quy"], now),
                    ),
                    (
                        f"Excel button, {siblings} communes",
                        lambda: spreadsheet(store, COMMUNE_OFFICIAL, province.id, quarter, now),
                    ),
                    (
                        f"/tinhhinh quý, province with {siblings} communes",
                        lambda: report(store, PROVINCE_OFFICIAL, ["quy"], now),
                    ),
                ]
                print(f"{loaded.created:,} dossiers, {backend}, {args.runs} runs each")
                for label, work in rows:
                    median, best, result = timed(args.runs, work)
                    extra = ""
                    chart = getattr(result, "chart", None)
                    if chart is not None:
                        width, height = png_size(chart)
                        extra = f" · PNG {width}×{height} px, {len(chart) / 1024:.0f} KiB"
                    content = getattr(result, "content", None)
                    if content is not None:
                        extra = f" · XLSX {len(content) / 1024:.0f} KiB"
                    print(f"| {backend} | {label} | median {median:.3f} s, best {best:.3f} s{extra} |")
            finally:
                engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
