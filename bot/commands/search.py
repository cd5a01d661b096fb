"""`search` and `eval`: the Vietnamese search from the command line, and its quality on labelled queries.

The search (``index/``: underthesea, whoosh) is imported when one of these commands runs, not when
the command line starts (``bot/cli.py``).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.baselines import Ranker
    from index.service import SearchService
    from knowledge.models import Unit
    from knowledge.store import Store


def register(sub: Any) -> None:
    search = sub.add_parser("search", help="tìm thủ tục theo lời người dân gõ")
    search.add_argument("query")
    search.add_argument("--unit", help="mã xã/phường của người hỏi: ưu tiên thủ tục xã đó giải quyết")
    search.add_argument("--top", type=int, default=5, help="số kết quả (mặc định 5)")
    search.add_argument("--json", action="store_true", help="in danh sách {code, name, score}")
    search.set_defaults(func=cmd_search)
    evaluation = sub.add_parser("eval", help="đo chất lượng tìm kiếm trên tệp câu hỏi có nhãn (JSONL)")
    evaluation.add_argument("file", type=Path)
    evaluation.add_argument("--baseline", action="store_true", help="đo thêm FTS5 và whoosh thuần")
    evaluation.add_argument("--json", action="store_true")
    evaluation.set_defaults(func=cmd_eval)


def _service(store: Store) -> SearchService:
    from index.service import SearchService

    service = SearchService(store.sessions, store.settings.index_dir)
    service.ensure_index()
    return service


def _unit(store: Store, code: str) -> Unit | None:
    from knowledge.units import get_unit

    with store.sessions() as session:
        return get_unit(session, code)


def cmd_search(args: argparse.Namespace) -> int:
    from knowledge.store import open_store

    store = open_store()
    try:
        return _search(store, args)
    finally:
        store.close()


def _search(store: Store, args: argparse.Namespace) -> int:
    from index.decision import Answer

    unit = None
    if args.unit:
        unit = _unit(store, args.unit)
        if unit is None:
            print(f"Không có đơn vị mã {args.unit}.", file=sys.stderr)
            return 1
    result = _service(store).search(args.query, unit=unit, top=max(args.top, 0))
    if args.json:
        hits = [{"code": h.code, "name": h.name, "score": h.score} for h in result.hits]
        print(json.dumps(hits, ensure_ascii=False, indent=2))
        return 0
    if result.answer is Answer.NONE:
        print("Không tìm thấy thủ tục khớp rõ ràng.")
    for hit in result.hits:
        mark = {True: " ✓ xã giải quyết", False: " (xã không giải quyết)", None: ""}[hit.handled_by_unit]
        print(f"{hit.code}  {hit.score:.3f}  {hit.name}{mark}")
    if result.suggestions:
        print("Có phải bạn muốn tìm: " + " | ".join(result.suggestions))
    return 0


def _top(ranker: Ranker, query: str) -> list[str]:
    from index.evaluate import DEPTH

    return ranker(query, DEPTH)


def cmd_eval(args: argparse.Namespace) -> int:
    from index.baselines import build_baselines
    from index.evaluate import METRICS, evaluate, evaluate_ranker, read_judgements
    from knowledge.store import open_store

    try:
        judgements = read_judgements(args.file)
    except (OSError, ValueError) as exc:
        print(f"Không đọc được {args.file}: {exc}", file=sys.stderr)
        return 1
    store = open_store()
    try:
        report: dict[str, Any] = evaluate(_service(store), args.file)
        if args.baseline:
            report["baselines"] = {
                name: evaluate_ranker(functools.partial(_top, ranker), judgements)
                for name, ranker in build_baselines(store.sessions).items()
            }
    finally:
        store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    rows = [("tthc-bot", report), *report.get("baselines", {}).items()]
    print(f"n = {report['n']}")
    print(f"{'':18}" + "".join(f"{name:>10}" for name in METRICS))
    for name, figures in rows:
        print(f"{name:18}" + "".join(f"{figures[metric]:>10.3f}" for metric in METRICS))
    if report["no_match_ok"] is not None:
        print(
            f"no_match_ok    {report['no_match_ok']:.3f}  ({report['no_match_n']} tin nhắn không có thủ tục)"
        )
    print(f"no_match_wrong {report['no_match_wrong']:.3f}  ({report['n']} câu hỏi có thủ tục)")
    return 0
