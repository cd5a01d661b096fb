"""Admins' tables on the command line: `agency` (agency code or name → unit, for dossier imports)
and `calendar` (holidays and swapped days the Government announced)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.store import Store


def register(sub: Any) -> None:
    agency = sub.add_parser("agency", help="bảng cơ quan → đơn vị dùng khi nhập hồ sơ (MaCoQuan, DonViXuLy…)")
    agency_sub = agency.add_subparsers(dest="action", required=True)
    add = agency_sub.add_parser("add", help="gắn mã hoặc tên cơ quan với một đơn vị")
    add.add_argument("agency", help="mã hoặc tên cơ quan đúng như tệp xuất ghi")
    add.add_argument("--unit", required=True, help="mã đơn vị")
    add.add_argument("--era", choices=("2008", "2025"))
    agency_sub.add_parser("list", help="các mục đã thêm")
    remove = agency_sub.add_parser("remove", help="bỏ một mục")
    remove.add_argument("agency")
    agency.set_defaults(func=cmd_agency)

    cal = sub.add_parser("calendar", help="lịch làm việc: xem, thêm hoặc sửa ngày nghỉ, ngày làm bù")
    cal_sub = cal.add_subparsers(dest="action", required=True)
    show = cal_sub.add_parser("show", help="ngày nghỉ, ngày làm bù của một năm và các sửa đổi đã lưu")
    show.add_argument("--year", type=int, default=None)
    cal_add = cal_sub.add_parser(
        "add",
        help="thêm đợt nghỉ hoặc ngày làm bù: nghi 05/02/2027..13/02/2027 le:tet Tết Đinh Mùi 2027",
    )
    cal_add.add_argument("words", nargs="+", help="nghi|lambu, các ngày (ngày..ngày), le:KHOÁ, tên")
    cal_add.add_argument("--source", help="văn bản công bố lịch (mặc định: quản trị viên)")
    cal_remove = cal_sub.add_parser("remove", help="bỏ một sửa đổi đã lưu (theo số của nó)")
    cal_remove.add_argument("id", type=int)
    cal.set_defaults(func=cmd_calendar)


def _with_store(args: argparse.Namespace, command: Any) -> int:
    from knowledge.store import open_store

    store = open_store()
    try:
        return int(command(store, args))
    finally:
        store.close()


def cmd_agency(args: argparse.Namespace) -> int:
    return _with_store(args, _agency)


def _agency(store: Store, args: argparse.Namespace) -> int:
    from knowledge.audit import cli_actor
    from knowledge.compliance.agencies import add_agency, agencies, remove_agency
    from knowledge.units import get_unit

    with store.sessions.begin() as session:
        if args.action == "list":
            for entry in agencies(session):
                print(f"{entry.agency}\t{entry.unit.code}\t{entry.unit.name}\t{entry.added_by}")
            return 0
        if args.action == "remove":
            removed = remove_agency(session, args.agency)
            print("Đã bỏ." if removed else f"Không có mục '{args.agency}'.")
            return 0 if removed else 1
        unit = get_unit(session, args.unit, args.era)
        if unit is None:
            print(f"Không có đơn vị mã {args.unit}.", file=sys.stderr)
            return 1
        try:
            add_agency(session, args.agency, unit, cli_actor())
        except ValueError as exc:
            print(f"Không thêm được: {exc}", file=sys.stderr)
            return 1
        print(f"Hồ sơ của cơ quan '{args.agency}' sẽ thuộc {unit.name} ({unit.code}).")
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    return _with_store(args, _calendar)


def _calendar(store: Store, args: argparse.Namespace) -> int:
    from knowledge.audit import cli_actor
    from knowledge.calendarstore import (
        CalendarError,
        apply_change,
        calendar_for,
        describe,
        parse_change,
        stored_changes,
        withdraw_change,
    )

    with store.sessions.begin() as session:
        if args.action == "show":
            calendar = calendar_for(session)
            year = args.year or date.today().year
            print(f"Ngày nghỉ (thứ Hai–thứ Sáu) năm {year}:")
            for day, reason in calendar.days_off(year):
                print(f"  {day:%d/%m/%Y}  {reason}")
            swapped = calendar.swapped_working_days(year)
            if swapped:
                print("Ngày làm bù: " + ", ".join(f"{d:%d/%m/%Y}" for d in swapped))
            first = calendar.provisional_from()
            print(f"Từ {first:%d/%m/%Y}: theo quy định, chưa có lịch chính thức.")
            for change in stored_changes(session):
                print(f"  #{change.id} {describe(change.schedule_entry())} ({change.actor})")
            return 0
        try:
            if args.action == "remove":
                applied = withdraw_change(session, args.id)
                if applied is None:
                    print(f"Không có sửa đổi #{args.id}.", file=sys.stderr)
                    return 1
            else:
                entry = parse_change(args.words, cli_actor(), args.source)
                applied = apply_change(session, entry, cli_actor())
        except (ValueError, CalendarError) as exc:
            print(f"Không sửa được lịch: {exc}", file=sys.stderr)
            for error in getattr(exc, "errors", []):
                print(f"  - {error}", file=sys.stderr)
            return 1
        verb = "Đã bỏ" if args.action == "remove" else "Đã lưu"
        print(f"{verb} #{applied.change.id}: {describe(applied.change.schedule_entry())}.")
        print(f"{len(applied.changed_days)} ngày đổi; tính lại {applied.recomputed} hồ sơ.")
    return 0
