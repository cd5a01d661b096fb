"""Admins' tables on Telegram: /lich (the working-time calendar), /coquan (agency → unit for dossier
imports) and dossier imports (an export sent as a document with the caption /nhaphoso [unit code]).

Admins only (``TTHC_ADMIN_IDS``), like the other admin commands; thin like them: the work is done by
``bot.admin_dialogue.AdminDialogue``, which uses the same channel-free functions as
``tthc-bot calendar``, ``tthc-bot agency`` and ``tthc-bot import-dossiers``.
"""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import texts
from bot.handlers.admin import MAX_FILE_BYTES, admin_command, admin_only, carry, dialogue_of, say
from bot.render import Doc

COMMANDS: list[tuple[str, str]] = []  # admins' commands stay out of the public menu
IMPORT_CAPTION = re.compile(r"^/nhaphoso(@\w+)?(\s|$)")


@admin_only
async def import_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A dossier export sent as a document with the caption ``/nhaphoso [unit code]``."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    name = document.file_name or "export.csv"
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await say(update, context, Doc().add(texts.ADMIN_IMPORT_REJECTED.format(reason=f"{name}: > 20 MB")))
        return
    words = (message.caption or "").split()[1:]
    raw = bytes(await (await document.get_file()).download_as_bytearray())
    outcome = await asyncio.to_thread(dialogue_of(context).import_file, name, raw, words)
    await carry(update, context, outcome)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("lich", admin_command("lich"), filters=private),
        CommandHandler("coquan", admin_command("coquan"), filters=private),
        MessageHandler(
            private & filters.Document.ALL & filters.CaptionRegex(IMPORT_CAPTION), import_document
        ),
    ]
