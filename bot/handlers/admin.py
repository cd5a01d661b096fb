"""Admin commands on Telegram: /reload (a document or a server path), /rollback, /export, /stats,
/grant, /revoke, /officials, /invite, /themtu and /botu (everyday names of procedures).

Only ``TTHC_ADMIN_IDS`` may use them; anyone else gets the same answer as for a command that does
not exist, so nothing tells a stranger that admin commands are there. They are not published in the
command menu for the same reason. ``/grant`` publishes the officials' commands in the new official's
chat; ``/revoke`` withdraws them once he is an official of no unit. ``/invite`` makes a one-time,
expiring deep link that binds whoever opens it to the unit as its official.

A bad file is refused with the reason ("Tệp bị từ chối"), whatever is wrong with it: a server path
is read only if it is a regular file within the size limit, and a gzip only up to the same limit
once decompressed (knowledge.datafile). /export sends the catalogue as a .json.gz: its plain JSON
is over the 20 MB a bot may download, so it could not be sent back with /reload.

A reload shows the difference and waits for the "apply" button. The file is kept in the database
(knowledge.reload.stage_reload), so the button works whichever worker receives it. After a change
this worker rebuilds its index at once; the others follow through their version watcher.

``/themtu <code> <phrase>`` teaches the search an everyday name of a procedure, typically one of the
unanswered questions ``/stats`` lists; ``/botu`` takes an added one back (knowledge.everyday). Every
worker's version watcher notices the change and rebuilds its index, this one's included.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import logging
import re
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Bot, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import texts
from bot.dialogue import Reply
from bot.handlers.official import publish_menu
from bot.handlers.replies import acknowledge, send_replies
from bot.handlers.services import services_of
from bot.keyboards import Button, whole_number
from bot.render import Doc, b, fill, to_html
from knowledge.audit import AuditAction, telegram_actor, write_audit
from knowledge.catalogue import CatalogueError, read_catalogue_file, serialize_catalogue
from knowledge.compliance import roles
from knowledge.everyday import MAX_PHRASE_LENGTH, PhraseRefused, add_phrase, remove_phrase
from knowledge.models import Era, Procedure, Unit
from knowledge.reload import (
    CatalogueDiff,
    ProcedureChange,
    ReloadError,
    confirm_reload,
    discard_reload,
    export_catalogue,
    rollback,
    stage_reload,
)
from knowledge.units import get_unit, unit_label
from knowledge.usage import MAX_STATS_DAYS, usage_stats

log = logging.getLogger(__name__)

COMMANDS: list[tuple[str, str]] = []  # deliberately not in the public command menu
CALLBACK_PREFIX = "adm"
CALLBACK_PATTERN = rf"^{CALLBACK_PREFIX}:(ok|no):\d+$"
DIFF_LIST_LIMIT = 15  # procedures listed per group; the counts are always complete
MAX_FILE_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download
RELOAD_CAPTION = re.compile(r"^/reload(@\w+)?(\s|$)")
INVITE_MAX_HOURS = 30 * 24
USER_ID_DIGITS = 16  # Telegram user ids fit in 52 bits
VIETNAM = timedelta(hours=7)  # invites store naive UTC; admins read Vietnam time

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def admin_only(handler: Handler) -> Handler:
    """Run ``handler`` for admins; answer anyone else as if the command did not exist."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        services = services_of(context)
        if user is not None and roles.is_admin(user.id, services.store.settings):
            await handler(update, context)
            return
        if update.callback_query is not None:
            await acknowledge(update.callback_query)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)

    return guarded


async def _say(
    update: Update, context: ContextTypes.DEFAULT_TYPE, doc: Doc, buttons: list[list[Button]] | None = None
) -> None:
    await send_replies(update, context, [Reply(doc, buttons or [])])


def _admin_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None  # admin_only let it through
    return user.id


def _actor(update: Update) -> str:
    return telegram_actor(_admin_id(update))


def _unit_by_code(session: Session, code: str) -> Unit | None:
    """A current (2025) unit by its code."""
    return session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER, Unit.code == code)).first()


async def withdraw_menu(bot: Bot, chat_id: int) -> None:
    """Take the officials' commands out of the chat's menu (back to the public one). As with
    publishing, a failure (the user never opened the chat) is logged, not worth failing the reply."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.warning("could not withdraw the officials' menu in chat %s", chat_id, exc_info=True)


def diff_doc(diff: CatalogueDiff, source: str, version: str, count: int) -> Doc:
    doc = Doc().add(fill(texts.ADMIN_DIFF_HEADER, source=source, version=b(version), count=str(count)))
    counts = {key: str(value) for key, value in diff.counts().items()}
    doc.add(fill(texts.ADMIN_DIFF_COUNTS, **counts))
    for key, title in texts.ADMIN_DIFF_GROUPS.items():
        changes: list[ProcedureChange] = getattr(diff, key)
        if not changes:
            continue
        doc.blank().add(b(title))
        for change in changes[:DIFF_LIST_LIMIT]:
            line = fill(texts.ADMIN_DIFF_ITEM, code=change.code, name=change.name)
            if key == "changed":
                line += fill(texts.ADMIN_DIFF_FIELDS, fields=", ".join(change.fields))
            doc.add(line)
        if len(changes) > DIFF_LIST_LIMIT:
            doc.add(fill(texts.ADMIN_DIFF_MORE, count=str(len(changes) - DIFF_LIST_LIMIT)))
    return doc


async def _stage(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: bytes, source: str) -> None:
    services = services_of(context)
    try:
        pending_id, plan = await asyncio.to_thread(
            stage_reload, services.store.sessions, raw, source, _actor(update)
        )
    except CatalogueError as exc:
        await _say(update, context, Doc().add(b(texts.ADMIN_FILE_REJECTED)).add(str(exc)))
        return
    doc = diff_doc(plan.diff, source, plan.catalogue.version, len(plan.catalogue.procedures))
    if not plan.diff.has_changes:
        await asyncio.to_thread(discard_reload, services.store.sessions, pending_id)
        await _say(update, context, doc.blank().add(texts.ADMIN_NO_CHANGE))
        return
    buttons = [
        [
            Button(texts.ADMIN_BUTTON_APPLY, data=f"{CALLBACK_PREFIX}:ok:{pending_id}"),
            Button(texts.ADMIN_BUTTON_CANCEL, data=f"{CALLBACK_PREFIX}:no:{pending_id}"),
        ]
    ]
    await _say(update, context, doc.blank().add(texts.ADMIN_CONFIRM), buttons)


@admin_only
async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/reload <path on the server>``; without a path, how to send the file."""
    if not context.args:
        await _say(update, context, Doc().add(texts.ADMIN_RELOAD_HOW))
        return
    path = Path(" ".join(context.args)).expanduser()
    try:
        raw = await asyncio.to_thread(read_catalogue_file, path)
    except CatalogueError as exc:
        await _say(update, context, Doc().add(b(texts.ADMIN_FILE_REJECTED)).add(str(exc)))
        return
    await _stage(update, context, raw, str(path))


@admin_only
async def reload_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A catalogue file sent as a document with the caption ``/reload``."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    name = document.file_name or "catalogue.json"
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await _say(update, context, Doc().add(b(texts.ADMIN_FILE_REJECTED)).add(f"{name}: > 20 MB"))
        return
    telegram_file = await document.get_file()
    raw = bytes(await telegram_file.download_as_bytearray())
    await _stage(update, context, raw, f"telegram:{name}")


@admin_only
async def confirm_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    await acknowledge(query)
    await query.edit_message_reply_markup(None)  # one press only
    _, choice, pending = query.data.split(":")
    services = services_of(context)
    if choice == "no":
        await asyncio.to_thread(discard_reload, services.store.sessions, int(pending))
        await _say(update, context, Doc().add(texts.ADMIN_CANCELLED))
        return
    try:
        result = await asyncio.to_thread(
            confirm_reload, services.store.sessions, int(pending), _actor(update)
        )
    except ReloadError as exc:
        await _say(update, context, Doc().add(fill(texts.ADMIN_NOT_APPLIED, reason=str(exc))))
        return
    await asyncio.to_thread(services.dialogue.follow_catalogue)
    await _say(update, context, Doc().add(fill(texts.ADMIN_APPLIED, version=str(result.version.id))))


@admin_only
async def rollback_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)
    try:
        result = await asyncio.to_thread(rollback, services.store.sessions, _actor(update))
    except ReloadError as exc:
        await _say(update, context, Doc().add(fill(texts.ADMIN_ROLLBACK_FAILED, reason=str(exc))))
        return
    await asyncio.to_thread(services.dialogue.follow_catalogue)
    restored = str(result.audit.detail["restores"])
    doc = Doc().add(fill(texts.ADMIN_ROLLED_BACK, restored=restored, version=str(result.version.id)))
    counts = {key: str(value) for key, value in result.diff.counts().items()}
    await _say(update, context, doc.add(fill(texts.ADMIN_DIFF_COUNTS, **counts)))


@admin_only
async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/export``: the loaded catalogue as a .json.gz document, the file ``/reload`` takes back."""
    services = services_of(context)
    chat = update.effective_chat
    if chat is None:
        return

    def exported() -> tuple[str, str, int, bytes]:
        with services.store.sessions() as session:
            catalogue = export_catalogue(session)
        label = re.sub(r"[^0-9A-Za-z._-]+", "-", catalogue.version)[:40].strip("-.") or "export"
        raw = gzip.compress(serialize_catalogue(catalogue))
        return f"danh-muc-{label}.json.gz", catalogue.version, len(catalogue.procedures), raw

    name, version, count, raw = await asyncio.to_thread(exported)
    if not count:
        await _say(update, context, Doc().add(texts.ADMIN_EXPORT_EMPTY))
        return
    caption = to_html(Doc().add(fill(texts.ADMIN_EXPORT_CAPTION, version=b(version), count=str(count))))
    await context.bot.send_document(chat.id, raw, filename=name, caption=caption)


@admin_only
async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    days = whole_number(args[0], 4) if len(args) == 1 else 7 if not args else None
    if days is None or not 1 <= days <= MAX_STATS_DAYS:
        await _say(update, context, Doc().add(texts.ADMIN_STATS_HOW))
        return
    services = services_of(context)

    def figures() -> Doc:
        with services.store.sessions() as session:
            stats = usage_stats(session, days=days)
        doc = Doc().add(
            fill(
                texts.ADMIN_STATS_HEADER,
                first=f"{stats.first_day:%d/%m/%Y}",
                last=f"{stats.last_day:%d/%m/%Y}",
                total=b(str(stats.total)),
                share=b(f"{stats.unanswered_share:.0%}"),
            )
        )
        for day in stats.days:
            doc.add(
                fill(
                    texts.ADMIN_STATS_DAY,
                    day=f"{day.day:%d/%m}",
                    queries=str(day.queries),
                    unanswered=str(day.unanswered),
                )
            )
        if stats.top_unanswered:
            doc.blank().add(b(texts.ADMIN_STATS_TOP))
            for query, times in stats.top_unanswered:
                doc.add(fill(texts.ADMIN_STATS_TOP_ITEM, times=str(times), query=query))
            doc.blank().add(texts.ADMIN_STATS_PHRASE_HINT)
        return doc

    await _say(update, context, await asyncio.to_thread(figures))


def _refusal(exc: PhraseRefused) -> Doc:
    template = texts.ADMIN_PHRASE_REFUSED[exc.reason]
    return Doc().add(fill(template, code=exc.code, phrase=exc.phrase, limit=str(MAX_PHRASE_LENGTH)))


@admin_only
async def phrase_add_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/themtu <procedure code> <everyday name>``: the search learns the name at its next refresh."""
    args = context.args or []
    if len(args) < 2:
        await _say(update, context, Doc().add(texts.ADMIN_PHRASE_ADD_HOW))
        return
    services = services_of(context)
    admin_id, code = _admin_id(update), args[0]

    def do_add() -> Doc:
        try:
            with services.store.sessions.begin() as session:
                row = add_phrase(session, code, " ".join(args[1:]), admin_id)
                name = session.scalar(select(Procedure.name).where(Procedure.code == row.procedure_code))
                phrase, added = row.phrase, row.procedure_code
        except PhraseRefused as exc:
            return _refusal(exc)
        return Doc().add(fill(texts.ADMIN_PHRASE_ADDED, phrase=b(phrase), code=added, name=name or ""))

    await _say(update, context, await asyncio.to_thread(do_add))


@admin_only
async def phrase_remove_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/botu <procedure code> <everyday name>``: take back a name an admin added."""
    args = context.args or []
    if len(args) < 2:
        await _say(update, context, Doc().add(texts.ADMIN_PHRASE_REMOVE_HOW))
        return
    services = services_of(context)
    code, phrase = args[0], " ".join(args[1:])

    def do_remove() -> Doc:
        try:
            with services.store.sessions.begin() as session:
                removed = remove_phrase(session, code, phrase)
        except PhraseRefused as exc:
            return _refusal(exc)
        return Doc().add(fill(texts.ADMIN_PHRASE_REMOVED, phrase=b(removed), code=code))

    await _say(update, context, await asyncio.to_thread(do_remove))


@admin_only
async def grant_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    user_id = whole_number(args[0], USER_ID_DIGITS) if len(args) == 2 else None
    if user_id is None:
        await _say(update, context, Doc().add(texts.ADMIN_GRANT_HOW))
        return
    services = services_of(context)
    code = args[1]
    admin_id = _admin_id(update)

    def do_grant() -> str | None:
        with services.store.sessions.begin() as session:
            unit = _unit_by_code(session, code)
            if unit is None:
                return None
            roles.grant(session, user_id, unit, granted_by=admin_id)
            write_audit(session, telegram_actor(admin_id), AuditAction.GRANT, source=f"{user_id}@{unit.code}")
            return unit.name

    unit_name = await asyncio.to_thread(do_grant)
    if unit_name is None:
        await _say(update, context, Doc().add(fill(texts.ADMIN_UNIT_UNKNOWN, code=code)))
        return
    await publish_menu(context.bot, user_id)  # a private chat's id is the user's id
    await _say(update, context, Doc().add(fill(texts.ADMIN_GRANTED, user=str(user_id), unit=b(unit_name))))


@admin_only
async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/invite <unit code> [hours]``: a one-time deep link that makes its opener the unit's official."""
    args = context.args or []
    default_hours = roles.DEFAULT_INVITE_TTL.total_seconds() / 3600
    try:
        hours = float(args[1]) if len(args) == 2 else default_hours
    except ValueError:
        hours = 0
    if len(args) not in (1, 2) or not 0 < hours <= INVITE_MAX_HOURS:
        await _say(update, context, Doc().add(fill(texts.ADMIN_INVITE_HOW, hours=f"{default_hours:g}")))
        return
    services = services_of(context)
    admin_id, code, bot_username = _admin_id(update), args[0], context.bot.username

    def do_invite() -> tuple[str, str, str] | None:
        with services.store.sessions.begin() as session:
            unit = get_unit(session, code)
            if unit is None:
                return None
            invite = roles.create_invite(
                session, unit, admin_id, ttl=timedelta(hours=hours), settings=services.store.settings
            )
            write_audit(session, telegram_actor(admin_id), AuditAction.INVITE, source=f"invite@{unit.code}")
            expires = (invite.expires_at + VIETNAM).strftime("%H:%M %d/%m/%Y")
            return unit_label(unit), roles.invite_link(bot_username, invite), expires

    made = await asyncio.to_thread(do_invite)
    if made is None:
        await _say(update, context, Doc().add(fill(texts.ADMIN_UNIT_UNKNOWN, code=code)))
        return
    unit, link, expires = made
    doc = Doc().add(fill(texts.ADMIN_INVITE_CREATED, unit=b(unit), expires=expires)).add(link)
    await _say(update, context, doc)


@admin_only
async def revoke_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    user_id = whole_number(args[0], USER_ID_DIGITS) if len(args) in (1, 2) else None
    if user_id is None:
        await _say(update, context, Doc().add(texts.ADMIN_REVOKE_HOW))
        return
    services = services_of(context)
    code = args[1] if len(args) == 2 else None
    admin = _actor(update)

    def do_revoke() -> tuple[int, bool] | None:
        """How many roles were removed, and whether the user is still an official of some unit."""
        with services.store.sessions.begin() as session:
            unit = _unit_by_code(session, code) if code is not None else None
            if code is not None and unit is None:
                return None
            removed = roles.revoke(session, user_id, unit)
            detail = {"removed": removed}
            write_audit(session, admin, AuditAction.REVOKE, source=f"{user_id}@{code or '*'}", detail=detail)
            return removed, bool(roles.official_units(session, user_id))

    outcome = await asyncio.to_thread(do_revoke)
    if outcome is None:
        await _say(update, context, Doc().add(fill(texts.ADMIN_UNIT_UNKNOWN, code=code or "")))
        return
    removed, still_official = outcome
    if removed and not still_official:
        await withdraw_menu(context.bot, user_id)
    await _say(update, context, Doc().add(fill(texts.ADMIN_REVOKED, count=str(removed), user=str(user_id))))


@admin_only
async def officials_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)

    def listing() -> Doc:
        with services.store.sessions() as session:
            found = roles.officials(session)
            if not found:
                return Doc().add(texts.ADMIN_OFFICIALS_NONE)
            doc = Doc().add(b(texts.ADMIN_OFFICIALS_HEADER))
            for official in found:
                doc.add(
                    fill(texts.ADMIN_OFFICIALS_ITEM, user=str(official.telegram_id), unit=official.unit.name)
                )
            return doc

    await _say(update, context, await asyncio.to_thread(listing))


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("reload", reload_command, filters=private),
        MessageHandler(
            private & filters.Document.ALL & filters.CaptionRegex(RELOAD_CAPTION), reload_document
        ),
        CallbackQueryHandler(confirm_button, pattern=CALLBACK_PATTERN),
        CommandHandler("rollback", rollback_command, filters=private),
        CommandHandler("export", export_command, filters=private),
        CommandHandler("stats", stats_command, filters=private),
        CommandHandler("grant", grant_command, filters=private),
        CommandHandler("revoke", revoke_command, filters=private),
        CommandHandler("officials", officials_command, filters=private),
        CommandHandler("invite", invite_command, filters=private),
        CommandHandler("themtu", phrase_add_command, filters=private),
        CommandHandler("botu", phrase_remove_command, filters=private),
    ]
