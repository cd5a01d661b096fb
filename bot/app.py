"""The Telegram application: built, and every handler registered, in this one place.

Feature modules (citizens' conversation, officials', the posting list, inline mode, admins') live in
``bot/handlers/``; each exposes ``handlers()`` and ``COMMANDS`` (its part of the public menu). To add
one, append it to ``HANDLER_MODULES``. Order matters: within group 0 the first matching handler
wins, and the citizen's catch-all handlers (free text, unknown commands) are registered after all
modules.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from types import ModuleType
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.handlers import admin, admindata, citizen, errors, inline, official, posting
from bot.handlers.services import SERVICES_KEY, Services, open_services
from bot.request import AiohttpRequest
from bot.webhook import WebhookServer, serve_until_signalled
from knowledge.settings import Settings

log = logging.getLogger(__name__)

# official first: its /start inv_… comes before the citizen's /start
HANDLER_MODULES: list[ModuleType] = [official, posting, citizen, inline, admin, admindata]
# Handlers spend their time in worker threads on the database and search; more concurrency than
# this only lengthens httpx's connection-pool bookkeeping (quadratic in waiting requests).
MAX_CONCURRENT_UPDATES = 16
# A reply Telegram refuses with 429 is sent again after its retry_after, this many times at most
# (PTB's AIORateLimiter holds every request meanwhile): the citizen still gets the answer.
RATE_LIMIT_RETRIES = 3
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))

BotApplication = Application[
    Any, ContextTypes.DEFAULT_TYPE, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Different users' updates run concurrently; one user's run one after another, in order.

    A user's state is one database row, and replies must come in the order the user wrote.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._waiting[user.id] = self._waiting.get(user.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[user.id] -= 1
            if not self._waiting[user.id]:
                del self._waiting[user.id], self._locks[user.id]

    async def initialize(self) -> None:
        """Nothing to set up: locks are created per user on demand."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def api_urls(base: str) -> tuple[str, str]:
    """PTB's ``base_url`` and ``base_file_url`` for a Bot API server given as its root URL.

    Accepts "http://host:8081", "http://host:8081/bot" or PTB's own "…/bot{token}" form.
    """
    base = base.rstrip("/")
    if "{token}" in base:
        return base, base.replace("/bot{token}", "/file/bot{token}")
    root = base.removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def commands() -> list[BotCommand]:
    return [
        BotCommand(name, description) for module in HANDLER_MODULES for name, description in module.COMMANDS
    ]


def transport(settings: Settings, pool_size: int = 1) -> BaseRequest:
    """The connection to the Bot API that ``TTHC_TRANSPORT`` names, with ``pool_size`` connections.

    Both take the same timeouts (PTB's defaults: 5 s, 1 s for a free connection, 20 s for uploads).
    """
    if settings.transport == "httpx":
        return HTTPXRequest(connection_pool_size=pool_size)
    return AiohttpRequest(pool_size)


def register_handlers(app: BotApplication) -> None:
    for module in HANDLER_MODULES:
        app.add_handlers(module.handlers())
    app.add_handlers(citizen.fallbacks())
    app.add_error_handler(errors.on_error)


def build_application(
    settings: Settings,
    *,
    services: Services | None = None,
    base_url: str | None = None,
    rate_limiter: bool = True,
    updater: bool = True,
) -> BotApplication:
    """The bot, ready to run. Services are opened in ``post_init`` unless given (tests pass theirs).

    ``base_url`` (else ``TELEGRAM_API_BASE_URL``) points it at another Bot API server. Without
    ``updater`` it has no Updater: updates come from ``bot.webhook``'s own server.
    """
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    # PTB 22 deprecates time periods given as integers and warns each time it makes one, a 429's
    # RetryAfter included; the bot reads none of them, so it takes PTB's timedelta behaviour now.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    owns_services = services is None

    async def post_init(app: BotApplication) -> None:
        if SERVICES_KEY not in app.bot_data:
            app.bot_data[SERVICES_KEY] = await asyncio.to_thread(open_services, settings)
        opened: Services = app.bot_data[SERVICES_KEY]
        opened.dialogue.bot_username = app.bot.username
        await app.bot.set_my_commands(commands())

    async def post_shutdown(app: BotApplication) -> None:
        opened = app.bot_data.pop(SERVICES_KEY, None)
        if owns_services and isinstance(opened, Services):
            opened.close()

    builder: ApplicationBuilder[Any, ContextTypes.DEFAULT_TYPE, Any, Any, Any, Any] = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .defaults(DEFAULTS)
        .concurrent_updates(PerUserUpdateProcessor())
        .request(transport(settings, MAX_CONCURRENT_UPDATES + 4))  # replies, and callback answers
        .get_updates_request(transport(settings))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    api = base_url or settings.telegram_api_base_url
    if api:
        bot_url, file_url = api_urls(api)
        builder = builder.base_url(bot_url).base_file_url(file_url)
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
    if not updater:
        builder = builder.updater(None)
    app: BotApplication = builder.build()
    if services is not None:
        app.bot_data[SERVICES_KEY] = services
    register_handlers(app)
    official.schedule_digest(app)  # the officials' morning digest (/nhacviec)
    return app


def run(settings: Settings) -> None:
    """Run in this process until SIGINT/SIGTERM: a webhook server when ``WEBHOOK_URL`` is set, else
    PTB's long polling. Either way a stop answers the updates already taken before it ends."""
    if settings.webhook_url:
        app = build_application(settings, updater=False, rate_limiter=settings.telegram_rate_limit)
        asyncio.run(serve_until_signalled(WebhookServer(app, settings)))
    else:
        build_application(settings, rate_limiter=settings.telegram_rate_limit).run_polling(
            allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
        )
