"""Build the bundled procedure catalogue (knowledge/data/procedures.json.gz) from the raw public data.

Three sources under ``<shared>/data/raw``:

* ``opengov_dvcqg_catalog`` — the national portal's whole public list (every procedure with its page's
  UUID, publisher, executing bodies, audiences and type) and 502 structured detail responses; read
  by ``knowledge.importers.opengov``. Internal procedures (STANDARD_INTERNAL) are not offered.
* ``chatbot_tthc_dvcqg`` — 2,642 detail pages crawled from the national portal. The page's HTML tables
  were flattened with ``innerText`` and no separators, so the channel table, the dossier table and the
  legal-basis table arrive as one glued string each; most of this module re-splits them.
* ``bqp_tthc_nhdandz`` — 207 Ministry of Defence records with real tables (some columns shifted).

Every code of the list and of the other two is one record, merged field by field from what each
source states, best source first (``knowledge.importers.merge``); a crawl record holding another
procedure's page is set aside. Every decision is counted in the :class:`ImportReport`, which is also
written as Markdown next to the catalogue. The output is deterministic: records sorted by code, the
version and "generated" stamp derive from the data itself.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
from pydantic import ValidationError
from rapidfuzz import fuzz

from knowledge.catalogue import CODE_RE, ProcedureRecord
from knowledge.importers import merge, opengov
from knowledge.importers.fields import (
    FLAG_MEANINGS,
    Fee,
    amounts_in,
    quantity_text,
    read_fee,
    read_time,
    tidy_record,
    with_detail,
)
from knowledge.importers.names import NameCasing

DVCQG = "chatbot_tthc_dvcqg"
BQP = "bqp_tthc_nhdandz"

MINISTRY_FOLDERS = {
    "bo-cong-an": "Bộ Công an",
    "bo-nong-nghiep-mt": "Bộ Nông nghiệp và Môi trường",
    "bo-tai-chinh": "Bộ Tài chính",
    "bo-tu-phap": "Bộ Tư pháp",
    "bo-xay-dung": "Bộ Xây dựng",
    "ngan-hang-nha-nuoc": "Ngân hàng Nhà nước Việt Nam",
    "toa-an-nhan-dan": "Tòa án nhân dân",
}
BQP_MINISTRY = "Bộ Quốc phòng"

PLACEHOLDERS = frozenset({"", "-", "--", "—", "không có thông tin", "không", "không có", "n/a"})
PORTAL_DETAIL_RE = re.compile(
    r"^https://dichvucong\.gov\.vn/thu-tuc-hanh-chinh/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
)

# Issues that set a crawl or BQP record aside (the code stays when another source has it); every
# other issue only flags the published record.
DROP_ISSUES = {
    "decision_title_as_name": "tên là tiêu đề một quyết định/văn bản, không phải tên thủ tục",
    "name_differs_from_portal_list": (
        "tên khác hẳn tên trong danh sách của Cổng (trang của thủ tục khác bị tải về)"
    ),
    "page_of_another_code": "trang đã tải là trang của một mã khác trong danh sách của Cổng",
    "internal_procedure": (
        "thủ tục nội bộ (STANDARD_INTERNAL) trong danh sách của Cổng: không dành cho người dân"
    ),
    "invalid_code": "mã thủ tục không đúng dạng",
    "missing_name": "thiếu tên thủ tục",
    "schema_invalid": "không qua được kiểm tra ProcedureRecord",
    "duplicate_code_other_source": "mã cũng có ở nguồn kia; giữ bản đầy đủ hơn",
}
# The crawl saved another procedure's page: its content is discarded, the portal list's is used.
WRONG_PAGE_ISSUES = frozenset(
    {"decision_title_as_name", "name_differs_from_portal_list", "page_of_another_code"}
)
FLAG_ISSUES = {
    "same_name_several_codes": "cùng một tên dưới nhiều mã (giữ lại: khác cấp thực hiện)",
    "no_channels": "không có cách thức thực hiện (kênh nộp)",
    "channel_text_unparsed": "có văn bản cách thức thực hiện nhưng không tách được thành kênh",
    "no_documents": "không có thành phần hồ sơ",
    "no_steps": "không có trình tự thực hiện",
    "no_levels": "không xác định được cấp thực hiện (chỉ 'Cơ quan khác', hoặc không nguồn nào nêu)",
    "no_legal_basis": "không có căn cứ pháp lý",
    "related_name_unresolved": "thủ tục liên quan chỉ có tên, không tìm được mã",
}


# ---------------------------------------------------------------------------------------------
# Text helpers


def nfc_deep(value: Any) -> Any:
    """NFC-normalise every string of a decoded JSON value, keys included."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc_deep(k): nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_deep(v) for v in value]
    return value


def clean(text: str | None) -> str | None:
    """NFC, whitespace collapsed to single spaces, placeholders ("Không có thông tin", "-") → None."""
    if text is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if text.lower().rstrip(".") in PLACEHOLDERS:
        return None
    return text


def _trim_punct(text: str) -> str:
    return text.strip(" \t;,")


# ---------------------------------------------------------------------------------------------
# Channels: "Hình thức nộpThời gianPhí, lệ phíMô tả" + rows "<channel><time><fee>(<fee detail>)<note>"

CHANNEL_KEYS = {"Trực tuyến": "truc_tuyen", "Trực tiếp": "truc_tiep", "Dịch vụ bưu chính": "buu_chinh"}
_CHANNEL = "(?P<channel>Trực tuyến|Trực tiếp|Dịch vụ bưu chính)"
_NUM = r"(?>\d+(?:[.,]\d+)*)"  # atomic: "120,000" is never split into a time "12" and a fee "0,000"
_UNIT = "Ngày làm việc|Ngày|Giờ|Tháng|Năm|Tuần|Phút"
_CURRENCY = "Việt Nam Đồng|VNĐ|Đồng|đồng|USD"
_FEE = rf"(?P<fee>Miễn phí|Không có thông tin|(?P<amount>{_NUM})\s*(?P<currency>{_CURRENCY}))"
_ROW_STRICT = re.compile(
    rf"{_CHANNEL}(?:(?P<num>{_NUM})\s*(?P<unit>{_UNIT})?|(?P<time_text>Không có thông tin))?{_FEE}"
)
# Tax procedures put free text in the time column ("Không phải trả kết quả cho người nộp thuế").
_ROW_LOOSE = re.compile(rf"{_CHANNEL}(?P<time_text>[^():\n]{{1,160}}?){_FEE}")
_TIME_FULL_RE = re.compile(rf"^(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>{_UNIT})?$", re.IGNORECASE)
VND_CURRENCIES = {"Việt Nam Đồng", "VNĐ", "Đồng", "đồng"}


def _split_parenthesised(text: str) -> tuple[str | None, str]:
    """``"(a (b))rest"`` → ``("a (b)", "rest")``; text not starting with "(" → ``(None, text)``."""
    if not text.startswith("("):
        return None, text
    depth = 0
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return text[1:index], text[index + 1 :]
    return text[1:], ""


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_time(num: str | None, unit: str | None, text: str | None) -> tuple[str | None, float | None, str]:
    """(time as shown, days, format name). A bare number is read as days (and flagged by the caller)."""
    if num is not None:
        if re.fullmatch(r"\d+(?:[.,]\d+)?", num) is None or _number(num) == 0:
            return None, None, "time_zero_or_bad"
        time = read_time(num, unit)
        return time.text, time.days, "time_bare_number" if unit is None else "time_with_unit"
    text = clean(text)
    if text is None:
        return None, None, "time_missing"
    match = _TIME_FULL_RE.match(text)
    if match:
        return parse_time(match["num"], match["unit"], None)
    return text, None, "time_text"


def _vnd(amount: str) -> int:
    return int(re.sub(r"[.,]", "", amount))


def parse_fee(
    fee: str, amount: str | None, currency: str | None, detail: str | None, on: date | None = None
) -> tuple[Fee, str]:
    """The fee of one row (see :func:`read_fee`: the description wins over the value column) and its
    format name."""
    if fee == "Miễn phí":
        return read_fee(0, detail, free=True, on=on), "fee_free"
    if amount is not None and currency is not None:
        if currency in VND_CURRENCIES:
            return read_fee(_vnd(amount), detail, on=on), "fee_vnd"
        value = _number(amount) if re.fullmatch(r"\d+(?:[.,]\d+)?", amount) else None
        if value is None:
            return Fee(with_detail(f"{amount} {currency}", clean(detail) or ""), None), "fee_foreign_currency"
        return read_fee(value, detail, currency=currency, on=on), "fee_foreign_currency"
    return read_fee(None, detail, on=on), "fee_unknown"


def _resplit_time(head: re.Match[str], detail: str | None) -> tuple[str | None, str | None]:
    """(time, amount) when a unit-less time was glued to the amount: "Trực tuyến120 VNĐ(20.000 vnđ/tờ
    khai)" is 1 (day) and 20 (thousand đồng), as the description shows; otherwise (None, amount)."""
    amount = head["amount"]
    groups = head.groupdict()
    if groups.get("num") is not None or groups.get("time_text") is not None or not (amount or "").isdigit():
        return None, amount
    named = set(amounts_in(detail or ""))
    if not named or int(amount) in named or int(amount) * 1000 in named:
        return None, amount
    for cut in range(1, len(amount)):
        time, fee = amount[:cut], amount[cut:]
        if fee[0] != "0" and (int(fee) in named or int(fee) * 1000 in named):
            return time, fee
    return None, amount


@dataclass
class ParsedChannels:
    channels: list[dict[str, Any]]
    formats: Counter[str]
    unparsed: bool  # there was text but no row could be read
    flags: list[str] = field(default_factory=list)  # checks the rows failed (FLAG_MEANINGS)


def parse_dvcqg_channels(text: str, on: date | None = None) -> ParsedChannels:
    """Split the flattened channel table into rows (see the module docstring); ``on`` is the crawl's
    date, before which a rate's own end date makes it expired."""
    body = unicodedata.normalize("NFC", text).replace("Hình thức nộpThời gianPhí, lệ phíMô tả", "", 1)
    formats: Counter[str] = Counter()
    flags: list[str] = []
    heads = list(_ROW_STRICT.finditer(body))
    if not heads:
        heads = list(_ROW_LOOSE.finditer(body))
        formats.update(["row_free_text_time"] * len(heads))
    channels: list[dict[str, Any]] = []
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(body)
        detail, rest = _split_parenthesised(body[head.end() : end])
        groups = head.groupdict()
        glued_time, amount = _resplit_time(head, detail)
        if glued_time is not None:
            formats["row_time_glued_to_amount"] += 1
        time, days, time_format = parse_time(
            glued_time or groups.get("num"), groups.get("unit"), groups["time_text"]
        )
        fee, fee_format = parse_fee(head["fee"], amount, head["currency"], detail, on)
        formats.update([time_format, fee_format])
        flags += fee.flags + (["time_without_unit"] if time_format == "time_bare_number" else [])
        row = {
            "channel": CHANNEL_KEYS[head["channel"]],
            "time": time,
            "days": days,
            "fee": fee.text,
            "fee_vnd": fee.vnd,
            "note": clean(rest),
        }
        if row not in channels:
            channels.append(row)
    unparsed = not channels and clean(body) is not None
    return ParsedChannels(channels, formats, unparsed, sorted(set(flags)))


_BQP_FEE_PART_RE = re.compile(r"(?:Lệ phí|Phí)\s*:\s*(?P<value>.*?)(?=(?:Lệ phí|Phí)\s*:|$)", re.DOTALL)
# "0 Đồng", "2.000.000 Đồng (…)", "Không Đồng", "o Đồng" (a typed letter o), "1.5 USD"
_BQP_AMOUNT_RE = re.compile(r"^(?P<amount>\d[\d.,]*|không|o)?\s*(?P<currency>Đồng|USD)\b", re.IGNORECASE)


def parse_bqp_fee(text: str) -> tuple[str | None, int | None, str]:
    """``"Phí : 0 Đồng"``, ``"Lệ phí : 1.5 USD"``, ``"Phí : Mức thu bằng 50% …"`` (several parts)."""
    shown = clean(text.replace("\n", "; "))
    if shown is None:
        return None, None, "fee_unknown"
    total: int | None = 0
    parts = list(_BQP_FEE_PART_RE.finditer(text))
    for part in parts:
        match = _BQP_AMOUNT_RE.match(part["value"].strip())
        if match is None or match["amount"] is None or match["currency"].upper() == "USD":
            total = None
            continue
        amount = match["amount"].lower()
        if total is not None:
            total += 0 if amount in {"không", "o"} else _vnd(amount)
    if not parts:
        total = None
    if total is None:
        return shown, None, "fee_bqp_text"
    return shown, total, "fee_bqp_amount"


def parse_bqp_channels(rows: list[dict[str, str]]) -> ParsedChannels:
    formats: Counter[str] = Counter()
    channels: list[dict[str, Any]] = []
    for raw in rows:
        key = CHANNEL_KEYS.get(clean(raw.get("hinh_thuc")) or "")
        if key is None:
            formats["row_unknown_channel"] += 1
            continue
        time, days, time_format = parse_time(None, None, raw.get("thoi_han_giai_quyet"))
        fee, fee_vnd, fee_format = parse_bqp_fee(raw.get("phi_le_phi") or "")
        formats.update([time_format, fee_format])
        row = {
            "channel": key,
            "time": time,
            "days": days,
            "fee": fee,
            "fee_vnd": fee_vnd,
            "note": clean(raw.get("mo_ta")),
        }
        if row not in channels:
            channels.append(row)
    return ParsedChannels(channels, formats, unparsed=bool(rows) and not channels)


# ---------------------------------------------------------------------------------------------
# Documents: "<section>Tên giấy tờMẫu đơn, tờ khaiSố lượng"
#            + rows "<name><form file><n bản chính[,m bản sao]>"

DOC_TABLE_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# The quantity ends a row only when the next row is glued to it ("1 bản chínhĐơn đề nghị…");
# "01 bản chính hoặc …" / "01 bản chính;" inside a name are followed by a space or punctuation.
# The count is one digit: names ending in a year or article number are glued to it ("…/20261 bản chính");
# the next row may start with a digit ("1 bản chính01 tờ khai …", "1 bản chính2. Hồ sơ đăng ký").
_QTY_RE = re.compile(r"(?P<orig>\d) bản chính(?:,(?P<copies>\d+) bản sao)?(?=$|[^\s;,.:)])")
_FORM_EXT_RE = re.compile(r"\.(?:docx?|pdf|xlsx?|rar|zip)$", re.IGNORECASE)
_FORM_INNER_EXT_RE = re.compile(r"(?i:\.(?:docx|doc|pdf|xlsx|xls|rar|zip))(?![a-zà-ỹ])")
_FORM_MAX = 90


def _glue_points(text: str) -> Iterator[int]:
    """Positions where two table cells were concatenated without a space."""
    for i in range(1, len(text)):
        before, char, after = text[i - 1], text[i], text[i + 1 : i + 2]
        if before.isspace() or not char.isalnum():
            continue
        if (
            (before in ".;:)]" and char.isalpha())
            or (before.islower() and char.isupper())
            or (before.isdigit() and char.isupper())
            or (before.isupper() and char.isupper() and after.islower())
        ):
            yield i


def split_form(row: str) -> tuple[str, str | None]:
    """``"Tờ khai … theo Mẫu số 01;Mau01.docx"`` → ``("Tờ khai … theo Mẫu số 01", "Mau01.docx")``.

    The form file name is glued to the document name; it starts at the earliest glue point within
    the last ``_FORM_MAX`` characters (file names such as "Phụ lụcXI- TT54.docx" contain glue points
    themselves, document names rarely do that close to their end)."""
    if not _FORM_EXT_RE.search(row):
        return row, None
    extensions = list(_FORM_INNER_EXT_RE.finditer(row))
    first = len(extensions) - 1  # several files may be glued: "Mau01.docxMau02.docx"
    while first > 0 and extensions[first].start() - extensions[first - 1].end() <= _FORM_MAX:
        first -= 1
    start = max(1, extensions[first].start() - _FORM_MAX)
    for point in _glue_points(row[start - 1 : extensions[first].start()]):
        cut = start - 1 + point
        name, form = _trim_punct(row[:cut]), row[cut:].strip()
        if name and ";" not in form:
            return name, _FORM_INNER_EXT_RE.sub(r"\g<0>; ", form).removesuffix("; ")
    return row, None


@dataclass
class ParsedDocuments:
    documents: list[dict[str, Any]]
    formats: Counter[str]


def parse_dvcqg_documents(text: str) -> ParsedDocuments:
    """Rows of the flattened dossier table(s), each with its counts and the section title it is
    listed under (``group``: "* Giấy tờ phải nộp:", a case such as "Đăng ký thường trú vào chỗ ở
    hợp pháp do thuê, mượn, ở nhờ", or None for "--")."""
    text = unicodedata.normalize("NFC", text)
    formats: Counter[str] = Counter()
    documents: list[dict[str, Any]] = []
    parts = text.split(DOC_TABLE_HEADER)
    if len(parts) == 1:
        whole = clean(text)
        if whole:
            formats["documents_free_text"] += 1
            documents.append(_document(whole, None, None, None))
        return ParsedDocuments(documents, formats)
    formats["documents_table"] += 1
    header = parts[0]
    for body in parts[1:]:
        title = clean(header)
        group = _trim_punct(title) if title else None
        if group:
            formats["documents_section_title"] += 1
        position = 0
        for qty in _QTY_RE.finditer(body):
            row = clean(body[position : qty.start()])
            position = qty.end()
            if not row:
                continue
            name, form = split_form(row)
            formats["document_with_form" if form else "document_row"] += 1
            counts = (int(qty["orig"]), int(qty["copies"] or 0))
            documents.append(_document(_trim_punct(name), form, counts, group))
        header = body[position:]
    tail = clean(header)
    if tail:
        formats["documents_trailing_note"] += 1
        documents.append(_document(_trim_punct(tail), None, None, group))
    return ParsedDocuments(documents, formats)


def _document(
    name: str, form: str | None, counts: tuple[int, int] | None, group: str | None
) -> dict[str, Any]:
    original, copies = counts if counts else (None, None)
    return {
        "name": name,
        "quantity": quantity_text(original, copies) if counts else None,
        "form": form,
        "original": original,
        "copies": copies,
        "group": group,
    }


_BQP_COUNT_RE = re.compile(r"Bản chính:\s*(?P<orig>\d+)\s*Bản sao:\s*(?P<copies>\d+)", re.IGNORECASE)


def parse_bqp_documents(rows: list[dict[str, str]]) -> ParsedDocuments:
    """BQP rows: ``so_luong`` often holds the form file and ``ghi_chu`` the counts (shifted columns)."""
    formats: Counter[str] = Counter()
    documents: list[dict[str, Any]] = []
    for raw in rows:
        name = clean(raw.get("ten_giay_to"))
        if not name:
            continue
        form = None
        counts: tuple[int, int] | None = None
        for cell in (raw.get("so_luong") or "", raw.get("ghi_chu") or ""):
            count = _BQP_COUNT_RE.search(cell)
            if count:
                counts = (int(count["orig"]), int(count["copies"]))
            elif _FORM_EXT_RE.search(cell.strip()):
                form = "; ".join(line for line in (clean(part) for part in cell.splitlines()) if line)
        formats["document_with_form" if form else "document_row"] += 1
        documents.append(_document(_trim_punct(name), form, counts, None))
    return ParsedDocuments(documents, formats)


# ---------------------------------------------------------------------------------------------
# Legal basis: "Tên văn bản pháp lýMã văn bản" + rows "<title><number>" glued

LEGAL_TABLE_HEADER = "Tên văn bản pháp lýMã văn bản"
# "…năm 202068/2020/QH14": a year glued before the number is not part of it.
_DOC_NUMBER_RE = re.compile(
    r"(?:(?<!\d)|(?<=QH\d\d))(?:(?:19|20)\d\d(?=\d{1,4}/))?(?P<number>\d{1,4}(?:/\d{4})?/[A-ZĐ]+(?:-[A-ZĐ]+(?:g(?![a-zà-ỹ]))?)*"
    r"(?:(?<=QH)\d\d)?)"
)
_TYPE_ONLY_RE = re.compile(r"^(Thông tư|Nghị định|Luật|Quyết định|Nghị quyết|Pháp lệnh)( liên tịch)?( số)?$")
# "… của Bộ Tư phápThông tư số" + number: the number cell repeated the type; it is not part of the title.
_TYPE_SUFFIX_RE = re.compile(r"(?<=[a-zà-ỹ])(Thông tư|Nghị định|Luật|Quyết định|Nghị quyết|Pháp lệnh)( số)?$")
# Words a legal text's title starts with: "…/NĐ-CPThông tư số …" ends the number at "CP", not "CPT".
_TITLE_STARTS = (
    "Thông tư",
    "Nghị định",
    "Nghị quyết",
    "Luật",
    "Bộ luật",
    "Quyết định",
    "Pháp lệnh",
    "Văn bản",
    "Chỉ thị",
    "Công văn",
    "Công ước",
    "Quy định",
    "Quy chuẩn",
    "Hướng dẫn",
    "Sửa đổi",
    "Ban hành",
    "Thông báo",
    "Hiến pháp",
    "Hiệp định",
    "Lệnh",
    "Điều ước",
)


def _number_matches(text: str) -> Iterator[tuple[int, int]]:
    for match in _DOC_NUMBER_RE.finditer(text):
        end = match.end()
        if (
            end < len(text)
            and text[end].islower()
            and text[end - 1].isupper()
            and text.startswith(_TITLE_STARTS, end - 1)
            and text[match.start() : end - 1][-1:].isalpha()
        ):
            end -= 1
        yield match.start("number"), end


@dataclass
class ParsedLegal:
    legal_basis: list[dict[str, Any]]
    formats: Counter[str]


def parse_dvcqg_legal(text: str) -> ParsedLegal:
    """Rows end at a document number glued to the next title (or followed by a title keyword)."""
    body = unicodedata.normalize("NFC", text).replace(LEGAL_TABLE_HEADER, "", 1)
    formats: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    matches = list(_number_matches(body))
    position = 0
    for index, (start, end) in enumerate(matches):
        following = body[end:]
        next_start = matches[index + 1][0] if index + 1 < len(matches) else None
        if next_start == end:
            continue  # "Thông tư 80/2021/TT-BTC80/2021/TT-BTC": the first number belongs to the title
        if following and not following[0].isspace() and following[0] not in ",;.)(":
            formats["legal_glued"] += 1
        elif not following.strip():
            formats["legal_last"] += 1
        elif following[0] == " " and following.lstrip().startswith(_TITLE_STARTS):
            formats["legal_space_separated"] += 1
        else:
            continue  # a number quoted inside the title ("… số 22/2023/TT-BCA ngày …")
        title = clean(_TYPE_SUFFIX_RE.sub("", _trim_punct(body[position:start])).strip())
        if title and _TYPE_ONLY_RE.match(title):
            continue  # "Thông tư số 66/2023/TT-BCASửa đổi …": the number is the title's own
        number = body[start:end]
        rows.append({"title": title or number, "number": number})
        position = end
    tail = clean(_trim_punct(body[position:]))
    if tail:
        numbers = [match["number"] for match in _DOC_NUMBER_RE.finditer(tail)]
        formats["legal_number_in_title" if numbers else "legal_without_number"] += 1
        rows.append({"title": tail, "number": numbers[-1] if numbers else None})
    return ParsedLegal(_unique(rows), formats)


def parse_bqp_legal(rows: list[dict[str, str]]) -> ParsedLegal:
    formats: Counter[str] = Counter()
    result: list[dict[str, Any]] = []
    for raw in rows:
        title = clean(raw.get("trich_yeu"))
        mark = clean(raw.get("so_ky_hieu")) or ""
        found = _DOC_NUMBER_RE.search(mark)
        if found is None and title and mark.isdigit():
            # "so_ky_hieu": "12" with the full number only in the title: "Quyết định số 12/2021/QĐ-TTg …"
            found = next(
                (m for m in _DOC_NUMBER_RE.finditer(title) if m["number"].startswith(f"{mark}/")), None
            )
        if re.fullmatch(r"\d+/\S+", mark):
            number: str | None = mark  # "191/2005/TTLT/BQP-BLĐTBXH-BTC": already just the number
        else:
            number = found["number"] if found else None
        formats["legal_bqp_number" if number else "legal_bqp_without_number"] += 1
        if title or mark:
            result.append({"title": title or number or mark, "number": number})
    return ParsedLegal(_unique(result), formats)


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for row in rows:
        if row not in seen:
            seen.append(row)
    return seen


# ---------------------------------------------------------------------------------------------
# Smaller fields

_RESULT_UI_TAIL_RE = re.compile(r"(Từ khóa|Chọn cơ quan thực hiện).*$", re.DOTALL)
# "Mã: KQ.G15.000031", "Mã: KQ-G15.000031", "Mã: 000.00.00.G04-KQ0001", "Mã: TP-G15.0000001"
_RESULT_CODE_RE = re.compile(r"Mã:\s*(?:[\d.]+G\d+-KQ\d*|[A-Z]{2}[.-][GH]\d+\.\d+)")
_KEYWORDS_RE = re.compile(r"Từ khóa(?P<keywords>.*?)Mô tả", re.DOTALL)


def parse_result(text: str) -> tuple[str | None, list[str]]:
    """Result text without the portal UI tail (``Mã: KQ…``, ``Từ khóa…``, ``Chọn cơ quan … Nộp hồ sơ``),
    and the page's keywords when it has any."""
    text = unicodedata.normalize("NFC", text)
    keywords_match = _KEYWORDS_RE.search(text)
    keywords = split_keywords(keywords_match["keywords"]) if keywords_match else []
    body = _RESULT_UI_TAIL_RE.sub("", text)
    items = [clean(_trim_punct(part)) for part in _RESULT_CODE_RE.split(body)]
    return "; ".join(item for item in items if item) or None, keywords


def split_keywords(text: str | None) -> list[str]:
    text = clean(text)
    if not text:
        return []
    return list(dict.fromkeys(part for part in (clean(p) for p in re.split(r"[,;]", text)) if part))


LEVELS = {"cấp bộ": "bo", "cấp tỉnh": "tinh", "cấp huyện": "huyen", "cấp xã": "xa"}


def parse_levels(text: str | None) -> list[str]:
    found = {LEVELS[part] for part in (p.strip().lower() for p in (text or "").split(",")) if part in LEVELS}
    return [level for level in LEVELS.values() if level in found]


def split_audiences(text: str | None) -> list[str]:
    """Split on commas outside parentheses that start a new capitalised item:
    "Tổ chức (không bao gồm doanh nghiệp, HTX), Cán bộ, công chức, viên chức" → 2 items."""
    text = clean(text)
    if not text:
        return []
    items, depth, current = [], 0, ""
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        rest = text[index + 1 :].lstrip()
        if char == "," and depth == 0 and rest[:1].isupper():
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return list(dict.fromkeys(item for item in (clean(i) for i in items) if item))


_STEP_MARK_RE = re.compile(r"\s(?=Bước\s*\d+\s*[:.])")


def split_steps(text: str | None) -> list[str]:
    """Steps are the text's lines (and "Bước n:" marks); a line starting in lower case continues
    the previous one (the portal wraps long sentences)."""
    if not text:
        return []
    text = unicodedata.normalize("NFC", text)
    steps: list[str] = []
    for line in _STEP_MARK_RE.sub("\n", text).splitlines():
        line_text = clean(line)
        if not line_text or not any(char.isalnum() for char in line_text):
            continue
        if steps and line_text[0].islower():
            steps[-1] = f"{steps[-1]} {line_text}"
        else:
            steps.append(line_text)
    return steps


_RELATED_RE = re.compile(r"#?\d*Tên thủ tục\d*(?P<name>.+?)(?=#|$)")


def related_names(text: str | None) -> list[str]:
    text = clean(text)
    if not text:
        return []
    names = (clean(m["name"]) for m in _RELATED_RE.finditer(text))
    return list(dict.fromkeys(name for name in names if name))


_DECISION_PREFIX_RE = re.compile(r"^Quyết định số\s*", re.IGNORECASE)
_DECISION_TITLE_RE = re.compile(
    r"^Quyết định số\b|^(Quyết định\s+)?Công bố danh mục\b.*\bthủ tục hành chính\b", re.IGNORECASE
)


def looks_like_decision_title(name: str) -> bool:
    """ "Quyết định số 1404/QĐ-UBND …", "Công bố Danh mục và Quy trình nội bộ thủ tục hành chính …" are
    decisions, not procedures. Real procedures may start with "Quyết định đóng cửa mỏ …", "Công bố mở
    cảng …" or "Công bố Danh mục khu đất …", so only these two shapes count."""
    return _DECISION_TITLE_RE.match(name) is not None


# ---------------------------------------------------------------------------------------------
# Reading the sources


@dataclass
class Candidate:
    """One parsed record before the cross-record checks."""

    source: str
    record: dict[str, Any]
    issues: list[str] = field(default_factory=list)
    related_names: list[str] = field(default_factory=list)
    list_name: str | None = None  # the name in the portal's own list, when the source has one
    formality_id: str | None = None  # the crawl's own record of the page's UUID (often missing)

    @property
    def code(self) -> str:
        return str(self.record["code"])

    def completeness(self) -> int:
        keys = ("channels", "documents", "steps", "legal_basis", "result", "implementing_agency")
        return sum(1 for key in keys if self.record.get(key)) + (self.record.get("portal_url") is not None)


def source_date(folder: Path) -> date:
    """The crawl commit date noted in SOURCE.md ("Commit: <sha> (HEAD, 2026-07-20)")."""
    match = re.search(r"\(HEAD, (\d{4}-\d{2}-\d{2})\)", (folder / "SOURCE.md").read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{folder / 'SOURCE.md'}: no crawl date")
    return date.fromisoformat(match.group(1))


def _load_json(path: Path) -> dict[str, Any]:
    value = nfc_deep(json.loads(path.read_text(encoding="utf-8")))
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not a JSON object")
    return value


def read_portal_lists(folder: Path) -> dict[str, str]:
    """Code → name from the portal's "Danh sách thủ tục hành chính" exports (header rows 1–2)."""
    names: dict[str, str] = {}
    for path in sorted(folder.glob("*.xlsx")):
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            for row in workbook.active.iter_rows(min_row=3, values_only=True):
                if row and row[0] and row[1]:
                    names[str(row[0]).strip()] = unicodedata.normalize("NFC", str(row[1]))
        finally:
            workbook.close()
    return names


@dataclass
class FormatCoverage:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, counts: Counter[str]) -> None:
        self.counts.update(counts)


def dvcqg_candidate(
    raw: dict[str, Any], ministry_folder: str, crawled: date, coverage: FormatCoverage
) -> Candidate:
    channels = parse_dvcqg_channels(raw.get("cach_thuc_thuc_hien", ""), crawled)
    documents = parse_dvcqg_documents(raw.get("thanh_phan_ho_so", ""))
    legal = parse_dvcqg_legal(raw.get("can_cu_phap_ly", ""))
    result, keywords = parse_result(raw.get("ket_qua_xu_ly", ""))
    for parsed in (channels.formats, documents.formats, legal.formats):
        coverage.add(parsed)
    url = (raw.get("detail_url") or "").strip()
    record: dict[str, Any] = {
        "code": (raw.get("ma_thu_tuc") or "").strip(),
        "name": clean(raw.get("ten_thu_tuc")) or "",
        "field": clean(raw.get("linh_vuc")),
        "levels": parse_levels(raw.get("cap_thuc_hien")),
        "type": clean(raw.get("loai_thu_tuc")),
        "implementing_agency": clean(raw.get("co_quan_thuc_hien")),
        "competent_agency": clean(raw.get("co_quan_co_tham_quyen")),
        "ministry": MINISTRY_FOLDERS.get(ministry_folder),
        "decision": clean(_DECISION_PREFIX_RE.sub("", raw.get("so_quyet_dinh") or "")),
        "audiences": split_audiences(raw.get("doi_tuong_thuc_hien")),
        "channels": channels.channels,
        "online_level": None,  # the pages never state "toàn trình"/"một phần" for the procedure itself
        "documents": documents.documents,
        "steps": split_steps(raw.get("trinh_tu_thuc_hien")),
        "legal_basis": legal.legal_basis,
        "conditions": clean(raw.get("yeu_cau_dieu_kien")),
        "result": result,
        "receiving_address": clean(raw.get("dia_chi_tiep_nhan")),
        "related": [],
        "keywords": keywords,
        "portal_url": url if PORTAL_DETAIL_RE.match(url) else None,
        "source": "dvcqg",
        "source_date": crawled.isoformat(),
        "flags": channels.flags,
    }
    candidate = Candidate(
        "dvcqg",
        record,
        related_names=related_names(raw.get("thu_tuc_lien_quan")),
        formality_id=clean(raw.get("formality_id")),
    )
    if channels.unparsed:
        candidate.issues.append("channel_text_unparsed")
    return candidate


def bqp_candidate(raw: dict[str, Any], crawled: date, coverage: FormatCoverage) -> Candidate:
    meta, content, tables = raw.get("metadata", {}), raw.get("content", {}), raw.get("tables", {})
    channels = parse_bqp_channels(tables.get("hinh_thuc_nop", []))
    documents = parse_bqp_documents(tables.get("thanh_phan_ho_so", []))
    legal = parse_bqp_legal(tables.get("can_cu_phap_ly", []))
    for parsed in (channels.formats, documents.formats, legal.formats):
        coverage.add(parsed)
    record: dict[str, Any] = {
        "code": (meta.get("mã_thủ_tục") or raw.get("thu_tuc_id") or "").strip(),
        "name": clean(meta.get("tên_thủ_tục")) or "",
        "field": clean(meta.get("lĩnh_vực")),
        "levels": parse_levels(meta.get("cấp_thực_hiện")),
        "type": clean(meta.get("loại_thủ_tục")),
        "implementing_agency": clean(content.get("cơ_quan_thực_hiện")),
        "competent_agency": clean(content.get("cơ_quan_có_thẩm_quyền")),
        "ministry": BQP_MINISTRY,
        "decision": clean(_DECISION_PREFIX_RE.sub("", meta.get("số_quyết_định") or "")),
        "audiences": split_audiences(content.get("đối_tượng_thực_hiện")),
        "channels": channels.channels,
        "online_level": None,
        "documents": documents.documents,
        "steps": split_steps(content.get("trình_tự_thực_hiện")),
        "legal_basis": legal.legal_basis,
        "conditions": clean(content.get("yêu_cầu_điều_kiện_thực_hiện")),
        "result": clean(content.get("kết_quả_thực_hiện")),
        "receiving_address": clean(content.get("địa_chỉ_tiếp_nhận_hs")),
        "related": [],
        "keywords": split_keywords(content.get("từ_khóa")),
        "portal_url": None,  # the .doc exports carry no portal link
        "source": "bqp",
        "source_date": crawled.isoformat(),
        "flags": channels.flags,
    }
    candidate = Candidate("bqp", record)
    if channels.unparsed:
        candidate.issues.append("channel_text_unparsed")
    return candidate


def read_dvcqg(folder: Path, coverage: FormatCoverage) -> Iterator[Candidate]:
    crawled = source_date(folder)
    lists = read_portal_lists(folder / "lists") if (folder / "lists").is_dir() else {}
    for path in sorted((folder / "raw").glob("*/*.json")):
        candidate = dvcqg_candidate(_load_json(path), path.parent.name, crawled, coverage)
        candidate.list_name = lists.get(candidate.code)
        yield candidate


def read_bqp(folder: Path, coverage: FormatCoverage) -> Iterator[Candidate]:
    crawled = source_date(folder)
    for path in sorted((folder / "extracted_fixed").glob("*.json")):
        yield bqp_candidate(_load_json(path), crawled, coverage)


# ---------------------------------------------------------------------------------------------
# Merging the sources, the cross-record checks, the report, the output


def _similar(name: str, other: str) -> bool:
    return fuzz.token_set_ratio(_name_key(name), _name_key(other)) >= 60


def _check(candidate: Candidate, portal: opengov.PortalCatalogue) -> None:
    """A crawl or BQP record's own issues; the portal's list tells a page of another procedure."""
    record = candidate.record
    entry = portal.entries.get(candidate.code)
    if not CODE_RE.match(candidate.code):
        candidate.issues.append("invalid_code")
    if not record["name"]:
        candidate.issues.append("missing_name")
    elif looks_like_decision_title(record["name"]):
        candidate.issues.append("decision_title_as_name")
    listed = [name for name in (candidate.list_name, entry.name if entry else None) if name]
    if record["name"] and any(not _similar(record["name"], name) for name in listed):
        candidate.issues.append("name_differs_from_portal_list")
    page = (record.get("portal_url") or "").rpartition("/")[2]
    owner = portal.by_uuid.get(page)
    if (
        owner is not None
        and owner != candidate.code
        and not _similar(record["name"], portal.entries[owner].name)
    ):
        candidate.issues.append("page_of_another_code")
        record["portal_url"] = None
    if entry is not None and entry.type == opengov.INTERNAL:
        candidate.issues.append("internal_procedure")


def _record_checks(record: dict[str, Any], candidate: Candidate | None, report: ImportReport) -> None:
    """The report's flags on a merged record: what it lacks (papers, steps… only when it is not a
    summary record, which lacks them by nature)."""
    checks = [("levels", "no_levels")]
    if record["details"] == "full":
        checks += [
            ("channels", "no_channels"),
            ("documents", "no_documents"),
            ("steps", "no_steps"),
            ("legal_basis", "no_legal_basis"),
        ]
    for key, issue in checks:
        if not record.get(key):
            report.flagged[issue].append(record["code"])
    if (
        candidate is not None
        and "channel_text_unparsed" in candidate.issues
        and "channels" not in record["sources"]
    ):
        report.flagged["channel_text_unparsed"].append(record["code"])


@dataclass
class ImportReport:
    records_in: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    records_out: int = 0
    version: str = ""
    dropped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    flagged: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    formats: Counter[str] = field(default_factory=Counter)
    list_types: Counter[str] = field(default_factory=Counter)  # lines of the portal's list by type
    listed_twice: list[str] = field(default_factory=list)  # codes on two lines of the list
    wrong_pages: list[tuple[str, str, str, str]] = field(default_factory=list)  # code, crawl, list, why
    uuid_fixes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    stale: list[dict[str, Any]] = field(default_factory=list)
    field_sources: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    by_publisher: Counter[str] = field(default_factory=Counter)
    details: Counter[str] = field(default_factory=Counter)
    linked: int = 0  # records with their own portal page
    by_province: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, publisher)
    unplaced: list[str] = field(default_factory=list)
    record_flags: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    agency_levels: Counter[str] = field(default_factory=Counter)  # derived levels vs the stated ones

    @property
    def dropped_codes(self) -> set[str]:
        return {code for codes in self.dropped.values() for code in codes}

    @property
    def flagged_codes(self) -> set[str]:
        return {code for codes in self.flagged.values() for code in codes}

    def __str__(self) -> str:
        sources = ", ".join(f"{name} {count}" for name, count in self.records_in.items())
        return (
            f"{sum(self.records_in.values())} in ({sources}), {self.records_out} out "
            f"({self.details['full']} full, {self.details['summary']} summary; "
            f"{_share(self.linked, self.records_out)} with their portal page), "
            f"{len(self.stale)} not on the portal's list; version {self.version}"
        )

    def to_markdown(self) -> str:
        lines = [
            "# Import report: procedures",
            "",
            "Written by `knowledge/importers/procedures.py` (`python -m knowledge.importers`). Do not edit.",
            "",
            f"- Catalogue version: `{self.version}`",
            f"- Records in: {sum(self.records_in.values())} "
            f"({', '.join(f'{k}: {v}' for k, v in self.records_in.items())})",
            f"- Portal list lines: {sum(self.list_types.values())} "
            f"({', '.join(f'{k}: {v}' for k, v in sorted(self.list_types.items()))}); internal ones are not "
            "offered to citizens"
            + (
                f"; listed twice (the line offered to citizens kept): {', '.join(self.listed_twice)}"
                if self.listed_twice
                else ""
            ),
            f"- Records out: {self.records_out} ({self.details['full']} full, {self.details['summary']} "
            "summary: papers, time and fee only on the portal)",
            f"- With their own portal page: {self.linked} ({_share(self.linked, self.records_out)})",
            f"- By type: {', '.join(f'{k}: {v}' for k, v in sorted(self.by_type.items()))}",
            f"- Source records set aside: {len(self.dropped_codes)}; "
            f"records flagged: {len(self.flagged_codes)}",
            "",
            "## Procedures by publisher",
            "",
            "| publisher | procedures |",
            "|---|---:|",
        ]
        lines += [f"| {name} | {count} |" for name, count in _by_count(self.by_publisher)]
        lines += self._sources_section()
        lines += self._links_section()
        lines += self._stale_section()
        lines += self._provinces_section()
        lines += ["", "## Flags set on records (`flags`)", ""]
        if not any(self.record_flags.values()):
            lines.append("(none)")
        for flag, codes in sorted(self.record_flags.items()):
            meaning = [FLAG_MEANINGS[flag], ""] if flag in FLAG_MEANINGS else []
            lines += [f"### `{flag}` — {len(codes)}", "", *meaning, ", ".join(sorted(codes)), ""]
        lines += ["", "## Source records set aside", ""]
        lines += self._issue_lines(self.dropped, DROP_ISSUES)
        lines += ["", "## Kept, flagged", ""]
        lines += self._issue_lines(self.flagged, FLAG_ISSUES)
        lines += [
            "",
            "## Format coverage",
            "",
            "How often each string format was met while parsing.",
            "",
            "| format | count |",
            "|---|---:|",
        ]
        lines += [f"| `{name}` | {count} |" for name, count in sorted(self.formats.items())]
        return "\n".join(lines) + "\n"

    def _sources_section(self) -> list[str]:
        sources = [source for source in merge.SOURCE_ORDER if any(s == source for _, s in self.field_sources)]
        lines = [
            "",
            "## Which source each field came from",
            "",
            "Best first: " + ", ".join(f"`{s}`" for s in merge.SOURCE_ORDER) + " (for the name, the lĩnh vực "
            "and the page the portal's list comes before the crawl: see knowledge/importers/merge.py).",
            "",
            "| field | " + " | ".join(sources) + " |",
            "|---|" + "---:|" * len(sources),
        ]
        for name in merge.MERGED_FIELDS:
            counts = [self.field_sources[(name, source)] for source in sources]
            if any(counts):
                lines.append(f"| {name} | " + " | ".join(str(count) for count in counts) + " |")
        agree, within, total = (self.agency_levels[key] for key in ("agree", "within", "compared"))
        lines += [
            "",
            f"Levels read from the executing bodies' names (`{merge.AGENCIES}`, used only when no other "
            f"source states them), on the {total} records where another source states them too: the same "
            f"levels for {agree} ({_share(agree, total)}), levels among the stated ones for {within} "
            f"({_share(within, total)}; the list often names fewer bodies than execute the procedure).",
        ]
        return lines

    def _links_section(self) -> list[str]:
        lines = ["", "## Portal pages (UUIDs)", ""]
        meanings = {
            "confirmed": "crawl records without a formality_id whose page the portal's list confirms",
            "from_list": "crawl records without a formality_id given their page by the portal's list",
            "unconfirmed": "crawl records without a formality_id whose code the list lacks (crawl page kept)",
        }
        for key, meaning in meanings.items():
            codes = sorted(self.uuid_fixes.get(key, []))
            lines.append(
                f"- {meaning}: {len(codes)}" + (f" — {', '.join(codes)}" if key != "confirmed" else "")
            )
        lines += [
            "",
            "### Crawl records of another procedure's page",
            "",
            "The crawl saved another procedure's page under these codes: its content is discarded, the "
            "portal list's name and page are used.",
            "",
            "| code | name in the crawl | name on the portal's list | why |",
            "|---|---|---|---|",
        ]
        lines += [f"| {code} | {crawl} | {listed} | {why} |" for code, crawl, listed, why in self.wrong_pages]
        return lines

    def _stale_section(self) -> list[str]:
        lines = [
            "",
            f"## Not on the portal's current list — {len(self.stale)}",
            "",
            'Kept with `on_portal_list: false`. "Same name on the list": the list has a procedure of the '
            "same name under another code (likely re-coded); none: possibly repealed, merged or renamed.",
            "",
            "| code | name | publisher | source | same name on the list |",
            "|---|---|---|---|---|",
        ]
        for stale in self.stale:
            cells = [stale["code"], stale["name"], stale["publisher"] or "", stale["source"]]
            lines.append("| " + " | ".join([*cells, ", ".join(stale["same_name"])]) + " |")
        return lines

    def _provinces_section(self) -> list[str]:
        lines = [
            "",
            "## Province-specific procedures by province",
            "",
            "| province | publisher | procedures |",
            "|---|---|---:|",
        ]
        lines += [
            f"| {code} | {publisher} | {n} |" for (code, publisher), n in sorted(self.by_province.items())
        ]
        if self.unplaced:
            lines += ["", "Publishers placed in no province: " + "; ".join(self.unplaced)]
        return lines

    @staticmethod
    def _issue_lines(issues: dict[str, list[str]], meanings: dict[str, str]) -> list[str]:
        if not any(issues.values()):
            return ["(none)"]
        lines = []
        for issue in meanings:
            codes = sorted(set(issues.get(issue, [])))
            if codes:
                lines += [f"### `{issue}` — {len(codes)}", "", meanings[issue], "", ", ".join(codes), ""]
        return lines


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _name_key(name: str) -> str:
    return " ".join(name.lower().rstrip(".").split())


def _crawl_choice(
    candidates: Iterable[Candidate], portal: opengov.PortalCatalogue, report: ImportReport
) -> dict[str, Candidate]:
    """The crawl or BQP record used for each code: checked, and the more complete of two sources."""
    by_code: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        report.records_in[candidate.source] += 1
        _check(candidate, portal)
        by_code[candidate.code].append(candidate)
    chosen: dict[str, Candidate] = {}
    for code, group in by_code.items():
        usable = [c for c in group if not set(c.issues) & DROP_ISSUES.keys()]
        best = max(usable, key=Candidate.completeness, default=None)
        for candidate in usable:
            if candidate is not best:
                candidate.issues.append("duplicate_code_other_source")
        if best is not None:
            chosen[code] = best
        for candidate in group:
            for issue in candidate.issues:
                if issue in DROP_ISSUES:
                    report.dropped[issue].append(candidate.code)
        entry = portal.entries.get(code)
        discarded = [c for c in group if c.source == "dvcqg" and set(c.issues) & WRONG_PAGE_ISSUES]
        if entry is not None and entry.offered and discarded:
            why = ", ".join(sorted(set(discarded[0].issues) & WRONG_PAGE_ISSUES))
            report.wrong_pages.append((code, discarded[0].record["name"], entry.name, why))
    return chosen


def _uuid_fixes(candidates: list[Candidate], portal: opengov.PortalCatalogue, report: ImportReport) -> None:
    for candidate in candidates:
        if candidate.source != "dvcqg" or candidate.formality_id:
            continue
        entry = portal.entries.get(candidate.code)
        if entry is None:
            report.uuid_fixes["unconfirmed"].append(candidate.code)
        elif set(candidate.issues) & WRONG_PAGE_ISSUES:
            report.uuid_fixes["from_list"].append(candidate.code)
        else:
            report.uuid_fixes["confirmed"].append(candidate.code)


def _parts(
    code: str, crawl: Candidate | None, portal: opengov.PortalCatalogue, coverage: FormatCoverage
) -> list[merge.Part]:
    parts = []
    detail = portal.details.get(code)
    if detail is not None:
        parts.append(merge.Part(merge.DETAIL, opengov.detail_values(detail, portal.crawled), portal.crawled))
    if crawl is not None:
        dated = crawl.record.get("source_date")
        parts.append(merge.Part(crawl.source, crawl.record, date.fromisoformat(dated) if dated else None))
    entry = portal.entries.get(code)
    if entry is not None:
        province = portal.provinces.get(entry.publisher or "")
        parts.append(merge.Part(merge.LIST, opengov.list_values(entry, province), portal.crawled))
        levels = opengov.agency_levels(entry.departments)
        parts.append(merge.Part(merge.AGENCIES, {"levels": levels}, portal.crawled))
    return parts


def select(
    candidates: Iterable[Candidate],
    portal: opengov.PortalCatalogue,
    report: ImportReport,
    coverage: FormatCoverage | None = None,
) -> list[ProcedureRecord]:
    """Merge the sources code by code, apply the per-record and cross-record checks; return the
    records to publish, by code."""
    coverage = coverage or FormatCoverage()
    candidates = list(candidates)
    crawl = _crawl_choice(candidates, portal, report)
    _uuid_fixes(candidates, portal, report)
    report.list_types = portal.lines
    report.listed_twice = portal.listed_twice
    report.records_in[merge.LIST] = sum(1 for entry in portal.entries.values() if entry.offered)
    report.records_in[merge.DETAIL] = len(portal.details)
    report.unplaced = portal.unplaced
    for code, entry in portal.entries.items():
        if entry.offered and not CODE_RE.match(code):
            report.dropped["invalid_code"].append(code)
    # every code the list offers, and the crawl's and the exports' (their internal ones set aside)
    codes = {code for code, entry in portal.entries.items() if entry.offered and CODE_RE.match(code)}
    codes |= crawl.keys()
    casing = NameCasing(entry.name for entry in portal.entries.values())

    merged: list[tuple[dict[str, Any], Candidate | None]] = []
    for code in sorted(codes):
        candidate = crawl.get(code)
        record = merge.merge(code, _parts(code, candidate, portal, coverage))
        record["name"] = casing.sentence_case(record.get("name") or "")
        record["on_portal_list"] = code in portal.entries
        _record_checks(record, candidate, report)
        merged.append((record, candidate))

    names: dict[tuple[str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for record, _ in merged:
        names[(_name_key(record["name"]), record.get("province"))].append(record)
    for group in names.values():
        if len(group) > 1:
            report.flagged["same_name_several_codes"] += [record["code"] for record in group]
    for record, candidate in merged:
        record["related"] = []
        if candidate is None:
            continue
        for name in candidate.related_names:
            key = _name_key(name)
            matches = names.get((key, record.get("province")), []) or names.get((key, None), [])
            if len(matches) == 1 and matches[0] is not record:
                record["related"].append(matches[0]["code"])
                record["sources"]["related"] = candidate.source
            else:
                report.flagged["related_name_unresolved"].append(record["code"])

    records: list[ProcedureRecord] = []
    for record, _ in merged:
        try:
            records.append(ProcedureRecord.model_validate(tidy_record(record)))
        except ValidationError:
            report.dropped["schema_invalid"].append(record["code"])
    _tally(records, portal, report)
    return records


def _tally(records: list[ProcedureRecord], portal: opengov.PortalCatalogue, report: ImportReport) -> None:
    """The report's counts over the records published."""
    listed = {_name_key(e.name): code for code, e in portal.entries.items() if e.offered}
    for record in records:
        report.by_type[record.portal_type or "not on the portal's list"] += 1
        report.by_publisher[record.publisher or record.ministry or "(unknown)"] += 1
        report.details[record.details] += 1
        report.linked += bool(record.portal_url and PORTAL_DETAIL_RE.match(record.portal_url))
        for name, source in record.sources.items():
            report.field_sources[(name, source)] += 1
        for flag in record.flags:
            report.record_flags[flag].append(record.code)
        if record.portal_type == "specific":
            report.by_province[(record.province or "?", record.publisher or "")] += 1
        if record.on_portal_list is False:
            same = [listed[key]] if (key := _name_key(record.name)) in listed else []
            report.stale.append(
                {
                    "code": record.code,
                    "name": record.name,
                    "publisher": record.publisher or record.ministry,
                    "source": record.source,
                    "same_name": same,
                }
            )
        entry = portal.entries.get(record.code)
        derived = opengov.agency_levels(entry.departments) if entry else []
        if derived and record.sources.get("levels") not in (None, merge.AGENCIES):
            report.agency_levels["compared"] += 1
            report.agency_levels["agree"] += set(derived) == set(record.levels)
            report.agency_levels["within"] += set(derived) <= set(record.levels)


def catalogue_document(records: list[ProcedureRecord]) -> dict[str, Any]:
    """The catalogue file's content. Version and "generated" come from the data (newest source date
    and a hash of the records), so rebuilding from the same data gives the same bytes."""
    procedures = [record.model_dump(mode="json") for record in records]
    digest = hashlib.sha256(json.dumps(procedures, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    newest = max((r.source_date for r in records if r.source_date), default=date(1970, 1, 1))
    return {
        "version": f"{newest.isoformat()}-{digest[:8]}",
        "generated": newest.isoformat(),
        "procedures": procedures,
    }


def build(shared_dir: Path, out_path: Path) -> ImportReport:
    """Read the sources under ``shared_dir/data/raw``, write the gzip catalogue to ``out_path`` and
    the report to ``import_report.md`` beside it."""
    raw = shared_dir / "data" / "raw"
    report = ImportReport()
    coverage = FormatCoverage()
    candidates = [*read_dvcqg(raw / DVCQG, coverage), *read_bqp(raw / BQP, coverage)]
    portal = opengov.read_portal(raw / opengov.FOLDER)
    records = select(candidates, portal, report, coverage)
    report.formats = coverage.counts
    document = catalogue_document(records)
    report.version = document["version"]
    report.records_out = len(records)
    payload = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(gzip.compress(payload, mtime=0))
    out_path.with_name("import_report.md").write_text(report.to_markdown(), encoding="utf-8")
    return report
