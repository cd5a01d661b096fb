"""Rebuild the bundled data in knowledge/data/ from the raw public data (``make data``).

The running program never reads the raw data; this is run by a developer, and its output committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from knowledge.importers.offices import build as build_offices
from knowledge.importers.procedures import build as build_procedures
from knowledge.importers.units import build as build_units

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m knowledge.importers")
    parser.add_argument("--shared", type=Path, default=Path("../shared"), help="the shared/ folder")
    args = parser.parse_args()
    raw = args.shared / "data" / "raw"
    if not raw.is_dir():
        parser.error(f"{raw} does not exist")
    print("procedures:", build_procedures(args.shared, DATA_DIR / "procedures.json.gz"))
    print("units:", build_units(args.shared, DATA_DIR / "units.json.gz"))
    print("offices:", build_offices(args.shared, DATA_DIR / "offices.json"))


if __name__ == "__main__":
    main()
