"""The 766 index (Quyết định 766/QĐ-TTg) as far as dossier records can support it.

Scoring rule of the portal: ratio = numerator ÷ denominator; with a target T the indicator scores its
full points when ratio ≥ T, else ratio × points ÷ T; without a target, ratio × points; two decimals.
An indicator whose denominator is 0 has no value (and neither scores nor loses points).

Indicators that need data other than dossier records — publication of procedures, synchronisation
with the national portal, the procedures' online offer in the national database, feedback (PAKN) and
satisfaction — are listed as not supported by the data and never given a value. Sources and how sure
they are: research notes §1.2–§1.3 (points 4/6/6/6/20 verified in official summaries; the others
from third-party transcriptions of the portal's formulas; the split of group 3a's 12 points is not
confirmed — the portal API lists all 12 under the online-dossier item, which is what is used here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from knowledge.compliance.figures import Figures

TOTAL_POINTS = 100


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str
    name: str
    points: float
    target: float | None = None  # percent
    ratio: Callable[[Figures], float | None] | None = None  # percent; None: not supported by the data
    note: str = ""

    @property
    def supported(self) -> bool:
        return self.ratio is not None


GROUPS = {
    "1": ("Công khai, minh bạch", 18),
    "2": ("Tiến độ, kết quả giải quyết", 20),
    "3a": ("Cung cấp dịch vụ trực tuyến", 12),
    "3b": ("Thanh toán trực tuyến", 10),
    "4": ("Số hóa hồ sơ", 22),
    "5": ("Mức độ hài lòng", 18),
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator("1.1", "1", "TTHC công bố đúng hạn", 6, note="cần dữ liệu công bố TTHC"),
    Indicator("1.2", "1", "TTHC cập nhật, công khai đúng hạn", 4, note="cần dữ liệu công khai TTHC"),
    Indicator("1.3", "1", "TTHC công khai đầy đủ bộ phận tạo thành", 2, note="cần dữ liệu công khai TTHC"),
    Indicator("1.4", "1", "Hồ sơ đồng bộ lên Cổng DVCQG", 6, note="cần số liệu đồng bộ của Cổng"),
    Indicator("2.1", "2", "Hồ sơ xử lý trước hạn, đúng hạn", 20, ratio=lambda f: f.on_time_rate),
    Indicator(
        "3.1",
        "3a",
        "TTHC cung cấp dịch vụ công trực tuyến",
        0,
        80,
        note="cần danh mục TTHC thuộc thẩm quyền; chưa rõ số điểm",
    ),
    Indicator(
        "3.2", "3a", "Dịch vụ công trực tuyến có phát sinh hồ sơ", 0, note="cần danh mục DVC; chưa rõ số điểm"
    ),
    Indicator(
        "3.3",
        "3a",
        "Tỷ lệ hồ sơ trực tuyến",
        12,
        50,
        ratio=lambda f: f.online_rate,
        note="mẫu số là mọi hồ sơ tiếp nhận",
    ),
    Indicator(
        "3.5",
        "3b",
        "TTHC có nghĩa vụ tài chính thanh toán được trên Cổng",
        2,
        80,
        note="cần dữ liệu phí, lệ phí trong CSDL TTHC",
    ),
    Indicator(
        "3.5b", "3b", "TTHC có phát sinh thanh toán trực tuyến", 2, 80, ratio=lambda f: f.paid_procedure_rate
    ),
    Indicator("3.6", "3b", "Hồ sơ thanh toán trực tuyến", 6, ratio=lambda f: f.online_payment_rate),
    Indicator("4.1", "4", "Hồ sơ có kết quả điện tử", 6, ratio=lambda f: f.e_result_rate),
    Indicator("4.2", "4", "Hồ sơ được số hóa", 4, 80, ratio=lambda f: f.digitised_rate),
    Indicator("4.2b", "4", "Cấp bản sao điện tử từ bản chính", 2, note="không có trong dữ liệu hồ sơ"),
    Indicator("4.3", "4", "Hồ sơ tái sử dụng dữ liệu số hóa", 2, 80, ratio=lambda f: f.reuse_rate),
    Indicator("4.4", "4", "Hồ sơ liên kết kho dữ liệu cá nhân", 4, note="không có trong dữ liệu hồ sơ"),
    Indicator("4.5a", "4", "TTHC kết nối CSDL dân cư", 2, note="không có trong dữ liệu hồ sơ"),
    Indicator("4.5b", "4", "Hồ sơ sử dụng dữ liệu dân cư", 2, note="không có trong dữ liệu hồ sơ"),
    Indicator("5.2", "5", "Phản ánh, kiến nghị xử lý đúng hạn", 6, note="cần dữ liệu phản ánh, kiến nghị"),
    Indicator(
        "5.3", "5", "Hài lòng trong xử lý phản ánh, kiến nghị", 6, note="cần dữ liệu phản ánh, kiến nghị"
    ),
    Indicator(
        "5.4",
        "5",
        "Hài lòng trong tiếp nhận, giải quyết TTHC",
        6,
        90,
        note="cần dữ liệu đánh giá, phản ánh của người dân",
    ),
)


def points_for(ratio: float, points: float, target: float | None) -> float:
    """The portal's rule: full points at or above the target, proportional below it."""
    if target:
        return round(points * min(ratio / target, 1.0), 2)
    return round(points * min(ratio / 100.0, 1.0), 2)


@dataclass(frozen=True)
class IndicatorScore:
    indicator: Indicator
    ratio: float | None  # percent; None when not supported or nothing to divide by
    points: float | None

    @property
    def lost(self) -> float:
        return round(self.indicator.points - self.points, 2) if self.points is not None else 0.0

    def as_dict(self) -> dict[str, Any]:
        ind = self.indicator
        return {
            "id": ind.id,
            "group": ind.group,
            "name": ind.name,
            "max_points": ind.points,
            "target": ind.target,
            "ratio": self.ratio,
            "points": self.points,
            "lost": self.lost,
            "supported": ind.supported,
            "note": ind.note,
        }


@dataclass(frozen=True)
class Score:
    items: tuple[IndicatorScore, ...] = field(default_factory=tuple)

    @property
    def total(self) -> float:
        return round(sum(i.points for i in self.items if i.points is not None), 2)

    @property
    def max_points(self) -> float:
        """The points the scored indicators can give (the rest of the 100 is not known from dossiers)."""
        return round(sum(i.indicator.points for i in self.items if i.points is not None), 2)

    @property
    def lost_points(self) -> list[IndicatorScore]:
        """Where the unit loses points, the largest loss first."""
        losing = [i for i in self.items if i.points is not None and i.lost > 0]
        return sorted(losing, key=lambda i: (-i.lost, i.indicator.id))

    @property
    def unsupported(self) -> list[Indicator]:
        return [i.indicator for i in self.items if not i.indicator.supported]

    def group_points(self, group: str) -> float | None:
        scored = [i.points for i in self.items if i.indicator.group == group and i.points is not None]
        return round(sum(scored), 2) if scored else None


def score(figures: Figures) -> Score:
    items = []
    for indicator in INDICATORS:
        ratio = indicator.ratio(figures) if indicator.ratio is not None else None
        points = points_for(ratio, indicator.points, indicator.target) if ratio is not None else None
        items.append(IndicatorScore(indicator, ratio, points))
    return Score(tuple(items))
