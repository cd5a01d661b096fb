"""The conversation with a citizen, independent of the channel (Telegram or the console).

Each entry point takes what the user did (a command, some text, a pressed button) and returns the
replies: a ``Doc`` plus button rows. Telegram renders them as HTML with inline keyboards, the
console as plain text with numbered choices. Every entry point is one database transaction, and the
user's state (commune, last results, what the bot waits for) lives in the database.

Search results, cards and /thutuc lists are kept per catalogue version (bot/answercache.py), so a
question asked before costs a few look-ups; the query log is written in batches (``QueryLog``).
Call :meth:`Dialogue.follow_catalogue` when the catalogue version changes and :meth:`Dialogue.close`
at the end.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from itertools import groupby

from sqlalchemy.orm import Session, sessionmaker

from bot import texts
from bot.answercache import AnswerCache, Card, Listed, Screen
from bot.keyboards import Action, Button, Rows, callback, in_rows, parse_callback, whole_number
from bot.render import CardFacts, Doc, Office, b, documents_doc, fill, legal_doc, link, procedure_card
from index.decision import Answer
from index.query import MAX_QUERY_CHARS
from index.service import SearchResult, SearchService
from knowledge.applicability import competence, general_reception, procedures_for_unit
from knowledge.catalogue import catalogue_version_id, get_procedure
from knowledge.models import ChatUser, Era, Procedure, Unit
from knowledge.portal import portal_link, portal_search_link
from knowledge.units import (
    UnitMatch,
    communes_within,
    current_successors,
    get_office,
    get_unit,
    is_communal,
    resolve_unit,
    unit_label,
)
from knowledge.usage import QueryLog
from knowledge.users import (
    get_user,
    is_commune,
    set_commune,
    set_last_results,
    set_pending,
    user_unit,
    visit,
)

AWAIT_COMMUNE = {"await": "commune"}
UNIT_MIN_SCORE = 70.0  # below this a commune match is a guess, not an answer
UNIT_MARGIN = 8.0  # matches this close to the best one are offered as choices too
UNIT_SURE_SCORE = 90.0  # a name typed with a slip still scores above this; a question hardly ever does
MAX_UNIT_CHOICES = 8
AREA_PAGE = 12  # communes of a province offered per page (two per row)
AREA_SCOPED_MATCHES = 30  # names resolved when looking for a commune within a province
MAX_CACHED_AREAS = 256
RESULTS = 5
BUTTON_LABEL_CHARS = 60
ECHO_CHARS = 80  # what the user wrote, quoted back in a reply
LINK_QUERY_CHARS = 100  # what the user wrote, passed on to the portal's search
CHOICE_LABEL_CHARS = 80
MAX_CACHED_LABELS = 10_000
_SPACES = re.compile(r"\s+")
_PICK = re.compile(r"(?:số|so|#)?\s*(\d{1,2})\s*\.?", re.IGNORECASE)  # "2", "số 2", "#2"


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


def picked(text: str, shown: list[str]) -> str | None:
    """The code a reply like "2" or "số 2" picks among the procedures last ``shown``, if it is one."""
    match = _PICK.fullmatch(text.strip())
    if match is None:
        return None
    number = int(match.group(1))
    return shown[number - 1] if 1 <= number <= len(shown) else None


def _short(text: str, limit: int = BUTTON_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _receiver_anywhere(procedure: Procedure) -> str | None:
    """Who receives the dossier when the user has chosen no commune: the one-stop of any commune,
    a commune body ("Công an cấp xã"), or the agency as published."""
    found = general_reception(procedure)
    if found.receiver == "one_stop":
        return texts.CARD_ONE_STOP_ANY
    if found.label is not None:
        return found.label.replace("{unit}", texts.ANY_COMMUNE)
    return found.body


def echo(text: str, limit: int = ECHO_CHARS, more: str = "…") -> str:
    """What the user wrote, as a reply quotes it: at most ``limit`` characters, cut after a word
    when one ends in the second half, then ``more``. A whole page pasted in is not sent back."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit + 1)
    return text[: cut if cut > 0 else limit].rstrip() + more


def query_key(text: str) -> str:
    """The query as search reads it, up to the spelling normalisation: the search-cache key.

    ``plan_query`` depends only on ``index.analysis.normalize(text[:MAX_QUERY_CHARS])``, which is
    this (NFC, single spaces, stripped) followed by a spelling pass, so two texts with one key get one
    answer. Case is kept: an upper-case word may be an acronym.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text[:MAX_QUERY_CHARS])).strip()


def _reply(card: Card | Screen) -> Reply:
    """A fresh reply from a cached card or screen: callers may add lines to it."""
    return Reply(Doc(list(card.lines)), [list(row) for row in card.buttons])


def _screen(reply: Reply) -> Screen:
    return Screen(tuple(reply.doc.lines), tuple(tuple(row) for row in reply.buttons))


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
        self.queries = QueryLog(sessions)
        # unit id -> label: names are static data, walking parents is not free
        self._labels: dict[int, str] = {}
        # (era, code) of a province or old district -> its communes' (code, name): static unit data
        self._areas: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
        self._answers = AnswerCache(None)
        self.follow_catalogue()

    def follow_catalogue(self) -> None:
        """Bring the search index and the answer caches to the catalogue version now current.

        The version is read before the index is refreshed, so the index is never older than the
        version the caches are filed under; if a newer one came in between, transactions see it as
        current, answer without the caches, and the next call (the version watcher's) catches up.
        """
        with self.sessions() as session:
            version = catalogue_version_id(session)
        self.search.refresh_if_stale()
        self._answers = AnswerCache(version)

    def close(self) -> None:
        """Write what the query log still holds."""
        self.queries.close()

    def _cache_for(self, version: int | None) -> AnswerCache | None:
        """The answer cache, when ``version`` (current in the caller's transaction) is the one it
        was made for; else None: answer without it."""
        answers = self._answers
        return answers if version == answers.version else None

    def _visit(self, session: Session, user_id: int) -> tuple[ChatUser, AnswerCache | None]:
        """The user's row, and the answer cache for the catalogue version the session sees."""
        user, version = visit(session, user_id)
        return user, self._cache_for(version)

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
                if unit is not None and not is_communal(unit):  # a province or a district
                    return [Reply(greeting), self._area(session, user, unit, 1)]
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
            user, answers = self._visit(session, user_id)
            if user.unit is None:
                set_pending(user, AWAIT_COMMUNE)
                return [Reply(Doc().add(texts.LIST_NEED_COMMUNE).add(texts.ASK_COMMUNE))]
            return [self._page(session, answers, user.unit, page)]

    # --- free text -------------------------------------------------------------------------------

    def text(self, user_id: int, text: str) -> list[Reply]:
        """A message that is not a command: a commune name when one was asked for, else a question."""
        text = text.strip()
        with self.sessions.begin() as session:
            user, answers = self._visit(session, user_id)
            if user.pending.get("await") == "commune":
                # People often ask their question straight away instead of naming their commune: a
                # weak resemblance to some commune's name then loses to a confident search.
                best, options = self._candidates(session, text, user.pending.get("area"))
                result = self._search(answers, text, None)
                question = result.answer is not Answer.NONE
                if best is not None and options and (best.score >= UNIT_SURE_SCORE or not question):
                    return [self._commune_reply(session, user, text, best, options)]
                if not question:
                    return [Reply(Doc().add(fill(texts.COMMUNE_NOT_FOUND, text=echo(text))))]
                reply = self._results(session, answers, user, result, None)
                reply.doc.blank().add(texts.COMMUNE_HINT)
                return [reply]
            code = picked(text, user.last_results)
            if code is not None:  # the number of a procedure just listed
                card = self._card(session, answers, code, user.unit)
                return [_reply(card) if card else Reply(Doc().add(texts.PROCEDURE_GONE))]
            result = self._search(answers, text, user.unit)
            return [self._results(session, answers, user, result, user.unit)]

    def answer(self, question: str, unit: Unit | None = None) -> list[Reply]:
        """The reply to a question for a given commune, touching no user's state (``tthc-bot ask``)."""
        with self.sessions.begin() as session:
            if unit is not None:
                unit = session.merge(unit)
            answers = self._cache_for(catalogue_version_id(session))
            result = self._search(answers, question, unit)
            return [self._results(session, answers, None, result, unit)]

    # --- buttons ---------------------------------------------------------------------------------

    def button(self, user_id: int, data: str) -> list[Reply]:
        parsed = parse_callback(data)
        if parsed is None:
            return [Reply(Doc().add(texts.STALE_BUTTON))]
        action, ids = parsed
        with self.sessions.begin() as session:
            user, answers = self._visit(session, user_id)
            if action in (Action.UNIT, Action.AREA) and len(ids) in (2, 3):
                unit = get_unit(session, ids[1], era=ids[0])
                page = whole_number(ids[2]) if len(ids) == 3 else 1
                if unit is not None and page is not None and not is_communal(unit):
                    return [self._area(session, user, unit, page)]  # a province or a district
                if action is Action.UNIT and unit is not None and is_commune(unit):
                    return [self._commune_chosen(user, unit, None)]
            elif action is Action.PAGE:
                page = whole_number(ids[0])
                if user.unit is not None and page is not None:
                    return [self._page(session, answers, user.unit, page)]
            elif action is Action.CARD:
                card = self._card(session, answers, ids[0], user.unit)
                return [_reply(card) if card else Reply(Doc().add(texts.PROCEDURE_GONE))]
            elif action in (Action.DOCUMENTS, Action.LEGAL, Action.RELATED):
                screen = self._details(session, answers, action, ids[0])
                return [_reply(screen) if screen else Reply(Doc().add(texts.PROCEDURE_GONE))]
        return [Reply(Doc().add(texts.STALE_BUTTON))]

    # --- inline mode -----------------------------------------------------------------------------

    def inline(self, user_id: int, query: str) -> list[InlineResult]:
        query = query.strip()
        if not query:
            return []
        with self.sessions.begin() as session:
            user, answers = self._visit(session, user_id)
            unit = user.unit
            result = self._search(answers, query, unit)
            self._log(result)
            found = []
            for hit in result.hits:
                card = self._card(session, answers, hit.code, unit)
                if card is None:
                    continue
                description = (
                    texts.INLINE_DESCRIPTION.format(field=card.field, code=hit.code)
                    if card.field
                    else texts.INLINE_NO_FIELD.format(code=hit.code)
                )
                found.append(InlineResult(hit.code, card.name, description, Doc(list(card.lines)), card.url))
            return found

    # --- the commune -----------------------------------------------------------------------------

    def _candidates(
        self, session: Session, text: str, area: str | None = None
    ) -> tuple[UnitMatch | None, list[tuple[UnitMatch, Unit]]]:
        """The best match for a typed commune name, and the 2025 units it may mean (one: no doubt).

        With ``area`` ("era:code" of the province or district the user was just asked about), the
        names within it come first: "Hồng Hà" then means that province's Hồng Hà.
        """
        if area is not None:
            scoped = self._candidates_within(session, text, area)
            if scoped[1]:
                return scoped
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

    def _candidates_within(
        self, session: Session, text: str, area: str
    ) -> tuple[UnitMatch | None, list[tuple[UnitMatch, Unit]]]:
        era, _, area_code = area.partition(":")
        unit = get_unit(session, area_code, era=era)
        if unit is None:
            return None, []
        inside = {code for code, _name in self._area_communes(session, unit)}
        options: dict[str, tuple[UnitMatch, Unit]] = {}
        best = None
        for match in resolve_unit(session, text, limit=AREA_SCOPED_MATCHES):
            if match.score < UNIT_MIN_SCORE:
                break
            for current in match.current:
                if current.code in inside and is_commune(current):
                    best = best or match
                    options.setdefault(current.code, (match, current))
        return best, list(options.values())

    def find_commune(self, text: str) -> list[tuple[Unit, str]]:
        """The 2025 communes (with their labels) a typed name may mean: one when clear, none when
        unknown or when it names a province or a district."""
        with self.sessions() as session:
            return [
                (unit, self._label(unit))
                for _match, unit in self._candidates(session, text)[1]
                if is_commune(unit)
            ]

    def _commune_reply(
        self,
        session: Session,
        user: ChatUser,
        text: str,
        best: UnitMatch,
        options: list[tuple[UnitMatch, Unit]],
    ) -> Reply:
        """Settle the commune from a typed name, or ask which of the candidates is meant.

        A province or a district is never taken for the commune: it is offered as a way to the
        communes within it.
        """
        communes = [(match, unit) for match, unit in options if is_commune(unit)]
        areas = list(
            {
                (area := match.unit if not is_communal(match.unit) else unit).id: area
                for match, unit in options
                if not is_commune(unit)
            }.values()
        )
        if not communes and len(areas) == 1:
            return self._area(session, user, areas[0], 1)
        if len(communes) == 1 and not areas:
            match, unit = communes[0]
            return self._commune_chosen(user, unit, match.unit)
        matched = {match.unit.id for match, _unit in communes}
        if len(matched) == 1 and not areas and not best.unit.is_current:
            return self._choices(best.unit, [unit for _match, unit in communes])
        buttons = [
            Button(
                _short(self._choice_label(match, unit), CHOICE_LABEL_CHARS),
                callback(Action.UNIT, unit.era, unit.code),
            )
            for match, unit in communes[:MAX_UNIT_CHOICES]
        ] + [
            Button(
                _short(texts.CHOICE_AREA.format(area=self._area_label(area)), CHOICE_LABEL_CHARS),
                callback(Action.AREA, area.era, area.code, 1),
            )
            for area in areas[:MAX_UNIT_CHOICES]
        ]
        return Reply(Doc().add(fill(texts.COMMUNE_CHOOSE, text=echo(text))), in_rows(buttons, 1))

    def _area_label(self, area: Unit) -> str:
        return self._label(area) if area.is_current else self._old_label(area)

    def _area_communes(self, session: Session, area: Unit) -> tuple[tuple[str, str], ...]:
        """The (code, name) of the 2025 communes within a province or an old unit, by name."""
        key = (area.era, area.code)
        communes = self._areas.get(key)
        if communes is None:
            if len(self._areas) >= MAX_CACHED_AREAS:
                self._areas.clear()
            communes = self._areas[key] = tuple((u.code, u.name) for u in communes_within(session, area))
        return communes

    def _area(self, session: Session, user: ChatUser | None, area: Unit, page: int) -> Reply:
        """Ask which commune of a province (or an old district) the user lives in: type its name,
        or pick it from the communes listed page by page."""
        communes = self._area_communes(session, area)
        if user is not None:
            set_pending(user, {**AWAIT_COMMUNE, "area": f"{area.era}:{area.code}"})
        label = b(self._area_label(area))
        if not communes:
            return Reply(Doc().add(fill(texts.COMMUNE_AREA_EMPTY, area=label)))
        pages = math.ceil(len(communes) / AREA_PAGE)
        page = min(max(page, 1), pages)
        doc = Doc().add(fill(texts.COMMUNE_AREA, area=label, count=str(len(communes))))
        if pages > 1:
            doc.add(fill(texts.COMMUNE_AREA_PAGE, page=str(page), pages=str(pages)))
        shown = communes[(page - 1) * AREA_PAGE : page * AREA_PAGE]
        buttons = [Button(_short(name), callback(Action.UNIT, Era.TWO_TIER, code)) for code, name in shown]
        navigation = []
        if page > 1:
            navigation.append(
                Button(texts.BUTTON_PREVIOUS, callback(Action.AREA, area.era, area.code, page - 1))
            )
        if page < pages:
            navigation.append(Button(texts.BUTTON_NEXT, callback(Action.AREA, area.era, area.code, page + 1)))
        return Reply(doc, [*in_rows(buttons, 2), navigation], edit=True)

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

    def _search(self, answers: AnswerCache | None, text: str, unit: Unit | None) -> SearchResult:
        if answers is None:
            return self.search.search(text, unit=unit, top=RESULTS)
        key = (query_key(text), unit.id if unit is not None else None, RESULTS)
        result = answers.searches.get(key)
        if result is None:
            result = self.search.search(text, unit=unit, top=RESULTS)
            answers.searches.put(key, result)
        return replace(result, query=text)

    def _log(self, result: SearchResult) -> None:
        top_score = result.hits[0].score if result.hits else None
        self.queries.record(
            result.query,
            answered=result.answer is not Answer.NONE,
            result_count=len(result.hits),
            top_score=top_score,
        )

    def _results(
        self,
        session: Session,
        answers: AnswerCache | None,
        user: ChatUser | None,
        result: SearchResult,
        unit: Unit | None,
    ) -> Reply:
        self._log(result)
        if result.answer is Answer.CARD:
            card = self._card(session, answers, result.hits[0].code, unit)
            if card is not None:
                if user is not None:
                    set_last_results(user, [result.hits[0].code])
                return _reply(card)
        if user is not None:  # what the user is shown, so that "2" can pick the second
            set_last_results(user, [hit.code for hit in result.hits])
        if not result.hits:
            return self._no_results(result)
        doc = Doc().add(texts.RESULTS_HEADER)
        buttons = []
        for number, hit in enumerate(result.hits, start=1):
            doc.add(f"{number}. ", b(hit.name))
            buttons.append(Button(_short(f"{number}. {hit.name}"), callback(Action.CARD, hit.code)))
        return Reply(doc, in_rows(buttons, 1))

    def _no_results(self, result: SearchResult) -> Reply:
        doc = Doc().add(fill(texts.NO_RESULTS, query=echo(result.query)))
        if result.suggestions:
            items = texts.SUGGESTION_SEPARATOR.join(f"«{s}»" for s in result.suggestions)
            doc.add(fill(texts.SUGGESTIONS, items=items))
        portal = Doc().add(
            fill(
                texts.NO_RESULTS_PORTAL,
                portal=link(texts.PORTAL_NAME, portal_search_link(echo(result.query, LINK_QUERY_CHARS, ""))),
            )
        )
        return Reply(doc.extend(portal).blank().add(texts.SEARCH_TIP))

    def _facts(self, session: Session, procedure: Procedure, unit: Unit | None) -> CardFacts:
        url = portal_link(procedure)
        province = get_unit(session, procedure.province) if procedure.province else None
        province_name = province.name if province is not None else None
        if unit is None:
            return CardFacts(
                procedure, url, province_name=province_name, receiver=_receiver_anywhere(procedure)
            )
        verdict = competence(session, unit, procedure)
        label = self._label(unit)
        office = None
        if verdict.handled:
            row = get_office(session, unit)
            # The commune's one-stop office receives every procedure it handles; its details are
            # shown only when the data has them.
            default = texts.CARD_OFFICE_DEFAULT.format(unit=unit.name)
            office = (
                Office(
                    row.name or default,
                    row.address,
                    row.hours,
                    row.phone,
                    row.phone_verified,
                    row.latitude,
                    row.longitude,
                )
                if row
                else Office(default)
            )
        return CardFacts(
            procedure,
            url,
            unit_name=label,
            # done in the commune: by its one-stop, or by another body of it (its police…)
            handled=verdict.handled or verdict.local,
            level=verdict.level,
            agency=verdict.agency,
            reason=verdict.reason,
            office=office,
            province_name=province_name,
            receiver=None if verdict.handled else verdict.agency,
        )

    def _card(
        self, session: Session, answers: AnswerCache | None, code: str, unit: Unit | None
    ) -> Card | None:
        """The procedure's card for the commune; None when the catalogue has no such procedure."""
        key = (code.strip(), unit.id if unit is not None else None)
        card = answers.cards.get(key) if answers is not None else None
        if card is not None:
            return card
        procedure = get_procedure(session, code)
        if procedure is None:
            return None
        row = []
        if procedure.documents:
            row.append(Button(texts.BUTTON_DOCUMENTS, callback(Action.DOCUMENTS, procedure.code)))
        if procedure.legal_basis:
            row.append(Button(texts.BUTTON_LEGAL, callback(Action.LEGAL, procedure.code)))
        buttons = [tuple(row)]
        if procedure.related:
            buttons.append((Button(texts.BUTTON_RELATED, callback(Action.RELATED, procedure.code)),))
        facts = self._facts(session, procedure, unit)
        card = Card(
            tuple(procedure_card(facts).lines),
            tuple(buttons),
            procedure.name,
            procedure.field,
            facts.portal_url,
        )
        if answers is not None:
            answers.cards.put(key, card)
        return card

    def _details(
        self, session: Session, answers: AnswerCache | None, action: Action, code: str
    ) -> Screen | None:
        """A procedure's papers, legal basis or related procedures; None when there is no such
        procedure. Kept in the answer cache as rendered lines, never as the database row."""
        key = (action.value, code.strip())
        screen = answers.screens.get(key) if answers is not None else None
        if screen is not None:
            return screen
        procedure = get_procedure(session, code)
        if procedure is None:
            return None
        if action is Action.DOCUMENTS:
            reply = Reply(documents_doc(procedure), [[self._back(procedure)]])
        elif action is Action.LEGAL:
            reply = Reply(legal_doc(procedure), [[self._back(procedure)]])
        else:
            reply = self._related(session, procedure)
        screen = _screen(reply)
        if answers is not None:
            answers.screens.put(key, screen)
        return screen

    def _back(self, procedure: Procedure) -> Button:
        return Button(texts.BUTTON_CARD, callback(Action.CARD, procedure.code))

    def _related(self, session: Session, procedure: Procedure) -> Reply:
        doc = Doc().add(fill(texts.RELATED_HEADER, name=b(procedure.name)))
        related = [p for code in procedure.related if (p := get_procedure(session, code))]
        if not related:
            return Reply(doc.add(texts.RELATED_NONE), [[self._back(procedure)]])
        buttons = []
        for number, other in enumerate(related[:MAX_UNIT_CHOICES], start=1):
            doc.add(f"{number}. ", other.name)
            buttons.append(Button(_short(f"{number}. {other.name}"), callback(Action.CARD, other.code)))
        return Reply(doc, [*in_rows(buttons, 1), [self._back(procedure)]])

    # --- /thutuc pages ---------------------------------------------------------------------------

    def _listing(self, session: Session, answers: AnswerCache | None, unit: Unit) -> tuple[Listed, ...]:
        """What the commune handles, in the order /thutuc shows it."""
        listing = answers.listings.get(unit.id) if answers is not None else None
        if listing is None:
            procedures = sorted(
                procedures_for_unit(session, unit), key=lambda p: (p.field is None, p.field or "", p.name)
            )
            listing = tuple(Listed(p.code, p.name, p.field) for p in procedures)
            if answers is not None:
                answers.listings.put(unit.id, listing)
        return listing

    def _page(self, session: Session, answers: AnswerCache | None, unit: Unit, page: int) -> Reply:
        label = self._label(unit)
        procedures = self._listing(session, answers, unit)
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
