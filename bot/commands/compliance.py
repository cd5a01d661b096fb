"""Compliance figures from the command line: `import-dossiers`, `report`, the work lists
(`dossiers`), the apology letter (`apology`), `demo-data`, and the admin's `invite`, `officials`
and `revoke-official`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.compliance.figures import Figures, Period
    from knowledge.compliance.ranking import UnitReport
    from knowledge.models import Unit
    from knowledge.store import Store


# The values of knowledge.compliance's WorkList and the names of its demo SCENARIOS, for the parser:
# that package loads when a command runs (tests/test_cli_startup.py checks they agree).
WORK_LISTS = ("late-no-apology", "waiting-acceptance", "supplemented-twice", "due-soon", "overdue")
DEMO_SCENARIOS = ("nhu-xuan-2021", "thanh-hoa-2026")


def register(sub: Any) -> None:
    imp = sub.add_parser(
        "import-dossiers", help="nhập hồ sơ từ tệp xuất CSV/XLSX/JSON của phần mềm một cửa (tự nhận dạng)"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--profile",
        default=None,
        help="ép một hồ sơ cột: tên (national, vi-headers, igate) hoặc tệp JSON (mặc định: nhận từ tệp)",
    )
    imp.add_argument("--unit", help="mã đơn vị của các dòng tệp không ghi đơn vị")
    imp.add_argument("--era", choices=("2008", "2025"), help="thời kỳ của mã --unit")
    imp.add_argument("--errors", type=Path, help="tệp ghi các dòng lỗi (mặc định: FILE.errors.csv)")
    imp.set_defaults(func=cmd_import)

    rep = sub.add_parser("report", help="số liệu, điểm Bộ chỉ số 766 và xếp hạng đơn vị con của một đơn vị")
    rep.add_argument("--unit", required=True, help="mã đơn vị")
    rep.add_argument("--era", choices=("2008", "2025"), help="thời kỳ của mã (mặc định: hiện hành, rồi cũ)")
    rep.add_argument("--from", dest="start", type=date.fromisoformat, help="từ ngày (YYYY-MM-DD)")
    rep.add_argument("--to", dest="end", type=date.fromisoformat, help="đến ngày (YYYY-MM-DD)")
    rep.add_argument(
        "--period",
        default="thang",
        help='kỳ khi không có --from: "thang", "quy", "nam", "tháng 11/2026", "quý 3/2026", "tháng trước"…',
    )
    rep.add_argument("--as-of", dest="as_of", type=_moment, help="xét tại thời điểm (mặc định: bây giờ)")
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--xlsx", type=Path, help="ghi xếp hạng và bảng theo thủ tục ra tệp Excel")
    rep.add_argument("--trend", type=Path, help="ghi biểu đồ 6 tháng gần nhất ra tệp PNG")
    rep.set_defaults(func=cmd_report)

    lists = sub.add_parser("dossiers", help="danh sách hồ sơ cần xử lý của một đơn vị")
    lists.add_argument("--unit", required=True, help="mã đơn vị")
    lists.add_argument("--era", choices=("2008", "2025"))
    lists.add_argument("--list", dest="which", required=True, choices=WORK_LISTS)
    lists.add_argument("--period", help='hồ sơ tiếp nhận trong kỳ: "tháng 11/2026", "quý 3"…')
    lists.add_argument("--from", dest="start", type=date.fromisoformat, help="từ ngày (YYYY-MM-DD)")
    lists.add_argument("--to", dest="end", type=date.fromisoformat, help="đến ngày (YYYY-MM-DD)")
    lists.add_argument("--as-of", dest="as_of", type=_moment, help="xét tại thời điểm (mặc định: bây giờ)")
    lists.add_argument("--json", action="store_true")
    lists.add_argument("--xlsx", type=Path, help="ghi mọi dòng ra tệp Excel")
    lists.set_defaults(func=cmd_dossiers)

    apology = sub.add_parser("apology", help="văn bản xin lỗi và hẹn lại ngày trả kết quả (Word)")
    apology.add_argument("code", help="mã hồ sơ")
    apology.add_argument("--out", type=Path, required=True, help="tệp .docx")
    apology.add_argument(
        "--new-date", dest="new_date", type=_day, help="ngày hẹn trả mới (để trống: tự điền)"
    )
    apology.add_argument("--draft", action="store_true", help="chỉ lập bản nháp, không ghi nhận đã gửi")
    apology.set_defaults(func=cmd_apology)

    demo = sub.add_parser("demo-data", help="sinh hồ sơ mẫu (tất định) cho một kịch bản")
    demo.add_argument("--scenario", required=True, choices=DEMO_SCENARIOS)
    demo.set_defaults(func=cmd_demo)

    invite = sub.add_parser("invite", help="tạo liên kết mời cán bộ của một đơn vị (dùng một lần, có hạn)")
    invite.add_argument("--unit", required=True)
    invite.add_argument("--era", choices=("2008", "2025"))
    invite.add_argument("--admin", type=int, help="Telegram ID của quản trị viên (mặc định: người đầu tiên)")
    invite.add_argument("--hours", type=float, default=72, help="hiệu lực, giờ")
    invite.add_argument("--bot", default="tthc_bot", help="tên bot Telegram")
    invite.set_defaults(func=cmd_invite)

    offs = sub.add_parser("officials", help="danh sách cán bộ đã gắn với đơn vị")
    offs.set_defaults(func=cmd_officials)

    rev = sub.add_parser("revoke-official", help="bỏ quyền cán bộ của một người dùng")
    rev.add_argument("telegram_id", type=int)
    rev.add_argument("--unit", help="chỉ với đơn vị này")
    rev.add_argument("--era", choices=("2008", "2025"))
    rev.set_defaults(func=cmd_revoke)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _day(text: str) -> date:
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"ngày không hợp lệ: {text}")


def _with_store(command: Callable[[Store, argparse.Namespace], int], args: argparse.Namespace) -> int:
    from knowledge.store import open_store

    store = open_store()
    try:
        return command(store, args)
    finally:
        store.close()


def _ensure_units(session: Session) -> None:
    from sqlalchemy import func, select

    from knowledge.models import Unit
    from knowledge.units import load_units

    if not session.scalar(select(func.count()).select_from(Unit)):
        load_units(session)


def _unit(session: Session, code: str, era: str | None) -> Unit | None:
    from knowledge.units import get_unit

    _ensure_units(session)
    unit = get_unit(session, code, era)
    if unit is None:
        print(f"Không có đơn vị mã {code}.", file=sys.stderr)
    return unit


def cmd_import(args: argparse.Namespace) -> int:
    return _with_store(_import, args)


def _import(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.dossiers import DossierFileError, import_dossiers
    from knowledge.compliance.profile import ProfileError

    errors_path = args.errors or args.file.with_name(args.file.name + ".errors.csv")
    try:
        with store.sessions.begin() as session:
            _ensure_units(session)
            unit = None
            if args.unit:
                unit = _unit(session, args.unit, args.era)
                if unit is None:
                    return 1
            result = import_dossiers(session, args.file, args.profile, unit=unit)
    except (DossierFileError, ProfileError, OSError) as exc:
        print(f"Không nhập được {args.file}: {exc}", file=sys.stderr)
        return 1
    print(f"Đã nhập {result.imported} hồ sơ: {result.created} mới, {result.updated} cập nhật.")
    if result.layout and args.profile is None:
        print(f"Nhận dạng tệp: {result.layout}" + "".join(f"; {note}" for note in result.notes) + ".")
    if result.missing:
        print(
            "Cảnh báo: tệp không có "
            + ", ".join(result.missing)
            + ": các số liệu cần chúng sẽ ghi «không có dữ liệu»."
        )
    for name, rows in sorted(result.partly_missing.items()):
        print(f"Cảnh báo: {rows} hồ sơ không có {name}.")
    if result.unknown_procedures:
        print(
            f"Cảnh báo: {result.unknown_procedures} hồ sơ có tên thủ tục không có trong danh mục"
            " (không rõ mã)."
        )
    if result.errors:
        result.write_errors(errors_path)
        print(f"{len(result.errors)} dòng bị bỏ qua; lý do từng dòng ở {errors_path}.")
    return 0


def _period(args: argparse.Namespace, today: date) -> Period | None:
    """--from/--to, else --period (None when neither is given and there is no default)."""
    from knowledge.compliance.figures import Period
    from knowledge.compliance.periods import parse_period

    if args.start or args.end:
        start = args.start or (args.end or today).replace(day=1)
        return Period(start, args.end or today)
    if args.period is None:
        return None
    return parse_period(args.period, today)


def cmd_report(args: argparse.Namespace) -> int:
    return _with_store(_report, args)


def _report(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.figures import procedure_breakdown
    from knowledge.compliance.periods import PeriodSyntaxError
    from knowledge.compliance.profile import local_now
    from knowledge.compliance.ranking import ranking_xlsx, unit_report
    from knowledge.compliance.trend import trend, trend_chart_png

    now = args.as_of or local_now()
    try:
        period = _period(args, now.date())
    except PeriodSyntaxError:
        print(f"Kỳ không hiểu được: {args.period}", file=sys.stderr)
        return 2
    assert period is not None
    with store.sessions.begin() as session:
        unit = _unit(session, args.unit, args.era)
        if unit is None:
            return 1
        report = unit_report(session, unit, period, now)
        data = report.as_dict()
        if args.xlsx:
            title = f"{unit.name}, {period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}"
            procedures = procedure_breakdown(session, unit, period, now)
            args.xlsx.write_bytes(ranking_xlsx(report.children, title, procedures))
        if args.trend:
            args.trend.write_bytes(
                trend_chart_png(trend(session, unit, now), f"Tỷ lệ theo tháng — {unit.name}")
            )
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(_text(report))
    return 0


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}%"


def _rate(f: Figures, name: str) -> str:
    return "không có dữ liệu" if f.no_data(name) else _pct(getattr(f, name))


def _count(f: Figures, name: str) -> str:
    return "không có dữ liệu" if f.no_data(name) else str(getattr(f, name))


def _text(report: UnitReport) -> str:
    from knowledge.compliance.ranking import CLASS_LABELS

    own, f, carried = report.own, report.own.figures, report.carried
    lines = [
        f"{own.unit.name} ({own.unit.code}), {report.period.start:%d/%m/%Y}–{report.period.end:%d/%m/%Y},"
        f" hồ sơ chưa xong xét tại {report.judged_at:%H:%M %d/%m/%Y}",
    ]
    if carried.count:
        lines.append(
            f"Từ kỳ trước chuyển sang {carried.count}: đã xong trong kỳ {carried.finished} (trễ hạn"
            f" {carried.finished_late}), còn đang giải quyết {carried.open} (quá hạn {carried.overdue})"
        )
    if not f.has_data:
        lines.append("Chưa có dữ liệu: không có hồ sơ nào được tiếp nhận trong kỳ.")
    lines += [
        f"Tiếp nhận {f.received} · đang xử lý {f.in_progress} · đang quá hạn {f.overdue_now}",
        f"Đã xong {f.finished}: trước hạn {f.early}, đúng hạn {f.on_time}, trễ hạn {f.late}"
        + (f", rút hoặc dừng không rõ thời điểm {f.ended_unjudged}" if f.ended_unjudged else "")
        + f" · tỷ lệ đúng hạn {_pct(f.on_time_rate)}",
        f"Trực tuyến {_rate(f, 'online_rate')} (toàn trình {_rate(f, 'online_full_rate')}, một phần"
        f" {_rate(f, 'online_partial_rate')}) · thanh toán trực tuyến {_rate(f, 'online_payment_rate')}",
        f"Số hóa {_rate(f, 'digitised_rate')} · kết quả điện tử {_rate(f, 'e_result_rate')}"
        f" · tái sử dụng {_rate(f, 'reuse_rate')}",
        f"Trực tuyến chưa tiếp nhận sau 6 giờ làm việc: {_count(f, 'unaccepted_online')} · trễ hạn không có"
        f" thư xin lỗi: {_count(f, 'late_without_apology')} · yêu cầu bổ sung quá 1 lần:"
        f" {_count(f, 'supplement_twice')}",
        f"Điểm 766 (phần tính được từ hồ sơ): {own.score.total} / {own.score.max_points}",
    ]
    if f.lacking():
        lines.append(
            "Cảnh báo: dữ liệu nhập thiếu "
            + ", ".join(f"{name} ({rows} hồ sơ)" for name, rows in f.lacking().items())
            + ": số liệu cần chúng ghi «không có dữ liệu» hoặc chỉ tính trên hồ sơ có dữ liệu."
        )
    if report.provisional_from is not None:
        lines.append(
            f"Lịch làm việc từ {report.provisional_from:%d/%m/%Y}: theo quy định, chưa có lịch chính thức."
        )
    if own.score.lost_points:
        lines.append("Mất điểm ở:")
        lines += [
            f"  {i.indicator.id} {i.indicator.name}: −{i.lost} (đạt {_pct(i.ratio)}"
            + (f", chỉ tiêu {i.indicator.target:g}%)" if i.indicator.target else ")")
            for i in own.score.lost_points
        ]
    lines.append("Không tính được từ dữ liệu hồ sơ: " + ", ".join(i.id for i in own.score.unsupported))
    if report.children:
        lines.append("Xếp hạng đơn vị trực thuộc:")
        lines += [
            f"  {c.rank:>3}. {c.unit.name:<28} {c.score.total:>6.2f}"
            f"  trực tuyến {_pct(c.figures.online_rate):>7}  {CLASS_LABELS[c.online_class]}"
            if c.rank is not None
            else f"    –  {c.unit.name:<28} {'':>6}  {CLASS_LABELS[c.online_class]}"
            for c in report.children
        ]
    return "\n".join(lines)


def cmd_dossiers(args: argparse.Namespace) -> int:
    return _with_store(_dossiers, args)


def _dossiers(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.periods import PeriodSyntaxError
    from knowledge.compliance.profile import local_now
    from knowledge.compliance.worklists import LIST_TITLES, WorkList, worklist, worklist_xlsx

    now = args.as_of or local_now()
    try:
        period = _period(args, now.date())
    except PeriodSyntaxError:
        print(f"Kỳ không hiểu được: {args.period}", file=sys.stderr)
        return 2
    which = WorkList(args.which)
    with store.sessions.begin() as session:
        unit = _unit(session, args.unit, args.era)
        if unit is None:
            return 1
        page = worklist(session, unit, which, now, period=period)
        title = f"{LIST_TITLES[which]} — {unit.name} ({unit.code})"
    if period is not None:
        title += f", hồ sơ tiếp nhận {period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}"
    if args.xlsx:
        args.xlsx.write_bytes(worklist_xlsx(page.items, which, title))
    if args.json:
        data = {
            "unit": unit.code,
            "list": which.value,
            "period": {"from": period.start.isoformat(), "to": period.end.isoformat()} if period else None,
            "judged_at": page.judged_at.isoformat(timespec="minutes"),
            "count": page.total,
            "dossiers": [item.as_dict() for item in page.items],
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"{title}: {page.total} hồ sơ, xét tại {page.judged_at:%H:%M %d/%m/%Y}")
    for number, item in enumerate(page.items, start=1):
        due = f"{item.effective_due_at:%d/%m/%Y %H:%M}" if item.effective_due_at else "–"
        print(
            f"{number:>4}. {item.code:<26} {item.procedure_code:<12} hẹn {due:<16} {item.hours:>8.2f} giờ"
            f"  {item.unit_name}"
        )
    return 0


def cmd_apology(args: argparse.Namespace) -> int:
    return _with_store(_apology, args)


def _apology(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.apology import (
        LetterError,
        find_dossier,
        letter_data,
        letter_docx,
        record_letter,
    )
    from knowledge.compliance.profile import local_now

    today = local_now().date()
    with store.sessions.begin() as session:
        dossier = find_dossier(session, args.code)
        if dossier is None:
            print(f"Không có hồ sơ mã {args.code}.", file=sys.stderr)
            return 1
        try:
            data = letter_data(session, dossier, args.new_date, today)
        except LetterError as refused:
            print(str(refused), file=sys.stderr)
            return 1
        if not args.draft:
            record_letter(session, dossier, data, "cli")
        args.out.write_bytes(letter_docx(data))
    new_due = f"{data.new_due:%d/%m/%Y}" if data.new_due else "để trống"
    if data.recorded:
        print(
            f"Hồ sơ {data.dossier_code} đã có văn bản xin lỗi (hẹn trả {new_due}); đã ghi lại vào {args.out}."
        )
    elif args.draft:
        print(f"Bản nháp văn bản xin lỗi hồ sơ {data.dossier_code} (hẹn trả {new_due}): {args.out}")
    else:
        print(
            f"Văn bản xin lỗi hồ sơ {data.dossier_code} (hẹn trả {new_due}): {args.out}. Đã ghi nhận: hồ sơ"
            " không còn trong danh sách trễ hạn chưa xin lỗi."
        )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return _with_store(_demo, args)


def _demo(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.demo import SCENARIOS, load_scenario

    scenario = SCENARIOS[args.scenario]
    with store.sessions.begin() as session:
        _ensure_units(session)
        result = load_scenario(session, args.scenario)
    print(f"{scenario.description}: {result.created} hồ sơ mới, {result.updated} cập nhật.")
    print(
        f"Xem: tthc-bot report --unit {scenario.parent_code} --era {scenario.era.value}"
        f" --from {scenario.start} --to {scenario.end}"
    )
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    return _with_store(_invite, args)


def _invite(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.roles import create_invite, invite_link

    admin = args.admin if args.admin is not None else next(iter(store.settings.admin_ids), None)
    if admin is None or admin not in store.settings.admin_ids:
        print("Cần một quản trị viên có trong TTHC_ADMIN_IDS (--admin).", file=sys.stderr)
        return 1
    with store.sessions.begin() as session:
        unit = _unit(session, args.unit, args.era)
        if unit is None:
            return 1
        invite = create_invite(session, unit, admin, timedelta(hours=args.hours), settings=store.settings)
        link, expires = invite_link(args.bot, invite), invite.expires_at
    print(f"Lời mời cán bộ {unit.name}, dùng một lần, hết hạn {expires:%d/%m/%Y %H:%M} UTC:\n{link}")
    return 0


def cmd_officials(args: argparse.Namespace) -> int:
    return _with_store(_officials, args)


def _officials(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.roles import officials

    with store.sessions() as session:
        for official in officials(session):
            print(f"{official.telegram_id}\t{official.unit.code}\t{official.unit.name}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    return _with_store(_revoke, args)


def _revoke(store: Store, args: argparse.Namespace) -> int:
    from knowledge.compliance.roles import revoke

    with store.sessions.begin() as session:
        unit = None
        if args.unit:
            unit = _unit(session, args.unit, args.era)
            if unit is None:
                return 1
        removed = revoke(session, args.telegram_id, unit)
    print(f"Đã bỏ {removed} quyền cán bộ.")
    return 0
