"""The officials' side of the bot, independent of the channel (Telegram or the console).

``OfficialDialogue`` takes what an official did — a command with its words, a pressed button — and
returns what to show: replies (a ``Doc`` with buttons) and files (a chart, a spreadsheet, a letter).
The Telegram handlers (``bot.handlers.official``) and the console (``bot.console``) only carry
these across. Every call is one database session, so it runs in a worker thread.

Who sees what: an official sees his units and their descendants (``roles.can_view``); ranking also
shows his unit's siblings. Admins see every unit. Anyone else gets the answer to an unknown command.
The words after a command are a period and a unit code in any order (``knowledge.compliance.periods``):
"/tinhhinh quý 3", "/xephang tháng trước", "/quahan 01/10/2026 31/10/2026 16195".

Button data (≤ 64 bytes, ids only): ``ofx:<parent>:<start>:<end>`` the ranking's Excel,
``ofl:<list>:<unit>:<page>:<start>:<end>`` a page of a list (page 0: the first, as a new message),
``ofy:<list>:<unit>:<start>:<end>`` the list as Excel, ``oft:<unit>`` the six-month trend,
``ofa:<dossier>`` a letter's date choices and ``ofd:<dossier>:<new date>`` the letter itself; days
are YYYYMMDD, ``0`` for no period.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts
from bot.dialogue import Reply
from bot.keyboards import MAX_CALLBACK_BYTES, Button, Rows, in_rows
from bot.render import Doc, fill
from bot.render_official import (
    apology_doc,
    apology_made_caption,
    chart_window,
    digest_doc,
    list_title,
    period_label,
    ranking_caption,
    ranking_title,
    report_doc,
    trend_caption,
    trend_title,
    weekday_label,
    worklist_doc,
)
from knowledge.audit import AuditAction, telegram_actor, write_audit
from knowledge.compliance import digest, roles
from knowledge.compliance.apology import (
    LetterError,
    letter_data,
    letter_docx,
    letter_filename,
    proposed_dates,
    record_letter,
)
from knowledge.compliance.clock import Calendar, default_calendar
from knowledge.compliance.figures import Period, procedure_breakdown
from knowledge.compliance.models import Dossier
from knowledge.compliance.periods import PeriodSyntaxError, parse_request
from knowledge.compliance.profile import local_now
from knowledge.compliance.ranking import ranking, ranking_chart_png, ranking_xlsx, unit_report
from knowledge.compliance.trend import trend, trend_chart_png
from knowledge.compliance.worklists import WorkList, counts, worklist, worklist_xlsx
from knowledge.models import Era, Unit
from knowledge.store import Store
from knowledge.units import unit_label

PAGE_SIZE = 10
DIGEST_LINES = 3
DIGEST_LISTS = (WorkList.WAITING_ACCEPTANCE, WorkList.DUE_SOON, WorkList.OVERDUE)
EXCEL_PREFIX = "ofx"
LIST_PREFIX = "ofl"
LIST_EXCEL_PREFIX = "ofy"
TREND_PREFIX = "oft"
APOLOGY_PREFIX = "ofa"
LETTER_PREFIX = "ofd"
CALLBACK_PATTERN = r"^of[xlytad]:[0-9a-z:]+$"
LIST_KEYS = {  # one letter per list in button data
    WorkList.OVERDUE: "o",
    WorkList.LATE_NO_APOLOGY: "a",
    WorkList.WAITING_ACCEPTANCE: "w",
    WorkList.DUE_SOON: "d",
    WorkList.SUPPLEMENTED_TWICE: "s",
}
LISTS_BY_KEY = {key: which for which, key in LIST_KEYS.items()}
LIST_COMMANDS = {texts.OFFICIAL_LISTS[which.value][0]: which for which in WorkList}
COMMANDS = ("tinhhinh", "xephang", *LIST_COMMANDS, "nhacviec")


class Denied(enum.Enum):
    NOT_OFFICIAL = "not_official"  # neither an official nor an admin: told nothing
    NEED_UNIT = "need_unit"  # an admin bound to no unit, who named none
    OUT_OF_SCOPE = "out_of_scope"  # a unit he may not see, or that does not exist: the same answer
    USAGE = "usage"  # words that are neither a period nor a unit code


@dataclass
class Attachment:
    """A file to send: a PNG shown as a photo, or a document (spreadsheet, letter)."""

    content: bytes
    filename: str
    caption: Doc
    photo: bool = False
    buttons: Rows = field(default_factory=list)


Out = Reply | Attachment


def callback_data(*parts: str | int) -> str:
    data = ":".join(str(part) for part in parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def _days(period: Period | None) -> tuple[str, str]:
    return (f"{period.start:%Y%m%d}", f"{period.end:%Y%m%d}") if period else ("0", "0")


def _period(start: str, end: str) -> Period | None:
    if start == "0":
        return None
    return Period(datetime.strptime(start, "%Y%m%d").date(), datetime.strptime(end, "%Y%m%d").date())


def _day_id(day: date) -> str:
    return f"{day:%Y%m%d}"


class OfficialDialogue:
    """One official's commands and buttons; ``clock`` gives "now" in Vietnam (tests pin it)."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = local_now,
        calendar: Calendar | None = None,
        actor: Callable[[int], str] = telegram_actor,
    ) -> None:
        self.store = store
        self.clock = clock
        self._calendar = calendar  # None: the calendar in force, with the admins' corrections
        self.actor = actor  # who issued a letter, for its record

    # --- entry points -----------------------------------------------------------------------------

    def command(self, user_id: int, name: str, args: list[str]) -> list[Out]:
        """/tinhhinh, /xephang, the lists, /nhacviec: what to show."""
        now = self.clock()
        if name == "nhacviec":
            return [self._toggle_digest(user_id)]
        with self.store.sessions() as session:
            unit, period = self._resolve(session, user_id, args, now)
            if isinstance(unit, Denied):
                return [Reply(self._refusal(unit, name, args))]
            if name == "tinhhinh":
                return [self._report(session, unit, period, now)]
            if name == "xephang":
                return [self._ranking(session, user_id, unit, period or Period.of("thang", now.date()), now)]
            which = LIST_COMMANDS[name]
            return [self._list_page(session, unit, which, period, 1, now, edit=False)]

    def button(self, user_id: int, data: str) -> list[Out] | None:
        """A button of an official's reply; None for data that is not an official's, [] for a unit or
        dossier the user may not see (any more)."""
        prefix, _, rest = data.partition(":")
        ids = rest.split(":")
        now = self.clock()
        try:
            with self.store.sessions() as session:
                if prefix == EXCEL_PREFIX:
                    return self._ranking_sheet(session, user_id, int(ids[0]), _period(*ids[1:3]), now)
                if prefix in (LIST_PREFIX, LIST_EXCEL_PREFIX):
                    which = LISTS_BY_KEY[ids[0]]
                    unit = self._visible(session, user_id, int(ids[1]))
                    if unit is None:
                        return []
                    if prefix == LIST_EXCEL_PREFIX:
                        return [self._list_sheet(session, unit, which, _period(*ids[2:4]), now)]
                    period, number = _period(*ids[3:5]), int(ids[2])
                    # Page 0 (from the report's buttons): the first page, in a message of its own.
                    return [self._list_page(session, unit, which, period, number, now, edit=number > 0)]
                if prefix == TREND_PREFIX:
                    unit = self._visible(session, user_id, int(ids[0]))
                    return [self._trend(session, unit, now)] if unit is not None else []
            if prefix == APOLOGY_PREFIX:
                return self._apology_choices(user_id, int(ids[0]), now)
            if prefix == LETTER_PREFIX:
                new_due = datetime.strptime(ids[1], "%Y%m%d").date()
                return self._letter(user_id, int(ids[0]), new_due, now)
        except (KeyError, IndexError, ValueError):  # not data this bot produced
            return []
        return None

    def accept_invite(self, user_id: int, payload: str) -> str | None:
        """Bind the user to the invite's unit; the unit's label, or None for an unusable invite."""
        with self.store.sessions.begin() as session:
            official = roles.consume_invite(session, payload, user_id)
            if official is None:
                return None
            unit = official.unit
            write_audit(
                session,
                telegram_actor(user_id),
                AuditAction.GRANT,
                source=f"{user_id}@{unit.code}",
                detail={"via": "invite", "granted_by": official.granted_by},
            )
            return unit_label(unit)

    def digests(self) -> list[tuple[int, Doc]]:
        """Today's morning digests, (chat id, message) — none on a day off. Each official's unit is
        claimed in the database first, so several processes send each digest once."""
        now = self.clock()
        sent: list[tuple[int, Doc]] = []
        with self.store.sessions() as session:
            if not self._calendar_in(session).is_working_day(now.date()):
                return []
            for official in digest.subscribers(session):
                if not digest.claim(session, official.id, now.date()):
                    continue
                session.commit()
                sent.append((official.telegram_id, self._digest(session, official.unit, now)))
        return sent

    # --- who and when -----------------------------------------------------------------------------

    def _calendar_in(self, session: Session) -> Calendar:
        """The working-time calendar: the one given, else the one in force (read from the database,
        so that an admin's correction applies at once)."""
        return self._calendar or default_calendar(session)

    def _resolve(
        self, session: Session, user_id: int, args: list[str], now: datetime
    ) -> tuple[Unit | Denied, Period | None]:
        """The unit a command is about (the one named, if the user may see it, else his own) and the
        period typed (None: the command's default)."""
        settings = self.store.settings
        own = roles.official_units(session, user_id)
        if not own and not roles.is_admin(user_id, settings):
            return Denied.NOT_OFFICIAL, None
        try:
            request = parse_request(args, now.date())
        except PeriodSyntaxError:
            return Denied.USAGE, None
        if request.code is None:
            return (own[0] if own else Denied.NEED_UNIT), request.period
        # The same code may name a unit of each era: prefer the era of the user's own units, then the current.
        eras = {unit.era for unit in own}
        candidates = sorted(
            session.scalars(select(Unit).where(Unit.code == request.code)),
            key=lambda unit: (unit.era not in eras, unit.era != Era.TWO_TIER),
        )
        for unit in candidates:
            if roles.can_view(session, user_id, unit, settings):
                return unit, request.period
        return Denied.OUT_OF_SCOPE, request.period

    def _refusal(self, denied: Denied, command: str, args: list[str]) -> Doc:
        if denied is Denied.NOT_OFFICIAL:
            return Doc().add(texts.UNKNOWN_COMMAND)
        if denied is Denied.NEED_UNIT:
            return Doc().add(texts.OFFICIAL_NEED_UNIT.format(command=command))
        if denied is Denied.OUT_OF_SCOPE:
            unit_code = parse_request(args, self.clock().date()).code or ""
            return Doc().add(fill(texts.OFFICIAL_OUT_OF_SCOPE, code=unit_code))
        return Doc().add(texts.OFFICIAL_USAGE.format(command=command))

    def _visible(self, session: Session, user_id: int, unit_id: int) -> Unit | None:
        unit = session.get(Unit, unit_id)
        if unit is None or not roles.can_view(session, user_id, unit, self.store.settings):
            return None
        return unit

    def _may_rank(self, session: Session, user_id: int, parent: Unit) -> bool:
        """His own unit's siblings, or the children of a unit he may see."""
        if roles.can_view(session, user_id, parent, self.store.settings):
            return True
        return any(unit.parent_id == parent.id for unit in roles.official_units(session, user_id))

    # --- figures, ranking, trend ------------------------------------------------------------------

    def _report(self, session: Session, unit: Unit, period: Period | None, now: datetime) -> Reply:
        """/tinhhinh: the report, with buttons to the trend and to each list that is not empty."""
        period = period or Period.of("thang", now.date())
        report = unit_report(session, unit, period, now, calendar=self._calendar_in(session))
        found = counts(session, unit, now, calendar=self._calendar_in(session))
        buttons = [Button(texts.OFFICIAL_BUTTON_TREND, callback_data(TREND_PREFIX, unit.id))]
        for which in WorkList:
            if found[which]:
                label = texts.OFFICIAL_BUTTON_LIST.format(
                    label=texts.OFFICIAL_LISTS[which.value][2], count=found[which]
                )
                buttons.append(Button(label, callback_data(LIST_PREFIX, LIST_KEYS[which], unit.id, 0, 0, 0)))
        return Reply(report_doc(report, unit_label(unit)), in_rows(buttons, 2))

    def _ranking(self, session: Session, user_id: int, unit: Unit, period: Period, now: datetime) -> Out:
        """/xephang: a unit with children ranks them (a district official's own communes, a province's
        districts or communes); a commune is ranked among its siblings."""
        has_children = session.scalar(select(Unit.id).where(Unit.parent_id == unit.id).limit(1))
        parent = unit if has_children is not None or unit.parent is None else unit.parent
        standings = ranking(session, parent, period, now, calendar=self._calendar_in(session))
        if not standings:
            return Reply(Doc().add(fill(texts.OFFICIAL_RANKING_EMPTY, parent=parent.name)))
        title = ranking_title(parent.name, period)
        highlight = unit if unit is not parent else None
        highlight_id = highlight.id if highlight else None
        ranked = [s for s in standings if s.rank is not None]
        data = callback_data(EXCEL_PREFIX, parent.id, *_days(period))
        buttons = [[Button(texts.OFFICIAL_BUTTON_EXCEL, data)]]
        if not ranked:
            doc = Doc().add(
                texts.OFFICIAL_RANKING_ALL_NO_DATA.format(parent=parent.name, period=period_label(period))
            )
            return Reply(doc, buttons)
        window = chart_window(ranked, highlight_id)
        chart = ranking_chart_png(ranked[window[0] : window[1]], title, highlight)
        caption = ranking_caption(title, standings, highlight_id, window)
        filename = f"xep-hang-{parent.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.png"
        return Attachment(chart, filename, caption, photo=True, buttons=buttons)

    def _ranking_sheet(
        self, session: Session, user_id: int, parent_id: int, period: Period | None, now: datetime
    ) -> list[Out]:
        parent = session.get(Unit, parent_id)
        if parent is None or period is None or not self._may_rank(session, user_id, parent):
            return []
        title = ranking_title(parent.name, period)
        standings = ranking(session, parent, period, now, calendar=self._calendar_in(session))
        procedures = procedure_breakdown(session, parent, period, now, self._calendar_in(session))
        content = ranking_xlsx(standings, title, procedures)
        filename = f"xep-hang-{parent.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
        return [Attachment(content, filename, Doc().add(title))]

    def _trend(self, session: Session, unit: Unit, now: datetime) -> Attachment:
        points = trend(session, unit, now, calendar=self._calendar_in(session))
        chart = trend_chart_png(points, trend_title(unit.name))
        filename = f"xu-huong-{unit.code}-{now:%Y%m%d}.png"
        return Attachment(chart, filename, trend_caption(unit_label(unit), points), photo=True)

    # --- lists ------------------------------------------------------------------------------------

    def _list_page(
        self,
        session: Session,
        unit: Unit,
        which: WorkList,
        period: Period | None,
        number: int,
        now: datetime,
        *,
        edit: bool,
    ) -> Reply:
        number = max(number, 1)
        page = worklist(
            session,
            unit,
            which,
            now,
            period=period,
            offset=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            calendar=self._calendar_in(session),
        )
        pages = max(-(-page.total // PAGE_SIZE), 1)
        if number > pages:  # the list shrank since the button was made
            number = pages
            page = worklist(
                session, unit, which, now, period=period, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                calendar=self._calendar_in(session),
            )  # fmt: skip
        show_unit = any(item.unit_name != unit.name for item in page.items)
        doc = worklist_doc(
            which,
            unit_label(unit),
            page,
            number=number,
            page_size=PAGE_SIZE,
            period=period,
            show_unit=show_unit,
        )
        rows: Rows = []
        if which is WorkList.LATE_NO_APOLOGY:
            first = (number - 1) * PAGE_SIZE + 1
            letters = [
                Button(
                    texts.OFFICIAL_BUTTON_APOLOGY.format(number=first + n),
                    callback_data(APOLOGY_PREFIX, item.id),
                )
                for n, item in enumerate(page.items)
            ]
            rows += in_rows(letters, 5)
        key, days = LIST_KEYS[which], _days(period)
        navigation = []
        if number > 1:
            navigation.append(
                Button(texts.BUTTON_PREVIOUS, callback_data(LIST_PREFIX, key, unit.id, number - 1, *days))
            )
        if number < pages:
            navigation.append(
                Button(texts.BUTTON_NEXT, callback_data(LIST_PREFIX, key, unit.id, number + 1, *days))
            )
        if navigation:
            rows.append(navigation)
        if page.total:
            label = texts.OFFICIAL_BUTTON_LIST_EXCEL.format(count=page.total)
            rows.append([Button(label, callback_data(LIST_EXCEL_PREFIX, key, unit.id, *days))])
        return Reply(doc, rows, edit=edit)

    def _list_sheet(
        self, session: Session, unit: Unit, which: WorkList, period: Period | None, now: datetime
    ) -> Attachment:
        page = worklist(session, unit, which, now, period=period, calendar=self._calendar_in(session))
        title = f"{list_title(which)} — {unit_label(unit)}"
        if period is not None:
            title += f", {period_label(period)}"
        content = worklist_xlsx(page.items, which, title)
        filename = f"{which.value}-{unit.code}-{page.judged_at:%Y%m%d}.xlsx"
        return Attachment(content, filename, Doc().add(title))

    # --- the apology letter -----------------------------------------------------------------------

    def _apology_choices(self, user_id: int, dossier_id: int, now: datetime) -> list[Out]:
        with self.store.sessions() as session:
            dossier = session.get(Dossier, dossier_id)
            if dossier is None or self._visible(session, user_id, dossier.unit_id) is None:
                return []
            data = letter_data(session, dossier, None, now.date())
            calendar = self._calendar_in(session)
        if data.recorded:  # issued already: the same letter again
            return self._letter(user_id, dossier_id, data.new_due, now)
        days = proposed_dates(now.date(), calendar)
        buttons = [
            Button(weekday_label(day), callback_data(LETTER_PREFIX, dossier_id, _day_id(day))) for day in days
        ]
        return [Reply(apology_doc(data), in_rows(buttons, 3))]

    def _letter(self, user_id: int, dossier_id: int, new_due: date | None, now: datetime) -> list[Out]:
        with self.store.sessions.begin() as session:
            dossier = session.get(Dossier, dossier_id)
            if dossier is None or self._visible(session, user_id, dossier.unit_id) is None:
                return []
            try:
                data = letter_data(session, dossier, new_due, now.date())
            except LetterError as refused:
                return [Reply(Doc().add(texts.OFFICIAL_APOLOGY_REFUSED.format(reason=refused)))]
            again = data.recorded
            record_letter(session, dossier, data, self.actor(user_id))
            content = letter_docx(data)
        caption = Doc().add(apology_made_caption(data, again))
        return [Attachment(content, letter_filename(data.dossier_code), caption)]

    # --- the morning digest -----------------------------------------------------------------------

    def _toggle_digest(self, user_id: int) -> Reply:
        with self.store.sessions.begin() as session:
            state = digest.toggle(session, user_id)
        if state is None:
            if roles.is_admin(user_id, self.store.settings):
                return Reply(Doc().add(texts.OFFICIAL_NEED_UNIT.format(command="nhacviec")))
            return Reply(Doc().add(texts.UNKNOWN_COMMAND))
        return Reply(Doc().add(texts.OFFICIAL_DIGEST_ON if state else texts.OFFICIAL_DIGEST_OFF))

    def _digest(self, session: Session, unit: Unit, now: datetime) -> Doc:
        pages = [
            (
                which,
                worklist(session, unit, which, now, limit=DIGEST_LINES, calendar=self._calendar_in(session)),
            )
            for which in DIGEST_LISTS
        ]
        show_unit = any(item.unit_name != unit.name for _, page in pages for item in page.items)
        return digest_doc(unit_label(unit), now.date(), pages, DIGEST_LINES, show_unit)
