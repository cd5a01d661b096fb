"""A unit's main rates month by month (the last six months by default), and a small chart of them.

Each month is a period like any other (dossiers received in it; open ones judged at its end once it
is past). A month without dossiers has no rates: its points are missing from the lines, never 0.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from knowledge.compliance.clock import Calendar
from knowledge.compliance.figures import Figures, Period, unit_figures
from knowledge.compliance.periods import recent_months
from knowledge.models import Unit

TREND_MONTHS = 6
TREND_RATES = (
    ("on_time_rate", "Đúng hạn", "#2e7d32"),
    ("online_rate", "Trực tuyến", "#1565c0"),
    ("online_payment_rate", "Thanh toán trực tuyến", "#ef6c00"),
    ("digitised_rate", "Số hóa", "#6a1b9a"),
)


@dataclass(frozen=True)
class TrendPoint:
    period: Period
    figures: Figures


def trend(
    session: Session,
    unit: Unit,
    now: datetime,
    *,
    months: int = TREND_MONTHS,
    calendar: Calendar | None = None,
) -> list[TrendPoint]:
    """The unit's figures for each of the last ``months`` months (the current one included)."""
    return [
        TrendPoint(period, unit_figures(session, unit, period, now, calendar))
        for period in recent_months(now.date(), months)
    ]


def trend_chart_png(points: list[TrendPoint], title: str) -> bytes:
    """A small line chart (600×300 px) of the main rates per month; months without data are gaps
    marked "chưa có dữ liệu"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [_month(point.period.start) for point in points]
    positions = list(range(len(points)))
    for name, label, colour in TREND_RATES:
        values = [getattr(point.figures, name) for point in points]
        series = [math.nan if value is None else value for value in values]
        axes.plot(positions, series, marker="o", markersize=3, linewidth=1.5, color=colour, label=label)
    for position, point in zip(positions, points, strict=True):
        if not point.figures.has_data:
            axes.text(position, 50, "chưa có\ndữ liệu", ha="center", va="center", fontsize=7, color="#757575")
    axes.set_xticks(positions, labels, fontsize=8)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(axis="y", linewidth=0.3)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, loc="lower left", ncols=2)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _month(day: date) -> str:
    return f"{day.month:02d}/{day.year}"
