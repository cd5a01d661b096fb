"""Webhook mode: the bot's own HTTP server takes updates (with the secret header only), answers
/healthz for the load balancer, registers the webhook on start and stops on SIGTERM; replies go
through each of the bot's transports (TTHC_TRANSPORT)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine

from bot import texts
from bot.app import build_application
from bot.handlers.services import Services
from bot.webhook import SECRET_HEADER, WebhookServer, serve_until_signalled, webhook_secret
from knowledge.catalogue import current_version
from knowledge.db import make_sessionmaker
from knowledge.settings import Settings
from tests.botworld import TRANSPORTS, bot_process
from tests.fakebotapi import FakeBotAPI, text_update

HOOK = "https://bot.example.gov.vn/tthc/hook"
USER = FakeBotAPI.user(1001, "Lan")
STRANGER = FakeBotAPI.user(1002, "Kẻ lạ")
_update_ids = itertools.count(1)


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def webhook_settings(api: FakeBotAPI, transport: str) -> Settings:
    return Settings(
        TELEGRAM_BOT_TOKEN=api.token,
        WEBHOOK_URL=HOOK,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=0,
        TTHC_TRANSPORT=transport,
    )


def webhook_server(api: FakeBotAPI, services: Services, transport: str) -> WebhookServer:
    settings = webhook_settings(api, transport)
    app = build_application(settings, services=services, base_url=api.base_url, updater=False)
    assert app.updater is None
    return WebhookServer(app, settings)


@asynccontextmanager
async def serving(api: FakeBotAPI, services: Services, transport: str) -> AsyncIterator[WebhookServer]:
    """The webhook server running until the block ends; entered once it registered its webhook."""
    server = webhook_server(api, services, transport)
    stop = asyncio.Event()
    task = asyncio.create_task(server.serve(stop))
    await api.wait_for_calls("setWebhook", 1)
    try:
        yield server
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def update_of(user: dict[str, Any], text: str) -> dict[str, Any]:
    number = next(_update_ids)
    return {"update_id": number, **text_update(user, text, number)}


async def post(http: aiohttp.ClientSession, server: WebhookServer, body: object, secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    url = f"http://127.0.0.1:{server.port}{server.path}"
    async with http.post(url, json=body, headers=headers) as response:
        return response.status


async def health(http: aiohttp.ClientSession, server: WebhookServer) -> tuple[int, dict[str, Any]]:
    async with http.get(f"http://127.0.0.1:{server.port}/healthz") as response:
        return response.status, await response.json()


async def test_updates_need_the_secret_and_are_answered(world: Services, transport: str) -> None:
    async with FakeBotAPI() as api, serving(api, world, transport) as server, aiohttp.ClientSession() as http:
        secret = webhook_secret(api.token)
        assert await post(http, server, update_of(STRANGER, "/help"), None) == 403
        assert await post(http, server, update_of(STRANGER, "/help"), "not-the-secret") == 403
        assert await post(http, server, "not an update", secret) == 400
        assert await post(http, server, update_of(USER, "/help"), secret) == 200
        await api.wait_until(lambda: api.replies_in(USER) >= 1)
        assert texts.HELP_TITLE in api.sent_to(USER)[0].text
        assert api.sent_to(STRANGER) == []
    [registered] = api.calls_to("setWebhook")
    assert registered.params["url"] == HOOK
    assert registered.params["secret_token"] == secret == webhook_secret(api.token)
    assert "callback_query" in registered.params["allowed_updates"]


async def test_healthz_reports_the_catalogue_and_the_database(
    world: Services, transport: str, tmp_path: Path
) -> None:
    with world.store.sessions() as session:
        version = current_version(session)
        assert version is not None
    async with FakeBotAPI() as api, serving(api, world, transport) as server, aiohttp.ClientSession() as http:
        status, body = await health(http, server)
        assert status == 200
        assert body == {
            "status": "ok",
            "database": True,
            "index_ready": True,
            "catalogue_version": version.version,
            "catalogue_id": version.id,
        }
        working = world.store
        broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}")
        world.store = dataclasses.replace(working, sessions=make_sessionmaker(broken))
        try:
            status, body = await health(http, server)
        finally:
            world.store = working
            broken.dispose()
        assert status == 503
        assert (body["status"], body["database"], body["catalogue_version"]) == ("unavailable", False, None)


async def test_a_starting_bot_is_unavailable_and_refuses_updates(world: Services, transport: str) -> None:
    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        server = webhook_server(api, world, transport)
        await server.start()
        try:
            status, body = await health(http, server)
            refused = await post(http, server, update_of(USER, "/help"), webhook_secret(api.token))
        finally:
            await server.stop()
    assert status == 503 and body["status"] == "unavailable" and body["database"] is None
    assert refused == 503  # Telegram retries
    assert api.calls_to("setWebhook") == []


def test_the_webhook_path_cannot_hide_healthz() -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN="1:A", WEBHOOK_URL="https://bot.example.gov.vn/healthz")
    with pytest.raises(ValueError, match="healthz"):
        WebhookServer(build_application(settings, updater=False), settings)


async def test_sigterm_stops_the_bot_cleanly(world: Services, transport: str) -> None:
    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        server = webhook_server(api, world, transport)
        task = asyncio.create_task(serve_until_signalled(server))
        await api.wait_for_calls("setWebhook", 1)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(task, 10)
        assert not server.app.running
        with pytest.raises(aiohttp.ClientConnectionError):
            await health(http, server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_tthc_bot_run_serves_the_webhook_and_healthz_then_stops_on_sigterm(tmp_path: Path) -> None:
    """The `run` command with WEBHOOK_URL: one process, its updates and /healthz on one port."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tthc/hook"
    env = {"WEBHOOK_URL": hook, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port)}
    async with (
        FakeBotAPI() as api,
        aiohttp.ClientSession() as http,
        bot_process(api, tmp_path, **env) as process,
    ):
        [registered] = await api.wait_for_calls("setWebhook", 1, timeout=60)
        headers = {SECRET_HEADER: webhook_secret(api.token)}
        async with http.post(hook, json=update_of(USER, "lam giay khai sinh"), headers=headers) as response:
            assert response.status == 200
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert (response.status, (await response.json())["status"]) == (200, "ok")
        await api.wait_until(lambda: api.replies_in(USER) >= 1, timeout=30)
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert registered.params["url"] == hook
    assert "<b>Đăng ký khai sinh</b>" in api.sent_to(USER)[0].text
    assert process.returncode == 0, err.decode()
