"""Webhook mode: the bot's own HTTP server takes updates (with the secret header only), answers
/healthz for the load balancer, registers the webhook on start and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import signal
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
from tests.fakebotapi import FakeBotAPI, text_update

HOOK = "https://bot.example.gov.vn/tthc/hook"
USER = FakeBotAPI.user(1001, "Lan")
STRANGER = FakeBotAPI.user(1002, "Kẻ lạ")
_update_ids = itertools.count(1)


def webhook_settings(api: FakeBotAPI) -> Settings:
    return Settings(
        TELEGRAM_BOT_TOKEN=api.token, WEBHOOK_URL=HOOK, WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=0
    )


def webhook_server(api: FakeBotAPI, services: Services) -> WebhookServer:
    settings = webhook_settings(api)
    app = build_application(settings, services=services, base_url=api.base_url, updater=False)
    assert app.updater is None
    return WebhookServer(app, settings)


@asynccontextmanager
async def serving(api: FakeBotAPI, services: Services) -> AsyncIterator[WebhookServer]:
    """A webhook worker running until the block ends; entered once it registered its webhook."""
    server = webhook_server(api, services)
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


async def test_updates_need_the_secret_and_are_answered(world: Services) -> None:
    async with FakeBotAPI() as api, serving(api, world) as server, aiohttp.ClientSession() as http:
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


async def test_healthz_reports_the_catalogue_and_the_database(world: Services, tmp_path: Path) -> None:
    with world.store.sessions() as session:
        version = current_version(session)
        assert version is not None
    async with FakeBotAPI() as api, serving(api, world) as server, aiohttp.ClientSession() as http:
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


async def test_a_starting_worker_is_unavailable_and_refuses_updates(world: Services) -> None:
    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        server = webhook_server(api, world)
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


async def test_sigterm_stops_the_worker_cleanly(world: Services) -> None:
    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        server = webhook_server(api, world)
        task = asyncio.create_task(serve_until_signalled(server))
        await api.wait_for_calls("setWebhook", 1)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(task, 10)
        assert not server.app.running
        with pytest.raises(aiohttp.ClientConnectionError):
            await health(http, server)
