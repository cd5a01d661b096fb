"""Benchmark: updates handled end to end by the Telegram bot, through the fake Bot API on loopback.

    .venv/bin/python -m bench.bot [--data-dir DIR] [--updates N] [--rate R] [--seconds S]

The real Application (handlers, dialogue, search, SQLite) runs against tests/fakebotapi.py over
HTTP on 127.0.0.1, in one process. Users have their commune set; an update is a citizen's question
(free text) or a press on a result's button; it counts as handled when its reply reaches the server.

- throughput: N updates pushed at once, from 200 users; handled updates per second (target ≥ 300/s);
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
import time
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.handlers.services import Services, open_services
from bot.keyboards import Action, callback
from knowledge.models import Unit
from knowledge.settings import Settings
from knowledge.units import get_unit
from knowledge.users import set_commune
from tests.fakebotapi import FakeBotAPI

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
            set_commune(session, user_id, unit)


def push_update(api: FakeBotAPI, user: dict[str, Any], rng: random.Random) -> int:
    """A question (3 in 4) or a press on a card button under an earlier reply (1 in 4)."""
    if rng.random() < 0.75:
        return api.send_text(user, rng.choice(QUESTIONS))
    earlier = {"message_id": 1, "date": 0, "chat": {"id": user["id"], "type": "private"}, "text": "…"}
    return api.press_data(user, earlier, callback(Action.CARD, rng.choice(PRESSED)))


async def replies_to(api: FakeBotAPI, count: int, timeout: float = 120.0) -> None:
    await api.wait_until(lambda: api.count("sendMessage", "editMessageText") >= count, timeout)


async def run(services: Services, updates: int, rate: float, seconds: float) -> dict[str, float]:
    rng = random.Random(7)
    async with FakeBotAPI() as api:
        settings = Settings(TELEGRAM_BOT_TOKEN=api.token)
        app = build_application(settings, services=services, base_url=api.base_url, rate_limiter=False)
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.updater.start_polling(timeout=5)
            await app.start()

            warm = [api.user(FIRST_USER + n, f"U{n}") for n in range(USERS)]
            for user in warm[:20]:  # first contact, caches and the thread pool warmed
                push_update(api, user, rng)
            await replies_to(api, 20)

            # Throughput: everything at once.
            before = api.count("sendMessage", "editMessageText")
            start = time.perf_counter()
            for n in range(updates):
                push_update(api, warm[n % USERS], rng)
            await replies_to(api, before + updates)
            elapsed = time.perf_counter() - start

            # Latency: a steady rate, one new user per update so that each reply maps to its update.
            latency_users = [api.user(FIRST_USER + USERS + n, f"L{n}") for n in range(int(rate * seconds))]
            set_communes(services, range(FIRST_USER + USERS, FIRST_USER + USERS + len(latency_users)))
            pushed: dict[int, float] = {}
            tick = time.perf_counter()
            for n, user in enumerate(latency_users):
                delay = tick + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                update_id = push_update(api, user, rng)
                pushed[user["id"]] = api.pushed_at[update_id]
            await replies_to(api, before + updates + len(latency_users))
            latencies = sorted(
                (api.sent_to(user)[0].at - pushed[user["id"]]) * 1000 for user in latency_users
            )

            await app.updater.stop()
            await app.stop()
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
    args = parser.parse_args()
    started = time.perf_counter()
    services = prepare(args.data_dir)
    print(f"services open in {time.perf_counter() - started:.1f} s")
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
