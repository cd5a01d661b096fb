"""Worker processes behind one front: the bot on every core.

Answering is CPU work — search, rendering, SQLite — and one Python process does it on one core:
its threads take turns at the GIL, and its event loop, which hands the GIL over at every socket call,
waits for it behind them. So with ``TTHC_WORKERS`` = N > 1, ``tthc-bot run`` starts N worker
processes, each the whole bot (its own services, search index and caches) without an Updater, and
stays a small front that takes the updates — long-polling ``getUpdates``, or serving the webhook
when ``WEBHOOK_URL`` is set (``RelayServer``) — and hands every update, as the JSON Telegram sent,
to the worker of its user (user id modulo N). A user's updates thus reach one worker, in
order, where the PerUserUpdateProcessor answers them one after another, and that worker's caches
know the user's commune. Workers send their replies to the Bot API themselves. A catalogue reloaded
through one worker reaches the others through the version watcher, as between hosts.

An update is confirmed to Telegram (by the next ``getUpdates`` offset) once it is handed over, as
PTB's own polling confirms what it fetched before answering it. A worker that dies stops the whole
bot with an error, for the service manager to start it again; SIGINT and SIGTERM stop it cleanly,
each worker answering what it holds first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

import aiohttp
import orjson
from telegram import Update

from bot.app import api_urls, build_application
from bot.lifecycle import running
from bot.webhook import STARTING, Health, UpdateServer, database_health
from knowledge.settings import Settings
from knowledge.store import Store, open_store

log = logging.getLogger(__name__)

TELEGRAM_API = "https://api.telegram.org"
POLL_TIMEOUT = 10  # seconds a getUpdates call waits for updates before answering an empty list
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # after failed polls, the last one repeated
START_TIMEOUT = 600.0  # seconds a worker may take to open its services (a first index build)
STOP_TIMEOUT = 60.0  # seconds a worker may take to answer what it holds when stopping


class WorkerFailed(RuntimeError):
    """A worker process could not start, or died."""


class PollingFailed(Exception):
    """The Bot API refused the polling for good (a wrong token)."""


class BotApiRefused(RuntimeError):
    """The Bot API refused a call for now (another poller, too many requests): tried again, not
    before ``retry_after`` seconds when it says so."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def user_key(update: dict[str, Any]) -> int:
    """Whose update this is: the id of the user it comes from, else of its chat; 0 when none."""
    for name, value in update.items():
        if name == "update_id" or not isinstance(value, dict):
            continue
        for holder in (value.get("from"), value.get("user"), value.get("chat")):
            if isinstance(holder, dict) and isinstance(holder.get("id"), int):
                return int(holder["id"])
    return 0


def method_url(settings: Settings, method: str) -> str:
    """The URL of a Bot API method on the server the bot talks to."""
    base, _files = api_urls(settings.telegram_api_base_url or TELEGRAM_API)
    token = settings.telegram_bot_token or ""
    return f"{base.format(token=token)}/{method}" if "{token}" in base else f"{base}{token}/{method}"


# --- the worker side ----------------------------------------------------------------------------


def _work(settings: Settings, number: int, connection: Connection, log_level: int) -> None:
    """A worker process: the bot without an Updater, fed by the front through ``connection``."""
    # The front stops the workers through their pipes; a terminal's Ctrl-C or the service manager's
    # SIGTERM, sent to the whole group, must not cut a worker off in the middle of an answer.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(
        level=log_level, format=f"%(asctime)s %(levelname)s worker-{number} %(name)s: %(message)s"
    )
    try:
        asyncio.run(_serve_worker(settings, connection))
    except Exception as exc:
        log.exception("worker %s failed", number)
        with contextlib.suppress(OSError):
            connection.send(("failed", f"{type(exc).__name__}: {exc}"))
        raise SystemExit(1) from exc


async def _serve_worker(settings: Settings, connection: Connection) -> None:
    app = build_application(settings, updater=False, rate_limiter=settings.telegram_rate_limit)
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()

    def receive() -> None:
        """Move what the front sent into the Application's queue; None (or the pipe closing) ends."""
        try:
            while not closed.is_set() and connection.poll():
                data = connection.recv()
                if data is None:
                    closed.set()
                    break
                try:
                    update = Update.de_json(data, app.bot)
                except (ValueError, TypeError, KeyError):
                    log.warning("unreadable update %s", data.get("update_id"), exc_info=True)
                    continue
                app.update_queue.put_nowait(update)
        except (EOFError, OSError):
            closed.set()
        if closed.is_set():
            loop.remove_reader(connection.fileno())

    async with running(app):
        connection.send(("ready", None))
        loop.add_reader(connection.fileno(), receive)
        await closed.wait()


# --- the front side -----------------------------------------------------------------------------


class Worker:
    """The front's handle on one worker process."""

    def __init__(self, number: int, settings: Settings, context: SpawnContext) -> None:
        self.number = number
        self.connection, child = context.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        self.process: SpawnProcess = context.Process(
            target=_work, args=(settings, number, child, level), name=f"tthc-bot-worker-{number}"
        )
        self.process.start()
        child.close()

    async def ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until the worker has opened its services and started; WorkerFailed if it could not."""
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(self.connection.fileno(), readable.set)
        try:
            await asyncio.wait_for(readable.wait(), timeout)
            kind, detail = self.connection.recv()
        except TimeoutError as exc:
            raise WorkerFailed(f"worker {self.number} did not start in {timeout:.0f} s") from exc
        except (EOFError, OSError) as exc:
            self.process.join(5)
            raise WorkerFailed(
                f"worker {self.number} did not start: it ended (exit code {self.process.exitcode})"
            ) from exc
        finally:
            loop.remove_reader(self.connection.fileno())
        if kind != "ready":
            raise WorkerFailed(f"worker {self.number} did not start: {detail}")

    def watch(self, on_exit: Callable[[Worker], None]) -> None:
        """Call ``on_exit`` when the worker goes away (its end of the pipe closes) or reports failing."""
        asyncio.get_running_loop().add_reader(self.connection.fileno(), on_exit, self)

    def unwatch(self) -> None:
        asyncio.get_running_loop().remove_reader(self.connection.fileno())

    def send(self, update: dict[str, Any]) -> None:
        self.connection.send(update)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Let the worker answer what it holds and end; terminated if it takes longer than ``timeout``."""
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            log.warning("worker %s did not stop in %s s; terminating it", self.number, timeout)
            self.process.terminate()
            self.process.join(10)
        self.connection.close()


class RelayServer(UpdateServer):
    """The webhook in front of the workers: each update goes, as Telegram sent it, to its user's."""

    def __init__(self, settings: Settings, workers: list[Worker], store: Store) -> None:
        super().__init__(settings)
        self.workers = workers
        self.store = store

    async def deliver(self, update: dict[str, Any]) -> None:
        route(self.workers, update)

    async def health(self) -> Health:
        """The database as every worker sees it; unavailable while a worker is not running."""
        if not all(worker.process.is_alive() for worker in self.workers):
            return STARTING
        return await database_health(self.store.sessions)


def route(workers: list[Worker], update: dict[str, Any]) -> None:
    """Hand ``update`` to the worker of its user; ConnectionError when that worker is gone."""
    workers[user_key(update) % len(workers)].send(update)


class Poller:
    """Bot API calls from the front, and ``getUpdates`` from ``offset``: one past the last update
    handed over to a worker (the poll loop moves it), so that only those are ever confirmed."""

    def __init__(self, settings: Settings, http: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.http = http
        self.offset = 0

    async def call(self, method: str, params: dict[str, Any], timeout: float) -> Any:
        """A Bot API call's result; PollingFailed for a refused token, BotApiRefused for other refusals."""
        async with self.http.post(
            method_url(self.settings, method),
            data=orjson.dumps(params),
            headers={"Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            body = orjson.loads(await response.read())
        if body.get("ok"):
            return body.get("result")
        code, description = body.get("error_code"), body.get("description")
        if code in (401, 404):
            raise PollingFailed(f"the Bot API refused the token: {description}")
        retry_after = float((body.get("parameters") or {}).get("retry_after") or 0)
        raise BotApiRefused(f"{method}: {code} {description}", retry_after)

    async def updates(self) -> list[dict[str, Any]]:
        """The next updates (none after ``POLL_TIMEOUT`` seconds without any)."""
        params = {"offset": self.offset, "timeout": POLL_TIMEOUT, "allowed_updates": Update.ALL_TYPES}
        updates: list[dict[str, Any]] = await self.call("getUpdates", params, POLL_TIMEOUT + 10)
        return updates

    async def confirm(self) -> None:
        """Tell the Bot API that every update handed over was received, so none comes again."""
        if self.offset:
            await self.call("getUpdates", {"offset": self.offset, "timeout": 0, "limit": 1}, 10)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """The front: start the workers, then hand them the updates until ``stop`` is set.

    Raises WorkerFailed when a worker cannot start or dies, PollingFailed when the token is refused.
    """
    context = multiprocessing.get_context("spawn")
    workers: list[Worker] = []
    died: list[Worker] = []

    def gone(worker: Worker) -> None:
        worker.unwatch()
        died.append(worker)
        stop.set()

    try:
        # The first worker loads the bundled data and builds the search index when they are missing;
        # the others then find both ready instead of all doing it at once.
        workers.append(Worker(0, settings, context))
        await workers[0].ready()
        workers.extend(Worker(number, settings, context) for number in range(1, settings.workers))
        await asyncio.gather(*(worker.ready() for worker in workers[1:]))
        for worker in workers:
            worker.watch(gone)
        async with aiohttp.ClientSession() as http:
            poller = Poller(settings, http)
            if settings.webhook_url:
                await _relay(settings, poller, workers, stop)
            else:
                await poller.call("deleteWebhook", {"drop_pending_updates": False}, 30)
                log.info("%s workers ready; polling for updates", len(workers))
                await _poll(poller, workers, stop)
                with contextlib.suppress(aiohttp.ClientError, TimeoutError, BotApiRefused, ValueError):
                    await poller.confirm()
    finally:
        for worker in workers:
            if worker not in died:
                with contextlib.suppress(ValueError, OSError):
                    worker.unwatch()
        await asyncio.gather(*(asyncio.to_thread(worker.stop) for worker in workers))
    if died:
        numbers = ", ".join(str(worker.number) for worker in died)
        raise WorkerFailed(f"worker {numbers} stopped unexpectedly (exit code {died[0].process.exitcode})")


async def _poll(poller: Poller, workers: list[Worker], stop: asyncio.Event) -> None:
    failures = 0
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            fetch = asyncio.ensure_future(poller.updates())
            await asyncio.wait((fetch, stopping), return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetch
                break
            try:
                updates = fetch.result()
            except (aiohttp.ClientError, TimeoutError, BotApiRefused, ValueError) as exc:
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                delay = max(delay, exc.retry_after) if isinstance(exc, BotApiRefused) else delay
                failures += 1
                log.warning("getUpdates failed (%s); trying again in %s s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            failures = 0
            try:
                for update in updates:
                    route(workers, update)
                    poller.offset = int(update["update_id"]) + 1
            except ConnectionError:  # a worker just died: its watcher tells which, and the bot stops
                log.error("a worker is gone; stopping")
                break
    finally:
        stopping.cancel()


async def _relay(settings: Settings, poller: Poller, workers: list[Worker], stop: asyncio.Event) -> None:
    """Serve the webhook for the workers until ``stop`` is set; registered once all are ready."""
    store = open_store(settings, load=False)
    server = RelayServer(settings, workers, store)
    try:
        await server.start()
        server.accepting = True
        params = {"url": server.url, "secret_token": server.secret, "allowed_updates": Update.ALL_TYPES}
        await poller.call("setWebhook", params, 30)
        log.info("%s workers ready; webhook on port %s", len(workers), server.port)
        await stop.wait()
    finally:
        await server.stop()
        store.close()


def run_workers(settings: Settings) -> None:
    """Serve with ``settings.workers`` worker processes until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
