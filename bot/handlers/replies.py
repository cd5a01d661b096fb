"""Sending the dialogue's replies to Telegram: HTML chunks under the size limit, keyboard on the last."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.dialogue import Reply
from bot.keyboards import to_markup
from bot.render import html_chunks

log = logging.getLogger(__name__)


async def acknowledge(query: CallbackQuery) -> None:
    """Answer a pressed button (Telegram stops the spinner). A button pressed long ago can no longer
    be answered ("query is too old"): that costs nothing, the reply is still sent."""
    try:
        await query.answer()
    except BadRequest as exc:
        log.info("callback query %s not answered: %s", query.id, exc.message)


async def send_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    query = update.callback_query
    for reply in replies:
        chunks = html_chunks(reply.doc)
        markup = to_markup(reply.buttons)
        if reply.edit and query is not None and query.message is not None and len(chunks) == 1:
            try:
                await query.edit_message_text(chunks[0], reply_markup=markup)
            except BadRequest as exc:  # the same page pressed twice: nothing to change
                if "not modified" not in str(exc).lower():
                    raise
            continue
        for number, chunk in enumerate(chunks, start=1):
            await context.bot.send_message(
                chat.id, chunk, reply_markup=markup if number == len(chunks) else None
            )
