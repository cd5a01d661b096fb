"""The Application's wiring: Bot API URLs, per-user ordering, commands, and the fake server itself."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from telegram import Bot, Update

from bot import texts
from bot.app import HANDLER_MODULES, PerUserUpdateProcessor, api_urls, build_application, commands
from knowledge.settings import Settings
from tests.fakebotapi import FakeBotAPI


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://127.0.0.1:8081", ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")),
        ("http://127.0.0.1:8081/bot/", ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")),
        (
            "https://api.example.vn/bot{token}",
            ("https://api.example.vn/bot{token}", "https://api.example.vn/file/bot{token}"),
        ),
    ],
)
def test_api_urls(base: str, expected: tuple[str, str]) -> None:
    assert api_urls(base) == expected


def test_the_bot_api_server_comes_from_the_settings() -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN="1:A", TELEGRAM_API_BASE_URL="http://10.0.0.5:8081")
    app = build_application(settings, rate_limiter=False)
    assert app.bot.base_url == "http://10.0.0.5:8081/bot1:A"
    assert app.bot.base_file_url == "http://10.0.0.5:8081/file/bot1:A"


def test_a_token_is_required() -> None:
    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN"):
        build_application(Settings(TELEGRAM_BOT_TOKEN=None))


def test_published_commands_are_the_citizen_menu_in_vietnamese() -> None:
    published = [(command.command, command.description) for command in commands()]
    assert published == texts.CITIZEN_COMMANDS
    assert all(module.handlers() for module in HANDLER_MODULES)


def _update(user_id: int, update_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "A"},
                "text": "x",
            },
        },
        None,
    )


async def test_one_users_updates_run_in_order_and_users_run_side_by_side() -> None:
    processor = PerUserUpdateProcessor(8)
    events: list[tuple[str, int]] = []
    both_started = asyncio.Event()
    started: set[int] = set()

    async def work(name: str, user_id: int) -> None:
        events.append(("start " + name, user_id))
        started.add(user_id)
        if len(started) == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), 5)  # proves the two users overlap
        await asyncio.sleep(0.01)
        events.append(("end " + name, user_id))

    await asyncio.gather(
        processor.process_update(_update(1, 1), work("a1", 1)),
        processor.process_update(_update(1, 2), work("a2", 1)),
        processor.process_update(_update(2, 3), work("b1", 2)),
    )
    user_1 = [event for event, user in events if user == 1]
    assert user_1 == ["start a1", "end a1", "start a2", "end a2"]
    assert not processor._locks  # nothing left behind once a user is idle


async def test_fake_server_takes_photos_and_documents_as_multipart() -> None:
    async with FakeBotAPI() as api, Bot(api.token, base_url=api.base_url) as bot:
        me = await bot.get_me()
        photo = await bot.send_photo(42, b"\x89PNG fake", caption="ảnh")
        document = await bot.send_document(42, b"%PDF-1.4", filename="mau-to-khai.pdf", caption="tờ khai")
    assert me.username == api.bot_user["username"]
    assert photo.photo and photo.caption == "ảnh"
    assert document.document is not None and document.document.file_name == "mau-to-khai.pdf"
    [sent_photo] = api.calls_to("sendPhoto")
    assert sent_photo.files["photo"].content == b"\x89PNG fake"
    [sent_document] = api.calls_to("sendDocument")
    assert sent_document.files["document"].filename == "mau-to-khai.pdf"
    assert [call.text for call in api.sent_to({"id": 42})] == ["ảnh", "tờ khai"]


async def test_fake_server_refuses_unknown_methods_and_wrong_tokens() -> None:
    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        async with http.post(f"{api.base_url}{api.token}/sendDice", data={"chat_id": "1"}) as response:
            unknown: dict[str, Any] = await response.json()
        async with http.post(f"{api.base_url}9:WRONG/getMe") as response:
            wrong: dict[str, Any] = await response.json()
    assert unknown["ok"] is False and unknown["error_code"] == 404
    assert wrong["ok"] is False and wrong["error_code"] == 401
    assert [call.method for call in api.calls] == ["sendDice"]
