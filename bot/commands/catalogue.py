"""`load`, `show`, `unit`, `procedures`: the catalogue and the administrative units from the command line.

Every command works on the database of TTHC_DATA_DIR / DATABASE_URL and loads the bundled data
first if the database lacks it (see knowledge.store.Store.ensure_loaded). Results go to stdout
(as JSON with --json); which unit a name was resolved to, and errors, go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import groupby
from typing import TYPE_CHECKING, Any

from bot.texts import LEVEL_NAMES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.models import Procedure, Unit
    from knowledge.units import UnitMatch

UNIT_HELP = """\
Tìm đơn vị hành chính theo tên người dùng gõ: tên hiện nay hoặc trước 1/7/2025, có hay không dấu,
có hay không "xã/phường/huyện/tỉnh", gõ sai chút ít cũng được; có thể kèm huyện, tỉnh.
Kết quả xếp từ khớp nhất. Mỗi mục JSON: code, name, kind, era ("2008" trước 2025, "2025" hiện nay),
label, province {code, name}, current — luôn là danh sách {code, name} các đơn vị 2025 mà đơn vị
này nay thuộc về (chính nó nếu là đơn vị hiện nay; có thể nhiều mục nếu đơn vị cũ bị chia) — và
score (0–100)."""

PROCEDURES_HELP = """\
Các thủ tục do bộ phận một cửa của một xã, phường hoặc đặc khu giải quyết. --unit nhận mã hoặc tên
(tìm như lệnh unit; nếu nhiều đơn vị khớp thì dùng đơn vị khớp nhất và ghi ra stderr đơn vị đã chọn).
Đơn vị trước 2025 được trả lời theo (các) xã mới mà nó nay thuộc về. Mỗi mục JSON: code, name, field,
levels, status."""

# by the values of knowledge.models' ProcedureStatus and Era (that module loads when a command runs)
STATUS_NAMES: dict[str, str] = {"in_force": "đang có hiệu lực", "abolished": "đã bãi bỏ"}
ERA_NAMES: dict[str, str] = {"2008": "trước 1/7/2025", "2025": "hiện nay"}


def register(sub: Any) -> None:
    load = sub.add_parser("load", help="tạo cơ sở dữ liệu và nạp danh mục, đơn vị kèm theo")
    load.set_defaults(func=cmd_load)

    show = sub.add_parser("show", help="xem một thủ tục theo mã")
    show.add_argument("code", help="mã thủ tục, ví dụ 1.001193")
    show.add_argument("--json", action="store_true", help="in dạng JSON")
    show.set_defaults(func=cmd_show)

    unit = sub.add_parser(
        "unit",
        help="tìm đơn vị hành chính theo tên",
        description=UNIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    unit.add_argument("text", help='tên đơn vị, ví dụ "Xã Cát Vân, huyện Như Xuân, Thanh Hóa"')
    unit.add_argument("--limit", type=int, default=5, help="số kết quả tối đa (mặc định 5)")
    unit.add_argument("--json", action="store_true", help="in dạng JSON")
    unit.set_defaults(func=cmd_unit)

    procedures = sub.add_parser(
        "procedures",
        help="các thủ tục một xã/phường giải quyết",
        description=PROCEDURES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    procedures.add_argument("--unit", required=True, metavar="MÃ|TÊN", help="mã hoặc tên xã/phường")
    procedures.add_argument("--field", metavar="LĨNH_VỰC", help='chỉ lấy một lĩnh vực, ví dụ "Hộ tịch"')
    procedures.add_argument("--json", action="store_true", help="in dạng JSON")
    procedures.set_defaults(func=cmd_procedures)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --------------------------------------------------------------------------- load


def cmd_load(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from knowledge.store import open_store

    store = open_store(load=False)
    try:
        summary = store.ensure_loaded()
    finally:
        store.close()
    print(f"Cơ sở dữ liệu: {make_url(store.settings.db_url).render_as_string(hide_password=True)}")
    if not summary.changed:
        print("Dữ liệu đã có sẵn; không thay đổi gì.")
        return 0
    print(
        f"Đã nạp: {summary.procedures} thủ tục, {summary.units} bản ghi đơn vị hành chính và kế thừa, "
        f"{summary.offices} bộ phận một cửa, {summary.overrides} ngoại lệ áp dụng."
    )
    return 0


# --------------------------------------------------------------------------- show


def procedure_json(procedure: Procedure, province_name: str | None = None) -> dict[str, Any]:
    """The procedure as `show --json` prints it; portal_url is always a working portal link.

    ``details`` says whether the papers, time and fee are known ("full") or only on the portal
    ("summary"); ``sources`` which source each field came from; ``province`` (with its name) only for a
    province's own procedure."""
    from knowledge.portal import portal_link

    data = {
        **procedure_item(procedure),
        "abolished_by": procedure.abolished_by,
        "portal_url": portal_link(procedure),
        "channels": [
            {"channel": c.get("channel"), "time": c.get("time"), "fee": c.get("fee"), **c}
            for c in procedure.channels
        ],
        "documents": procedure.documents,
        "legal_basis": procedure.legal_basis,
        "result": procedure.result,
        "competent_agency": procedure.competent_agency,
        "implementing_agency": procedure.implementing_agency,
        "details": procedure.details,
        "sources": procedure.sources,
        "publisher": procedure.publisher,
        "executing_agencies": procedure.executing_agencies,
        "portal_type": procedure.portal_type,
        "on_portal_list": procedure.on_portal_list,
    }
    if procedure.portal_type == "specific":
        data["province"] = procedure.province
        data["province_name"] = province_name
    return data


def procedure_card(data: dict[str, Any]) -> list[str]:
    """A readable card of `procedure_json` output, for a terminal."""
    from bot.render import by_case, channel_lines

    lines = [data["name"], f"Mã: {data['code']}"]
    if data["field"]:
        lines.append(f"Lĩnh vực: {data['field']}")
    if data["levels"]:
        lines.append("Cấp thực hiện: " + ", ".join(LEVEL_NAMES.get(level, level) for level in data["levels"]))
    status = STATUS_NAMES.get(data["status"], data["status"])
    lines.append(f"Tình trạng: {status}" + (f" ({data['abolished_by']})" if data["abolished_by"] else ""))
    if data.get("on_portal_list") is False:
        lines.append("Không còn trong danh sách thủ tục hiện hành của Cổng Dịch vụ công quốc gia")
    if data.get("publisher"):
        lines.append(f"Cơ quan công bố: {data['publisher']}")
    if data.get("portal_type") == "specific":
        lines.append(f"Thủ tục riêng của: {data.get('province_name') or data.get('province') or 'một tỉnh'}")
    agency = data["competent_agency"] or data["implementing_agency"]
    if agency:
        lines.append(f"Cơ quan thực hiện: {agency}")
    if data.get("details") == "summary":
        lines.append("Hồ sơ, thời hạn, lệ phí: xem trên Cổng Dịch vụ công quốc gia")
    if data["channels"]:
        lines.append("Cách thức, thời hạn và lệ phí:")
        for names, details in channel_lines(data["channels"], limit=False):
            lines.append(f"  • {names}: {details}")
    if data["documents"]:
        lines.append("Hồ sơ:")
        main = [document for document in data["documents"] if not document.get("case")]
        lines += [f"  {_document_text(document)}" for document in main]
        for case, papers in by_case(data["documents"]).items():
            lines.append(f"  {case}:")
            lines += [f"    {_document_text(document)}" for document in papers]
    if data["result"]:
        lines.append(f"Kết quả: {data['result']}")
    if data["legal_basis"]:
        lines.append("Căn cứ pháp lý:")
        for basis in data["legal_basis"]:
            number = f" ({basis['number']})" if basis.get("number") else ""
            lines.append(f"  • {basis.get('title')}{number}")
    lines.append(f"Cổng Dịch vụ công: {data['portal_url']}")
    return lines


def _document_text(document: dict[str, Any]) -> str:
    """A paper as in the bot's «Giấy tờ» list, as plain text."""
    from bot.render import document_line

    return "".join(span.text for span in document_line(document))


def cmd_show(args: argparse.Namespace) -> int:
    from knowledge.catalogue import get_procedure
    from knowledge.models import Era
    from knowledge.store import open_store
    from knowledge.units import get_unit

    store = open_store()
    try:
        with store.sessions() as session:
            procedure = get_procedure(session, args.code)
            if procedure is None:
                return _fail(f"Không có thủ tục mã {args.code.strip()} trong danh mục.")
            province = get_unit(session, procedure.province, Era.TWO_TIER) if procedure.province else None
            data = procedure_json(procedure, province.name if province else None)
    finally:
        store.close()
    if args.json:
        _print_json(data)
    else:
        print("\n".join(procedure_card(data)))
    return 0


# --------------------------------------------------------------------------- units


def _brief(unit: Unit) -> dict[str, str]:
    return {"code": unit.code, "name": unit.name}


def unit_json(match: UnitMatch) -> dict[str, Any]:
    """One `unit --json` item. ``current`` is always a list, even for a single 2025 unit."""
    from knowledge.units import unit_label

    unit = match.unit
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "era": unit.era,
        "label": unit_label(unit),
        "province": _brief(match.province),
        "current": [_brief(successor) for successor in match.current],
        "score": match.score,
    }


def _unit_line(match: UnitMatch) -> str:
    from knowledge.units import unit_label

    unit = match.unit
    line = f"{match.score:5.1f}  {unit_label(unit)}  [{unit.code}, {ERA_NAMES.get(unit.era, unit.era)}]"
    if not unit.is_current:
        now = "; ".join(f"{u.name} ({u.code})" for u in match.current) or "không rõ"
        line += f"\n       → nay thuộc: {now}"
    return line


def cmd_unit(args: argparse.Namespace) -> int:
    from knowledge.store import open_store
    from knowledge.units import resolve_unit

    store = open_store()
    try:
        with store.sessions() as session:
            matches = resolve_unit(session, args.text, limit=max(1, args.limit))
            if not matches:
                return _fail(f"Không tìm thấy đơn vị hành chính nào khớp với «{args.text}».")
            if args.json:
                _print_json([unit_json(match) for match in matches])
            else:
                print("\n".join(_unit_line(match) for match in matches))
    finally:
        store.close()
    return 0


# --------------------------------------------------------------------------- procedures


class UnitNotFound(LookupError):
    """The text names no unit that can answer for procedures; the message says why (in Vietnamese)."""


def _listing(matches: list[UnitMatch]) -> str:
    from knowledge.units import unit_label

    return "; ".join(f"{unit_label(m.unit)} [{m.unit.code}]" for m in matches)


def commune_for(session: Session, text: str) -> tuple[Unit, str | None]:
    """The commune-level unit ``text`` names (a code or a name), and a note on the choice, if any.

    A code is looked up exactly (the 2025 unit first); a name is resolved like `unit`, taking the
    best match and saying so. Provinces and districts are refused: they handle no commune's work.
    """
    from knowledge.models import COMMUNAL_KINDS
    from knowledge.units import get_unit, province_of, resolve_unit, unit_label

    text = text.strip()
    if text.isdigit():
        unit = get_unit(session, text)
        if unit is None:
            raise UnitNotFound(f"Không có đơn vị hành chính mã {text}.")
        matches: list[UnitMatch] = []
        note = None
    else:
        matches = resolve_unit(session, text, limit=5)
        if not matches:
            raise UnitNotFound(f"Không tìm thấy đơn vị hành chính nào khớp với «{text}».")
        unit = matches[0].unit
        note = f"Đơn vị: {unit_label(unit)} [{unit.code}, {ERA_NAMES.get(unit.era, unit.era)}]"
        close = [m for m in matches[1:] if m.score >= matches[0].score - 5]
        if close:
            note += f" (cũng khớp: {_listing(close)})"
    if unit.kind not in COMMUNAL_KINDS:
        province = province_of(session, unit)
        where = "" if province.id == unit.id else f", {province.name}"
        communes = [m for m in matches if m.unit.kind in COMMUNAL_KINDS]
        hint = f" Có phải: {_listing(communes)}?" if communes else ""
        raise UnitNotFound(
            f"{unit.name}{where} [{unit.code}] không phải đơn vị cấp xã; "
            f"hãy chọn một xã, phường hoặc đặc khu.{hint}"
        )
    return unit, note


def procedure_item(procedure: Procedure) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field,
        "levels": procedure.levels,
        "status": procedure.status,
    }


def cmd_procedures(args: argparse.Namespace) -> int:
    from knowledge.applicability import procedures_for_unit
    from knowledge.store import open_store
    from knowledge.units import current_successors, fold

    store = open_store()
    try:
        with store.sessions() as session:
            try:
                unit, note = commune_for(session, args.unit)
            except UnitNotFound as exc:
                return _fail(str(exc))
            if note:
                print(note, file=sys.stderr)
            successors = current_successors(session, unit)
            if not unit.is_current:
                names = "; ".join(f"{u.name} [{u.code}]" for u in successors)
                print(f"{unit.name} nay thuộc: {names or 'không rõ'}", file=sys.stderr)
            try:
                procedures = procedures_for_unit(session, unit, args.field)
            except ValueError as exc:
                return _fail(str(exc))
            items = [procedure_item(p) for p in procedures]
            known: list[str] = []
            if args.field and not items:  # most likely a misspelt field: say which ones there are
                known = sorted({p.field for p in procedures_for_unit(session, unit) if p.field}, key=fold)
    finally:
        store.close()
    if args.json:
        _print_json(items)
    elif items:
        offices = ", ".join(u.name for u in successors)
        print(f"{len(items)} thủ tục do bộ phận một cửa của {offices} giải quyết:")
        for field, group in groupby(items, key=lambda item: item["field"]):
            print(f"\n{field or 'Chưa rõ lĩnh vực'}")
            for item in group:
                print(f"  {item['code']:<12} {item['name']}")
    if not items:
        where = f" thuộc lĩnh vực «{args.field}»" if args.field else ""
        print(f"Không có thủ tục nào{where}.", file=sys.stderr)
        if args.field and known:
            print("Các lĩnh vực có: " + "; ".join(known), file=sys.stderr)
    return 0
