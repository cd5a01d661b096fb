"""The error handler: log the failure with its traceback, answer the user politely, and report it.

The log names the update by its ids and kind, never by what the user wrote or their name. The user
is told "busy" when the database did not answer in time (or could not be reached), and the usual
apology otherwise — except after a send that timed out: Telegram may well have delivered it (it
often has), and an apology would then contradict the answer. A 429 is retried by PTB's rate
limiter before it ever reaches this handler (bot.app).

Reports go to ``TTHC_ERROR_CHAT_ID``, else to every admin, and are throttled so that a failure hit by
every user at once does not flood the admins: one report per error signature (its type and where it
was raised) per ``TTHC_ERROR_REPORT_MINUTES``, and at most ``TTHC_ERROR_REPORTS_PER_HOUR`` in all. The
next report sent says how many were held back. Each bot process throttles its own reports.

A report names the exception, its message, where it was raised and what kind of update failed, with
the user's id but nothing the user wrote (a command's name and a button's data come from the bot).
Network failures are not reported: PTB retries them, and a report could not reach Telegram either.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot import texts
from bot.handlers.replies import acknowledge
from bot.handlers.services import SERVICES_KEY, Busy, Services
from bot.render import Doc, b, code, fill, to_html
from knowledge.settings import Settings, get_settings

log = logging.getLogger(__name__)

THROTTLE_KEY = "error_throttle"
HOUR = 3600.0
MESSAGE_LIMIT = 500  # characters of the exception's message in a report
NOT_REPORTED = (NetworkError, Forbidden)  # Telegram unreachable; a user who blocked the bot
# The database was too slow (a lock, a statement timeout, no answer at all) or could not be reached.
BUSY = (Busy, OperationalError, InterfaceError, PoolTimeout)


class ErrorThrottle:
    """Decides which failures are reported: per signature, and per hour overall."""

    def __init__(
        self, per_signature: float, per_hour: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_signature = per_signature  # seconds between two reports of one signature
        self.per_hour = per_hour
        self.clock = clock
        self.held_back = 0  # reports suppressed since the last one sent
        self._last: dict[str, float] = {}  # signature -> when it was last reported
        self._sent: deque[float] = deque()  # when each report of the last hour was sent

    @classmethod
    def from_settings(cls, settings: Settings, clock: Callable[[], float] = time.monotonic) -> ErrorThrottle:
        return cls(settings.error_report_minutes * 60, settings.error_reports_per_hour, clock)

    def admit(self, signature: str) -> int | None:
        """None to hold this report back; else the number held back before it (to mention)."""
        now = self.clock()
        while self._sent and now - self._sent[0] >= HOUR:
            self._sent.popleft()
        self._last = {sig: at for sig, at in self._last.items() if now - at < self.per_signature}
        if signature in self._last or len(self._sent) >= self.per_hour:
            self.held_back += 1
            return None
        held, self.held_back = self.held_back, 0
        self._last[signature] = now
        self._sent.append(now)
        return held


def where(error: BaseException) -> str:
    """The innermost frame of the traceback: ``file:line in function``."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def signature(error: BaseException) -> str:
    """Failures with one signature are one problem: the same exception type raised at the same place."""
    return f"{type(error).__module__}.{type(error).__qualname__} @ {where(error)}"


def describe(update: object) -> str:
    """What kind of update failed, without anything the user wrote."""
    if not isinstance(update, Update):
        return texts.OPS_UPDATE_NONE if update is None else type(update).__name__
    kind = next((name for name in Update.ALL_TYPES if getattr(update, name, None) is not None), "?")
    detail = _detail(update)
    return f"{kind} ({detail})" if detail else kind


def _detail(update: Update) -> str | None:
    if update.callback_query is not None:
        return texts.OPS_UPDATE_BUTTON.format(data=update.callback_query.data or "")
    if update.inline_query is not None:
        return texts.OPS_UPDATE_INLINE.format(length=len(update.inline_query.query))
    message = update.effective_message
    if message is None:
        return None
    text = message.text or message.caption
    if text is not None and text.startswith("/"):
        return texts.OPS_UPDATE_COMMAND.format(command=text.split()[0])
    if message.document is not None:
        return texts.OPS_UPDATE_DOCUMENT
    if text is not None:
        return texts.OPS_UPDATE_TEXT.format(length=len(text))
    return None


def log_summary(update: object) -> str:
    """The update as the log names it: its ids and kind, nothing the user wrote, not their name."""
    if not isinstance(update, Update):
        return describe(update)
    parts = [f"update {update.update_id}", describe(update)]
    if update.effective_user is not None:
        parts.append(f"user {update.effective_user.id}")
    if update.effective_chat is not None:
        parts.append(f"chat {update.effective_chat.id}")
    return ", ".join(parts)


def report_doc(error: BaseException, update: object, held_back: int) -> Doc:
    message = str(error)
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + "…"
    doc = Doc().add(fill(texts.OPS_REPORT_TITLE, error=b(type(error).__qualname__)))
    if message:
        doc.add(code(message))
    doc.add(fill(texts.OPS_REPORT_WHERE, where=where(error)))
    doc.add(fill(texts.OPS_REPORT_UPDATE, update=describe(update)))
    user = update.effective_user if isinstance(update, Update) else None
    if user is not None:
        doc.add(fill(texts.OPS_REPORT_USER, user=code(str(user.id))))
    if held_back:
        doc.add(fill(texts.OPS_REPORT_HELD_BACK, count=str(held_back)))
    return doc


def _settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    services = context.bot_data.get(SERVICES_KEY)
    return services.store.settings if isinstance(services, Services) else get_settings()


async def report(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the failure to the admins, unless the throttle holds it back."""
    error = context.error
    if error is None or isinstance(error, NOT_REPORTED):
        return
    settings = _settings(context)
    recipients = settings.error_recipients
    if not recipients:
        return
    throttle = context.bot_data.get(THROTTLE_KEY)
    if not isinstance(throttle, ErrorThrottle):
        throttle = context.bot_data[THROTTLE_KEY] = ErrorThrottle.from_settings(settings)
    held_back = throttle.admit(signature(error))
    if held_back is None:
        return
    text = to_html(report_doc(error, update, held_back))
    for chat_id in recipients:
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError:
            log.warning("could not report the failure to chat %s", chat_id, exc_info=True)


def apology(error: BaseException | None) -> str | None:
    """What to tell the user after ``error``; None when telling them would be wrong."""
    if isinstance(error, TimedOut):
        return None  # a send that timed out was most likely delivered
    if isinstance(error, BUSY):
        return texts.BUSY
    return texts.ERROR


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("%s failed", log_summary(update), exc_info=context.error)
    text = apology(context.error)
    if isinstance(update, Update) and text is not None:
        try:
            if update.callback_query is not None:
                await acknowledge(update.callback_query)
            if update.effective_chat is not None and update.inline_query is None:
                await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError:
            log.warning("could not tell the user about the failure", exc_info=True)
    await report(update, context)
