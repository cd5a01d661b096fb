"""/niemyet: a commune's posting list (danh mục niêm yết) for its officials, as a PDF to print and an
XLSX for the website, with what changed since the list last produced for the commune.

Who may ask follows /tinhhinh: admins for any unit, officials for their unit and what lies below it;
anyone else gets the answer to a command that does not exist. A list is a commune's (a 2025
commune, ward or special zone), so an official of a commune gets his commune's list (an old commune:
the one it went into), and an official of a province or district is asked which commune (buttons,
or /niemyet <code> when there are too many to show). An official of an old unit may also produce the
lists of the 2025 communes his old communes went into.

The files are made in a worker thread. The list becomes the reference for the next comparison only
once both files have been sent, so a failed delivery does not swallow the changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import texts
from bot.dialogue import Reply
from bot.handlers.official import CLOCK_KEY
from bot.handlers.replies import send_replies
from bot.handlers.services import services_of
from bot.keyboards import Button, Rows
from bot.posting_files import changes_doc, file_name, posting_pdf, posting_xlsx
from bot.render import Doc, b, fill
from knowledge.audit import telegram_actor
from knowledge.compliance import roles
from knowledge.compliance.profile import local_now
from knowledge.models import COMMUNAL_KINDS, Era, Unit, UnitSuccession
from knowledge.posting import PostingList, build_list, diff_with_last, posting_communes, record
from knowledge.store import Store
from knowledge.units import unit_label

COMMANDS: list[tuple[str, str]] = []  # published to officials only, with theirs (texts.OFFICIAL_COMMANDS)
CHOOSE_PREFIX = "pny"  # pny:<commune id>
CALLBACK_PATTERN = rf"^{CHOOSE_PREFIX}:\d+$"
MAX_CHOICES = 24  # communes offered as buttons; beyond, the official types the code
PRIVATE = filters.ChatType.PRIVATE


@dataclass(frozen=True)
class Document:
    content: bytes
    filename: str
    caption: str


@dataclass
class PostingAnswer:
    """A refusal or a question (``doc`` and maybe ``buttons``), or the commune to produce the list of."""

    doc: Doc = field(default_factory=Doc)
    buttons: Rows = field(default_factory=list)
    commune_id: int | None = None


@dataclass
class Produced:
    doc: Doc
    documents: list[Document]
    posting: PostingList


def may_post(session: Session, store: Store, user_id: int, commune: Unit) -> bool:
    """Whether the user may produce this 2025 commune's list: he may see it, or one of the old units
    that went into it."""
    if commune.kind not in COMMUNAL_KINDS or not commune.is_current:
        return False
    if roles.can_view(session, user_id, commune, store.settings):
        return True
    olds = session.scalars(
        select(Unit)
        .join(UnitSuccession, UnitSuccession.old_unit_id == Unit.id)
        .where(UnitSuccession.new_unit_id == commune.id)
    )
    return any(roles.can_view(session, user_id, old, store.settings) for old in olds)


def _named_unit(session: Session, store: Store, user_id: int, own: list[Unit], code: str) -> Unit | None:
    """The unit with this code that the user may ask about; the era of his own units first, then the
    current one."""
    eras = {unit.era for unit in own}
    candidates = sorted(
        session.scalars(select(Unit).where(Unit.code == code)),
        key=lambda unit: (unit.era not in eras, unit.era != Era.TWO_TIER),
    )
    for unit in candidates:
        if roles.can_view(session, user_id, unit, store.settings) or may_post(session, store, user_id, unit):
            return unit
    return None


def _choice(unit: Unit, communes: list[Unit]) -> PostingAnswer:
    label = unit_label(unit)
    if not communes:
        return PostingAnswer(Doc().add(fill(texts.POSTING_NO_COMMUNE, unit=b(label))))
    if len(communes) > MAX_CHOICES:
        text = fill(
            texts.POSTING_CHOOSE_TYPE, unit=b(label), count=str(len(communes)), example=communes[0].code
        )
        return PostingAnswer(Doc().add(text))
    buttons = [
        [Button(f"{commune.name} ({commune.code})", f"{CHOOSE_PREFIX}:{commune.id}")] for commune in communes
    ]
    text = fill(texts.POSTING_CHOOSE, unit=b(label), count=str(len(communes)))
    return PostingAnswer(Doc().add(text), buttons)


def posting_request(store: Store, user_id: int, args: list[str]) -> PostingAnswer:
    """/niemyet [mã đơn vị]: the commune whose list to produce, or what to tell the user instead."""
    with store.sessions() as session:
        own = roles.official_units(session, user_id)
        if not own and not roles.is_admin(user_id, store.settings):
            return PostingAnswer(Doc().add(texts.UNKNOWN_COMMAND))
        if len(args) > 1 or (args and not args[0].isdigit()):
            return PostingAnswer(Doc().add(texts.POSTING_USAGE))
        if args:
            unit = _named_unit(session, store, user_id, own, args[0])
            if unit is None:
                return PostingAnswer(Doc().add(fill(texts.POSTING_OUT_OF_SCOPE, code=args[0])))
        elif own:
            unit = own[0]
        else:
            return PostingAnswer(Doc().add(texts.POSTING_NEED_UNIT))
        communes = posting_communes(session, unit)
        if unit.kind in COMMUNAL_KINDS and len(communes) == 1:
            return PostingAnswer(commune_id=communes[0].id)
        return _choice(unit, communes)


def chosen(store: Store, user_id: int, commune_id: int) -> int | None:
    """The commune a choice button names, if the user may (still) produce its list."""
    with store.sessions() as session:
        commune = session.get(Unit, commune_id)
        if commune is None or not may_post(session, store, user_id, commune):
            return None
        return commune.id


def produce(store: Store, commune_id: int, now: datetime) -> Produced:
    """The commune's list as of ``now``, compared with the last one, as a reply and two files."""
    with store.sessions() as session:
        commune = session.get(Unit, commune_id)
        if commune is None:
            raise LookupError(f"unit {commune_id} is gone")
        posting = build_list(session, commune, now)
        diff = diff_with_last(session, posting)
    doc = changes_doc(posting, diff).blank().add(texts.POSTING_REPLY_FILES)
    documents = [
        Document(
            posting_pdf(posting, diff),
            file_name(posting, "pdf"),
            texts.POSTING_CAPTION_PDF.format(unit=posting.unit_label),
        ),
        Document(
            posting_xlsx(posting, diff),
            file_name(posting, "xlsx"),
            texts.POSTING_CAPTION_XLSX.format(unit=posting.unit_label),
        ),
    ]
    return Produced(doc, documents, posting)


def keep(store: Store, posting: PostingList, user_id: int) -> None:
    """Make the list sent the one the next is compared with."""
    with store.sessions.begin() as session:
        record(session, posting, telegram_actor(user_id))


# --- Telegram --------------------------------------------------------------------------------------


def _now(context: ContextTypes.DEFAULT_TYPE) -> datetime:
    clock: Callable[[], datetime] = context.bot_data.get(CLOCK_KEY, local_now)
    return clock()


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise ValueError("an update without a user reached /niemyet")
    return user.id


async def _send_list(update: Update, context: ContextTypes.DEFAULT_TYPE, commune_id: int) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    store = services_of(context).store
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    produced = await asyncio.to_thread(produce, store, commune_id, _now(context))
    await send_replies(update, context, [Reply(produced.doc)])
    for document in produced.documents:
        await context.bot.send_document(
            chat.id, document.content, filename=document.filename, caption=document.caption, parse_mode=None
        )
    await asyncio.to_thread(keep, store, produced.posting, _user_id(update))


async def posting_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = list(context.args or [])
    answer = await asyncio.to_thread(posting_request, services_of(context).store, _user_id(update), args)
    if answer.commune_id is None:
        await send_replies(update, context, [Reply(answer.doc, answer.buttons)])
        return
    await _send_list(update, context, answer.commune_id)


async def choice_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A commune chosen under /niemyet; a press by someone who may not produce it is only answered."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    commune_id = await asyncio.to_thread(
        chosen, services_of(context).store, _user_id(update), int(query.data.split(":")[1])
    )
    if commune_id is not None:
        await _send_list(update, context, commune_id)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    return [
        CommandHandler("niemyet", posting_command, filters=PRIVATE),
        CallbackQueryHandler(choice_button, pattern=CALLBACK_PATTERN),
    ]
