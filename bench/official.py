"""Benchmark: officials' commands on a province of the two-tier era (the thanh-hoa-2026 demo scenario).

    .venv/bin/python -m bench.official [--database URL] [--runs N]

Times what a Telegram handler runs in its worker thread — ``OfficialDialogue``: database work, 766
scoring, rendering, charts, spreadsheets, the Word letter — for a commune official (/tinhhinh, the
five lists, /xephang with its chart among the province's ~166 communes, the trend, the letter) and a
province official (/tinhhinh with every commune ranked, the lists over the whole province, the Excel
files). Network time to Telegram is not included. Without --database the run uses a fresh SQLite
file; with a PostgreSQL URL, a fresh schema dropped afterwards.
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

from sqlalchemy import select

from bot.dialogue import Reply
from bot.official_dialogue import (
    APOLOGY_PREFIX,
    EXCEL_PREFIX,
    LIST_EXCEL_PREFIX,
    LIST_KEYS,
    TREND_PREFIX,
    Attachment,
    OfficialDialogue,
)
from knowledge.compliance import roles
from knowledge.compliance.apology import letter_data, letter_docx
from knowledge.compliance.demo import SCENARIOS, load_scenario
from knowledge.compliance.figures import Period
from knowledge.compliance.models import Dossier
from knowledge.compliance.worklists import WorkList, counts, worklist
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


def describe(result: Any) -> str:
    """What the handler produced: a file's kind and size, or a page's lines."""
    outs = result if isinstance(result, list) else [result]
    parts = []
    for out in outs:
        if isinstance(out, Attachment):
            kind = out.filename.rsplit(".", 1)[-1].upper()
            if kind == "PNG":
                width, height = struct.unpack(">II", out.content[16:24])
                kind = f"PNG {width}×{height} px"
            parts.append(f"{kind}, {len(out.content) / 1024:.0f} KiB")
        elif isinstance(out, Reply):
            parts.append(f"{len(out.doc.lines)} lines")
        elif isinstance(out, bytes):
            parts.append(f"DOCX, {len(out) / 1024:.0f} KiB")
    return " · " + ", ".join(parts) if parts else ""


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
                    # The commune official's unit: one with a dossier late without an apology letter.
                    now = datetime.combine(SCENARIO.end, day_time(16, 0))
                    [first_late] = worklist(session, province, WorkList.LATE_NO_APOLOGY, now, limit=1).items
                    commune = next(unit for unit in province.children if unit.code == first_late.unit_code)
                    roles.grant(session, COMMUNE_OFFICIAL, commune)
                    roles.grant(session, PROVINCE_OFFICIAL, province)
                    siblings = len(province.children)
                store = Store(Settings(TTHC_DATA_DIR=folder, DATABASE_URL=url), engine, sessions)
                quarter = Period.of("quy", now.date())
                dialogue = OfficialDialogue(store, lambda: now)
                with sessions() as session:
                    late = worklist(session, commune, WorkList.LATE_NO_APOLOGY, now, limit=1).items
                    sizes = counts(session, province, now)
                    dossier = session.scalars(select(Dossier).where(Dossier.code == late[0].code)).one()
                    dossier_id = dossier.id
                    session.expunge(dossier)
                days = f"{quarter.start:%Y%m%d}:{quarter.end:%Y%m%d}"

                def letter() -> bytes:
                    with sessions() as session:
                        found = session.get(Dossier, dossier_id)
                        assert found is not None
                        return letter_docx(letter_data(session, found, None, now.date()))

                def command(user: int, name: str, *words: str) -> Callable[[], Any]:
                    return lambda: dialogue.command(user, name, list(words))

                def button(user: int, data: str) -> Callable[[], Any]:
                    return lambda: dialogue.button(user, data)

                rows: list[tuple[str, Callable[[], Any]]] = [
                    ("/tinhhinh quý, commune", command(COMMUNE_OFFICIAL, "tinhhinh", "quý")),
                    *(
                        (f"/{name}, commune", command(COMMUNE_OFFICIAL, name))
                        for name in ("quahan", "xinloi", "chotiepnhan", "saphan", "bosung")
                    ),
                    (
                        f"/xinloi, province ({sizes[WorkList.LATE_NO_APOLOGY]:,} dossiers, first page)",
                        command(PROVINCE_OFFICIAL, "xinloi"),
                    ),
                    (
                        f"list Excel, province late-no-apology ({sizes[WorkList.LATE_NO_APOLOGY]:,} rows)",
                        button(
                            PROVINCE_OFFICIAL,
                            f"{LIST_EXCEL_PREFIX}:{LIST_KEYS[WorkList.LATE_NO_APOLOGY]}:{province.id}:0:0",
                        ),
                    ),
                    (
                        "✉️ button: new dates offered",
                        button(COMMUNE_OFFICIAL, f"{APOLOGY_PREFIX}:{dossier_id}"),
                    ),
                    ("apology letter (DOCX)", letter),
                    ("📈 trend, 6 months, commune", button(COMMUNE_OFFICIAL, f"{TREND_PREFIX}:{commune.id}")),
                    (
                        f"/xephang quý, commune among {siblings} (chart)",
                        command(COMMUNE_OFFICIAL, "xephang", "quý"),
                    ),
                    (
                        f"Excel button, {siblings} communes + per-procedure sheet",
                        button(COMMUNE_OFFICIAL, f"{EXCEL_PREFIX}:{province.id}:{days}"),
                    ),
                    (
                        f"/tinhhinh quý, province with {siblings} communes",
                        command(PROVINCE_OFFICIAL, "tinhhinh", "quý"),
                    ),
                    ("morning digest, one commune official", dialogue_digest(dialogue, store, commune.id)),
                ]
                backend = engine.dialect.name
                print(f"{loaded.created:,} dossiers, {backend}, {args.runs} runs each")
                for label, work in rows:
                    median, best, result = timed(args.runs, work)
                    timing = f"median {median:.3f} s, best {best:.3f} s"
                    print(f"| {backend} | {label} | {timing}{describe(result)} |")
            finally:
                engine.dispose()
    return 0


def dialogue_digest(dialogue: OfficialDialogue, store: Store, unit_id: int) -> Callable[[], Any]:
    """The digest of one official, made again on each run (its day is claimed, then released)."""
    from knowledge.compliance.models import Official

    def run() -> Any:
        with store.sessions.begin() as session:
            for official in session.scalars(select(Official).where(Official.unit_id == unit_id)):
                official.digest, official.digest_sent_on = True, None
        return [Reply(doc) for _chat, doc in dialogue.digests()]

    return run


if __name__ == "__main__":
    raise SystemExit(main())
