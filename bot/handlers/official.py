"""Officials' commands on Telegram: /tinhhinh, /quahan, /xephang, and the invite deep link.

An official sees his unit and its descendants (``roles.can_view``); /xephang also shows his unit's
siblings, since ranking them is its purpose. Admins see every unit. Anyone else gets the same
answer as for a command that does not exist, as with the admin commands, so nothing tells a citizen
these commands are there; they are published only in officials' own chats (``publish_menu``).

``/start inv_<token>`` binds the user to the invite's unit. Its handler is registered before the
citizen's /start (whose payloads are unit codes, digits only), so the two never meet.

Each command runs its database work and rendering in a worker thread. "Now" comes from
``context.bot_data[CLOCK_KEY]`` when set (tests and demos pin it to a scenario's moment), else the
time in Vietnam.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import texts
from bot.dialogue import Reply
from bot.handlers.replies import acknowledge, send_replies
from bot.handlers.services import services_of
from bot.keyboards import MAX_CALLBACK_BYTES, Button, Rows, to_markup
from bot.render import Doc, fill, to_html
from bot.render_official import (
    chart_window,
    overdue_doc,
    period_kind,
    ranking_caption,
    ranking_title,
    report_doc,
    welcome_doc,
)
from knowledge.audit import AuditAction, telegram_actor, write_audit
from knowledge.compliance import roles
from knowledge.compliance.figures import Period, overdue_dossiers
from knowledge.compliance.profile import local_now
from knowledge.compliance.ranking import ranking, ranking_chart_png, ranking_xlsx, unit_report
from knowledge.models import Era, Unit
from knowledge.store import Store
from knowledge.units import unit_label

log = logging.getLogger(__name__)

COMMANDS: list[tuple[str, str]] = []  # published per chat to officials only, never in the public menu
CLOCK_KEY = "official_clock"
DEFAULT_PERIOD = "thang"
OVERDUE_PAGE_SIZE = 10
OVERDUE_LIMIT = 100  # dossiers listed at most; the title says "more than" beyond
EXCEL_PREFIX = "ofx"  # ofx:<parent unit id>:<first day>:<last day>, days as YYYYMMDD
PAGE_PREFIX = "ofq"  # ofq:<unit id>:<page>
CALLBACK_PATTERN = rf"^({EXCEL_PREFIX}:\d+:\d{{8}}:\d{{8}}|{PAGE_PREFIX}:\d+:\d+)$"
INVITE_START = filters.Regex(rf"^/start(@\w+)?\s+{roles.INVITE_PREFIX}\S+")
PRIVATE = filters.ChatType.PRIVATE


class Denied(enum.Enum):
    NOT_OFFICIAL = "not_official"  # neither an official nor an admin: told nothing
    NEED_UNIT = "need_unit"  # an admin bound to no unit, who named none
    OUT_OF_SCOPE = "out_of_scope"  # a unit he may not see, or that does not exist: the same answer
    USAGE = "usage"  # arguments that are neither a period word nor a unit code


@dataclass(frozen=True)
class Request:
    """What an official typed after the command: a period (month by default) and maybe a unit code."""

    kind: str = DEFAULT_PERIOD
    code: str | None = None


def parse_request(args: list[str]) -> Request | None:
    kind, unit_code = DEFAULT_PERIOD, None
    for arg in args:
        word = period_kind(arg)
        if word is not None:
            kind = word
        elif arg.isdigit() and unit_code is None:  # unit codes are digits
            unit_code = arg
        else:
            return None
    return Request(kind, unit_code)


def resolve_unit(session: Session, store: Store, user_id: int, args: list[str]) -> Unit | Denied:
    """The unit a command is about: the one named (if the user may see it), else the user's own."""
    settings = store.settings
    own = roles.official_units(session, user_id)
    if not own and not roles.is_admin(user_id, settings):
        return Denied.NOT_OFFICIAL
    request = parse_request(args)
    if request is None:
        return Denied.USAGE
    if request.code is None:
        return own[0] if own else Denied.NEED_UNIT
    # The same code may name a unit of each era: prefer the era of the user's own units, then the current.
    eras = {unit.era for unit in own}
    candidates = sorted(
        session.scalars(select(Unit).where(Unit.code == request.code)),
        key=lambda unit: (unit.era not in eras, unit.era != Era.TWO_TIER),
    )
    for unit in candidates:
        if roles.can_view(session, user_id, unit, settings):
            return unit
    return Denied.OUT_OF_SCOPE


def refusal(denied: Denied, command: str, args: list[str]) -> Doc:
    if denied is Denied.NOT_OFFICIAL:
        return Doc().add(texts.UNKNOWN_COMMAND)
    if denied is Denied.NEED_UNIT:
        return Doc().add(texts.OFFICIAL_NEED_UNIT.format(command=command))
    if denied is Denied.OUT_OF_SCOPE:
        unit_code = next(arg for arg in args if arg.isdigit())
        return Doc().add(fill(texts.OFFICIAL_OUT_OF_SCOPE, code=unit_code))
    return Doc().add(texts.OFFICIAL_USAGE.format(command=command))


def period_of(args: list[str], now: datetime) -> Period:
    request = parse_request(args) or Request()
    return Period.of(request.kind, now.date())


def callback_data(*parts: str | int) -> str:
    data = ":".join(str(part) for part in parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


# --- the work, in a worker thread ------------------------------------------------------------------


def report(store: Store, user_id: int, args: list[str], now: datetime) -> Doc:
    """/tinhhinh [tháng|quý|năm] [mã đơn vị]"""
    with store.sessions() as session:
        unit = resolve_unit(session, store, user_id, args)
        if isinstance(unit, Denied):
            return refusal(unit, "tinhhinh", args)
        return report_doc(unit_report(session, unit, period_of(args, now), now), unit_label(unit))


def _overdue_page(session: Session, unit: Unit, page: int, now: datetime) -> Reply:
    found = overdue_dossiers(session, unit, now, limit=OVERDUE_LIMIT + 1)
    capped = len(found) > OVERDUE_LIMIT
    found = found[:OVERDUE_LIMIT]
    pages = max(-(-len(found) // OVERDUE_PAGE_SIZE), 1)
    page = min(max(page, 1), pages)
    doc = overdue_doc(
        unit_label(unit),
        found,
        page=page,
        page_size=OVERDUE_PAGE_SIZE,
        capped=capped,
        show_unit=any(item.unit_name != unit.name for item in found),
    )
    navigation = []
    if page > 1:
        navigation.append(Button(texts.BUTTON_PREVIOUS, callback_data(PAGE_PREFIX, unit.id, page - 1)))
    if page < pages:
        navigation.append(Button(texts.BUTTON_NEXT, callback_data(PAGE_PREFIX, unit.id, page + 1)))
    return Reply(doc, [navigation] if navigation else [], edit=True)


def overdue(store: Store, user_id: int, args: list[str], now: datetime) -> Reply:
    """/quahan [mã đơn vị]: the overdue dossiers, a page at a time."""
    with store.sessions() as session:
        unit = resolve_unit(session, store, user_id, args)
        if isinstance(unit, Denied):
            return Reply(refusal(unit, "quahan", args))
        return _overdue_page(session, unit, 1, now)


def overdue_page(store: Store, user_id: int, unit_id: int, page: int, now: datetime) -> Reply | None:
    """Another page of /quahan; None when the user may not see the unit (any more)."""
    with store.sessions() as session:
        unit = session.get(Unit, unit_id)
        if unit is None or not roles.can_view(session, user_id, unit, store.settings):
            return None
        return _overdue_page(session, unit, page, now)


def may_rank(session: Session, store: Store, user_id: int, parent: Unit) -> bool:
    """Whether the user may see the ranking of the parent's children: his own unit's siblings, or
    the children of a unit he may see."""
    if roles.can_view(session, user_id, parent, store.settings):
        return True
    return any(unit.parent_id == parent.id for unit in roles.official_units(session, user_id))


@dataclass
class RankingAnswer:
    caption: Doc
    chart: bytes | None = None  # PNG; None when refused or there is nothing to rank
    buttons: Rows = field(default_factory=list)


def ranking_answer(store: Store, user_id: int, args: list[str], now: datetime) -> RankingAnswer:
    """/xephang [tháng|quý|năm] [mã đơn vị]: the unit among its parent's children (a province among
    nothing: its own children), as a chart, with a button for the spreadsheet."""
    with store.sessions() as session:
        unit = resolve_unit(session, store, user_id, args)
        if isinstance(unit, Denied):
            return RankingAnswer(refusal(unit, "xephang", args))
        parent = unit.parent or unit
        period = period_of(args, now)
        standings = ranking(session, parent, period, now)
        if not standings:
            return RankingAnswer(Doc().add(fill(texts.OFFICIAL_RANKING_EMPTY, parent=parent.name)))
        title = ranking_title(parent.name, period)
        highlight = unit if unit is not parent else None
        highlight_id = highlight.id if highlight else None
        window = chart_window(standings, highlight_id)
        chart = ranking_chart_png(standings[window[0] : window[1]], title, highlight)
        data = callback_data(EXCEL_PREFIX, parent.id, f"{period.start:%Y%m%d}", f"{period.end:%Y%m%d}")
        caption = ranking_caption(title, standings, highlight_id, window)
        return RankingAnswer(caption, chart, [[Button(texts.OFFICIAL_BUTTON_EXCEL, data)]])


@dataclass(frozen=True)
class Spreadsheet:
    content: bytes
    filename: str
    caption: str


def spreadsheet(
    store: Store, user_id: int, parent_id: int, period: Period, now: datetime
) -> Spreadsheet | None:
    """The ranking behind a /xephang chart as XLSX; None when the user may not see it."""
    with store.sessions() as session:
        parent = session.get(Unit, parent_id)
        if parent is None or not may_rank(session, store, user_id, parent):
            return None
        title = ranking_title(parent.name, period)
        content = ranking_xlsx(ranking(session, parent, period, now), title)
        filename = f"xep-hang-{parent.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
        return Spreadsheet(content, filename, title)


def accept_invite(store: Store, user_id: int, payload: str) -> str | None:
    """Bind the user to the invite's unit; the unit's label, or None for an unusable invite."""
    with store.sessions.begin() as session:
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


# --- Telegram --------------------------------------------------------------------------------------


def _now(context: ContextTypes.DEFAULT_TYPE) -> datetime:
    clock: Callable[[], datetime] = context.bot_data.get(CLOCK_KEY, local_now)
    return clock()


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise ValueError("an update without a user reached an official's handler")
    return user.id


async def publish_menu(bot: Bot, chat_id: int) -> None:
    """Show the officials' commands in this chat's menu. A chat's own list replaces the default one,
    so the citizen's commands are repeated in it. Failing to publish is not worth failing the reply."""
    menu = [BotCommand(name, text) for name, text in (*texts.CITIZEN_COMMANDS, *texts.OFFICIAL_COMMANDS)]
    try:
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.warning("could not publish the officials' menu in chat %s", chat_id, exc_info=True)


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/start inv_<token>``: an invite link followed."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not context.args:
        return
    label = await asyncio.to_thread(accept_invite, services_of(context).store, user.id, context.args[0])
    if label is None:
        await send_replies(update, context, [Reply(Doc().add(texts.OFFICIAL_INVITE_INVALID))])
        return
    await publish_menu(context.bot, chat.id)
    await send_replies(update, context, [Reply(welcome_doc(user.first_name, label))])


async def situation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = list(context.args or [])
    doc = await asyncio.to_thread(report, services_of(context).store, _user_id(update), args, _now(context))
    await send_replies(update, context, [Reply(doc)])


async def overdue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = list(context.args or [])
    reply = await asyncio.to_thread(
        overdue, services_of(context).store, _user_id(update), args, _now(context)
    )
    await send_replies(update, context, [reply])


async def ranking_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    args = list(context.args or [])
    answer = await asyncio.to_thread(
        ranking_answer, services_of(context).store, _user_id(update), args, _now(context)
    )
    if answer.chart is None:
        await send_replies(update, context, [Reply(answer.caption)])
        return
    await context.bot.send_photo(
        chat.id, answer.chart, caption=to_html(answer.caption), reply_markup=to_markup(answer.buttons)
    )


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The Excel button under a ranking, or a page of overdue dossiers. A press by someone who may
    not see the data is answered and otherwise ignored."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    await acknowledge(query)  # a button pressed long ago still gets its content
    store, user_id, now = services_of(context).store, _user_id(update), _now(context)
    prefix, *ids = query.data.split(":")
    if prefix == PAGE_PREFIX:
        reply = await asyncio.to_thread(overdue_page, store, user_id, int(ids[0]), int(ids[1]), now)
        if reply is not None:
            await send_replies(update, context, [reply])
        return
    try:
        start, end = (datetime.strptime(day, "%Y%m%d").date() for day in ids[1:])
    except ValueError:  # not data this bot produced
        return
    sheet = await asyncio.to_thread(spreadsheet, store, user_id, int(ids[0]), Period(start, end), now)
    if sheet is not None:
        await context.bot.send_document(
            chat.id, sheet.content, filename=sheet.filename, caption=sheet.caption, parse_mode=None
        )


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    return [
        CommandHandler("start", invite, filters=PRIVATE & INVITE_START),
        CommandHandler("tinhhinh", situation, filters=PRIVATE),
        CommandHandler("quahan", overdue_command, filters=PRIVATE),
        CommandHandler("xephang", ranking_command, filters=PRIVATE),
        CallbackQueryHandler(button, pattern=CALLBACK_PATTERN),
    ]
