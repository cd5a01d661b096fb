"""Benchmark: updates handled end to end by the Telegram bot, through the fake Bot API on loopback.

    .venv/bin/python -m bench.bot [--mode MODE …] [--data-dir DIR] [--updates N] [--rate R] [--seconds S]

The real Application (handlers, dialogue, search, SQLite) runs against tests/fakebotapi.py over
HTTP on 127.0.0.1; the fake server runs in a process of its own, as Telegram's servers would.
Users have their commune set (five communes); an update is a citizen's question (free text, 3 in 4)
or a press on a card button (1 in 4); it counts as handled when its reply reaches the server. Each
user's last update is /help: a user's updates are answered in order, so all were answered once
every user has had the help text (the server tells when), which needs nothing of the bot's insides.

Modes, each on freshly opened services (empty caches) in one process, by default all of them in one run:

- ``mixed``: a realistic mix. Of the questions, 40 % are popular ones (``POPULAR``, a few asked far
  more than the others), 60 % are asked once only: windows of 2–6 words cut from procedure names of
  the bundled catalogue (mostly commune-level ones), a third of them typed without diacritics. Half
  the presses open one of four popular cards, half a card picked at random among the commune-level
  procedures. Cards and lists both come up (the run prints how many of each);
- ``cold``: every question asked once only and every press on a different procedure: the caches
  never help, the cost of computing each answer;
- ``mixed-httpx``: the ``mixed`` traffic with PTB's stock transport (``HTTPXRequest``,
  ``TTHC_TRANSPORT=httpx``) in place of the bot's aiohttp one (``bot.request``);
- ``plumbing``: every update gets a fixed reply: what PTB, HTTP and the handlers cost alone;
- ``plumbing-httpx``: the same with the stock transport: the baseline for the transport;
- ``command``: the ``mixed`` traffic against ``tthc-bot run`` itself, started as production starts it
  (one process, polling through PTB's Updater); the other modes run the Application inside the
  benchmark's process.

Figures per mode:

- throughput: N updates pushed at once, from 200 users, then each user's /help; handled updates
  (N + 200) per second, from the first update's arrival to the last reply (target ≥ 100/s);
- latency: updates at a steady R per second (default 30, Telegram's cap on a bot's messages) for S
  seconds, each from a new user; p50/p95/p99 of the time from the update's arrival in the server's
  queue to the reply reaching the server (target p95 ≤ 50 ms at 30/s).

Telegram itself lets a bot send about 30 messages per second, which PTB's AIORateLimiter enforces in
production; the benchmark turns the limiter off to measure the bot's own capacity. The database and
search index are built once in ``--data-dir`` (default var/bench) from the bundled data.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import texts
from bot.app import build_application
from bot.dialogue import Dialogue, Reply
from bot.handlers.services import Services, open_services
from bot.keyboards import Action, callback
from bot.render import Doc
from index.analysis import fold
from index.service import SearchService
from knowledge.models import Procedure, Unit
from knowledge.settings import Settings, Transport
from knowledge.store import Store
from knowledge.units import get_unit
from knowledge.users import get_user, set_commune
from tests.fakebotapi import TOKEN, FakeBotAPI, callback_update, text_update

MODES = ("mixed", "mixed-httpx", "cold", "plumbing", "plumbing-httpx", "command")
TARGET_THROUGHPUT = 100  # updates/s, in one process
TARGET_P95_MS = 50  # at 30 updates/s
NO_MATCH = texts.NO_RESULTS.split("{", 1)[0]
DONE, DONE_REPLY = "/help", texts.HELP_TITLE  # each user's last update, and what its answer holds
POPULAR = [  # most asked first: question n is asked about 1/n as often as the first
    "làm giấy khai sinh",
    "đăng ký kết hôn",
    "cấp lại căn cước",
    "đăng ký thường trú",
    "chứng thực bản sao",
    "lam giay khai sinh cho con",
    "đăng ký tạm trú",
    "trích lục khai tử",
    "tach thua dat",
    "xin giấy phép xây dựng",
    "cap giay xac nhan tinh trang hon nhan",
    "đăng ký hộ kinh doanh",
]
POPULAR_WEIGHTS = [1 / rank for rank in range(1, len(POPULAR) + 1)]
POPULAR_SHARE = 0.4  # of the questions, in the mixed mode
QUESTION_SHARE = 0.75  # of the updates; the others press a card button
PRESSED = ["1.001193", "1.000894", "2.000908", "1.001622"]  # popular cards
COMMUNAL_SHARE = 0.8  # of the fresh questions, cut from the name of a commune-level procedure
COMMUNES = ["16225", "00097", "26734", "27043", "31117"]  # 2025 unit codes the users live in
USERS = 200
WARM_UP = 20  # updates: first contact and the thread pool, before anything is timed
FIRST_USER = 10_000


def prepare(data_dir: Path) -> Services:
    settings = Settings(TTHC_DATA_DIR=data_dir, DATABASE_URL=None)
    return open_services(settings)


def set_communes(store: Store, user_ids: range) -> None:
    with store.sessions.begin() as session:
        units = [unit for code in COMMUNES if (unit := get_unit(session, code)) is not None]
        communes: list[Unit] = [unit for unit in units if unit.is_current]
        for user_id, unit in zip(user_ids, itertools.cycle(communes), strict=False):
            set_commune(get_user(session, user_id), unit)


class BenchDialogue(Dialogue):
    """The dialogue (or, ``fixed``, the same short reply to everything) counting the kinds of reply."""

    def __init__(self, sessions: sessionmaker[Session], search: SearchService, *, fixed: bool) -> None:
        super().__init__(sessions, search)
        self.fixed = fixed
        self.kinds: Counter[str] = Counter()
        self._lock = threading.Lock()

    def text(self, user_id: int, text: str) -> list[Reply]:
        if self.fixed:
            return self._count([Reply(Doc().add("ok"))], "fixed")
        replies = super().text(user_id, text)
        return self._count(replies, _kind(replies[-1]))

    def button(self, user_id: int, data: str) -> list[Reply]:
        replies = [Reply(Doc().add("ok"))] if self.fixed else super().button(user_id, data)
        return self._count(replies, "press")

    def _count(self, replies: list[Reply], kind: str) -> list[Reply]:
        with self._lock:
            self.kinds[kind] += 1
        return replies


def _kind(reply: Reply) -> str:
    """A list offers cards to open, a "no match" reply starts with the words of NO_RESULTS."""
    if any(
        button.data and button.data.startswith(f"{Action.CARD}:") for row in reply.buttons for button in row
    ):
        return "list"
    first = "".join(span.text for span in reply.doc.lines[0]) if reply.doc.lines else ""
    return "no match" if first.startswith(NO_MATCH) else "card"


@dataclass(frozen=True)
class Catalogue:
    """What the traffic is made from: procedure names to cut questions from, codes to press."""

    communal_names: list[str]
    other_names: list[str]
    communal_codes: list[str]

    @classmethod
    def read(cls, services: Services) -> Catalogue:
        with services.store.sessions() as session:
            rows = session.execute(
                select(Procedure.code, Procedure.name, Procedure.levels)
                .where(Procedure.status == "in_force")
                .order_by(Procedure.code)
            ).all()
        communal = [row for row in rows if "xa" in (row.levels or [])]
        others = [row.name for row in rows if "xa" not in (row.levels or [])]
        return cls([row.name for row in communal], others, [row.code for row in communal])


def fresh_questions(catalogue: Catalogue, rng: random.Random) -> Iterator[str]:
    """Questions never asked before: a few words of a procedure's name, as a citizen might type them."""
    seen: set[str] = set()
    while True:
        names = catalogue.communal_names if rng.random() < COMMUNAL_SHARE else catalogue.other_names
        words = rng.choice(names).split()
        length = min(rng.randint(2, 6), len(words))
        first = rng.randint(0, len(words) - length)
        question = " ".join(words[first : first + length]).strip(" ,.;:()").lower()
        if rng.random() < 1 / 3:
            question = fold(question)
        if question and question not in seen:
            seen.add(question)
            yield question


class Traffic:
    """The updates users send in one mode (see the module's docstring)."""

    def __init__(self, mode: str, catalogue: Catalogue, rng: random.Random) -> None:
        self.popular_share = POPULAR_SHARE if mode != "cold" else 0.0
        self.pressed_share = 0.5 if mode != "cold" else 0.0
        self.rng = rng
        self.fresh = fresh_questions(catalogue, rng)
        codes = list(catalogue.communal_codes)
        rng.shuffle(codes)
        self.codes = itertools.cycle(codes)  # in the cold mode a run presses fewer cards than this
        self.message_ids = itertools.count(1)

    def question(self) -> str:
        if self.rng.random() < self.popular_share:
            return self.rng.choices(POPULAR, POPULAR_WEIGHTS)[0]
        return next(self.fresh)

    def pressed(self) -> str:
        return self.rng.choice(PRESSED) if self.rng.random() < self.pressed_share else next(self.codes)

    def update(self, user: dict[str, Any]) -> dict[str, Any]:
        if self.rng.random() < QUESTION_SHARE:
            return text_update(user, self.question(), next(self.message_ids))
        earlier = {"message_id": 1, "date": 0, "chat": {"id": user["id"], "type": "private"}, "text": "…"}
        return callback_update(user, earlier, callback(Action.CARD, self.pressed()), next(self.message_ids))


class Server:
    """The fake Bot API in its own process, driven through its control API.

    In production Telegram's servers are elsewhere; running the fake in another process keeps its
    work off the bot's CPU budget, and its clock (perf_counter, system-wide on Linux) times both
    ends of every exchange.
    """

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakebotapi"], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}"
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Server:
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self.http is not None
        await self.http.close()
        self.process.terminate()
        self.process.wait(10)

    async def push(self, updates: list[dict[str, Any]]) -> list[int]:
        assert self.http is not None
        async with self.http.post(f"{self.base}/_control/push", json=updates) as response:
            ids: list[int] = await response.json()
            return ids

    async def replies(self) -> int:
        assert self.http is not None
        async with self.http.get(f"{self.base}/_control/counts") as response:
            counts: dict[str, int] = await response.json()
        return counts.get("sendMessage", 0) + counts.get("editMessageText", 0)

    async def wait_calls(self, method: str, count: int, timeout: float = 600.0) -> None:
        """Until the bot has called ``method`` ``count`` times."""
        assert self.http is not None
        deadline = time.monotonic() + timeout
        while True:
            async with self.http.get(f"{self.base}/_control/counts") as response:
                counts: dict[str, int] = await response.json()
            if counts.get(method, 0) >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} called {counts.get(method, 0)} of {count} times")
            await asyncio.sleep(0.1)

    async def wait_done(self, expected: dict[int, int], timeout: float = 300.0) -> float:
        """Until each user (id → count) has had that many answers to ``DONE``; the time of the last.

        Each user's last update is ``DONE`` and a user's updates are answered in order, so every
        update was answered once every user has its ``DONE`` reply.
        """
        assert self.http is not None
        deadline = time.monotonic() + timeout
        while True:
            async with self.http.get(f"{self.base}/_control/replies", params={"containing": DONE_REPLY}) as r:
                replies: dict[str, list[float]] = await r.json()
            if all(len(replies.get(str(user), ())) >= count for user, count in expected.items()):
                return max(max(replies[str(user)]) for user in expected)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every update was answered after {timeout} s")
            await asyncio.sleep(0.02)

    async def timings(self) -> dict[str, dict[str, float]]:
        assert self.http is not None
        async with self.http.get(f"{self.base}/_control/timings") as response:
            timings: dict[str, dict[str, float]] = await response.json()
            return timings


async def drive(server: Server, traffic: Traffic, args: argparse.Namespace, store: Store) -> dict[str, float]:
    """Warm up, then the throughput burst and the steady-rate latency run against a bot that polls
    ``server``; users' communes are set in ``store``'s database."""
    users = [FakeBotAPI.user(FIRST_USER + n, f"U{n}") for n in range(USERS)]
    # First contact, the thread pool, the first commune lists.
    await server.push([*(traffic.update(user) for user in users[:WARM_UP]), *map(done, users[:WARM_UP])])
    await server.wait_done({user["id"]: 1 for user in users[:WARM_UP]})

    # Throughput: everything at once, each user's updates closed by DONE.
    burst = [traffic.update(users[n % USERS]) for n in range(args.updates)]
    [first, *_rest] = await server.push([*burst, *map(done, users)])
    last = await server.wait_done({user["id"]: 2 if n < WARM_UP else 1 for n, user in enumerate(users)})
    timings = await server.timings()
    elapsed = last - timings["pushed"][str(first)]
    handled = len(burst) + len(users)

    # Latency: a steady rate, one new user per update so that each reply maps to its update.
    begin = FIRST_USER + USERS
    latency_users = [FakeBotAPI.user(begin + n, f"L{n}") for n in range(int(args.rate * args.seconds))]
    set_communes(store, range(begin, begin + len(latency_users)))
    sent: dict[int, int] = {}  # user id -> update id
    tick = time.perf_counter()
    for n, user in enumerate(latency_users):
        delay = tick + n / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        [sent[user["id"]]] = await server.push([traffic.update(user)])
    await server.push(list(map(done, latency_users)))
    await server.wait_done({user["id"]: 1 for user in latency_users})
    timings = await server.timings()
    latencies = sorted(
        (timings["first_reply"][str(user_id)] - timings["pushed"][str(update_id)]) * 1000
        for user_id, update_id in sent.items()
    )
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "updates": handled,
        "seconds": elapsed,
        "per_second": handled / elapsed,
        "rate": args.rate,
        "samples": len(latencies),
        "p50_ms": quantiles[49],
        "p95_ms": quantiles[94],
        "p99_ms": quantiles[98],
    }


def done(user: dict[str, Any]) -> dict[str, Any]:
    """The update that closes a user's updates (see ``Server.wait_done``)."""
    return text_update(user, DONE, 0)


async def run_in_process(
    services: Services, traffic: Traffic, args: argparse.Namespace, *, transport: Transport
) -> dict[str, float]:
    """The Application in this process, on ``services`` (whose dialogue counts the replies), talking
    through ``transport`` (``TTHC_TRANSPORT``)."""
    async with Server() as server:
        settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, TTHC_TRANSPORT=transport)
        app = build_application(
            settings, services=services, base_url=f"{server.base}/bot", rate_limiter=False
        )
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.updater.start_polling(timeout=5)
            await app.start()
            try:
                return await drive(server, traffic, args, services.store)
            finally:
                await app.updater.stop()
                await app.stop()


async def run_command(store: Store, traffic: Traffic, args: argparse.Namespace) -> dict[str, float]:
    """``tthc-bot run`` as production starts it: one process of its own."""
    async with Server() as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": server.base,
            "TELEGRAM_RATE_LIMIT": "false",
            "TTHC_DATA_DIR": str(args.data_dir),
            "WEBHOOK_URL": "",
        }
        env.pop("DATABASE_URL", None)
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env)
        try:
            started = time.perf_counter()
            await server.wait_calls("setMyCommands", 1)  # once started
            print(f"command: ready in {time.perf_counter() - started:.1f} s")
            return await drive(server, traffic, args, store)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(120)


def measure(mode: str, args: argparse.Namespace) -> None:
    """One mode on services of its own, so that no mode starts with another's caches."""
    started = time.perf_counter()
    services = prepare(args.data_dir)
    services.dialogue.close()
    dialogue = BenchDialogue(services.store.sessions, services.search, fixed=mode.startswith("plumbing"))
    services.dialogue = dialogue
    traffic = Traffic(mode, Catalogue.read(services), random.Random(7))
    set_communes(services.store, range(FIRST_USER, FIRST_USER + USERS))
    try:
        if mode == "command":
            figures = asyncio.run(run_command(services.store, traffic, args))
        else:
            print(f"{mode}: services open in {time.perf_counter() - started:.1f} s")
            transport: Transport = "httpx" if mode.endswith("httpx") else "aiohttp"
            figures = asyncio.run(run_in_process(services, traffic, args, transport=transport))
    finally:
        services.close()
    print(
        f"{mode}: throughput {figures['updates']:.0f} updates in {figures['seconds']:.2f} s = "
        f"{figures['per_second']:.0f} updates/s (target ≥ {TARGET_THROUGHPUT}/s)"
    )
    print(
        f"{mode}: latency at {figures['rate']:.0f} updates/s ({figures['samples']:.0f} updates): "
        f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms "
        f"(target p95 ≤ {TARGET_P95_MS} ms at 30/s)"
    )
    if mode in ("mixed", "mixed-httpx", "cold"):
        kinds = dialogue.kinds
        print(
            f"{mode}: replies "
            + ", ".join(f"{kind} {kinds[kind]}" for kind in ("card", "list", "no match", "press"))
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bot")
    parser.add_argument("--mode", choices=MODES, action="append", help="repeatable; default: all")
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    for mode in args.mode or MODES:
        measure(mode, args)


if __name__ == "__main__":
    main()
