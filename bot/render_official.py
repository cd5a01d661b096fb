"""Officials' replies as documents: the unit's standing (/tinhhinh), the work lists (/quahan,
/xinloi, /chotiepnhan, /saphan, /bosung), the apology letter's choices, the morning digest, the
ranking and trend captions (/xephang) and the welcome after an invite.

Channel-neutral like ``bot.render``: each function takes what the compliance domain computed and
returns a ``Doc``; Telegram sends it as HTML, a console would print it as plain text.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time

from bot import texts
from bot.render import Doc, Part, Span, b, code, fill
from knowledge.compliance.apology import LetterData
from knowledge.compliance.figures import Figures, Period
from knowledge.compliance.ranking import CLASS_LABELS, OnlineClass, Standing, UnitReport
from knowledge.compliance.score import IndicatorScore
from knowledge.compliance.summary import ACCEPT_WITHIN_HOURS
from knowledge.compliance.trend import TrendPoint
from knowledge.compliance.worklists import Page, WorkItem, WorkList

CHILDREN_SHOWN = 10  # /tinhhinh lists the best children; /xephang has them all
# Bars in a /xephang chart: more would not be readable once Telegram scales the photo down (a 2025
# province has up to ~170 communes); the spreadsheet always has every unit.
CHART_UNITS = 25
SHORT_NAME_CHARS = 48  # a procedure's name in a list line


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
        if child.rank is None:
            doc.add(texts.OFFICIAL_CHILD_NO_DATA.format(unit=child.unit.name))
            continue
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


def moment(t: datetime) -> str:
    """A time as officials read it: "17:00 11/03/2026"."""
    return texts.OFFICIAL_DATETIME.format(time=f"{t:%H:%M}", day=_day(t.date()))


def report_doc(report: UnitReport, unit_label: str) -> Doc:
    """/tinhhinh: the figures, the 766 score and where points are lost, the dossiers carried over
    from earlier periods, the children ranked."""
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
    if report.judged_at < report.as_of:
        doc.add(texts.OFFICIAL_REPORT_JUDGED.format(at=moment(report.judged_at)))
    doc.blank()
    carried = report.carried
    if not f.has_data:
        doc.add(b(texts.OFFICIAL_REPORT_NO_DATA))
    else:
        _figures(doc, report)
    if carried.count:
        doc.add(
            fill(
                texts.OFFICIAL_REPORT_CARRIED,
                count=b(str(carried.count)),
                finished=str(carried.finished),
                late=str(carried.finished_late),
                open=str(carried.open),
                overdue=b(str(carried.overdue)),
            )
        )
    if report.provisional_from is not None and (f.has_data or carried.count):
        doc.add(texts.OFFICIAL_PROVISIONAL.format(day=_day(report.provisional_from)))
    if f.has_data:
        _score(doc, report.own)
    if report.children:
        _children(doc, report.children)
    return doc


def _figures(doc: Doc, report: UnitReport) -> None:
    f = report.own.figures
    doc.add(
        fill(
            texts.OFFICIAL_REPORT_VOLUME,
            received=b(str(f.received)),
            in_progress=str(f.in_progress),
            overdue=b(str(f.overdue_now)),
        )
    )
    finished = fill(
        texts.OFFICIAL_REPORT_FINISHED,
        finished=str(f.finished),
        early=str(f.early),
        on_time=str(f.on_time),
        late=str(f.late),
    )
    if f.ended_unjudged:
        finished += fill(texts.OFFICIAL_REPORT_FINISHED_OTHER, other=str(f.ended_unjudged))
    doc.add(finished)
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


# --- work lists ----------------------------------------------------------------------------------


def working_time(hours: float) -> str:
    """Working hours as officials count them: "2 ngày 3 giờ", "3,5 giờ", "20 phút" (8 hours a day)."""
    minutes = round(hours * 60)
    if minutes < 60:
        return texts.OFFICIAL_TIME_MINUTES.format(minutes=max(minutes, 0))
    days, rest = divmod(minutes, 8 * 60)
    rest_hours = round(rest / 60, 1)
    if rest_hours == 8:
        days, rest_hours = days + 1, 0
    shown = f"{rest_hours:g}".replace(".", ",")
    if not days:
        return texts.OFFICIAL_TIME_HOURS.format(hours=shown)
    if not rest_hours:
        return texts.OFFICIAL_TIME_DAYS.format(days=days)
    return texts.OFFICIAL_TIME_DAYS_HOURS.format(days=days, hours=shown)


def short_name(name: str | None, procedure_code: str) -> str:
    """A procedure's name short enough for a list line ("Thủ tục" dropped, cut at a word)."""
    if not name:
        return procedure_code
    name = name.removeprefix("Thủ tục ").strip()
    name = name[:1].upper() + name[1:]
    if len(name) <= SHORT_NAME_CHARS:
        return name
    cut = name[: SHORT_NAME_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def due_text(t: datetime | None) -> str:
    if t is None:
        return texts.OFFICIAL_NO_VALUE
    return _day(t.date()) if t.time() == time() else moment(t)


def _item_details(item: WorkItem, which: WorkList) -> list[str]:
    if which is WorkList.WAITING_ACCEPTANCE:
        waited = texts.OFFICIAL_LIST_WAITED.format(
            submitted=moment(item.submitted_at), time=working_time(item.hours)
        )
        return [waited, texts.OFFICIAL_LIST_WAITED_TOO_LONG] if item.hours > ACCEPT_WITHIN_HOURS else [waited]
    details = [texts.OFFICIAL_LIST_DUE.format(due=due_text(item.effective_due_at))]
    if which is WorkList.DUE_SOON:
        details.append(texts.OFFICIAL_LIST_LEFT.format(time=working_time(item.hours)))
        return details
    if item.hours > 0:
        details.append(texts.OFFICIAL_LIST_LATE.format(time=working_time(item.hours)))
    if item.supplement_count > 1:
        details.append(texts.OFFICIAL_LIST_SUPPLEMENTS.format(count=item.supplement_count))
    if which in (WorkList.LATE_NO_APOLOGY, WorkList.SUPPLEMENTED_TWICE):
        details.append(texts.OFFICIAL_LIST_OPEN if item.is_open else texts.OFFICIAL_LIST_ENDED)
    return details


def list_title(which: WorkList) -> str:
    return texts.OFFICIAL_LISTS[which.value][1]


def worklist_doc(
    which: WorkList,
    unit_label: str,
    page: Page,
    *,
    number: int,
    page_size: int,
    period: Period | None,
    show_unit: bool,
) -> Doc:
    """One page of a work list: a line per dossier with its code, procedure, appointment and how
    late (or how long it waited, how long is left); ``number`` is the page, from 1."""
    if not page.total:
        doc = Doc().add(fill(texts.OFFICIAL_LIST_NONE, unit=b(unit_label)))
        doc.add(list_title(which))
        return doc
    doc = Doc().add(
        fill(texts.OFFICIAL_LIST_HEAD, title=list_title(which), unit=b(unit_label), count=b(str(page.total)))
    )
    if period is not None:
        doc.add(
            texts.OFFICIAL_LIST_PERIOD.format(
                period=period_label(period), range=period_range(period), at=moment(page.judged_at)
            )
        )
    pages = -(-page.total // page_size)
    if pages > 1:
        doc.add(texts.OFFICIAL_LIST_PAGE.format(page=number, pages=pages))
    doc.blank()
    first = (number - 1) * page_size + 1
    for position, item in enumerate(page.items, start=first):
        line = fill(
            texts.OFFICIAL_LIST_ITEM,
            number=str(position),
            code=code(item.code),
            procedure=short_name(item.procedure_name, item.procedure_code),
        )
        details = _item_details(item, which)
        if show_unit:
            details.append(item.unit_name)
        line.append(Span(": " + texts.OFFICIAL_LIST_SEPARATOR.join(details)))
        doc.add(line)
    if which is WorkList.LATE_NO_APOLOGY:
        doc.blank().add(texts.OFFICIAL_LIST_APOLOGY_HINT)
    return doc


# --- apology letter, digest, trend ---------------------------------------------------------------


def weekday_label(day: date) -> str:
    return texts.OFFICIAL_APOLOGY_DAY.format(
        weekday=texts.OFFICIAL_WEEKDAYS[day.weekday()], day=f"{day:%d/%m}"
    )


def apology_doc(data: LetterData) -> Doc:
    """The choice of a new return date for a letter."""
    doc = Doc().add(fill(texts.OFFICIAL_APOLOGY_TITLE, code=code(data.dossier_code)))
    doc.add(
        texts.OFFICIAL_APOLOGY_FACTS.format(
            procedure=short_name(data.procedure_name, data.procedure_code),
            received=_day(data.received_at.date()),
            due=due_text(data.due_at),
        )
    )
    return doc.add(texts.OFFICIAL_APOLOGY_CHOOSE)


def apology_made_caption(data: LetterData, again: bool) -> str:
    new_due = _day(data.new_due) if data.new_due else texts.OFFICIAL_APOLOGY_NO_DATE
    template = texts.OFFICIAL_APOLOGY_AGAIN if again else texts.OFFICIAL_APOLOGY_MADE
    return template.format(code=data.dossier_code, new_due=new_due)


def digest_doc(
    unit_label: str, day: date, pages: Sequence[tuple[WorkList, Page]], shown: int, show_unit: bool
) -> Doc:
    """The morning digest of one unit: each list's count and first lines."""
    doc = Doc().add(b(texts.OFFICIAL_DIGEST_TITLE.format(day=_day(day), unit=unit_label)))
    for which, page in pages:
        command, title, _label = texts.OFFICIAL_LISTS[which.value]
        doc.blank().add(fill(texts.OFFICIAL_DIGEST_COUNT, title=title, count=b(str(page.total))))
        for position, item in enumerate(page.items[:shown], start=1):
            details = _item_details(item, which) + ([item.unit_name] if show_unit else [])
            line = fill(
                texts.OFFICIAL_LIST_ITEM,
                number=str(position),
                code=code(item.code),
                procedure=short_name(item.procedure_name, item.procedure_code),
            )
            line.append(Span(": " + texts.OFFICIAL_LIST_SEPARATOR.join(details)))
            doc.add(line)
        if page.total > shown:
            doc.add(texts.OFFICIAL_DIGEST_MORE.format(count=page.total - shown, command=command))
    return doc


def trend_title(unit_name: str) -> str:
    return texts.OFFICIAL_TREND_TITLE.format(unit=unit_name)


def trend_caption(unit_label: str, points: Sequence[TrendPoint]) -> Doc:
    first, last = points[0].period, points[-1].period
    return Doc().add(
        texts.OFFICIAL_TREND_CAPTION.format(
            unit=unit_label, first=period_label(first), last=period_label(last)
        )
    )


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
    """/xephang's photo caption: the title, where the official's unit stands, which part of the
    ranking the chart shows when it cannot show all of it, and how many units have no data."""
    doc = Doc().add(b(title))
    ranked = [standing for standing in standings if standing.rank is not None]
    for standing in standings:
        if standing.unit.id != highlight_id:
            continue
        if standing.rank is None:
            doc.add(fill(texts.OFFICIAL_RANKING_OWN_NO_DATA, unit=b(standing.unit.name)))
        else:
            doc.add(
                fill(
                    texts.OFFICIAL_RANKING_OWN,
                    unit=b(standing.unit.name),
                    rank=b(str(standing.rank)),
                    count=str(len(ranked)),
                    score=points(standing.score.total),
                )
            )
    start, stop = window
    if stop - start < len(ranked):
        doc.add(texts.OFFICIAL_RANKING_WINDOW.format(first=start + 1, last=stop, count=len(ranked)))
    if len(ranked) < len(standings):
        doc.add(texts.OFFICIAL_RANKING_NO_DATA.format(count=len(standings) - len(ranked)))
    return doc.add(texts.OFFICIAL_RANKING_NOTE)
