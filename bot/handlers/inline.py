"""Inline mode: ``@bot <query>`` in any chat offers procedure cards to send."""

from __future__ import annotations

import functools

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, ContextTypes, InlineQueryHandler

from bot import texts
from bot.handlers.services import answer_in_thread, services_of
from bot.render import html_chunks

COMMANDS: list[tuple[str, str]] = []
CACHE_SECONDS = 300


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    if query is None:
        return
    dialogue = services_of(context).dialogue
    found = await answer_in_thread(
        context, functools.partial(dialogue.inline, query.from_user.id, query.query)
    )
    results = [
        InlineQueryResultArticle(
            id=result.code,
            title=result.title,
            description=result.description,
            input_message_content=InputTextMessageContent(
                html_chunks(result.doc)[0], parse_mode=ParseMode.HTML
            ),
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(texts.PORTAL_NAME, url=result.url)]]),
        )
        for result in found
    ]
    # Results depend on the user's commune, so Telegram must not share them between users.
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    return [InlineQueryHandler(inline_query)]
