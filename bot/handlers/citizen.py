"""The citizen's conversation on Telegram: /start, /xa, /thutuc, /help, free text and buttons.

Dialogue steps touch the database, so they run in a worker thread and the event loop stays free for
other users' updates; a step that does not finish within the deadline is answered "busy"
(``answer_in_thread``).
"""

from __future__ import annotations

import functools

from telegram import Update
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
from bot.handlers.replies import acknowledge, send_replies
from bot.handlers.services import answer_in_thread, services_of
from bot.keyboards import Action
from bot.render import Doc

COMMANDS = texts.CITIZEN_COMMANDS
PRIVATE = filters.ChatType.PRIVATE
CALLBACK_PATTERN = "^(" + "|".join(action.value for action in Action) + "):"


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise ValueError("an update without a user reached a citizen handler")
    return user.id


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    payload = context.args[0] if context.args else None
    dialogue = services_of(context).dialogue
    name = user.first_name if user else None
    replies = await answer_in_thread(
        context, functools.partial(dialogue.start, _user_id(update), name, payload)
    )
    await send_replies(update, context, replies)


async def change_commune(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    dialogue = services_of(context).dialogue
    replies = await answer_in_thread(context, functools.partial(dialogue.change_commune, _user_id(update)))
    await send_replies(update, context, replies)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    dialogue = services_of(context).dialogue
    replies = await answer_in_thread(context, functools.partial(dialogue.help, _user_id(update)))
    await send_replies(update, context, replies)


async def procedures(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    dialogue = services_of(context).dialogue
    replies = await answer_in_thread(context, functools.partial(dialogue.procedures, _user_id(update)))
    await send_replies(update, context, replies)


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    dialogue = services_of(context).dialogue
    replies = await answer_in_thread(
        context, functools.partial(dialogue.text, _user_id(update), message.text)
    )
    await send_replies(update, context, replies)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    await acknowledge(query)
    dialogue = services_of(context).dialogue
    replies = await answer_in_thread(
        context, functools.partial(dialogue.button, _user_id(update), query.data)
    )
    await send_replies(update, context, replies)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_replies(update, context, [Reply(Doc().add(texts.UNKNOWN_COMMAND))])


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_replies(update, context, [Reply(Doc().add(texts.NOT_TEXT))])


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    return [
        CommandHandler("start", start, filters=PRIVATE),
        CommandHandler("xa", change_commune, filters=PRIVATE),
        CommandHandler("thutuc", procedures, filters=PRIVATE),
        CommandHandler("help", help_command, filters=PRIVATE),
        CallbackQueryHandler(button, pattern=CALLBACK_PATTERN),
    ]


def fallbacks() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Catch-all handlers: registered after every other module's, so they never shadow a command."""
    return [
        MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, text),
        MessageHandler(PRIVATE & filters.COMMAND, unknown_command),
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ~filters.TEXT, not_text),
    ]
