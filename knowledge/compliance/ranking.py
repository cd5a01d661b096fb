"""A unit's report with its children ranked and classified, as the Thủ tướng's letters put them;
the same ranking as a chart (PNG) and a spreadsheet (XLSX).

Classification of a unit's online service in a period (from its received dossiers):

- ``full_online``: it received online dossiers under full-process (toàn trình, former level 4) service;
- ``partial_online``: it received online dossiers, but only under partial (một phần, level 3) service;
- ``zero``: it offers online service (dossiers were filed under an online-capable service) but
  received no dossier online — the "0%" of the letters;
- ``none``: no dossier was filed under an online-capable service: it offers no online service;
- ``no_data``: it received no dossier in the period (none was sent, or the export has none of its
  dossiers): nothing is known of it — it is neither drawn nor ranked as 0, and has no score;
- ``no_channel_data``: it received dossiers, but the exports did not say how they were filed
  (``knowledge.compliance.gaps``): its online rates are "không có dữ liệu", not 0%.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.compliance.clock import Calendar, default_calendar
from knowledge.compliance.figures import (
    RATES,
    CarriedOver,
    Figures,
    Period,
    ProcedureFigures,
    carried_over,
    unit_and_children,
)
from knowledge.compliance.profile import local_now
from knowledge.compliance.score import Score, score
from knowledge.compliance.xlsx import Table, workbook
from knowledge.models import Unit


class OnlineClass(enum.StrEnum):
    FULL = "full_online"
    PARTIAL = "partial_online"
    ZERO = "zero"
    NONE = "none"
    NO_DATA = "no_data"  # no dossier received in the period
    NO_CHANNEL_DATA = "no_channel_data"  # the exports gave no channel: nothing can be said


CLASS_LABELS = {
    OnlineClass.FULL: "Tốt ở dịch vụ toàn trình",
    OnlineClass.PARTIAL: "Chỉ có hồ sơ trực tuyến một phần",
    OnlineClass.ZERO: "Có dịch vụ trực tuyến nhưng 0% hồ sơ trực tuyến",
    OnlineClass.NONE: "Không cung cấp dịch vụ trực tuyến",
    OnlineClass.NO_DATA: "Chưa có dữ liệu",
    OnlineClass.NO_CHANNEL_DATA: "Không có dữ liệu kênh nộp",
}


def classify(figures: Figures) -> OnlineClass:
    if not figures.has_data:
        return OnlineClass.NO_DATA
    if figures.no_data("online_rate"):
        return OnlineClass.NO_CHANNEL_DATA
    if figures.online_full:
        return OnlineClass.FULL
    if figures.online:
        return OnlineClass.PARTIAL
    if figures.offers_online:
        return OnlineClass.ZERO
    return OnlineClass.NONE


@dataclass
class Standing:
    """One unit's figures, score and class in a period."""

    unit: Unit
    figures: Figures
    score: Score
    online_class: OnlineClass
    rank: int | None = None  # among its siblings with data, by score

    @property
    def total(self) -> float | None:
        """The score, None for a unit without data (which has no score rather than 0)."""
        return self.score.total if self.figures.has_data else None

    def as_dict(self) -> dict[str, Any]:
        f = self.figures
        return {
            "unit": self.unit.code,
            "name": self.unit.name,
            "rank": self.rank,
            "class": self.online_class.value,
            "received": f.received,
            "overdue_now": f.overdue_now,
            **{name: getattr(f, name) for name in RATES},
            "unaccepted_online": f.unaccepted_online,
            "late_without_apology": f.late_without_apology,
            "supplement_twice": f.supplement_twice,
            "score": self.total,
            "score_max": self.score.max_points if f.has_data else None,
            "lost_points": [item.as_dict() for item in self.score.lost_points],
        }


def standing(unit: Unit, figures: Figures) -> Standing:
    return Standing(unit, figures, score(figures), classify(figures))


@dataclass
class UnitReport:
    """What ``/tinhhinh`` and ``tthc-bot report`` show: the unit's standing and its children's."""

    own: Standing
    period: Period
    as_of: datetime
    children: list[Standing] = field(default_factory=list)
    carried: CarriedOver = field(default_factory=CarriedOver)
    # The first day the report counts by the statutory rules only (no official schedule published
    # yet): set when the period or the time of asking reaches it.
    provisional_from: date | None = None

    @property
    def judged_at(self) -> datetime:
        return self.period.judged_at(self.as_of)

    def as_dict(self) -> dict[str, Any]:
        data = self.own.as_dict()
        del data["rank"]
        data["period"] = {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}
        data["as_of"] = self.as_of.isoformat(timespec="minutes")
        data["judged_at"] = self.judged_at.isoformat(timespec="minutes")
        data["carried_over"] = self.carried.as_dict()
        data["figures"] = self.own.figures.as_dict()
        data["indicators"] = [item.as_dict() for item in self.own.score.items]
        data["children"] = [child.as_dict() for child in self.children]
        data["calendar_provisional_from"] = (
            self.provisional_from.isoformat() if self.provisional_from else None
        )
        return data


def _sort_key(key: str) -> Any:
    def value(s: Standing) -> tuple[bool, float, str]:
        number = s.total if key == "score" else getattr(s.figures, key)
        return (number is None, -(number or 0.0), s.unit.code)

    return value


def unit_report(
    session: Session,
    unit: Unit,
    period: Period,
    now: datetime | None = None,
    *,
    calendar: Calendar | None = None,
) -> UnitReport:
    """The unit's standing for the period, with its child units ranked by score (all of them: those
    without dossiers last, unranked)."""
    now = now or local_now()
    calendar = calendar or default_calendar(session)
    total, by_child = unit_and_children(session, unit, period, now, calendar)
    children = session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all()
    standings = [standing(child, by_child.get(child.id, Figures())) for child in children]
    standings.sort(key=_sort_key("score"))
    ranked = [child for child in standings if child.figures.has_data]
    for position, child in enumerate(ranked, start=1):
        child.rank = position
    carried = carried_over(session, unit, period, now, calendar)
    first = calendar.provisional_from()
    provisional = first if max(period.end, now.date()) >= first else None
    return UnitReport(standing(unit, total), period, now, standings, carried, provisional)


def ranking(
    session: Session,
    parent: Unit,
    period: Period,
    now: datetime | None = None,
    *,
    key: str = "score",
    calendar: Calendar | None = None,
) -> list[Standing]:
    """The parent's children ranked by ``key``: "score" or one of the rates (``RATES``), best first;
    ``rank`` stays the rank by score."""
    if key != "score" and key not in RATES:
        raise ValueError(f"không xếp hạng được theo {key}")
    report = unit_report(session, parent, period, now, calendar=calendar)
    return sorted(report.children, key=_sort_key(key))


_COLOURS = {
    OnlineClass.FULL: "#2e7d32",
    OnlineClass.PARTIAL: "#f9a825",
    OnlineClass.ZERO: "#c62828",
    OnlineClass.NONE: "#757575",
    OnlineClass.NO_DATA: "#bdbdbd",
    OnlineClass.NO_CHANNEL_DATA: "#b0bec5",
}


def ranking_chart_png(standings: list[Standing], title: str, highlight: Unit | None = None) -> bytes:
    """A horizontal bar chart of the scores, coloured by class, the highlighted unit in bold. Units
    without data are not given a bar (that would read as 0): leave them out, or they are labelled so."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(8, 1.2 + 0.35 * max(len(standings), 1)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    names = [s.unit.name for s in standings][::-1]
    scores = [s.total for s in standings][::-1]
    colours = [_COLOURS[s.online_class] for s in standings][::-1]
    bars = axes.barh(names, [value or 0.0 for value in scores], color=colours)
    for bar, value in zip(bars, scores, strict=True):
        shown = f"{value:.2f}" if value is not None else CLASS_LABELS[OnlineClass.NO_DATA].lower()
        axes.text(bar.get_width() + 0.3, bar.get_y() + bar.get_height() / 2, shown, va="center", fontsize=8)
    if highlight is not None:
        for label in axes.get_yticklabels():
            if label.get_text() == highlight.name:
                label.set_fontweight("bold")
    top = max([s.score.max_points for s in standings if s.figures.has_data] + [1.0])
    axes.set_xlim(0, top * 1.12)
    axes.set_xlabel("Điểm (các chỉ số tính được từ dữ liệu hồ sơ)")
    axes.set_title(title)
    present = [c for c in OnlineClass if any(s.online_class == c for s in standings)]
    axes.legend(
        handles=[Patch(color=_COLOURS[c], label=CLASS_LABELS[c]) for c in present],
        fontsize=7,
        loc="lower right",
    )
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


XLSX_COLUMNS = (
    ("rank", "Hạng"),
    ("unit", "Mã đơn vị"),
    ("name", "Đơn vị"),
    ("class", "Phân loại"),
    ("score", "Điểm"),
    ("score_max", "Điểm tối đa tính được"),
    ("received", "Hồ sơ tiếp nhận"),
    ("overdue_now", "Đang quá hạn"),
    ("on_time_rate", "Tỷ lệ đúng hạn (%)"),
    ("online_rate", "Tỷ lệ trực tuyến (%)"),
    ("online_full_rate", "Trực tuyến toàn trình (%)"),
    ("online_partial_rate", "Trực tuyến một phần (%)"),
    ("online_payment_rate", "Thanh toán trực tuyến (%)"),
    ("digitised_rate", "Số hóa (%)"),
    ("e_result_rate", "Kết quả điện tử (%)"),
    ("reuse_rate", "Tái sử dụng dữ liệu (%)"),
    ("unaccepted_online", "Trực tuyến chưa tiếp nhận sau 6 giờ"),
    ("late_without_apology", "Trễ hạn không có thư xin lỗi"),
    ("supplement_twice", "Yêu cầu bổ sung quá 1 lần"),
)


PROCEDURE_COLUMNS = (
    "Mã thủ tục",
    "Thủ tục",
    "Hồ sơ tiếp nhận",
    "Trực tuyến",
    "Tỷ lệ trực tuyến (%)",
    "Có phí, lệ phí",
    "Thanh toán trực tuyến",
    "Tỷ lệ thanh toán trực tuyến (%)",
    "Đã xong trễ hạn",
    "Đang quá hạn",
)


def ranking_xlsx(standings: list[Standing], title: str, procedures: Sequence[ProcedureFigures] = ()) -> bytes:
    """The ranking, one row per unit in the given order (a unit without data keeps only its name,
    class and the 0 received: nothing else is known of it), and with ``procedures`` a second sheet
    broken down by procedure."""
    rows = []
    for s in standings:
        data = s.as_dict()
        data["class"] = CLASS_LABELS[s.online_class]
        known = s.figures.has_data
        rows.append(
            [data[key] if known or key in ("rank", "unit", "name", "class", "received") else None
             for key, _ in XLSX_COLUMNS]
        )  # fmt: skip
    tables: list[Table] = [
        ("Xếp hạng", title, [label for _, label in XLSX_COLUMNS], rows, {"C": 28, "D": 40}),
    ]
    if procedures:
        lines = [
            (p.procedure_code, p.procedure_name, p.received, p.online, p.online_rate, p.fee_bearing,
             p.paid_online, p.online_payment_rate, p.late, p.overdue)
            for p in procedures
        ]  # fmt: skip
        tables.append(("Theo thủ tục", title, PROCEDURE_COLUMNS, lines, {"A": 14, "B": 60}))
    return workbook(*tables)
