"""Admin commands on Telegram: /reload (a document or a server path), /rollback, /export, /stats,
/grant, /revoke, /officials, /invite, /themtu and /botu (everyday names of procedures).

Thin by design: each handler reads the update, asks ``bot.admin_dialogue.AdminDialogue`` in a worker
thread, and carries its outcome across — the replies, the exported file, following a changed
catalogue, and the officials' command menu in a user's chat.

Only ``TTHC_ADMIN_IDS`` may use them; anyone else gets the same answer as for a command that does
not exist, so nothing tells a stranger that admin commands are there. They are not published in the
command menu for the same reason. ``/grant`` publishes the officials' commands in the new official's
chat; ``/revoke`` withdraws them once he is an official of no unit. ``/invite`` makes a one-time,
expiring deep link that binds whoever opens it to the unit as its official.

A bad file is refused with the reason ("Tệp bị từ chối"), whatever is wrong with it: a server path
is read only if it is a regular file within the size limit, and a gzip only up to the same limit
once decompressed (knowledge.datafile). /export sends the catalogue as a .json.gz: its plain JSON
is over the 20 MB a bot may download, so it could not be sent back with /reload. After a change this
process rebuilds its index at once; the others follow through their version watcher.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

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
from bot.admin_dialogue import ADMINDATA_COMMANDS, CALLBACK_PATTERN, AdminDialogue, AdminOutcome
from bot.admin_dialogue import COMMANDS as ADMIN_COMMANDS
from bot.dialogue import Reply
from bot.handlers.official import publish_menu, send_outs
from bot.handlers.replies import acknowledge, send_replies
from bot.handlers.services import services_of
from bot.render import Doc, b

log = logging.getLogger(__name__)

COMMANDS: list[tuple[str, str]] = []  # deliberately not in the public command menu
MAX_FILE_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download
RELOAD_CAPTION = re.compile(r"^/reload(@\w+)?(\s|$)")

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def dialogue_of(context: ContextTypes.DEFAULT_TYPE) -> AdminDialogue:
    return AdminDialogue(services_of(context).store)


def admin_only(handler: Handler) -> Handler:
    """Run ``handler`` for admins; answer anyone else as if the command did not exist."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is not None and dialogue_of(context).is_admin(user.id):
            await handler(update, context)
            return
        if update.callback_query is not None:
            await acknowledge(update.callback_query)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)

    return guarded


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, doc: Doc) -> None:
    await send_replies(update, context, [Reply(doc)])


def _admin_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None  # admin_only let it through
    return user.id


async def withdraw_menu(bot: Bot, chat_id: int) -> None:
    """Take the officials' commands out of the chat's menu (back to the public one). As with
    publishing, a failure (the user never opened the chat) is logged, not worth failing the reply."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.warning("could not withdraw the officials' menu in chat %s", chat_id, exc_info=True)


async def carry(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: AdminOutcome) -> None:
    """Do what the dialogue's outcome asks of Telegram and of this process, then show it."""
    if outcome.catalogue_changed:
        await asyncio.to_thread(services_of(context).dialogue.follow_catalogue)
    if outcome.publish_menu_to is not None:
        await publish_menu(context.bot, outcome.publish_menu_to)
    if outcome.withdraw_menu_from is not None:
        await withdraw_menu(context.bot, outcome.withdraw_menu_from)
    await send_outs(update, context, outcome.outs)


def admin_command(name: str) -> Handler:
    """The handler of ``/name``: the admin dialogue's command of that name."""

    @admin_only
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args, username = list(context.args or []), context.bot.username
        dialogue = dialogue_of(context)
        outcome = await asyncio.to_thread(dialogue.command, _admin_id(update), name, args, username)
        await carry(update, context, outcome)

    return handle


@admin_only
async def reload_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A catalogue file sent as a document with the caption ``/reload``."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    name = document.file_name or "catalogue.json"
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await say(update, context, Doc().add(b(texts.ADMIN_FILE_REJECTED)).add(f"{name}: > 20 MB"))
        return
    telegram_file = await document.get_file()
    raw = bytes(await telegram_file.download_as_bytearray())
    outcome = await asyncio.to_thread(dialogue_of(context).stage, _admin_id(update), raw, f"telegram:{name}")
    await carry(update, context, outcome)


@admin_only
async def confirm_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    await acknowledge(query)
    await query.edit_message_reply_markup(None)  # one press only
    outcome = await asyncio.to_thread(dialogue_of(context).button, _admin_id(update), query.data)
    await carry(update, context, outcome)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("reload", admin_command("reload"), filters=private),
        MessageHandler(
            private & filters.Document.ALL & filters.CaptionRegex(RELOAD_CAPTION), reload_document
        ),
        CallbackQueryHandler(confirm_button, pattern=CALLBACK_PATTERN),
        *(
            CommandHandler(name, admin_command(name), filters=private)
            for name in ADMIN_COMMANDS
            if name not in ("reload", *ADMINDATA_COMMANDS)
        ),
    ]
