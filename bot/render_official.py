"""Officials' replies as documents: the unit's standing (/tinhhinh), its overdue dossiers (/quahan),
the ranking caption (/xephang) and the welcome after an invite.

Channel-neutral like ``bot.render``: each function takes what the compliance domain computed and
returns a ``Doc``; Telegram sends it as HTML, a console would print it as plain text.
"""

from __future__ import annotations

import calendar
import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import date

from bot import texts
from bot.render import Doc, Part, Span, b, code, fill
from knowledge.compliance.figures import Figures, OverdueDossier, Period
from knowledge.compliance.ranking import CLASS_LABELS, OnlineClass, Standing, UnitReport
from knowledge.compliance.score import IndicatorScore

CHILDREN_SHOWN = 10  # /tinhhinh lists the best children; /xephang has them all
# Bars in a /xephang chart: more would not be readable once Telegram scales the photo down (a 2025
# province has up to ~170 communes); the spreadsheet always has every unit.
CHART_UNITS = 25


def fold(text: str) -> str:
    """Lower case without diacritics ("Quý" → "quy"), for matching what officials type."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def period_kind(word: str) -> str | None:
    """``Period.of``'s kind for a typed period word ("tháng", "quy", …), or None."""
    return texts.OFFICIAL_PERIOD_WORDS.get(fold(word))


def _day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def period_range(period: Period) -> str:
    return texts.OFFICIAL_PERIOD_RANGE.format(start=_day(period.start), end=_day(period.end))


def period_label(period: Period) -> str:
    """The period as officials say it: «tháng 3/2021», «quý I/2021», «năm 2021», else its dates."""
    start, end = period.start, period.end
    if start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1] and start.year == end.year:
        months = end.month - start.month + 1
        if months == 1:
            return texts.OFFICIAL_PERIOD_MONTH.format(month=start.month, year=start.year)
        if months == 3 and start.month % 3 == 1:
            quarter = texts.OFFICIAL_QUARTERS[start.month // 3]
            return texts.OFFICIAL_PERIOD_QUARTER.format(quarter=quarter, year=start.year)
        if months == 12:
            return texts.OFFICIAL_PERIOD_YEAR.format(year=start.year)
    return period_range(period)


def percent(value: float | None) -> str:
    return texts.OFFICIAL_NO_VALUE if value is None else f"{value:.2f}%"


def rate_of(figures: Figures, name: str) -> str:
    """A rate as shown, "không có dữ liệu" when the exports did not give what it needs."""
    return texts.OFFICIAL_NO_DATA if figures.no_data(name) else percent(getattr(figures, name))


def count_of(figures: Figures, name: str) -> str:
    return texts.OFFICIAL_NO_DATA if figures.no_data(name) else str(getattr(figures, name))


def lacking_line(figures: Figures) -> str | None:
    """The warning under a report whose dossiers lack fields, or None."""
    lacking = figures.lacking()
    if not lacking:
        return None
    names = ", ".join(texts.OFFICIAL_FIELD_NAMES.get(name, name) for name in lacking)
    return texts.OFFICIAL_REPORT_LACKING.format(fields=names, count=max(lacking.values()))


def points(value: float) -> str:
    return f"{value:.2f}"


def welcome_doc(name: str | None, unit_label: str) -> Doc:
    """What a new official reads after following an invite: his unit and his commands."""
    doc = Doc()
    if name:
        doc.add(fill(texts.OFFICIAL_WELCOME, name=name, unit=b(unit_label)))
    else:
        doc.add(fill(texts.OFFICIAL_WELCOME_ANONYMOUS, unit=b(unit_label)))
    doc.blank().add(b(texts.OFFICIAL_WELCOME_COMMANDS))
    for command, description in texts.OFFICIAL_COMMANDS:
        doc.add(texts.OFFICIAL_COMMAND_LINE.format(command=command, description=description))
    return doc.blank().add(texts.OFFICIAL_WELCOME_SCOPE)


def _loss_line(item: IndicatorScore) -> list[Span]:
    indicator = item.indicator
    values: dict[str, Part] = {
        "id": indicator.id,
        "name": indicator.name,
        "lost": b(points(item.lost)),
        "ratio": percent(item.ratio),
    }
    if indicator.target:
        return fill(texts.OFFICIAL_SCORE_LOSS_TARGET, **values, target=f"{indicator.target:g}%")
    return fill(texts.OFFICIAL_SCORE_LOSS, **values)


def _indicators(items: Sequence[IndicatorScore]) -> str:
    return texts.OFFICIAL_SEPARATOR.join(
        texts.OFFICIAL_INDICATOR.format(id=i.indicator.id, name=i.indicator.name) for i in items
    )


def _score(doc: Doc, own: Standing) -> None:
    score = own.score
    doc.blank().add(fill(texts.OFFICIAL_SCORE, total=b(points(score.total)), max=points(score.max_points)))
    if score.lost_points:
        doc.add(texts.OFFICIAL_SCORE_LOSSES)
        for item in score.lost_points:
            doc.add(_loss_line(item))
    elif score.max_points:
        doc.add(texts.OFFICIAL_SCORE_NO_LOSS)
    no_dossiers = [i for i in score.items if i.indicator.supported and i.points is None]
    if no_dossiers:
        doc.add(fill(texts.OFFICIAL_SCORE_NO_DOSSIERS, items=_indicators(no_dossiers)))
    unsupported = [i for i in score.items if not i.indicator.supported]
    missing = sum(i.indicator.points for i in unsupported)
    doc.add(fill(texts.OFFICIAL_SCORE_UNSUPPORTED, points=f"{missing:g}", items=_indicators(unsupported)))


def _children(doc: Doc, children: list[Standing]) -> None:
    doc.blank().add(b(texts.OFFICIAL_CHILDREN))
    for child in children[:CHILDREN_SHOWN]:
        doc.add(
            fill(
                texts.OFFICIAL_CHILD,
                rank=str(child.rank),
                unit=child.unit.name,
                score=points(child.score.total),
                online_class=CLASS_LABELS[child.online_class],
            )
        )
    if len(children) > CHILDREN_SHOWN:
        doc.add(texts.OFFICIAL_CHILDREN_MORE.format(count=len(children) - CHILDREN_SHOWN))
    classes = Counter(child.online_class for child in children)
    doc.blank()
    for online_class in OnlineClass:
        if classes[online_class]:
            label = CLASS_LABELS[online_class]
            doc.add(fill(texts.OFFICIAL_CLASS_COUNT, label=label, count=b(str(classes[online_class]))))


def report_doc(report: UnitReport, unit_label: str) -> Doc:
    """/tinhhinh: the figures, the 766 score and where points are lost, the children ranked."""
    f = report.own.figures
    doc = Doc().add(fill(texts.OFFICIAL_REPORT_TITLE, unit=b(unit_label)))
    doc.add(
        fill(
            texts.OFFICIAL_REPORT_PERIOD,
            period=period_label(report.period),
            range=period_range(report.period),
            as_of=f"{report.as_of:%H:%M %d/%m/%Y}",
        )
    )
    doc.blank()
    doc.add(
        fill(
            texts.OFFICIAL_REPORT_VOLUME,
            received=b(str(f.received)),
            in_progress=str(f.in_progress),
            overdue=b(str(f.overdue_now)),
        )
    )
    doc.add(
        fill(
            texts.OFFICIAL_REPORT_FINISHED,
            finished=str(f.finished),
            early=str(f.early),
            on_time=str(f.on_time),
            late=str(f.late),
        )
    )
    doc.add(fill(texts.OFFICIAL_REPORT_ON_TIME, rate=b(percent(f.on_time_rate))))
    doc.add(
        fill(
            texts.OFFICIAL_REPORT_ONLINE,
            rate=b(rate_of(f, "online_rate")),
            full=rate_of(f, "online_full_rate"),
            partial=rate_of(f, "online_partial_rate"),
        )
    )
    doc.add(fill(texts.OFFICIAL_REPORT_PAYMENT, rate=rate_of(f, "online_payment_rate")))
    doc.add(
        fill(
            texts.OFFICIAL_REPORT_DIGITAL,
            digitised=rate_of(f, "digitised_rate"),
            e_result=rate_of(f, "e_result_rate"),
            reused=rate_of(f, "reuse_rate"),
        )
    )
    doc.blank().add(b(texts.OFFICIAL_REPORT_ATTENTION))
    doc.add(fill(texts.OFFICIAL_REPORT_UNACCEPTED, count=count_of(f, "unaccepted_online")))
    doc.add(fill(texts.OFFICIAL_REPORT_SUPPLEMENT, count=count_of(f, "supplement_twice")))
    doc.add(fill(texts.OFFICIAL_REPORT_UNAPOLOGISED, count=count_of(f, "late_without_apology")))
    warning = lacking_line(f)
    if warning:
        doc.blank().add(warning)
    if report.provisional_from is not None:
        doc.add(texts.OFFICIAL_PROVISIONAL.format(day=_day(report.provisional_from)))
    _score(doc, report.own)
    if report.children:
        _children(doc, report.children)
    return doc


def overdue_doc(
    unit_label: str,
    dossiers: Sequence[OverdueDossier],
    *,
    page: int,
    page_size: int,
    capped: bool,
    show_unit: bool,
) -> Doc:
    """/quahan: one page of the overdue dossiers (longest overdue first); ``dossiers`` is the whole
    list as fetched, ``capped`` when there were more than that."""
    if not dossiers:
        return Doc().add(fill(texts.OFFICIAL_OVERDUE_NONE, unit=b(unit_label)))
    title = texts.OFFICIAL_OVERDUE_TITLE_CAPPED if capped else texts.OFFICIAL_OVERDUE_TITLE
    doc = Doc().add(fill(title, unit=b(unit_label), count=b(str(len(dossiers)))))
    pages = -(-len(dossiers) // page_size)
    if pages > 1:
        doc.add(texts.OFFICIAL_OVERDUE_PAGE.format(page=page, pages=pages))
    doc.blank()
    first = (page - 1) * page_size
    for number, item in enumerate(dossiers[first : first + page_size], start=first + 1):
        name = item.procedure_name or item.procedure_code
        procedure = texts.OFFICIAL_OVERDUE_PROCEDURE.format(name=name, code=item.procedure_code)
        template = texts.OFFICIAL_OVERDUE_ITEM if item.days_late else texts.OFFICIAL_OVERDUE_ITEM_FRESH
        line = fill(
            template,
            number=str(number),
            code=code(item.code),
            procedure=procedure,
            days=b(str(item.days_late)),
        )
        if show_unit:
            line += fill(texts.OFFICIAL_OVERDUE_UNIT, unit=item.unit_name)
        doc.add(line)
    if capped and page == pages:
        doc.blank().add(texts.OFFICIAL_OVERDUE_CAPPED.format(count=len(dossiers)))
    return doc


def ranking_title(parent_name: str, period: Period) -> str:
    return texts.OFFICIAL_RANKING_TITLE.format(parent=parent_name, period=period_label(period))


def chart_window(standings: Sequence[Standing], highlight_id: int | None) -> tuple[int, int]:
    """The slice of the ranking a chart shows (start, stop): everything when it fits, else
    ``CHART_UNITS`` units around the highlighted one, or the best ones."""
    if len(standings) <= CHART_UNITS:
        return 0, len(standings)
    position = next((n for n, s in enumerate(standings) if s.unit.id == highlight_id), 0)
    start = min(max(position - CHART_UNITS // 2, 0), len(standings) - CHART_UNITS)
    return start, start + CHART_UNITS


def ranking_caption(
    title: str, standings: Sequence[Standing], highlight_id: int | None, window: tuple[int, int]
) -> Doc:
    """/xephang's photo caption: the title, where the official's unit stands, and which part of the
    ranking the chart shows when it cannot show all of it."""
    doc = Doc().add(b(title))
    for standing in standings:
        if standing.unit.id == highlight_id:
            doc.add(
                fill(
                    texts.OFFICIAL_RANKING_OWN,
                    unit=b(standing.unit.name),
                    rank=b(str(standing.rank)),
                    count=str(len(standings)),
                    score=points(standing.score.total),
                )
            )
    start, stop = window
    if stop - start < len(standings):
        doc.add(texts.OFFICIAL_RANKING_WINDOW.format(first=start + 1, last=stop, count=len(standings)))
    return doc.add(texts.OFFICIAL_RANKING_NOTE)
