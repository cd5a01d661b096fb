"""Benchmark: updates handled end to end by the Telegram bot, through the fake Bot API on loopback.

    .venv/bin/python -m bench.bot [--data-dir DIR] [--updates N] [--rate R] [--seconds S]

The real Application (handlers, dialogue, search, SQLite) runs against tests/fakebotapi.py over
HTTP on 127.0.0.1; the fake server runs in a process of its own, as Telegram's servers would.
Users have their commune set; an update is a citizen's question (free text) or a press on a
result's button; it counts as handled when its reply reaches the server.

- throughput: N updates pushed at once, from 200 users; handled updates per second (target ≥ 300/s);
- with --plumbing-only every update gets a fixed reply: what PTB, HTTP and the handlers cost alone;
- latency: updates at a steady R per second for S seconds, each from a new user; p50/p95/p99 of the
  time from the update's arrival in the server's queue to the reply reaching the server
  (target p95 ≤ 50 ms at 50/s).

Telegram itself lets a bot send about 30 messages per second, which PTB's AIORateLimiter enforces in
production; the benchmark turns the limiter off to measure the bot's own capacity. The database and
search index are built once in ``--data-dir`` (default var/bench) from the bundled data.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import build_application
from bot.dialogue import Dialogue, Reply
from bot.handlers.services import Services, open_services
from bot.keyboards import Action, callback
from bot.render import Doc
from knowledge.models import Unit
from knowledge.settings import Settings
from knowledge.units import get_unit
from knowledge.users import get_user, set_commune
from tests.fakebotapi import TOKEN, FakeBotAPI, callback_update, text_update

QUESTIONS = [
    "làm giấy khai sinh",
    "lam giay khai sinh cho con",
    "đăng ký kết hôn",
    "cấp lại căn cước",
    "chứng thực bản sao",
    "đăng ký thường trú",
    "xin giấy phép xây dựng",
    "tach thua dat",
    "trích lục khai tử",
    "đăng ký tạm trú",
    "cap giay xac nhan tinh trang hon nhan",
    "đăng ký hộ kinh doanh",
]
PRESSED = ["1.001193", "1.000894", "2.000908", "1.001622"]  # codes whose card a user opens
COMMUNES = ["16225", "00097", "26734", "27043", "31117"]  # 2025 unit codes the users live in
USERS = 200
FIRST_USER = 10_000


def prepare(data_dir: Path) -> Services:
    settings = Settings(TTHC_DATA_DIR=data_dir, DATABASE_URL=None)
    return open_services(settings)


def set_communes(services: Services, user_ids: range) -> None:
    with services.store.sessions.begin() as session:
        units = [unit for code in COMMUNES if (unit := get_unit(session, code)) is not None]
        communes: list[Unit] = [unit for unit in units if unit.is_current]
        for user_id, unit in zip(user_ids, itertools.cycle(communes), strict=False):
            set_commune(get_user(session, user_id), unit)


class FixedReply(Dialogue):
    """A dialogue that answers every question and button with the same short reply."""

    def text(self, user_id: int, text: str) -> list[Reply]:
        return [Reply(Doc().add("ok"))]

    def button(self, user_id: int, data: str) -> list[Reply]:
        return [Reply(Doc().add("ok"))]


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
        self.message_ids = itertools.count(1)
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

    async def wait_for_replies(self, count: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while await self.replies() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {count} replies after {timeout} s")
            await asyncio.sleep(0.02)

    async def timings(self) -> dict[str, dict[str, float]]:
        assert self.http is not None
        async with self.http.get(f"{self.base}/_control/timings") as response:
            timings: dict[str, dict[str, float]] = await response.json()
            return timings

    def update(self, user: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        """A question (3 in 4) or a press on a card button under an earlier reply (1 in 4)."""
        if rng.random() < 0.75:
            return text_update(user, rng.choice(QUESTIONS), next(self.message_ids))
        earlier = {"message_id": 1, "date": 0, "chat": {"id": user["id"], "type": "private"}, "text": "…"}
        return callback_update(
            user, earlier, callback(Action.CARD, rng.choice(PRESSED)), next(self.message_ids)
        )


async def run(services: Services, updates: int, rate: float, seconds: float) -> dict[str, float]:
    rng = random.Random(7)
    async with Server() as server:
        settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN)
        app = build_application(
            settings, services=services, base_url=f"{server.base}/bot", rate_limiter=False
        )
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.updater.start_polling(timeout=5)
            await app.start()

            users = [FakeBotAPI.user(FIRST_USER + n, f"U{n}") for n in range(USERS)]
            # First contact, caches and the thread pool warmed.
            await server.push([server.update(user, rng) for user in users[:20]])
            await server.wait_for_replies(20)

            # Throughput: everything at once.
            before = await server.replies()
            start = time.perf_counter()
            await server.push([server.update(users[n % USERS], rng) for n in range(updates)])
            await server.wait_for_replies(before + updates)
            elapsed = time.perf_counter() - start

            # Latency: a steady rate, one new user per update so that each reply maps to its update.
            first = FIRST_USER + USERS
            latency_users = [FakeBotAPI.user(first + n, f"L{n}") for n in range(int(rate * seconds))]
            set_communes(services, range(first, first + len(latency_users)))
            sent: dict[int, int] = {}  # user id -> update id
            tick = time.perf_counter()
            for n, user in enumerate(latency_users):
                delay = tick + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                [sent[user["id"]]] = await server.push([server.update(user, rng)])
            await server.wait_for_replies(before + updates + len(latency_users))
            timings = await server.timings()

            await app.updater.stop()
            await app.stop()
    latencies = sorted(
        (timings["first_reply"][str(user_id)] - timings["pushed"][str(update_id)]) * 1000
        for user_id, update_id in sent.items()
    )
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "updates": updates,
        "seconds": elapsed,
        "per_second": updates / elapsed,
        "rate": rate,
        "samples": len(latencies),
        "p50_ms": quantiles[49],
        "p95_ms": quantiles[94],
        "p99_ms": quantiles[98],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bot")
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--plumbing-only",
        action="store_true",
        help="answer every update with a fixed reply: the capacity of PTB, HTTP and the handlers alone",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    services = prepare(args.data_dir)
    print(f"services open in {time.perf_counter() - started:.1f} s")
    if args.plumbing_only:
        services.dialogue = FixedReply(services.store.sessions, services.search)
    set_communes(services, range(FIRST_USER, FIRST_USER + USERS))
    try:
        figures = asyncio.run(run(services, args.updates, args.rate, args.seconds))
    finally:
        services.close()
    print(
        f"throughput: {figures['updates']:.0f} updates in {figures['seconds']:.2f} s = "
        f"{figures['per_second']:.0f} updates/s (target ≥ 300/s)"
    )
    print(
        f"latency at {figures['rate']:.0f} updates/s ({figures['samples']:.0f} updates): "
        f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms "
        "(target p95 ≤ 50 ms)"
    )


if __name__ == "__main__":
    main()
