"""The last pass over a merged procedure record before it is published: fields made true to read.

Every source is merged into one record first (``knowledge.importers.procedures``); this pass then
makes what a citizen reads on the card truthful: papers that everyone brings ahead of the papers of
particular cases, notes that are not papers set apart, one time-and-fee line per channel, amounts
never lost or contradicted. What it cannot make right it names in ``flags``, and the card then sends
the reader to the portal.

The rules read the text as the portal publishes it, in both shapes we have: the flattened crawl
(``chatbot_tthc_dvcqg``: section titles, "n bản chính" counts) and the portal's structured responses
(``opengov_dvcqg_catalog/details``: ``executionCases[].profileComponents`` with ``originalQty``,
``copyQty``, ``hasElectronicForm``; ``executionMethods[].fees[]`` with a value and a description).
:func:`channels_from_portal` and :func:`documents_from_portal` turn the structured pieces into record
fields; :func:`read_fee` and :func:`read_time` are shared by every source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Import checks a record can fail, with what the import report prints for each. The card of a
# flagged record sends the reader to the portal near the top.
FLAG_MEANINGS: dict[str, str] = {
    "fee_free_contradicted": (
        "Cổng ghi «Miễn phí» hoặc 0 đồng nhưng phần mô tả nêu mức thu hoặc văn bản quy định mức thu; "
        "thẻ hiển thị theo mô tả, không ghi «Miễn phí»"
    ),
    "fee_value_mismatch": (
        "Số tiền ở cột lệ phí khác số tiền trong mô tả (ví dụ «135» và «135.000 đồng»); "
        "thẻ hiển thị theo mô tả"
    ),
    "fee_value_differs": (
        "Số tiền ở cột lệ phí khác số tiền nêu trong mô tả (ví dụ «5.000» và «thu 7.000 đồng»); "
        "thẻ ghi cả hai"
    ),
    "fee_amount_unclear": (
        "Số tiền không có đơn vị tiền tệ hoặc nhỏ bất thường (ví dụ «1 đồng», «120 VNĐ»); "
        "thẻ không dùng số này"
    ),
    "fee_expired_rate": "Mô tả lệ phí có mức thu đã hết thời hạn áp dụng trước ngày thu thập; thẻ bỏ mức đó",
    "time_without_unit": "Thời hạn chỉ là một con số, không có đơn vị; thẻ hiển thị là ngày",
    "papers_are_steps": (
        "Thành phần hồ sơ có dòng là bước thực hiện, không phải giấy tờ; đã chuyển sang ghi chú"
    ),
    "papers_unsplit": (
        "Thành phần hồ sơ có dòng dính liền nhiều giấy tờ (số lượng nằm giữa tên); chưa tách được"
    ),
}

CHANNEL_ORDER = ("truc_tiep", "truc_tuyen", "buu_chinh")

# --------------------------------------------------------------------------------------------
# Text helpers

_INVISIBLE_RE = re.compile("[\u200b-\u200f\u2060\ufeff]")
_LIST_MARK_RE = re.compile(
    r"^(?:[-+*•–—·]+\s*|\(\d{1,2}(?:\.\d{1,2})*\)\s*|\(?[a-zđ]\)\s+|\d{1,2}[.)]\s+|\(?[ivx]{1,4}\)\s*)+",
    re.IGNORECASE,
)


def _text(value: Any) -> str:
    """NFC, invisible marks removed, whitespace collapsed."""
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", str(value or "")))
    return " ".join(text.split())


def _bare(text: str) -> str:
    """The text without the list marks it starts with ("- ", "+ ", "* ", "a) ", "1. ")."""
    return _LIST_MARK_RE.sub("", text).strip()


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _key(text: str) -> str:
    return " ".join(_bare(text).lower().rstrip(" .:;").split())


# --------------------------------------------------------------------------------------------
# Fees

# An amount of money: with a currency word ("20.000 đồng", "400.000đ", "50 VNĐ") or, without one,
# written with thousands separators ("8.000.000/lần"). Dates and document numbers ("31/12/2025",
# "244/2016/TT-BTC") are not amounts.
_AMOUNT_RE = re.compile(
    r"(?<![\d.,/])(?P<num>\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+|\d+)(?![\d%])(?!/\d)(?![.,]\d)"
    r"\s*(?P<currency>việt nam đồng|vnđ|vnd|đồng|đ(?!\w))?",
    re.IGNORECASE,
)
_DATE = r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})"
_UNTIL_RE = re.compile(
    rf"đến\s+(?:hết\s+)?(?:ngày\s+)?{_DATE}|đến\s+hết\s+năm\s+(?P<only_year>\d{{4}})", re.I
)
# Clause boundaries inside a fee description: list marks, semicolons, sentence ends.
_CLAUSE_SPLIT_RE = re.compile(r"\s+(?=[-+•]\s)|(?<=;)\s*|(?<=\.)\s+(?=[A-ZĐÀ-Ỹ(\-+])|\n")
# A description that states the service is free.
_FREE_RE = re.compile(r"^\(*\s*(?:không|chưa|miễn)\b", re.IGNORECASE)
# A description that speaks of a rate, even without naming an amount.
_RATE_RE = re.compile(
    r"mức\s+(?:thu|phí|lệ\s*phí)|thu\s+phí|lệ\s*phí|\bphí\b|biểu\s+phí|hội đồng nhân dân|"
    r"\bdo (?:ủy|uỷ) ban nhân dân\b.*quy định|theo quy định (?:của|tại)\b",
    re.IGNORECASE,
)
# What some structured descriptions start with: the currency or "Miễn phí" of the value column.
_DESCRIPTION_LEAD_RE = re.compile(r"^(?:miễn phí\s*)?(?:việt nam đồng|đồng|vnđ)\b\s*[-:]?\s*", re.IGNORECASE)
VND = "VND"


def format_vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " đồng"


def amounts_in(text: str) -> list[int]:
    """The amounts of money (in đồng) a text names, in order."""
    found = []
    for match in _AMOUNT_RE.finditer(text):
        digits = match["num"]
        grouped = "." in digits or "," in digits
        if match["currency"] is None and not grouped:
            continue
        value = int(re.sub(r"[.,]", "", digits))
        if value >= 1000 or match["currency"] is not None:
            found.append(value)
    return found


def _strip_parens(text: str) -> str:
    """ "((a))" → "a": descriptions are often wrapped once or twice."""
    while text.startswith("(") and text.endswith(")"):
        inner = text[1:-1]
        depth = 0
        for char in inner:
            depth += (char == "(") - (char == ")")
            if depth < 0:
                return text
        if depth:
            return text
        text = inner.strip()
    return text


def _clauses(text: str) -> list[str]:
    return [part.strip() for part in _CLAUSE_SPLIT_RE.split(text) if part and part.strip()]


def _ended(clause: str, on: date | None) -> bool:
    """Whether the clause says it applied only until a day before ``on``."""
    if on is None:
        return False
    for match in _UNTIL_RE.finditer(clause):
        try:
            if match["only_year"]:
                end = date(int(match["only_year"]), 12, 31)
            else:
                end = date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:
            continue
        if end < on:
            return True
    return False


@dataclass
class Fee:
    """A fee as the card shows it: the text, the amount in đồng when there is one amount, the checks
    it failed."""

    text: str | None
    vnd: int | None
    flags: list[str] = field(default_factory=list)


def with_detail(amount: str, detail: str) -> str:
    return f"{amount} ({detail})" if detail else amount


def read_fee(
    value: float | None,
    detail: str | None,
    *,
    currency: str | None = VND,
    free: bool = False,
    on: date | None = None,
) -> Fee:
    """Read a published fee: the value column (``value``; ``free`` when it said "Miễn phí") and its
    description, as of the day ``on`` (the crawl's date).

    The description wins over the value column when they disagree: "Miễn phí" or 0 with a described
    amount is not free, "135" with "135.000 đồng/lần" in the description is 135.000 đồng, an amount
    below 1.000 đồng is not believed. Clauses that applied only until a day before ``on`` are dropped.
    Without a value or a description the fee is unknown (``text`` None), never assumed free.
    """
    flags: list[str] = []
    text = _DESCRIPTION_LEAD_RE.sub("", _strip_parens(_text(detail)))
    text = _bare(_strip_parens(text))
    clauses = _clauses(text)
    live = [clause for clause in clauses if not _ended(clause, on)]
    if len(live) < len(clauses):
        flags.append("fee_expired_rate")
    expired = [clause for clause in clauses if clause not in live]
    detail_live = " ".join(live).strip()
    named = amounts_in(detail_live)
    distinct = list(dict.fromkeys(named))
    single = distinct[0] if len(distinct) == 1 else None

    if value is not None and value > 0 and not free:
        if clauses and not live:  # the rate's own text says it ended: "… (đến hết ngày 31/12/2025)"
            if value >= 1000 and currency == VND and int(value) not in amounts_in(text):
                expired = [with_detail(format_vnd(int(value)), " ".join(expired))]
            return Fee(_ended_only(expired), None, flags)
        if currency not in (VND, None):
            return Fee(with_detail(f"{value:g} {currency}", detail_live), None, flags)
        amount: int | None = int(value)
        if value != int(value) or amount is None or amount < 1000:
            thousands = round(value * 1000)
            if thousands in amounts_in(text):
                amount = thousands
                flags.append("fee_value_mismatch")
            else:
                amount = None
                flags.append("fee_amount_unclear")
        if amount is not None and amount not in named and amount in amounts_in(" ".join(expired)):
            amount = single  # the value column kept a rate whose own text says it ended
        elif amount is not None and named and amount not in named and "fee_value_mismatch" not in flags:
            # "5.000" in the column, "thu 7.000 đồng" in the text: show both, vouch for neither
            flags.append("fee_value_differs")
            return Fee(with_detail(format_vnd(amount), detail_live), None, flags)
        if amount is None:
            if not detail_live and expired:
                return Fee(_ended_only(expired), None, flags)
            if detail_live:
                return Fee(
                    with_detail(format_vnd(single), detail_live) if single else detail_live, single, flags
                )
            return Fee(None, None, flags)
        return Fee(with_detail(format_vnd(amount), detail_live), amount, flags)

    if value is None and not free:
        if not detail_live:
            return Fee(_ended_only(expired), None, flags)
        if _FREE_RE.match(detail_live) and not distinct:
            return Fee(with_detail("Miễn phí", detail_live), 0, flags)
        return Fee(with_detail(format_vnd(single), detail_live) if single else detail_live, single, flags)

    # Declared free (or 0).
    if not detail_live:
        if expired:
            return Fee(_ended_only(expired), None, flags)
        return Fee("Miễn phí", 0, flags)
    if _FREE_RE.match(detail_live) and not distinct:
        return Fee(with_detail("Miễn phí", detail_live), 0, flags)
    if distinct or _RATE_RE.search(detail_live):
        flags.append("fee_free_contradicted")
        return Fee(
            with_detail(format_vnd(single), detail_live) if single else _by_rule(detail_live), single, flags
        )
    return Fee(with_detail("Miễn phí", detail_live), 0, flags)


_ENDED_ONLY = "chưa công bố mức đang áp dụng"


_LEGAL_TEXT_RE = re.compile(r"^(?:Thông tư|Nghị định|Nghị quyết|Quyết định|Luật)\b")


def _by_rule(text: str) -> str:
    """ "Thông tư số 60/2023/TT-BTC … quy định mức thu …" → "Theo Thông tư số 60/2023/TT-BTC …"."""
    return f"Theo {text}" if _LEGAL_TEXT_RE.match(text) else text


def _ended_only(expired: list[str]) -> str | None:
    if not expired:
        return None
    return f"{_ENDED_ONLY} (mức đã hết hạn: " + " ".join(expired) + ")"


def _fee_from_text(fee: str, fee_vnd: int | None, on: date | None) -> Fee:
    """Re-read a fee already written as text by a source (idempotent on what :func:`read_fee` writes)."""
    text = _text(fee)
    if text.startswith(_ENDED_ONLY):
        return Fee(text, fee_vnd)
    if re.fullmatch(r"(?:(?:lệ phí|phí)\s*:\s*0\s*đồng\s*;?\s*)+", text, re.IGNORECASE):
        return Fee("Miễn phí", 0)  # "Phí : 0 Đồng; Lệ phí : 0 Đồng"
    free = re.match(r"^miễn phí\b\s*", text, re.IGNORECASE)
    if free or fee_vnd == 0:
        rest = text[free.end() :] if free else text
        if free or amounts_in(rest) or _ended(rest, on):
            return read_fee(0, rest, free=True, on=on)
    if any(_ended(clause, on) for clause in _clauses(text)):
        return read_fee(None, text, on=on)
    return Fee(text or None, fee_vnd)


# --------------------------------------------------------------------------------------------
# Times

UNIT_NAMES = {
    "WORKING_DAY": "ngày làm việc",
    "DAY": "ngày",
    "HOUR": "giờ",
    "MONTH": "tháng",
    "YEAR": "năm",
    "WEEK": "tuần",
    "MINUTE": "phút",
}
_UNIT_WORDS = {
    "ngày làm việc": "ngày làm việc",
    "ngày": "ngày",
    "giờ": "giờ",
    "tháng": "tháng",
    "năm": "năm",
    "tuần": "tuần",
    "phút": "phút",
}


@dataclass
class Time:
    text: str | None
    days: float | None  # working or calendar days, when the time is given in days
    flags: list[str] = field(default_factory=list)


def _number_text(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def read_time(number: str | float | None, unit: str | None, text: str | None = None) -> Time:
    """A processing time: a number with its unit ("7", "Ngày làm việc"), or free text. A number
    without a unit is read as days and flagged; zero means no time was published."""
    if number is not None:
        try:
            value = float(str(number).replace(",", "."))
        except ValueError:
            return Time(_text(number) or None, None)
        if value <= 0:
            return Time(None, None)
        name = UNIT_NAMES.get(unit or "") or _UNIT_WORDS.get((unit or "").strip().lower())
        if name is None:
            return Time(f"{_number_text(value)} ngày", value, ["time_without_unit"])
        days = value if name.startswith("ngày") else None
        return Time(f"{_number_text(value)} {name}", days)
    shown = _text(text)
    return Time(shown or None, None)


# --------------------------------------------------------------------------------------------
# Channels: one line per channel


def _note_parts(note: str | None) -> list[str]:
    text = unicodedata.normalize("NFC", note or "")
    parts = re.split(r"\n|\s+(?=[-+*•]\s)|(?<=[.;])\s+(?=[-+*•(A-ZĐÀ-Ỹ])", text)
    return [_text(part) for part in parts if _text(part)]


_GENERIC_LABELS = re.compile(
    r"^(thời hạn giải quyết|cách thức thực hiện|cách thực hiện|thời gian|lưu ý)$", re.I
)
_LABEL_RE = re.compile(r"^(?P<label>[^:]{3,80}?)\s*:\s*\S")
_NOT_A_LABEL_RE = re.compile(r"\b(?:gồm|bao gồm|là|không)$|\slà\s", re.IGNORECASE)
_CONDITION_RE = re.compile(
    r"(?i)(?<!trừ )\b(?P<label>(?:đối với|trong trường hợp|trường hợp|nếu)\b[^.;:]{3,150}?)"
    r"(?=\s+thì\b|[.;:]|$)"
)


def _label(parts: Iterable[str]) -> str | None:
    """What distinguishes a row: "Cấp xã: 02 ngày" → "Cấp xã"; else "… đối với trường hợp X" → that.
    A heading-style label wins over conditions met further on ("Trường hợp mất … thì thời hạn xác minh …")."""
    headed: list[str] = []
    conditions: list[str] = []
    for part in parts:
        bare = _bare(part)
        match = _LABEL_RE.match(bare)
        if match and not _GENERIC_LABELS.match(match["label"]) and not _NOT_A_LABEL_RE.search(match["label"]):
            headed.append(match["label"].strip())
            continue
        condition = _CONDITION_RE.search(bare)
        if condition and not re.match(r"(?i)nếu có\b", condition["label"]):
            conditions.append(condition["label"].strip())
    labels = list(dict.fromkeys(label for label in headed or conditions if label))
    return "; ".join(labels) if labels else None


def _combine(values: list[tuple[str | None, str | None]]) -> str | None:
    """Distinct values in order, each with the labels of the rows that have it."""
    by_value: dict[str | None, list[str]] = {}
    for value, label in values:
        labels = by_value.setdefault(value, [])
        if label and label not in labels:
            labels.append(label)
    known = {value: labels for value, labels in by_value.items() if value}
    if not known:
        return None
    if len(known) == 1:
        return next(iter(known))  # rows that publish nothing add nothing
    if not any(known.values()):
        return "; ".join(known) + " (tùy trường hợp)"
    return "; ".join(f"{value} ({'; '.join(labels)})" if labels else value for value, labels in known.items())


def merge_channels(
    channels: Sequence[dict[str, Any]], on: date | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per channel. Rows of the same channel (one per case on the portal) are merged into
    one line whose times and fees carry the case each applies to, read from the rows' descriptions:
    what a row's description says that the others' do not."""
    flags: list[str] = []
    rows: list[dict[str, Any]] = []
    for channel in channels:
        row = dict(channel)
        if row.get("fee"):
            fee = _fee_from_text(str(row["fee"]), row.get("fee_vnd"), on)
            row["fee"], row["fee_vnd"] = fee.text, fee.vnd
            flags += fee.flags
        if row.get("time"):
            row["time"] = _tidy_time_text(str(row["time"]))
        rows.append(row)
    merged: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        merged.setdefault(str(row["channel"]), []).append(index)
    # A row's label: what its description says that the other rows of its channel do not.
    parts = [_note_parts(row.get("note")) for row in rows]
    labels: list[str | None] = [None] * len(rows)
    for indexes in merged.values():
        if len(indexes) > 1:
            shared = set.intersection(*(set(parts[i]) for i in indexes))
            for i in indexes:
                own = [part for part in parts[i] if part not in shared]
                labels[i] = _label(own) if len(own) <= 3 else None  # a whole description is no label
    # A bare "Miễn phí" beside channels whose own text speaks of a rate is not believed either.
    if any(row.get("fee_vnd") is None and _RATE_RE.search(str(row.get("fee") or "")) for row in rows):
        for row in rows:
            if row.get("fee") == "Miễn phí":
                row["fee"], row["fee_vnd"] = None, None
                flags.append("fee_free_contradicted")
    result: list[dict[str, Any]] = []
    for key, indexes in merged.items():
        group = [rows[i] for i in indexes]
        if len(group) == 1:
            result.append(group[0])
            continue
        times = list(dict.fromkeys(row.get("time") for row in group))
        fees = list(dict.fromkeys(row.get("fee") for row in group))
        notes = list(dict.fromkeys(str(row["note"]) for row in group if row.get("note")))
        vnds = {row.get("fee_vnd") for row in group if row.get("fee")}
        days = {row.get("days") for row in group}
        result.append(
            {
                "channel": key,
                "time": _combine(
                    [(rows[i].get("time"), labels[i] if len(times) > 1 else None) for i in indexes]
                ),
                "days": days.pop() if len(times) == 1 and len(days) == 1 else None,
                "fee": _combine(
                    [(rows[i].get("fee"), labels[i] if len(fees) > 1 else None) for i in indexes]
                ),
                "fee_vnd": vnds.pop() if len(vnds) == 1 and len(fees) - (None in fees) == 1 else None,
                "note": "\n".join(notes) or None,
            }
        )
    return result, flags


_TIME_UNIT_RE = re.compile(
    r"^(?P<num>\d+(?:[.,]\d+)?)\s+(?P<unit>Ngày làm việc|Ngày|Giờ|Tháng|Năm|Tuần|Phút)$", re.I
)


def _tidy_time_text(text: str) -> str:
    """ "07 Ngày làm việc" → "7 ngày làm việc"; other text unchanged."""
    match = _TIME_UNIT_RE.match(_text(text))
    if match is None:
        return _text(text)
    return f"{_number_text(float(match['num'].replace(',', '.')))} {match['unit'].lower()}"


# --------------------------------------------------------------------------------------------
# The structured portal response (opengov_dvcqg_catalog/details/<code>.json "data")

_METHODS = {"DIRECT": "truc_tiep", "ONLINE": "truc_tuyen", "POSTAL": "buu_chinh"}
_CURRENCIES = {"Việt Nam Đồng": VND, "USD": "USD"}


def _portal_time(method: dict[str, Any], cases: Sequence[dict[str, Any]]) -> tuple[str | None, float | None]:
    unit = method.get("processingTimeUnit")
    if unit == "OTHER" and isinstance(method.get("processingTime"), str):
        return _text(method["processingTime"]) or None, None  # "Trường hợp cấp đổi đồng loạt … theo dự án …"
    if unit and unit != "OTHER":
        time = read_time(method.get("processingTime"), unit)
        return time.text, time.days
    # OTHER: the real time is per case ("cases[].processingDay").
    per_case: list[tuple[str | None, str | None]] = []
    days: set[float | None] = set()
    for case in cases:
        day = case.get("processingDay") or {}
        time = (
            read_time(day.get("qty"), day.get("type") or "DAY")
            if day.get("qty") is not None
            else Time(None, None)
        )
        per_case.append((time.text, _text(case.get("name")) or None))
        days.add(time.days)
    texts = {text for text, _ in per_case if text}
    if len(texts) == 1:
        return texts.pop(), days.pop() if len(days) == 1 else None
    if len({label for _, label in per_case}) < len(per_case):
        per_case = [(text, None) for text, _ in per_case]  # the cases' names do not tell them apart
    return _combine(per_case), None


def _portal_fee(fees: Sequence[dict[str, Any]], on: date | None) -> Fee:
    """One channel's fee items. A 0 beside paid items is the exemption its text describes; 0 with
    only the fee's name ("Lệ phí Cấp đổi … (Đất)") is a fee whose amount the portal does not give."""
    paid = any((item.get("value") or 0) > 0 for item in fees)
    parts: list[Fee] = []
    unnamed: list[str] = []
    for item in fees:
        value = item.get("value")
        description = _text(item.get("description"))
        named = item.get("currencyName")
        currency = _CURRENCIES.get(named) if named else VND
        if not item.get("currencyId") and value:
            currency = None if value < 1000 else VND
        if value == 0 and description and paid:
            exemption = _bare(_DESCRIPTION_LEAD_RE.sub("", _strip_parens(description)))
            parts.append(Fee(with_detail("Miễn phí", exemption), None))
            continue
        fee = read_fee(value, description, currency=currency, on=on)
        label = _bare(description)
        if value == 0 and re.match(r"(?i)(?:lệ phí|phí)\b", label) and len(label) < 120 and ". " not in label:
            unnamed.append(label)  # "Lệ phí Cấp đổi, cấp lại Giấy chứng nhận đối với cá nhân (Đất)"
            continue
        if currency is None and value and fee.vnd is None and "fee_value_mismatch" not in fee.flags:
            fee = Fee(with_detail(f"{value:g} (không ghi đơn vị tiền)", description), None, fee.flags)
        parts.append(fee)
    if unnamed:
        shown = "; ".join(unnamed[:3]) + (f"; … ({len(unnamed)} khoản)" if len(unnamed) > 3 else "")
        parts.append(Fee(f"chưa công bố mức thu ({shown})", None, ["fee_free_contradicted"]))
    if not parts:
        return Fee(None, None)
    current = [part for part in parts if not (part.text or "").startswith(_ENDED_ONLY)]
    flags = [flag for part in parts for flag in part.flags]
    parts = current or parts
    texts = list(dict.fromkeys(part.text for part in parts if part.text))
    amounts = {part.vnd for part in parts}
    if texts == ["Miễn phí"] and amounts == {0}:
        return Fee("Miễn phí", 0, flags)
    texts = [text for text in texts if text != "Miễn phí"] or texts
    return Fee("; ".join(texts) or None, amounts.pop() if len(amounts) == 1 else None, flags)


def channels_from_portal(
    methods: Sequence[dict[str, Any]], cases: Sequence[dict[str, Any]] = (), on: date | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Channel rows from the structured ``executionMethods`` (and ``cases`` for the times given per
    case), with the checks they failed."""
    rows: list[dict[str, Any]] = []
    flags: list[str] = []
    for method in methods:
        channel = _METHODS.get(str(method.get("submissionMethod")))
        if channel is None:
            continue
        time, days = _portal_time(method, cases)
        fee = _portal_fee(method.get("fees") or [], on)
        flags += fee.flags
        rows.append(
            {
                "channel": channel,
                "time": time,
                "days": days,
                "fee": fee.text,
                "fee_vnd": fee.vnd,
                "note": _text(method.get("description")) or None,
            }
        )
    return rows, flags


def documents_from_portal(execution_cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Document rows from the structured ``executionCases``: each component with its counts, e-form
    mark and form files, under the heading (``group``) it is listed in."""
    documents: list[dict[str, Any]] = []
    for case in execution_cases:
        group = _text(case.get("name")) or None
        for component in case.get("profileComponents") or []:
            name = _text(component.get("name"))
            if not name:
                continue
            files = [
                _text(a.get("fileName")) for a in component.get("attachments") or [] if isinstance(a, dict)
            ]
            documents.append(
                {
                    "name": name,
                    "original": component.get("originalQty"),
                    "copies": component.get("copyQty"),
                    "e_form": component.get("hasElectronicForm"),
                    "form": "; ".join(f for f in files if f) or None,
                    "group": group,
                }
            )
    return documents


# --------------------------------------------------------------------------------------------
# Papers

_COND_START_RE = re.compile(r"^(?:(?:các )?trường hợp|đối với|nếu|khi|riêng)\b", re.IGNORECASE)
# Where a conditional paper's case ends and the paper begins: "Trường hợp X thì phải có Y".
_CASE_SPLIT_RE = re.compile(
    r"\s+(?:thì\s+(?:phải\s+)?|phải\s+)"
    r"(?:có|nộp|bổ sung|kèm theo|gửi kèm(?: theo)?|cung cấp|xuất trình)\s+(?:thêm\s+|lại\s+)?"
    r"|,\s+(?:phải\s+)?(?:có|nộp|bổ sung)\s+"
    r"|(?:\s+thì|:)\s+(?=(?:bản|giấy|văn bản|đơn|tờ khai|hợp đồng|quyết định|biên bản)\b)",
    re.IGNORECASE,
)
# Where the case named by a heading ends: "Trường hợp ủy quyền thì hồ sơ phải kèm theo … sau:".
_CASE_END_RE = re.compile(r"\s+(?:thì|phải|hồ sơ gồm|hồ sơ bao gồm)\s|,\s+hồ sơ\b|\s+gồm\s*:?$|\s*:$", re.I)
# "X trong trường hợp Y", "X (nếu Y)", "X đối với Y" before the paper's first sentence ends.
_INFIX_CASE_RE = re.compile(
    r"\(?\b(?P<marker>trong trường hợp|đối với trường hợp|đối với|nếu)\s+"
    r"(?P<case>[^;()]+?)\)?(?=[.;]\s|[.;]?$|\))",
    re.IGNORECASE,
)
_CHANNEL_CONDITION_RE = re.compile(
    r"trực tuyến|trực tiếp|bưu chính|qua mạng|hình thức nộp|cổng dịch vụ công", re.IGNORECASE
)
# Notes, and sentences about the paper before them ("Phiếu này là biểu mẫu điện tử, …").
_NOTE_RE = re.compile(r"^(?:lưu ý|ghi chú|chú ý|số lượng hồ sơ|ví dụ)\b|^\w+ này là\b", re.IGNORECASE)
_OFFICIAL_RE = re.compile(
    r"^(?:người tiếp nhận|cán bộ|công chức|bộ phận (?:một cửa|tiếp nhận)|"
    r"cơ quan (?:đăng ký|tiếp nhận|có thẩm quyền|giải quyết|quản lý|công an|thuế)\b[^,.]{0,80}"
    r"(?:có trách nhiệm|từ chối|kiểm tra|tra cứu|khai thác|thực hiện))",
    re.IGNORECASE,
)
# An instruction, not a paper: "… thì không phải nộp bản giấy", "… có trách nhiệm …".
_EXEMPT_RE = re.compile(
    r"\bkhông (?:phải|cần|yêu cầu|được yêu cầu) (?:nộp|xuất trình|tải lên|cung cấp|kèm|có|chứng thực)"
    r"|\b(?:có|chịu) trách nhiệm\b",
    re.IGNORECASE,
)
# What a paper's name starts with; a statement that starts otherwise and binds someone is a note.
_PAPER_NOUN_RE = re.compile(
    r"^(?:\d+\s+)?(?:bản|giấy|văn bản|đơn|tờ|hợp đồng|cam kết|phiếu|sổ|danh sách|báo cáo|biên bản|quyết định|"
    r"chứng|thẻ|hộ chiếu|ảnh|tài liệu|hồ sơ|mẫu|thông tin|trích lục|căn cước|các giấy|bảng|sơ đồ|bản vẽ)",
    re.IGNORECASE,
)
_STEP_RE = re.compile(
    r"^(?:bước\s*\d|trong thời hạn|sau khi|nộp hồ sơ|tiếp nhận hồ sơ|kiểm tra hồ sơ|thẩm định hồ sơ|"
    r"trả kết quả|thời hạn giải quyết)\b",
    re.IGNORECASE,
)
_SECTION_RE = re.compile(
    r"^(?:(?:các )?giấy tờ (?:phải|cần) (?:nộp|xuất trình)|thành phần hồ sơ|hồ sơ (?:gồm|bao gồm)|"
    r"(?:chứng từ|giấy tờ|tài liệu) (?:phải|cần) nộp|"
    r".*(?<!một trong )\b(?:các|những) (?:loại )?(?:giấy tờ|tài liệu|thành phần)[^:]{0,40} sau)",
    re.IGNORECASE,
)
_DECLARATION_RE = re.compile(
    r"^(?:\d+\s+)?(?:tờ khai|đơn\b|giấy đề nghị|phiếu (?:đề nghị|yêu cầu|đăng ký|khai)|bản khai|"
    r"văn bản đề nghị|đề nghị\b|mẫu (?:đơn|tờ khai)|giấy khai|bản đăng ký|thông báo\b)",
    re.IGNORECASE,
)
_PROXY_RE = re.compile(r"^(?:bản sao )?(?:văn bản|giấy|hợp đồng) (?:ủy|uỷ) quyền\b", re.IGNORECASE)
_E_FORM_RE = re.compile(r"^mẫu\b.*\bđiện tử|điện tử tương tác", re.IGNORECASE)
_OPTIONAL_RE = re.compile(r"\(nếu có\)\.?$|^(?:một số|các) giấy tờ khác\b", re.IGNORECASE)
_GLUED_COUNT_RE = re.compile(r"\d bản (?:chính|sao)(?:,\s*\d+ bản sao)?(?=[^\s;,.:)])")
_QUANTITY_RE = re.compile(
    r"(?P<orig>\d+)\s*bản chính(?:\s*,\s*(?P<copies>\d+)\s*bản sao)?|(?P<only>\d+)\s*bản sao", re.IGNORECASE
)


def _counts(document: dict[str, Any]) -> tuple[int | None, int | None]:
    original, copies = document.get("original"), document.get("copies")
    if original is None and copies is None and document.get("quantity"):
        match = _QUANTITY_RE.search(str(document["quantity"]))
        if match and match["only"]:
            return 0, int(match["only"])
        if match:
            return int(match["orig"]), int(match["copies"] or 0)
    return original, copies


def quantity_text(original: int | None, copies: int | None) -> str | None:
    parts = [f"{original} bản chính"] if original else []
    parts += [f"{copies} bản sao"] if copies else []
    return ", ".join(parts) or None


def _case_label(text: str) -> str:
    """A heading or a clause as a case: "Trường hợp ủy quyền thì hồ sơ phải kèm …:" → "Trường hợp
    ủy quyền"."""
    bare = _bare(_text(text)).rstrip(" :;.")
    end = _CASE_END_RE.search(bare)
    if end and end.start() > 12:
        bare = bare[: end.start()]
    return _capitalised(bare.strip(" ,:;."))


_GENERAL_DOSSIER_RE = re.compile(
    r"^(?:thành phần )?hồ sơ(?: đề nghị)?\s+(?P<core>.+?)(?:,?\s+(?:bao )?gồm)?$", re.I
)


def _general(group: str, procedure: str) -> bool:
    """A heading that names the procedure's own dossier ("Hồ sơ gia hạn tạm trú gồm:" in "Gia hạn
    tạm trú") or one numbered part of it ("1. Hồ sơ thu hồi", "2. Hồ sơ đăng ký")."""
    if re.match(r"^\d{1,2}[.)]\s*hồ sơ\b", _text(group), re.IGNORECASE):
        return True
    match = _GENERAL_DOSSIER_RE.match(_bare(_text(group)).rstrip(" :"))
    return bool(match and procedure and match["core"].lower() in procedure.lower())


def _group_kind(group: str | None, case_groups: bool, procedure: str = "") -> tuple[str, str | None]:
    """("note" | "section" | "case", the case) for a heading the portal lists papers under."""
    bare = _bare(_text(group)).rstrip(" :") if group else ""
    if not bare or not any(char.isalnum() for char in bare):
        return "section", None
    if group and _general(group, procedure):
        return "section", None
    if _NOTE_RE.match(bare):
        return "note", None
    if _COND_START_RE.match(bare):
        return "case", _case_label(bare)
    if _SECTION_RE.match(bare) or _DECLARATION_RE.match(bare):
        return "section", None
    if case_groups:
        return "case", _case_label(bare)
    return "section", None


def _is_note(name: str, counted: bool) -> bool:
    """Notes and instructions published among the papers."""
    if _NOTE_RE.match(name) or _OFFICIAL_RE.match(name):
        return True
    if _EXEMPT_RE.search(name) and not counted:
        return True
    if _EXEMPT_RE.search(name) and not _PAPER_NOUN_RE.match(name):
        return not (_COND_START_RE.match(name) and _conditional_paper(name))
    if not counted and _COND_START_RE.match(name) and _CHANNEL_CONDITION_RE.search(name.split(" thì ")[0]):
        return True  # "Trường hợp gửi qua bưu chính thì phải gửi kèm bản sao …": how to send, not a paper
    if not counted and re.search(r"\sthì\s", name):
        return not _conditional_paper(name)
    if _COND_START_RE.match(name) and re.search(r"\sthì\s", name):
        return not _conditional_paper(name)  # "Trường hợp nộp trực tuyến thì hồ sơ phải được chứng thực…"
    return False


def _conditional_paper(name: str) -> bool:
    """ "Trường hợp X thì (phải) có/nộp Y", "Trường hợp X phải có Y": a paper asked in a case."""
    split = _CASE_SPLIT_RE.search(name)
    return bool(split and split.start() > 0 and len(name[split.end() :].split()) >= 3)


def _split_case(name: str) -> tuple[str | None, str]:
    """("Trường hợp X", "Y") for "Trường hợp X thì phải có Y"; (case, name) for "Y trong trường hợp X";
    (None, name) for a paper everyone brings. A condition on the channel ("nếu nộp trực tuyến") is
    not a case: the paper is the same paper, brought one way or another."""
    if _COND_START_RE.match(name):
        split = _CASE_SPLIT_RE.search(name)
        if split and _conditional_paper(name):
            case, paper = name[: split.start()].strip(" ,"), name[split.end() :].strip()
            if not _CHANNEL_CONDITION_RE.search(case):
                return _capitalised(case), _capitalised(paper)
        elif not _CHANNEL_CONDITION_RE.search(name):
            return _case_label(name), name
        return None, name
    first_sentence = re.split(r"[.;]\s", name, maxsplit=1)[0]
    for infix in _INFIX_CASE_RE.finditer(first_sentence):
        case = infix["case"].strip(" ,.")
        if infix.start() == 0 or case.lower() == "có" or _CHANNEL_CONDITION_RE.search(case):
            continue
        if " hoặc " in first_sentence[: infix.start()] and not infix["marker"].lower().startswith("đối với"):
            break  # "Bản sao giấy phép hoặc bản cam kết trong trường hợp bị mất": the alternative's case
        inside = first_sentence[: infix.start()].count("(") > first_sentence[: infix.start()].count(")")
        if _DECLARATION_RE.match(name) and not inside:
            break  # "Tờ khai … theo mẫu trong trường hợp người yêu cầu là cá nhân hoặc Văn bản yêu cầu …"
        if infix["marker"].lower() == "đối với":
            return _capitalised(f"đối với {case}"), name
        return "Trường hợp " + re.sub(r"^trường hợp\s+", "", case, flags=re.IGNORECASE), name
    if _PROXY_RE.match(name):
        return "Trường hợp ủy quyền", name
    return None, name


@dataclass
class _Paper:
    document: dict[str, Any]
    case: str | None
    order: int
    run: int  # the heading instance it was listed under: a case may be listed twice

    @property
    def name(self) -> str:
        return str(self.document["name"])

    def rank(self) -> int:
        """0: the declaration form; 1: other papers; 2: the online form and papers "nếu có"."""
        if _E_FORM_RE.search(self.name) or _OPTIONAL_RE.search(self.name):
            return 2
        if _COND_START_RE.match(self.name) and _CHANNEL_CONDITION_RE.search(self.name.split(" thì ")[0]):
            return 2
        return 0 if _DECLARATION_RE.match(self.name) else 1


def _declaration_key(name: str) -> str:
    head = re.split(r"\s*[(;]|\s+theo\s+|\s+hoặc\s+", name.lower(), maxsplit=1)[0]
    return " ".join(re.sub(r"^\d+\s+", "", head).split()[:7])


def tidy_documents(
    documents: Sequence[dict[str, Any]], procedure: str = ""
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(papers, notes, flags): papers everyone brings first (the declaration form, then the others
    in the portal's order, the online form last), then the papers of each case under its case;
    notes and instructions listed among the papers go to the notes."""
    flags: list[str] = []
    notes: list[str] = []
    papers: list[_Paper] = []
    groups = {str(d["group"]) for d in documents if d.get("group")}
    plain = {
        g
        for g in groups
        if _group_kind(g, False, procedure) == ("section", None) and not _general(g, procedure)
    }
    case_groups = len({_key(g) for g in plain if not _SECTION_RE.match(_bare(_text(g)))}) >= 2
    heading_case: str | None = None
    last_group: object = object()
    run = 0
    for document in documents:
        name = _bare(_text(document.get("name")))
        if not name:
            continue
        group = document.get("group")
        if group != last_group:
            heading_case, last_group, run = None, group, run + 1
        kind, group_case = _group_kind(group, case_groups, procedure)
        original, copies = _counts(document)
        counted = bool(original or copies)
        if kind == "note":
            notes.append(name)
            continue
        if _STEP_RE.match(name):
            notes.append(name)
            flags.append("papers_are_steps")
            continue
        if _is_note(name, counted):
            notes.append(name)
            continue
        if name.endswith(":") and not counted:
            bare = name.rstrip(" :")
            if _COND_START_RE.match(bare):
                heading_case = None if group_case else _case_label(bare)
                continue
            if _SECTION_RE.match(bare) or re.search(r"\b(?:gồm|bao gồm|như sau|sau)$", bare, re.IGNORECASE):
                heading_case = None
                continue
        if _GLUED_COUNT_RE.search(name):
            flags.append("papers_unsplit")
        outer = _text(document.get("case")) or heading_case or group_case  # a case already read stays
        own_case, paper_name = _split_case(name) if outer is None else (None, name)
        case = outer or own_case
        papers.append(
            _Paper(
                {
                    "name": paper_name,
                    "quantity": quantity_text(original, copies) if counted else document.get("quantity"),
                    "form": document.get("form") or None,
                    "original": original,
                    "copies": copies,
                    "e_form": document.get("e_form"),
                    "case": case,
                    "group": _text(group) or None,
                },
                case,
                len(papers),
                run,
            )
        )
    return [paper.document for paper in _order(papers)], list(dict.fromkeys(notes)), flags


def _order(papers: list[_Paper]) -> list[_Paper]:
    """Papers everyone brings, by rank; then each case's papers, the cases a declaration form was
    lifted from first. A declaration form asked in two or more cases is one nearly everyone brings."""
    by_key: dict[str, list[_Paper]] = {}
    for paper in papers:
        if paper.case is not None and _DECLARATION_RE.match(paper.name) and not _E_FORM_RE.search(paper.name):
            by_key.setdefault(_declaration_key(paper.name), []).append(paper)
    lifted_runs: set[int] = set()
    dropped: set[int] = set()
    main_keys = {_declaration_key(p.name) for p in papers if p.case is None and _DECLARATION_RE.match(p.name)}
    for key, same in by_key.items():
        if len({_key(str(paper.case)) for paper in same}) < 2:
            continue
        if key in main_keys:  # everyone already brings it
            lifted_runs |= {paper.run for paper in same}
            dropped |= {id(paper) for paper in same}
            continue
        keep = max(same, key=lambda paper: len(paper.name))
        lifted_runs |= {paper.run for paper in same}
        keep.document["case"], keep.case, keep.document["group"] = None, None, None
        dropped |= {id(paper) for paper in same if paper is not keep}
    papers = [paper for paper in papers if id(paper) not in dropped]
    main: list[_Paper] = []
    for paper in sorted((p for p in papers if p.case is None), key=lambda p: (p.rank(), p.order)):
        if all(_key(paper.name) != _key(other.name) for other in main):
            main.append(paper)
    cases: dict[str, list[_Paper]] = {}
    for paper in papers:
        if paper.case is not None:
            cases.setdefault(_key(paper.case), []).append(paper)
    result = list(main)
    lifted = {key for key, group in cases.items() if any(p.run in lifted_runs for p in group)}
    for key in sorted(cases, key=lambda key: (key not in lifted, min(p.order for p in cases[key]))):
        group = sorted(cases[key], key=lambda p: (p.run not in lifted_runs, p.order))
        for paper in group:
            paper.document["case"] = group[0].case  # one spelling per case
        result += group
    return result


# --------------------------------------------------------------------------------------------
# The record


def _reference_date(record: dict[str, Any]) -> date | None:
    value = record.get("source_date")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def tidy_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its papers, channels, notes and flags tidied (a new dict; the input is kept)."""
    tidy = dict(record)
    on = _reference_date(record)
    flags = list(record.get("flags") or [])
    notes = list(record.get("notes") or [])
    documents, paper_notes, paper_flags = tidy_documents(
        record.get("documents") or [], str(record.get("name") or "")
    )
    channels, channel_flags = merge_channels(record.get("channels") or [], on)
    tidy["documents"] = documents
    tidy["channels"] = sorted(
        channels, key=lambda c: CHANNEL_ORDER.index(c["channel"]) if c["channel"] in CHANNEL_ORDER else 9
    )
    tidy["notes"] = list(dict.fromkeys(notes + paper_notes))
    tidy["flags"] = sorted(set(flags + paper_flags + channel_flags))
    return tidy
