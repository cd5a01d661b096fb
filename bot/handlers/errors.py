"""The error handler: log the failure with its traceback, and answer the user politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("update %r failed", update, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        if update.effective_chat is not None and update.inline_query is None:
            await context.bot.send_message(update.effective_chat.id, texts.ERROR)
    except TelegramError:
        log.warning("could not tell the user about the failure", exc_info=True)
