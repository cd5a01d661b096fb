"""`load` and `show`: the procedure catalogue from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from knowledge.catalogue import get_procedure
from knowledge.models import Procedure
from knowledge.store import open_store


def register(sub: Any) -> None:
    load = sub.add_parser("load", help="tạo cơ sở dữ liệu và nạp danh mục, đơn vị kèm theo")
    load.set_defaults(func=cmd_load)
    show = sub.add_parser("show", help="xem một thủ tục theo mã")
    show.add_argument("code")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)


def cmd_load(args: argparse.Namespace) -> int:
    store = open_store(load=False)
    loaded = store.ensure_loaded()
    print("Đã nạp dữ liệu." if loaded else "Dữ liệu đã có sẵn; không thay đổi gì.")
    return 0


def procedure_json(procedure: Procedure) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field,
        "levels": procedure.levels,
        "status": procedure.status,
        "portal_url": procedure.portal_url,
        "channels": procedure.channels,
        "documents": procedure.documents,
        "legal_basis": procedure.legal_basis,
    }


def cmd_show(args: argparse.Namespace) -> int:
    store = open_store()
    with store.sessions() as session:
        procedure = get_procedure(session, args.code)
        if procedure is None:
            print(f"Không có thủ tục mã {args.code}.", file=sys.stderr)
            return 1
        data = procedure_json(procedure)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(f"{data['code']} — {data['name']}")
        for key in ("field", "levels", "status", "portal_url"):
            print(f"  {key}: {data[key]}")
    return 0
