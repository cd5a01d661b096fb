"""The conversation with a citizen, independent of the channel (Telegram or the console).

Each entry point takes what the user did (a command, some text, a pressed button) and returns the
replies: a ``Doc`` plus button rows. Telegram renders them as HTML with inline keyboards, the
console as plain text with numbered choices. Every entry point is one database transaction, and the
user's state (commune, last results, what the bot waits for) lives in the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy.orm import Session, sessionmaker

from bot import texts
from bot.keyboards import Action, Button, Rows, callback, in_rows, parse_callback
from bot.render import CardFacts, Doc, Office, b, documents_doc, fill, legal_doc, link, procedure_card
from index.service import SearchResult, SearchService
from knowledge.applicability import competence, procedures_for_unit
from knowledge.catalogue import get_procedure
from knowledge.models import ChatUser, Procedure, Unit
from knowledge.portal import portal_link, portal_search_link
from knowledge.units import UnitMatch, current_successors, get_office, get_unit, resolve_unit, unit_label
from knowledge.usage import log_query
from knowledge.users import get_user, set_commune, set_last_results, set_pending, user_unit

AWAIT_COMMUNE = {"await": "commune"}
UNIT_MIN_SCORE = 70.0  # below this a commune match is a guess, not an answer
UNIT_MARGIN = 8.0  # matches this close to the best one are offered as choices too
MAX_UNIT_CHOICES = 8
RESULTS = 5
CLEAR_LEAD = 0.05  # how far the best hit's score (0..1) must be ahead of the next to be shown alone
BUTTON_LABEL_CHARS = 60
CHOICE_LABEL_CHARS = 80
MAX_CACHED_LABELS = 10_000


@dataclass
class Reply:
    doc: Doc
    buttons: Rows = field(default_factory=list)
    edit: bool = False  # replaces the message whose button was pressed (paging)


@dataclass(frozen=True)
class InlineResult:
    """One procedure offered in inline mode (``@bot query`` in any chat)."""

    code: str
    title: str
    description: str
    doc: Doc
    url: str


def _clear_winner(result: SearchResult) -> bool:
    """One hit answers the question: a good match, well ahead of the next one."""
    hits = result.hits
    return bool(hits) and result.confident and (len(hits) == 1 or hits[0].score - hits[1].score >= CLEAR_LEAD)


def _short(text: str, limit: int = BUTTON_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Dialogue:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        search: SearchService,
        *,
        page_size: int = 10,
        bot_username: str = "",
    ) -> None:
        self.sessions = sessions
        self.search = search
        self.page_size = page_size
        self.bot_username = bot_username
        self._labels: dict[
            int, str
        ] = {}  # unit id -> label: names are static data, walking parents is not free

    def _label(self, unit: Unit) -> str:
        label = self._labels.get(unit.id)
        if label is None:
            if len(self._labels) >= MAX_CACHED_LABELS:
                self._labels.clear()
            label = self._labels[unit.id] = unit_label(unit)
        return label

    # --- commands ------------------------------------------------------------------------------

    def start(self, user_id: int, name: str | None = None, payload: str | None = None) -> list[Reply]:
        """Greet, say what the bot does, ask for the commune (or set it from a deep link)."""
        greeting = Doc()
        greeting.add(fill(texts.GREETING, name=name) if name else texts.GREETING_ANONYMOUS)
        for line in texts.ABOUT.splitlines():
            greeting.add(line)
        with self.sessions.begin() as session:
            user = get_user(session, user_id)
            if payload:
                unit = get_unit(session, payload.strip())
                successors = current_successors(session, unit) if unit is not None else []
                if unit is not None and len(successors) == 1:
                    return [Reply(greeting), self._commune_chosen(user, successors[0], unit)]
                if unit is not None and successors:
                    set_pending(user, AWAIT_COMMUNE)
                    return [Reply(greeting), self._choices(unit, successors)]
                greeting.blank().add(texts.DEEP_LINK_UNKNOWN)
            set_pending(user, AWAIT_COMMUNE)
        return [Reply(greeting.blank().add(texts.ASK_COMMUNE))]

    def resume(self, user_id: int) -> list[Reply]:
        """Where a returning user picks up: the help screen when a commune is known, else ``start``."""
        with self.sessions() as session:
            known = user_unit(session, user_id) is not None
        return self.help(user_id) if known else self.start(user_id)

    def change_commune(self, user_id: int) -> list[Reply]:
        """``/xa``: say which commune is set, and wait for a new name."""
        doc = Doc()
        with self.sessions.begin() as session:
            user = get_user(session, user_id)
            if user.unit is not None:
                doc.add(fill(texts.COMMUNE_CURRENT, unit=b(self._label(user.unit))))
            set_pending(user, AWAIT_COMMUNE)
        return [Reply(doc.add(texts.ASK_COMMUNE))]

    def help(self, user_id: int) -> list[Reply]:
        doc = Doc().add(b(texts.HELP_TITLE))
        for line in texts.HELP_LINES:
            if "{bot}" in line:
                if self.bot_username:
                    doc.add(line.format(bot=self.bot_username))
            else:
                doc.add(line)
        with self.sessions() as session:
            unit = user_unit(session, user_id)
            doc.blank()
            if unit is None:
                doc.add(texts.HELP_NO_COMMUNE, " ", texts.COMMUNE_HINT)
            else:
                doc.add(fill(texts.HELP_COMMUNE, unit=b(self._label(unit))))
        return [Reply(doc)]

    def procedures(self, user_id: int, page: int = 1) -> list[Reply]:
        """``/thutuc``: what the user's commune handles, grouped by field, one page at a time."""
        with self.sessions.begin() as session:
            user = get_user(session, user_id)
            if user.unit is None:
                set_pending(user, AWAIT_COMMUNE)
                return [Reply(Doc().add(texts.LIST_NEED_COMMUNE).add(texts.ASK_COMMUNE))]
            return [self._page(session, user.unit, page)]

    # --- free text -------------------------------------------------------------------------------

    def text(self, user_id: int, text: str) -> list[Reply]:
        """A message that is not a command: a commune name when one was asked for, else a question."""
        text = text.strip()
        with self.sessions.begin() as session:
            user = get_user(session, user_id)
            if user.pending.get("await") == "commune":
                reply = self._commune_typed(session, user, text)
                if reply is not None:
                    return [reply]
                result = self.search.search(text, top=RESULTS)
                if not (result.hits and result.confident):
                    return [Reply(Doc().add(fill(texts.COMMUNE_NOT_FOUND, text=text)))]
                reply = self._results(session, user, result, None)
                reply.doc.blank().add(texts.COMMUNE_HINT)
                return [reply]
            result = self.search.search(text, unit=user.unit, top=RESULTS)
            return [self._results(session, user, result, user.unit)]

    def answer(self, question: str, unit: Unit | None = None) -> list[Reply]:
        """The reply to a question for a given commune, touching no user's state (``tthc-bot ask``)."""
        with self.sessions.begin() as session:
            if unit is not None:
                unit = session.merge(unit)
            result = self.search.search(question, unit=unit, top=RESULTS)
            return [self._results(session, None, result, unit)]

    # --- buttons ---------------------------------------------------------------------------------

    def button(self, user_id: int, data: str) -> list[Reply]:
        parsed = parse_callback(data)
        if parsed is None:
            return [Reply(Doc().add(texts.STALE_BUTTON))]
        action, ids = parsed
        with self.sessions.begin() as session:
            if action is Action.UNIT and len(ids) == 2:
                unit = get_unit(session, ids[1], era=ids[0])
                if unit is not None and unit.is_current:
                    return [self._commune_chosen(get_user(session, user_id), unit, None)]
            elif action is Action.PAGE and ids[0].isdigit():
                unit = user_unit(session, user_id)
                if unit is not None:
                    return [self._page(session, unit, int(ids[0]))]
            else:
                procedure = get_procedure(session, ids[0])
                if procedure is None:
                    return [Reply(Doc().add(texts.PROCEDURE_GONE))]
                if action is Action.CARD:
                    return [self._card(session, procedure, user_unit(session, user_id))]
                if action is Action.DOCUMENTS:
                    return [Reply(documents_doc(procedure), [[self._back(procedure)]])]
                if action is Action.LEGAL:
                    return [Reply(legal_doc(procedure), [[self._back(procedure)]])]
                if action is Action.RELATED:
                    return [self._related(session, procedure)]
        return [Reply(Doc().add(texts.STALE_BUTTON))]

    # --- inline mode -----------------------------------------------------------------------------

    def inline(self, user_id: int, query: str) -> list[InlineResult]:
        query = query.strip()
        if not query:
            return []
        with self.sessions.begin() as session:
            unit = user_unit(session, user_id)
            result = self.search.search(query, unit=unit, top=RESULTS)
            self._log(session, result)
            answers = []
            for hit in result.hits:
                procedure = get_procedure(session, hit.code)
                if procedure is None:
                    continue
                facts = self._facts(session, procedure, unit)
                description = (
                    texts.INLINE_DESCRIPTION.format(field=procedure.field, code=procedure.code)
                    if procedure.field
                    else texts.INLINE_NO_FIELD.format(code=procedure.code)
                )
                answers.append(
                    InlineResult(
                        procedure.code, procedure.name, description, procedure_card(facts), facts.portal_url
                    )
                )
            return answers

    # --- the commune -----------------------------------------------------------------------------

    def _candidates(
        self, session: Session, text: str
    ) -> tuple[UnitMatch | None, list[tuple[UnitMatch, Unit]]]:
        """The best match for a typed commune name, and the 2025 units it may mean (one: no doubt)."""
        matches = [m for m in resolve_unit(session, text, limit=5) if m.score >= UNIT_MIN_SCORE]
        if not matches:
            return None, []
        best = matches[0]
        options: dict[tuple[str, str], tuple[UnitMatch, Unit]] = {}
        for match in matches:
            if best.score - match.score < UNIT_MARGIN:
                for unit in match.current:
                    options.setdefault((unit.era, unit.code), (match, unit))
        return best, list(options.values())

    def find_commune(self, text: str) -> list[tuple[Unit, str]]:
        """The 2025 units (with their labels) a typed name may mean: one when clear, none when unknown."""
        with self.sessions() as session:
            return [(unit, self._label(unit)) for _match, unit in self._candidates(session, text)[1]]

    def _commune_typed(self, session: Session, user: ChatUser, text: str) -> Reply | None:
        """Settle the commune from a typed name; None when nothing resembles one."""
        best, options = self._candidates(session, text)
        if best is None or not options:
            return None
        if len(options) == 1:
            match, unit = options[0]
            return self._commune_chosen(user, unit, match.unit)
        matched = {match.unit.id for match, _unit in options}
        if len(matched) == 1 and not best.unit.is_current:
            return self._choices(best.unit, [unit for _match, unit in options])
        buttons = [
            Button(
                _short(self._choice_label(match, unit), CHOICE_LABEL_CHARS),
                callback(Action.UNIT, unit.era, unit.code),
            )
            for match, unit in options[:MAX_UNIT_CHOICES]
        ]
        return Reply(Doc().add(fill(texts.COMMUNE_CHOOSE, text=text)), in_rows(buttons, 1))

    def _choice_label(self, match: UnitMatch, unit: Unit) -> str:
        """The 2025 unit with its province; for an old name, that name and its old province first."""
        if match.unit.is_current:
            return self._label(unit)
        return texts.CHOICE_OLD.format(
            old=match.unit.name, province=match.province.name, new=self._label(unit)
        )

    def _choices(self, old: Unit, units: list[Unit]) -> Reply:
        """Ask which of the 2025 units an old unit went into is meant; buttons show their province."""
        header = fill(texts.COMMUNE_SUCCESSOR_CHOOSE, old=b(self._old_label(old)))
        buttons = [
            Button(_short(self._label(unit)), callback(Action.UNIT, unit.era, unit.code))
            for unit in units[:MAX_UNIT_CHOICES]
        ]
        return Reply(Doc().add(header), in_rows(buttons, 1))

    def _old_label(self, unit: Unit) -> str:
        return texts.OLD_NAME.format(name=self._label(unit))

    def _commune_chosen(self, user: ChatUser, unit: Unit, typed: Unit | None) -> Reply:
        set_commune(user, unit)
        doc = Doc()
        if typed is not None and not typed.is_current:
            doc.add(fill(texts.COMMUNE_SUCCESSOR, old=self._old_label(typed), new=b(self._label(unit))))
        doc.add(fill(texts.COMMUNE_SET, unit=b(self._label(unit))))
        return Reply(doc.blank().add(texts.COMMUNE_NEXT))

    # --- search results and cards ----------------------------------------------------------------

    def _log(self, session: Session, result: SearchResult) -> None:
        top_score = result.hits[0].score if result.hits else None
        log_query(
            session,
            result.query,
            answered=bool(result.hits) and result.confident,
            result_count=len(result.hits),
            top_score=top_score,
        )

    def _results(
        self, session: Session, user: ChatUser | None, result: SearchResult, unit: Unit | None
    ) -> Reply:
        self._log(session, result)
        if user is not None:
            set_last_results(user, [hit.code for hit in result.hits])
        if _clear_winner(result):
            procedure = get_procedure(session, result.hits[0].code)
            if procedure is not None:
                return self._card(session, procedure, unit)
        if not result.hits:
            return self._no_results(result)
        doc = Doc().add(texts.RESULTS_HEADER)
        buttons = []
        for number, hit in enumerate(result.hits, start=1):
            doc.add(f"{number}. ", b(hit.name))
            buttons.append(Button(_short(f"{number}. {hit.name}"), callback(Action.CARD, hit.code)))
        return Reply(doc, in_rows(buttons, 1))

    def _no_results(self, result: SearchResult) -> Reply:
        doc = Doc().add(fill(texts.NO_RESULTS, query=result.query.strip()))
        if result.suggestions:
            items = texts.SUGGESTION_SEPARATOR.join(f"«{s}»" for s in result.suggestions)
            doc.add(fill(texts.SUGGESTIONS, items=items))
        portal = Doc().add(
            fill(texts.NO_RESULTS_PORTAL, portal=link(texts.PORTAL_NAME, portal_search_link(result.query)))
        )
        return Reply(doc.extend(portal).blank().add(texts.SEARCH_TIP))

    def _facts(self, session: Session, procedure: Procedure, unit: Unit | None) -> CardFacts:
        url = portal_link(procedure)
        if unit is None:
            return CardFacts(procedure, url)
        verdict = competence(session, unit, procedure)
        label = self._label(unit)
        office = None
        if verdict.handled:
            row = get_office(session, unit)
            # The commune's one-stop office takes every procedure it handles; its details are shown
            # only when the data has them.
            default = texts.CARD_OFFICE_DEFAULT.format(unit=unit.name)
            office = (
                Office(row.name or default, row.address, row.hours, row.phone) if row else Office(default)
            )
        return CardFacts(
            procedure,
            url,
            unit_name=label,
            handled=verdict.handled,
            level=verdict.level,
            agency=verdict.agency,
            reason=verdict.reason,
            office=office,
        )

    def _card(self, session: Session, procedure: Procedure, unit: Unit | None) -> Reply:
        row = []
        if procedure.documents:
            row.append(Button(texts.BUTTON_DOCUMENTS, callback(Action.DOCUMENTS, procedure.code)))
        if procedure.legal_basis:
            row.append(Button(texts.BUTTON_LEGAL, callback(Action.LEGAL, procedure.code)))
        buttons = [row]
        if procedure.related:
            buttons.append([Button(texts.BUTTON_RELATED, callback(Action.RELATED, procedure.code))])
        return Reply(procedure_card(self._facts(session, procedure, unit)), buttons)

    def _back(self, procedure: Procedure) -> Button:
        return Button(texts.BUTTON_CARD, callback(Action.CARD, procedure.code))

    def _related(self, session: Session, procedure: Procedure) -> Reply:
        doc = Doc().add(fill(texts.RELATED_HEADER, name=b(procedure.name)))
        related = [p for code in procedure.related if (p := get_procedure(session, code)) is not None]
        if not related:
            return Reply(doc.add(texts.RELATED_NONE), [[self._back(procedure)]])
        buttons = []
        for number, other in enumerate(related[:MAX_UNIT_CHOICES], start=1):
            doc.add(f"{number}. ", other.name)
            buttons.append(Button(_short(f"{number}. {other.name}"), callback(Action.CARD, other.code)))
        return Reply(doc, [*in_rows(buttons, 1), [self._back(procedure)]])

    # --- /thutuc pages ---------------------------------------------------------------------------

    def _page(self, session: Session, unit: Unit, page: int) -> Reply:
        label = self._label(unit)
        procedures = sorted(
            procedures_for_unit(session, unit), key=lambda p: (p.field is None, p.field or "", p.name)
        )
        if not procedures:
            return Reply(Doc().add(fill(texts.LIST_EMPTY, unit=b(label))))
        pages = math.ceil(len(procedures) / self.page_size)
        page = min(max(page, 1), pages)
        first = (page - 1) * self.page_size
        shown = list(enumerate(procedures, start=1))[first : first + self.page_size]
        total = str(len(procedures))
        doc = Doc().add(fill(texts.LIST_HEADER, unit=b(label), total=total, page=str(page), pages=str(pages)))
        for field_name, group in groupby(shown, key=lambda item: item[1].field):
            doc.blank().add(b(field_name or texts.LIST_OTHER_FIELD))
            for number, procedure in group:
                doc.add(fill(texts.LIST_ITEM, number=str(number), name=procedure.name))
        numbers = [Button(str(number), callback(Action.CARD, p.code)) for number, p in shown]
        navigation = []
        if page > 1:
            navigation.append(Button(texts.BUTTON_PREVIOUS, callback(Action.PAGE, page - 1)))
        if page < pages:
            navigation.append(Button(texts.BUTTON_NEXT, callback(Action.PAGE, page + 1)))
        return Reply(doc, [*in_rows(numbers, 5), navigation], edit=True)
