"""Admins' tables on Telegram: /lich (the working-time calendar), /coquan (agency → unit for dossier
imports) and dossier imports (an export sent as a document with the caption /nhaphoso [unit code]).

Admins only (``TTHC_ADMIN_IDS``), like the other admin commands; the work is done by the same
channel-free functions as ``tthc-bot calendar``, ``tthc-bot agency`` and ``tthc-bot import-dossiers``.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import date
from pathlib import Path

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import texts
from bot.handlers.admin import MAX_FILE_BYTES, _actor, _say, admin_only
from bot.handlers.services import services_of
from bot.render import Doc, b, fill
from knowledge.calendarstore import (
    CalendarError,
    apply_change,
    calendar_for,
    describe,
    parse_change,
    stored_changes,
    withdraw_change,
)
from knowledge.compliance.agencies import add_agency, agencies, remove_agency
from knowledge.compliance.dossiers import DossierFileError, ImportResult, import_dossiers
from knowledge.compliance.profile import ProfileError
from knowledge.units import get_unit

COMMANDS: list[tuple[str, str]] = []  # admins' commands stay out of the public menu
IMPORT_CAPTION = re.compile(r"^/nhaphoso(@\w+)?(\s|$)")
ERRORS_SHOWN = 10


@admin_only
async def calendar_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    services = services_of(context)
    if not args or (len(args) == 1 and args[0].isdigit()):
        year = int(args[0]) if args else date.today().year

        def show() -> Doc:
            with services.store.sessions() as session:
                calendar = calendar_for(session)
                doc = Doc().add(b(texts.ADMIN_CALENDAR_YEAR.format(year=year)))
                for day, reason in calendar.days_off(year):
                    doc.add(texts.ADMIN_CALENDAR_DAY.format(day=f"{day:%d/%m}", reason=reason))
                swapped = calendar.swapped_working_days(year)
                if swapped:
                    days = ", ".join(f"{d:%d/%m}" for d in swapped)
                    doc.add(texts.ADMIN_CALENDAR_SWAPPED.format(days=days))
                doc.add(
                    texts.ADMIN_CALENDAR_PROVISIONAL.format(day=f"{calendar.provisional_from():%d/%m/%Y}")
                )
                changes = stored_changes(session)
                if changes:
                    doc.blank().add(b(texts.ADMIN_CALENDAR_CHANGES))
                for change in changes:
                    entry = describe(change.schedule_entry())
                    doc.add(texts.ADMIN_CALENDAR_CHANGE.format(id=change.id, entry=entry, actor=change.actor))
                return doc.blank().add(texts.ADMIN_CALENDAR_HOW)

        await _say(update, context, await asyncio.to_thread(show))
        return
    actor = _actor(update)

    def change() -> str:
        with services.store.sessions.begin() as session:
            try:
                if args[0].lower() in ("xoa", "xóa") and len(args) == 2 and args[1].isdigit():
                    applied = withdraw_change(session, int(args[1]))
                    if applied is None:
                        return texts.ADMIN_CALENDAR_NO_CHANGE.format(id=args[1])
                    template = texts.ADMIN_CALENDAR_REMOVED
                else:
                    applied = apply_change(session, parse_change(list(args), actor), actor)
                    template = texts.ADMIN_CALENDAR_SAVED
            except (ValueError, CalendarError) as exc:
                errors = "; ".join(str(e) for e in getattr(exc, "errors", []))
                return texts.ADMIN_CALENDAR_REJECTED.format(reason=f"{exc} {errors}".strip())
            return template.format(
                id=applied.change.id,
                entry=describe(applied.change.schedule_entry()),
                days=len(applied.changed_days),
                dossiers=applied.recomputed,
            )

    reply = await asyncio.to_thread(change)
    await _say(update, context, Doc().add(reply))


@admin_only
async def agency_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    services = services_of(context)

    def act() -> Doc:
        with services.store.sessions.begin() as session:
            if not args:
                entries = agencies(session)
                if not entries:
                    return Doc().add(texts.ADMIN_AGENCY_NONE).blank().add(texts.ADMIN_AGENCY_HOW)
                doc = Doc()
                for entry in entries:
                    doc.add(
                        texts.ADMIN_AGENCY_ITEM.format(
                            agency=entry.agency, unit=entry.unit.name, code=entry.unit.code
                        )
                    )
                return doc
            if args[0].lower() in ("xoa", "xóa") and len(args) > 1:
                name = " ".join(args[1:])
                template = (
                    texts.ADMIN_AGENCY_REMOVED if remove_agency(session, name) else texts.ADMIN_AGENCY_MISSING
                )
                return Doc().add(template.format(agency=name))
            if len(args) < 2:
                return Doc().add(texts.ADMIN_AGENCY_HOW)
            unit = get_unit(session, args[0])
            if unit is None:
                return Doc().add(texts.ADMIN_UNIT_UNKNOWN.format(code=args[0]))
            name = " ".join(args[1:])
            try:
                add_agency(session, name, unit, _actor(update))
            except ValueError as exc:
                return Doc().add(texts.ADMIN_CALENDAR_REJECTED.format(reason=str(exc)))
            return Doc().add(texts.ADMIN_AGENCY_ADDED.format(agency=name, unit=unit.name))

    await _say(update, context, await asyncio.to_thread(act))


def _import_reply(result: ImportResult) -> Doc:
    doc = Doc().add(
        texts.ADMIN_IMPORT_DONE.format(
            count=result.imported, created=result.created, updated=result.updated, layout=result.layout
        )
    )
    if result.missing:
        doc.add(texts.ADMIN_IMPORT_MISSING.format(fields=", ".join(result.missing)))
    if result.errors:
        doc.blank().add(b(texts.ADMIN_IMPORT_ERRORS.format(count=len(result.errors))))
        for error in result.errors[:ERRORS_SHOWN]:
            doc.add(fill(texts.ADMIN_IMPORT_ERROR, row=str(error.row), reason=error.reason))
    return doc


@admin_only
async def import_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A dossier export sent as a document with the caption ``/nhaphoso [unit code]``."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    name = Path(document.file_name or "export.csv").name
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await _say(update, context, Doc().add(texts.ADMIN_IMPORT_REJECTED.format(reason=f"{name}: > 20 MB")))
        return
    words = (message.caption or "").split()[1:]
    services = services_of(context)
    raw = bytes(await (await document.get_file()).download_as_bytearray())

    def run(folder: Path) -> tuple[Doc, Path | None]:
        path = folder / name
        path.write_bytes(raw)
        try:
            with services.store.sessions.begin() as session:
                unit = get_unit(session, words[0]) if words else None
                if words and unit is None:
                    return Doc().add(texts.ADMIN_UNIT_UNKNOWN.format(code=words[0])), None
                result = import_dossiers(session, path, unit=unit)
        except (DossierFileError, ProfileError) as exc:
            return Doc().add(texts.ADMIN_IMPORT_REJECTED.format(reason=str(exc))), None
        errors = None
        if result.errors:
            errors = folder / f"{path.stem}.errors.csv"
            result.write_errors(errors)
        return _import_reply(result), errors

    with tempfile.TemporaryDirectory() as folder:
        doc, errors = await asyncio.to_thread(run, Path(folder))
        await _say(update, context, doc)
        chat = update.effective_chat
        if errors is not None and chat is not None:
            await context.bot.send_document(chat.id, errors.read_bytes(), filename=errors.name)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("lich", calendar_command, filters=private),
        CommandHandler("coquan", agency_command, filters=private),
        MessageHandler(
            private & filters.Document.ALL & filters.CaptionRegex(IMPORT_CAPTION), import_document
        ),
    ]
