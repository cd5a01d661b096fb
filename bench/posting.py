"""Benchmark: a commune's posting list (niêm yết) on the bundled catalogue, as /niemyet and
`tthc-bot posting-list` make it.

    .venv/bin/python -m bench.posting [--unit 30538] [--runs N]

Times, on a fresh SQLite database loaded with the bundled data: building the list (which procedures
the commune handles, their terms and links) with its comparison to the last list; then each file.
The PDF is timed cold (no QR code encoded yet in the process: what the first list a worker makes
costs) and warm (the codes kept from an earlier list; communes share most of their procedures).
Wall-clock and CPU seconds are both given: the machine is shared, so CPU time is the steadier.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from bot.posting_files import posting_html, posting_pdf, posting_xlsx, qr_path
from knowledge.compliance.profile import local_now
from knowledge.posting import build_list, diff_with_last
from knowledge.settings import Settings
from knowledge.store import open_store
from knowledge.units import get_unit


def timed(
    runs: int, work: Callable[[], Any], before: Callable[[], None] = lambda: None
) -> tuple[float, float, Any]:
    """Median wall-clock and CPU seconds over ``runs``, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        before()
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.posting")
    parser.add_argument("--unit", default="30538", help="a 2025 commune's code (default: Xã Núi Cấm)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Settings(TTHC_DATA_DIR=Path(tmp), DATABASE_URL=""))
        try:
            with store.sessions() as session:
                commune = get_unit(session, args.unit, "2025")
                assert commune is not None, f"no 2025 unit {args.unit}"

                def build() -> tuple[Any, Any]:
                    posting = build_list(session, commune, local_now())
                    return posting, diff_with_last(session, posting)

                wall, cpu, (posting, diff) = timed(args.runs, build)
                print(f"{posting.unit_label}: {len(posting.items)} procedures, {args.runs} runs each")
                print(f"| build the list and its diff | {wall:.2f} s | {cpu:.2f} s | |")
                rows: list[tuple[str, Callable[[], bytes], Callable[[], None]]] = [
                    ("HTML", lambda: posting_html(posting, diff), lambda: None),
                    ("XLSX", lambda: posting_xlsx(posting, diff), lambda: None),
                    ("PDF, cold (QR codes encoded)", lambda: posting_pdf(posting, diff), qr_path.cache_clear),
                    ("PDF, warm (QR codes kept)", lambda: posting_pdf(posting, diff), lambda: None),
                ]
                for label, work, before in rows:
                    wall, cpu, content = timed(args.runs, work, before)
                    extra = f"{len(content) / 1024:,.0f} KiB"
                    if label.startswith("PDF"):
                        extra += f", {len(PdfReader(io.BytesIO(content)).pages)} pages"
                    print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {extra} |")
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
