"""Webhook mode: one small HTTP server for Telegram's updates and the load balancer's ``/healthz``.

This is the custom-webhook pattern of PTB's examples (``customwebhookbot``): the Application runs
without an Updater, and this tornado server checks Telegram's secret-token header and puts each
``Update`` into ``application.update_queue``. Owning the server lets it answer ``GET /healthz`` on
the same port.

The server listens before the services are opened (opening may build the search index, which takes
a while): until then ``/healthz`` answers 503 and updates are refused with 503, which Telegram
retries; a load balancer sends nothing to a process that is still starting.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import signal
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import tornado.web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.handlers.services import SERVICES_KEY, Services
from knowledge.catalogue import current_version
from knowledge.settings import Settings

if TYPE_CHECKING:
    from bot.app import BotApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT = 5.0  # seconds; a database slower than this counts as unreachable
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; files are fetched separately


def webhook_secret(token: str) -> str:
    """The secret Telegram sends back on every call, derived from the token (so every host agrees).

    Hex keeps it within the characters Telegram allows (A-Z, a-z, 0-9, _ and -)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Health:
    """What ``/healthz`` reports. ``database`` is None while the bot has not opened it yet."""

    database: bool | None
    index_ready: bool
    catalogue_version: str | None = None
    catalogue_id: int | None = None

    @property
    def ok(self) -> bool:
        return bool(self.database) and self.index_ready

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "unavailable", **asdict(self)}


STARTING = Health(database=None, index_ready=False)


def check_health(sessions: sessionmaker[Session]) -> Health:
    """Query the current catalogue version; blocking, so run it in a thread.

    The index counts as ready once the services are open: opening builds or opens it, and a failed
    rebuild later leaves the previous index answering.
    """
    try:
        with sessions() as session:
            version = current_version(session)
            if version is None:
                return Health(database=True, index_ready=True)
            return Health(True, True, version.version, version.id)
    except SQLAlchemyError:
        log.warning("health check: the database is unreachable", exc_info=True)
        return Health(database=False, index_ready=True)


async def database_health(sessions: sessionmaker[Session]) -> Health:
    """``check_health`` off the event loop, a database slower than ``HEALTH_TIMEOUT`` counting as down."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(check_health, sessions), HEALTH_TIMEOUT)
    except TimeoutError:
        log.warning("health check: no answer from the database in %s s", HEALTH_TIMEOUT)
        return Health(database=False, index_ready=True)


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.server.secret.encode()):
            self.send_error(403)
            return
        if not self.server.accepting:
            self.send_error(503)  # Telegram retries later
            return
        try:
            data = json.loads(self.request.body)
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            await self.server.deliver(data)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook: unreadable update", exc_info=True)
            self.send_error(400)
            return
        self.set_status(200)


class _HealthHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)

    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    async def get(self) -> None:
        health = await self.server.health() if self.server.accepting else STARTING
        self.set_status(200 if health.ok else 503)
        self.set_header("Cache-Control", "no-store")
        self.finish(health.as_json())


@contextlib.asynccontextmanager
async def running(app: BotApplication) -> AsyncIterator[None]:
    """The Application started — initialised, ``post_init`` run (services opened), started — for
    updates put into its queue by the server; then stopped, letting the updates already queued
    finish, and shut down: PTB's ``run_*`` sequence both ways."""
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            yield
        finally:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


class WebhookServer:
    """Telegram's updates on the path of ``WEBHOOK_URL`` and ``GET /healthz``, on one port, for an
    Application without an Updater. Until ``accepting`` is set, both are answered 503."""

    def __init__(self, app: BotApplication, settings: Settings) -> None:
        if not settings.webhook_url or not settings.telegram_bot_token:
            raise ValueError("WEBHOOK_URL and TELEGRAM_BOT_TOKEN must be set")
        self.app = app
        self.url = settings.webhook_url
        self.path = urlsplit(settings.webhook_url).path or "/"
        if self.path == HEALTH_PATH:
            raise ValueError(f"WEBHOOK_URL must not end in {HEALTH_PATH}")
        self.secret = webhook_secret(settings.telegram_bot_token)
        self.listen = settings.webhook_listen
        self.port = settings.webhook_port  # the bound port once listening (for port 0)
        self.accepting = False  # set once updates can be answered
        self._http: HTTPServer | None = None

    async def deliver(self, update: dict[str, Any]) -> None:
        """Take one update (the JSON Telegram sent); ValueError, TypeError or KeyError if unreadable."""
        await self.app.update_queue.put(Update.de_json(update, self.app.bot))

    async def health(self) -> Health:
        services = self.app.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Services):
            return STARTING
        return await database_health(services.store.sessions)

    async def start(self) -> None:
        routes = [
            (re.escape(HEALTH_PATH), _HealthHandler, {"server": self}),
            (re.escape(self.path), _UpdateHandler, {"server": self}),
        ]
        web = tornado.web.Application(routes)
        self._http = HTTPServer(web, xheaders=True, max_body_size=MAX_UPDATE_BYTES)
        sockets = bind_sockets(self.port, self.listen)
        self._http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("webhook server on %s:%s%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        """Stop listening and close idle connections (idempotent)."""
        self.accepting = False
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None

    async def serve(self, stop: asyncio.Event) -> None:
        """The whole life of the webhook, until ``stop`` is set.

        Listen (answering 503), open the services (``post_init``), start the Application, register
        the webhook with its secret, and serve. Stopping takes no new requests, lets the updates
        already queued finish, then shuts the Application down.
        """
        await self.start()
        try:
            async with running(self.app):
                try:
                    self.accepting = True
                    await self.app.bot.set_webhook(
                        self.url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES
                    )
                    await stop.wait()
                finally:
                    await self.stop()
        finally:
            await self.stop()


async def serve_until_signalled(server: WebhookServer) -> None:
    """Serve until SIGINT or SIGTERM (systemd's stop), then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await server.serve(stop)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
