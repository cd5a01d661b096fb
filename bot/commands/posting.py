"""`posting-list`: a commune's posting list (danh mục niêm yết) as PDF, XLSX or HTML files.

The list is compared with the one last produced for the commune (by this command or /niemyet) and
the changes are printed; once every file is written, the new list becomes the one the next is
compared with. A file that cannot be written leaves the previous list as the reference.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot import texts


def register(sub: Any) -> None:
    posting = sub.add_parser(
        "posting-list",
        help="danh mục thủ tục niêm yết của một xã/phường: PDF có mã QR, Excel, HTML",
        description=texts.POSTING_CLI_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    posting.add_argument("--unit", required=True, metavar="MÃ|TÊN", help=texts.POSTING_CLI_UNIT)
    posting.add_argument(
        "--out", required=True, action="append", type=Path, metavar="FILE", help=texts.POSTING_CLI_OUT
    )
    posting.set_defaults(func=cmd_posting_list)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` whole or not at all (a reader never sees half a file)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cmd_posting_list(args: argparse.Namespace) -> int:
    # the files' makers (reportlab, openpyxl, QR codes) load when the command runs, not at start-up
    from bot.commands.catalogue import UnitNotFound, commune_for
    from bot.posting_files import changes_doc, file_format, render
    from bot.render import to_plain
    from knowledge.audit import cli_actor
    from knowledge.compliance.profile import local_now
    from knowledge.posting import build_list, diff_with_last, posting_communes, record
    from knowledge.store import open_store
    from knowledge.units import unit_label

    outputs: list[tuple[Path, str]] = []
    for path in args.out:
        fmt = file_format(path)
        if fmt is None:
            return _fail(texts.POSTING_BAD_FORMAT.format(path=path))
        outputs.append((path, fmt))
    store = open_store()
    try:
        with store.sessions() as session:
            try:
                unit, note = commune_for(session, args.unit)
            except UnitNotFound as exc:
                return _fail(str(exc))
            if note:
                print(note, file=sys.stderr)
            communes = posting_communes(session, unit)
            if len(communes) != 1:
                listing = "; ".join(f"{unit_label(c)} [{c.code}]" for c in communes) or "—"
                return _fail(
                    texts.POSTING_SPLIT.format(unit=unit_label(unit), code=unit.code, communes=listing)
                )
            commune = communes[0]
            if commune.id != unit.id:
                print(
                    texts.POSTING_SUCCESSOR.format(old=unit_label(unit), new=commune.name, code=commune.code),
                    file=sys.stderr,
                )
            posting = build_list(session, commune, local_now())
            diff = diff_with_last(session, posting)
        files = {fmt: render(posting, diff, fmt) for fmt in dict.fromkeys(fmt for _, fmt in outputs)}
        for path, fmt in outputs:
            try:
                write_atomically(path, files[fmt])
            except OSError as exc:
                return _fail(texts.POSTING_WRITE_FAILED.format(path=path, reason=exc.strerror or exc))
        with store.sessions.begin() as session:
            record(session, posting, cli_actor())
    finally:
        store.close()
    print(to_plain(changes_doc(posting, diff, limit=None)))
    print()
    for path, fmt in outputs:
        print(texts.POSTING_WROTE.format(path=path, size=f"{len(files[fmt]) / 1024:,.0f}"))
    return 0
