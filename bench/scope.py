"""Benchmark: which procedures a commune handles, against real communes' published lists.

    .venv/bin/python -m bench.scope [--catalogue FILE] [--database URL] [--misses]

The lists are in ``tests/fixtures/commune_lists/`` (their origin in SOURCE.md there): the full list
posted by one commune's one-stop centre, and the key procedures of another (a part of its list, so
only recall is measured there). For each, what ``tthc-bot procedures --unit CODE`` offers is compared
with the list: precision (the share of what we offer that is on the list), recall over every listed
code, and recall over the listed codes our catalogue has (a code absent from the catalogue cannot be
offered). Without ``--catalogue`` the bundled catalogue is loaded; without ``--database`` a fresh
SQLite file. ``--misses`` prints the codes offered but not listed, and listed but not offered.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.applicability import procedures_for_unit
from knowledge.catalogue import BUNDLED_CATALOGUE, apply_catalogue, read_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.models import Era, Procedure
from knowledge.units import get_unit, load_units
from tests.databases import fresh_database

LISTS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "commune_lists"


@dataclass(frozen=True)
class CommuneList:
    name: str  # the file's stem
    unit: str  # the 2025 commune's code
    label: str
    complete: bool  # the commune's whole list: precision can be measured
    codes: frozenset[str]


@dataclass(frozen=True)
class Scores:
    listed: int
    listed_in_catalogue: int
    offered: int
    offered_and_listed: int
    offered_not_listed: frozenset[str]
    listed_not_offered: frozenset[str]  # codes our catalogue has
    not_in_catalogue: frozenset[str]

    @property
    def precision(self) -> float:
        return self.offered_and_listed / self.offered if self.offered else 0.0

    @property
    def recall(self) -> float:
        """Over every listed code."""
        return self.offered_and_listed / self.listed if self.listed else 0.0

    @property
    def recall_in_catalogue(self) -> float:
        """Over the listed codes the catalogue has."""
        return self.offered_and_listed / self.listed_in_catalogue if self.listed_in_catalogue else 0.0


def commune_lists(folder: Path = LISTS) -> list[CommuneList]:
    lists = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        lists.append(
            CommuneList(
                path.stem,
                document["unit"],
                document["name"],
                document["complete"],
                frozenset(document["codes"]),
            )
        )
    return lists


def measure(session: Session, commune: CommuneList) -> Scores:
    unit = get_unit(session, commune.unit, Era.TWO_TIER)
    if unit is None:
        raise ValueError(f"no 2025 unit {commune.unit} ({commune.label})")
    offered = {p.code for p in procedures_for_unit(session, unit)}
    known = set(session.scalars(select(Procedure.code).where(Procedure.code.in_(commune.codes))))
    return Scores(
        listed=len(commune.codes),
        listed_in_catalogue=len(known),
        offered=len(offered),
        offered_and_listed=len(offered & commune.codes),
        offered_not_listed=frozenset(offered - commune.codes),
        listed_not_offered=frozenset(known - offered),
        not_in_catalogue=frozenset(commune.codes - known),
    )


def report(commune: CommuneList, scores: Scores) -> str:
    lines = [
        f"{commune.label} ({commune.unit}, {commune.name}): {scores.listed} codes listed, "
        f"{scores.listed_in_catalogue} of them in the catalogue; {scores.offered} offered, "
        f"{scores.offered_and_listed} of them listed",
    ]
    if commune.complete:
        lines.append(f"  precision {scores.precision:.3f}")
    else:
        lines.append("  precision: not measurable (the list is a part of the commune's list)")
    lines.append(
        f"  recall {scores.recall:.3f} over all listed codes, "
        f"{scores.recall_in_catalogue:.3f} over those in the catalogue"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scope")
    parser.add_argument("--catalogue", type=Path, default=BUNDLED_CATALOGUE, help="catalogue file to load")
    parser.add_argument("--database", help="PostgreSQL URL (a fresh schema is used and dropped)")
    parser.add_argument("--misses", action="store_true", help="print the codes that differ")
    args = parser.parse_args()
    catalogue = read_catalogue(args.catalogue)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database, Path(folder)) as url:
        engine = make_engine(url)
        create_schema(engine)
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            load_units(session)
            apply_catalogue(session, catalogue, str(args.catalogue))
        print(f"catalogue {catalogue.version}: {len(catalogue.procedures)} procedures")
        with sessions() as session:
            for commune in commune_lists():
                scores = measure(session, commune)
                print(report(commune, scores))
                if args.misses:
                    print("  offered, not listed:", " ".join(sorted(scores.offered_not_listed)))
                    print("  listed, not offered:", " ".join(sorted(scores.listed_not_offered)))
                    print("  listed, not in the catalogue:", " ".join(sorted(scores.not_in_catalogue)))
        engine.dispose()


if __name__ == "__main__":
    main()
