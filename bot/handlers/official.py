"""Officials' commands on Telegram: /tinhhinh, /xephang, the work lists (/quahan, /xinloi,
/chotiepnhan, /saphan, /bosung), /nhacviec and its morning digest, and the invite deep link.

Thin by design: each handler reads the update, asks ``bot.official_dialogue.OfficialDialogue`` in a
worker thread, and sends what it returns (messages, photos, documents). Anyone who is neither an
official nor an admin gets the answer to a command that does not exist; the commands are published
only in officials' own chats (``publish_menu``).

``/start inv_<token>`` binds the user to the invite's unit. Its handler is registered before the
citizen's /start (whose payloads are unit codes, digits only), so the two never meet.

"Now" comes from ``context.bot_data[CLOCK_KEY]`` when set (tests and demos pin it to a scenario's
moment), else the time in Vietnam. The digest job runs every day at 7:30 Vietnam time and sends
nothing on a day off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, time
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import official_dialogue, texts
from bot.dialogue import Reply
from bot.handlers.replies import acknowledge, send_replies
from bot.handlers.services import services_of
from bot.keyboards import to_markup
from bot.official_dialogue import CALLBACK_PATTERN, OfficialDialogue, Out
from bot.render import Doc, html_chunks, to_html
from bot.render_official import welcome_doc
from knowledge.compliance import roles
from knowledge.compliance.profile import local_now
from knowledge.workcalendar import ICT

log = logging.getLogger(__name__)

COMMANDS: list[tuple[str, str]] = []  # published per chat to officials only, never in the public menu
CLOCK_KEY = "official_clock"
DIGEST_JOB = "official-digest"
DIGEST_AT = time(7, 30, tzinfo=ICT)
INVITE_START = filters.Regex(rf"^/start(@\w+)?\s+{roles.INVITE_PREFIX}\S+")
PRIVATE = filters.ChatType.PRIVATE


def _clock(context: ContextTypes.DEFAULT_TYPE) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = context.bot_data.get(CLOCK_KEY, local_now)
    return clock


def dialogue_of(context: ContextTypes.DEFAULT_TYPE) -> OfficialDialogue:
    return OfficialDialogue(services_of(context).store, _clock(context))


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise ValueError("an update without a user reached an official's handler")
    return user.id


async def send_outs(update: Update, context: ContextTypes.DEFAULT_TYPE, outs: list[Out]) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    for out in outs:
        if isinstance(out, Reply):
            await send_replies(update, context, [out])
            continue
        caption, markup = to_html(out.caption) or None, to_markup(out.buttons)
        if out.photo:
            await context.bot.send_photo(chat.id, out.content, caption=caption, reply_markup=markup)
        else:
            await context.bot.send_document(
                chat.id, out.content, filename=out.filename, caption=caption, reply_markup=markup
            )


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
    label = await asyncio.to_thread(dialogue_of(context).accept_invite, user.id, context.args[0])
    if label is None:
        await send_replies(update, context, [Reply(Doc().add(texts.OFFICIAL_INVITE_INVALID))])
        return
    await publish_menu(context.bot, chat.id)
    await send_replies(update, context, [Reply(welcome_doc(user.first_name, label))])


def _command(name: str) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args = list(context.args or [])
        outs = await asyncio.to_thread(dialogue_of(context).command, _user_id(update), name, args)
        await send_outs(update, context, outs)

    return handle


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under an official's reply. A press by someone who may not see the data is answered
    and otherwise ignored."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    await acknowledge(query)  # a button pressed long ago still gets its content
    outs = await asyncio.to_thread(dialogue_of(context).button, _user_id(update), query.data)
    if outs:
        await send_outs(update, context, outs)


async def morning_digest(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily job: each official who asked with /nhacviec gets his units' digest."""
    digests = await asyncio.to_thread(dialogue_of(context).digests)
    for chat_id, doc in digests:
        try:
            for chunk in html_chunks(doc):
                await context.bot.send_message(chat_id, chunk)
        except TelegramError:  # blocked the bot, left…: the others still get theirs
            log.warning("could not send the morning digest to %s", chat_id, exc_info=True)


def schedule_digest(app: Any) -> None:
    """Run the digest every day at 7:30 in Vietnam (the job itself skips days off)."""
    if app.job_queue is not None:
        app.job_queue.run_daily(morning_digest, DIGEST_AT, name=DIGEST_JOB)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    return [
        CommandHandler("start", invite, filters=PRIVATE & INVITE_START),
        *(CommandHandler(name, _command(name), filters=PRIVATE) for name in official_dialogue.COMMANDS),
        CallbackQueryHandler(button, pattern=CALLBACK_PATTERN),
    ]
