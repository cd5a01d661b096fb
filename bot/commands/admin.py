"""Admin commands: `reload`, `rollback`, `export-catalogue`, `migrate`, `stats`.

`reload FILE` prints how the file differs from the loaded catalogue and changes nothing unless
`--yes` is given; a bad file is rejected with every reason and a non-zero exit. Bot processes sharing
the database notice the new version by themselves (see knowledge/versionwatch.py).
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.reload import CatalogueDiff
    from knowledge.store import Store

TELEGRAM_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the largest file a bot may download

GROUPS = (
    ("added", "Thêm mới", "+"),
    ("changed", "Thay đổi", "~"),
    ("abolished", "Bãi bỏ", "!"),
    ("removed", "Loại khỏi danh mục", "-"),
)


def register(sub: Any) -> None:
    reload = sub.add_parser("reload", help="so sánh tệp danh mục với danh mục đang dùng; --yes để áp dụng")
    reload.add_argument("file", type=Path, help="tệp danh mục JSON (có thể nén .gz)")
    reload.add_argument("--yes", action="store_true", help="áp dụng ngay, không chỉ xem khác biệt")
    reload.add_argument("--limit", type=int, default=20, help="số thủ tục liệt kê mỗi nhóm (mặc định 20)")
    reload.set_defaults(func=cmd_reload)

    back = sub.add_parser("rollback", help="quay về phiên bản danh mục trước đó")
    back.add_argument("--limit", type=int, default=20, help="số thủ tục liệt kê mỗi nhóm (mặc định 20)")
    back.set_defaults(func=cmd_rollback)

    export = sub.add_parser("export-catalogue", help="ghi danh mục đang dùng ra tệp (định dạng của reload)")
    export.add_argument("file", help="tệp đích (.json hoặc .json.gz), '-' để in ra màn hình")
    export.set_defaults(func=cmd_export)

    migrate = sub.add_parser("migrate", help="nâng cấp lược đồ cơ sở dữ liệu (Alembic) lên bản mới nhất")
    migrate.set_defaults(func=cmd_migrate)

    stats = sub.add_parser("stats", help="thống kê câu hỏi: mỗi ngày, tỉ lệ không tìm thấy, câu hay hỏi")
    stats.add_argument("--days", type=int, default=7)
    stats.add_argument("--top", type=int, default=15)
    stats.set_defaults(func=cmd_stats)


def _store() -> Store:
    from knowledge.migrations import prepare_schema
    from knowledge.store import open_store

    store = open_store(load=False)
    prepare_schema(store.engine)
    return store


def format_diff(diff: CatalogueDiff, limit: int) -> list[str]:
    from knowledge.reload import ProcedureChange

    counts = diff.counts()
    lines = [f"  {title.lower()}: {counts[key]}" for key, title, _ in GROUPS]
    lines.append(f"  không đổi: {diff.unchanged}")
    for key, title, mark in GROUPS:
        changes: list[ProcedureChange] = getattr(diff, key)
        if not changes:
            continue
        lines.append(f"{title}:")
        for change in changes[:limit]:
            fields = f" [{', '.join(change.fields)}]" if key == "changed" else ""
            lines.append(f"  {mark} {change.code} {change.name}{fields}")
        if len(changes) > limit:
            lines.append(f"  … và {len(changes) - limit} thủ tục khác")
    return lines


def cmd_reload(args: argparse.Namespace) -> int:
    from knowledge.audit import cli_actor
    from knowledge.catalogue import CatalogueError, read_catalogue
    from knowledge.reload import ReloadError, apply_reload, plan_reload

    try:
        catalogue = read_catalogue(args.file)
    except CatalogueError as exc:
        print(f"Tệp bị từ chối, không thay đổi gì.\n{exc}", file=sys.stderr)
        return 1
    store = _store()
    try:
        plan = plan_reload(store.sessions, catalogue, str(args.file))
        base = f"#{plan.base_version_id}" if plan.base_version_id else "chưa có"
        print(f"Tệp {args.file}: phiên bản {catalogue.version}, {len(catalogue.procedures)} thủ tục.")
        print(f"So với danh mục đang dùng ({base}):")
        print("\n".join(format_diff(plan.diff, args.limit)))
        if not plan.diff.has_changes:
            print("Không có thay đổi nào; không áp dụng.")
            return 0
        if not args.yes:
            print("Chưa áp dụng. Chạy lại với --yes để áp dụng.")
            return 0
        result = apply_reload(store.sessions, plan, cli_actor())
    except ReloadError as exc:
        print(f"Không áp dụng: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"Đã áp dụng: phiên bản #{result.version.id} là danh mục đang dùng.")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from knowledge.audit import cli_actor
    from knowledge.reload import ReloadError, rollback

    store = _store()
    try:
        result = rollback(store.sessions, cli_actor())
    except ReloadError as exc:
        print(f"Không khôi phục được: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"Đã quay về phiên bản #{result.audit.detail['restores']} (bản sao mới: #{result.version.id}).")
    print("\n".join(format_diff(result.diff, args.limit)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from knowledge.catalogue import serialize_catalogue
    from knowledge.reload import export_catalogue

    store = _store()
    try:
        with store.sessions() as session:
            catalogue = export_catalogue(session)
    finally:
        store.close()
    if not catalogue.procedures:
        print("Chưa có danh mục nào được nạp; không ghi gì.", file=sys.stderr)
        return 1
    raw = serialize_catalogue(catalogue)
    if args.file == "-":
        sys.stdout.buffer.write(raw + b"\n")
        return 0
    path = Path(args.file)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    print(f"Đã ghi {len(catalogue.procedures)} thủ tục vào {path}.")
    if path.suffix != ".gz" and len(raw) > TELEGRAM_DOWNLOAD_BYTES:
        print(
            f"Lưu ý: tệp lớn hơn {TELEGRAM_DOWNLOAD_BYTES // 2**20} MB, bot không tải về được khi gửi "
            "kèm /reload; hãy ghi ra tệp .json.gz (hoặc dùng /export trong Telegram).",
            file=sys.stderr,
        )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from knowledge.migrations import SchemaError, current_revision, head_revision, upgrade
    from knowledge.store import open_store

    store = open_store(load=False)
    try:
        before = current_revision(store.engine)
        after = upgrade(store.engine)
    except SchemaError as exc:
        print(f"Không nâng cấp được: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if before == after:
        print(f"Lược đồ đã ở bản mới nhất ({after}).")
    else:
        print(f"Đã nâng cấp lược đồ: {before or 'trống'} → {after} (mới nhất: {head_revision()}).")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from knowledge.usage import usage_stats

    store = _store()
    try:
        with store.sessions() as session:
            stats = usage_stats(session, days=args.days, top=args.top)
    finally:
        store.close()
    print(
        f"Từ {stats.first_day:%d/%m/%Y} đến {stats.last_day:%d/%m/%Y}: {stats.total} câu hỏi, "
        f"{stats.unanswered_share:.0%} không tìm được thủ tục phù hợp."
    )
    for day in stats.days:
        print(f"  {day.day:%d/%m}: {day.queries} câu, {day.unanswered} không tìm thấy")
    if stats.top_unanswered:
        print("Câu hỏi không tìm thấy hay gặp nhất:")
        for query, times in stats.top_unanswered:
            print(f"  {times:>4} × {query}")
    return 0
