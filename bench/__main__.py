"""Run every benchmark module of this package, or the one named: ``python -m bench [NAME [ARGS…]]``.

Each module has a ``main()`` that reads its options from ``sys.argv`` (as ``python -m bench.NAME``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name[0] != "_")
    if argv:
        if argv[0] not in names:
            print(f"unknown benchmark {argv[0]!r}; available: {', '.join(names)}", file=sys.stderr)
            return 2
        names, rest = [argv[0]], argv[1:]
    else:
        rest = []
    status = 0
    for name in names:
        sys.argv = [f"bench.{name}", *rest]
        status |= int(importlib.import_module(f"bench.{name}").main() or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
