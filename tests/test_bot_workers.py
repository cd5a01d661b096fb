"""``tthc-bot run`` with worker processes behind one poller (bot/workers.py), end to end against the
fake Bot API: processes started as production starts them, stopped by a signal or by a failure."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from bot import texts
from bot.handlers.services import Services
from bot.webhook import SECRET_HEADER, webhook_secret
from bot.workers import BotApiRefused, RelayServer, _poll, method_url, user_key
from knowledge.settings import Settings
from tests.botworld import bot_process
from tests.fakebotapi import TOKEN, FakeBotAPI, callback_update, text_update

LAN, MAI = FakeBotAPI.user(1002, "Lan"), FakeBotAPI.user(1003, "Mai")  # one on each of two workers


def test_an_update_belongs_to_its_user() -> None:
    chat = {"id": 1002, "type": "private"}
    assert user_key({"update_id": 1, **text_update(LAN, "xin chào", 5)}) == 1002
    message = {"message_id": 5, "date": 0, "chat": chat}
    assert user_key({"update_id": 2, **callback_update(MAI, message, "c:1.001193", 6)}) == 1003
    inline = {"id": "q", "from": LAN, "query": "", "offset": ""}
    assert user_key({"update_id": 3, "inline_query": inline}) == 1002
    assert user_key({"update_id": 4, "message_reaction": {"chat": chat, "user": MAI}}) == 1003
    post = {"message_id": 1, "date": 0, "chat": {"id": -100}}
    assert user_key({"update_id": 5, "channel_post": post}) == -100
    assert user_key({"update_id": 6, "poll": {"id": "p", "question": "?"}}) == 0


def test_method_urls_follow_the_configured_server() -> None:
    token = "123:abc"
    assert method_url(Settings(TELEGRAM_BOT_TOKEN=token), "getUpdates") == (
        "https://api.telegram.org/bot123:abc/getUpdates"
    )
    local = Settings(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL="http://127.0.0.1:8081/")
    assert method_url(local, "deleteWebhook") == "http://127.0.0.1:8081/bot123:abc/deleteWebhook"
    templated = Settings(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL="http://h/custom/bot{token}")
    assert method_url(templated, "getUpdates") == "http://h/custom/bot123:abc/getUpdates"


def workers_of(process: asyncio.subprocess.Process) -> list[int]:
    """The worker processes the front started (spawned interpreters, not multiprocessing's tracker)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [pid for pid in map(int, children) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


async def stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    return err.decode()


async def test_two_workers_answer_every_user_in_order_and_stop_on_sigterm(tmp_path: Path) -> None:
    async with FakeBotAPI() as api, bot_process(api, tmp_path, TTHC_WORKERS="2") as process:
        await api.wait_until(lambda: bool(api.polls), timeout=90)  # polling: every worker started
        assert len(workers_of(process)) == 2 and api.count("setMyCommands") == 2
        [birth] = await api.say(LAN, "lam giay khai sinh", timeout=30)
        [marriage] = await api.say(MAI, "đăng ký kết hôn", timeout=30)
        # A burst from one user: answered in the order sent, by the one worker that has the user.
        for number, question in enumerate(["đăng ký kết hôn", "/help", "lam giay khai sinh", "/xa"], 10):
            api.push(text_update(LAN, question, number))
        await api.wait_until(lambda: api.replies_in(LAN) >= 5, timeout=30)
        burst = [call.text for call in api.sent_to(LAN)[1:5]]
        err = await stop(process)
    assert "<b>Đăng ký khai sinh</b>" in birth.text and "<b>Đăng ký kết hôn</b>" in marriage.text
    assert "<b>Đăng ký kết hôn</b>" in burst[0] and texts.HELP_TITLE in burst[1]
    assert "<b>Đăng ký khai sinh</b>" in burst[2] and "xã/phường nào" in burst[3]
    assert process.returncode == 0, err
    last = api.polls[-1]  # on the way out, every update handed over is confirmed: none comes again
    assert (last["timeout"], last["offset"]) == (0, max(api.pushed_at) + 1)


async def test_a_worker_that_dies_stops_the_bot_with_an_error(tmp_path: Path) -> None:
    async with FakeBotAPI() as api, bot_process(api, tmp_path, TTHC_WORKERS="2") as process:
        await api.wait_until(lambda: bool(api.polls), timeout=90)
        os.kill(workers_of(process)[1], signal.SIGKILL)
        _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "Bot đã dừng vì lỗi: worker 1 stopped unexpectedly" in err.decode()


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}, "worker 0 did not start"),
        ({"TELEGRAM_BOT_TOKEN": "999:WRONG"}, "worker 0 did not start"),
    ],
)
async def test_a_worker_that_cannot_start_stops_the_bot_at_once(
    tmp_path: Path, env: dict[str, str], reason: str
) -> None:
    async with FakeBotAPI() as api, bot_process(api, tmp_path, TTHC_WORKERS="2", **env) as process:
        _out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode == 1
    assert f"Bot đã dừng vì lỗi: {reason}" in err.decode()
    assert api.polls == []  # no update was taken from Telegram that nobody would answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_webhook_front_relays_updates_to_the_workers(tmp_path: Path) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tthc/hook"
    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        env = {
            "WEBHOOK_URL": hook,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
            "TTHC_WORKERS": "2",
        }
        async with bot_process(api, tmp_path, **env) as process:
            [registered] = await api.wait_for_calls("setWebhook", 1, timeout=90)  # once, by the front
            secret = webhook_secret(api.token)
            headers = {SECRET_HEADER: secret}
            for number, (user, text) in enumerate([(LAN, "lam giay khai sinh"), (MAI, "/help")], 1):
                async with http.post(
                    hook, json={"update_id": number, **text_update(user, text, number)}, headers=headers
                ) as response:
                    assert response.status == 200
            async with http.post(hook, json={"update_id": 9}, headers={SECRET_HEADER: "wrong"}) as refused:
                assert refused.status == 403
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                status, health = response.status, await response.json()
            await api.wait_until(lambda: api.replies_in(LAN) >= 1 and api.replies_in(MAI) >= 1, timeout=30)
            err = await stop(process)
    assert (registered.params["url"], registered.params["secret_token"]) == (hook, secret)
    assert status == 200 and health["status"] == "ok" and health["database"] is True
    assert "<b>Đăng ký khai sinh</b>" in api.sent_to(LAN)[0].text
    assert texts.HELP_TITLE in api.sent_to(MAI)[0].text
    assert api.polls == [] and api.count("setWebhook") == 1  # the workers neither poll nor register
    assert process.returncode == 0, err


class StandInWorker:
    """What the relay needs of a worker: where updates go, and whether its process is alive."""

    def __init__(self, alive: bool = True) -> None:
        self.received: list[dict[str, object]] = []
        self.process = self
        self.alive = alive

    def is_alive(self) -> bool:
        return self.alive

    def send(self, update: dict[str, object]) -> None:
        if not self.alive:
            raise BrokenPipeError("the worker is gone")
        self.received.append(update)


async def test_the_relay_refuses_what_a_gone_worker_cannot_take(world: Services) -> None:
    settings = Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_URL="https://bot.example.gov.vn/hook",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=0,
    )
    even, odd = StandInWorker(), StandInWorker(alive=False)
    server = RelayServer(settings, [even, odd], world.store)  # stand-ins for Worker
    await server.start()
    server.accepting = True
    url = f"http://127.0.0.1:{server.port}"
    try:
        async with aiohttp.ClientSession(headers={SECRET_HEADER: webhook_secret(TOKEN)}) as http:
            taken = await http.post(f"{url}/hook", json={"update_id": 1, **text_update(LAN, "/help", 1)})
            refused = await http.post(f"{url}/hook", json={"update_id": 2, **text_update(MAI, "/help", 2)})
            health = await http.get(f"{url}/healthz")
            odd.alive = True
            healthy = await http.get(f"{url}/healthz")
    finally:
        await server.stop()
    assert (taken.status, refused.status) == (200, 503)  # Telegram retries the refused one
    assert [update["update_id"] for update in even.received] == [1]
    assert (health.status, healthy.status) == (503, 200)


class StandInPoller:
    """What the poll loop needs of a Poller: batches of updates (or a refusal), and the offset."""

    def __init__(self, *batches: list[dict[str, object]] | Exception) -> None:
        self.batches = list(batches)
        self.offset = 0

    async def updates(self) -> list[dict[str, object]]:
        if not self.batches:
            await asyncio.sleep(3600)  # a long poll with nothing new
        batch = self.batches.pop(0)
        if isinstance(batch, Exception):
            raise batch
        return batch


async def test_only_updates_handed_over_are_confirmed() -> None:
    even, odd = StandInWorker(), StandInWorker(alive=False)
    batch = [{"update_id": n, **text_update(user, "/help", n)} for n, user in [(7, LAN), (8, MAI), (9, LAN)]]
    poller = StandInPoller(batch)
    await asyncio.wait_for(_poll(poller, [even, odd], asyncio.Event()), 5)  # stand-ins
    assert [update["update_id"] for update in even.received] == [7]
    assert poller.offset == 8  # 8 and 9 were not handed over: Telegram sends them again


async def test_a_retry_after_is_waited_for() -> None:
    worker = StandInWorker()
    update = {"update_id": 5, **text_update(LAN, "/help", 5)}
    poller = StandInPoller(BotApiRefused("getUpdates: 429 Too Many Requests", retry_after=1.5), [update])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.create_task(_poll(poller, [worker], stop))  # stand-ins
    while not worker.received:
        await asyncio.sleep(0.02)
    waited = loop.time() - started
    stop.set()
    await asyncio.wait_for(task, 5)
    assert waited >= 1.5  # longer than the first backoff (1 s): Telegram's word counts


async def test_a_stop_ends_the_wait_before_a_retry() -> None:
    poller = StandInPoller(BotApiRefused("getUpdates: 429 Too Many Requests", retry_after=60))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, stop.set)
    started = loop.time()
    await asyncio.wait_for(_poll(poller, [StandInWorker()], stop), 5)  # stand-ins
    assert loop.time() - started < 5
