"""The bot's aiohttp transport to the Bot API: what the server receives, errors, the bot using it
(or PTB's stock HTTPXRequest, one setting away), and only PTB's public interface used."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.app import build_application
from bot.request import AiohttpRequest
from knowledge.settings import Settings
from tests.fakebotapi import TOKEN, Failure, FakeBotAPI


def _bot(api: FakeBotAPI, request: AiohttpRequest | None = None) -> Bot:
    return Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=request or AiohttpRequest(4),
    )


@pytest.mark.parametrize(("setting", "kind"), [(None, AiohttpRequest), ("httpx", HTTPXRequest)])
async def test_the_application_talks_through_the_transport_set(
    setting: str | None, kind: type[BaseRequest]
) -> None:
    chosen = {"TTHC_TRANSPORT": setting} if setting else {}
    app = build_application(Settings(TELEGRAM_BOT_TOKEN=TOKEN, **chosen), rate_limiter=False)
    assert isinstance(app.bot.request, kind)
    assert isinstance(app.bot._request[0], kind)  # getUpdates has a transport of its own


def test_nothing_in_the_bot_imports_ptbs_private_modules() -> None:
    """PTB may change ``telegram._…`` in any release; the bot keeps to its public interface."""
    private = re.compile(r"^\s*(from|import)\s+telegram\._", re.MULTILINE)
    package = Path(__file__).parent.parent / "bot"
    offenders = [str(path) for path in sorted(package.rglob("*.py")) if private.search(path.read_text())]
    assert offenders == []


async def test_messages_with_vietnamese_text_and_buttons_arrive_intact() -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Giấy tờ cần nộp", callback_data="d:1.001193")]])
    async with FakeBotAPI() as api, _bot(api) as bot:
        sent = await bot.send_message(42, "<b>Đăng ký khai sinh</b> & “hồ sơ”", reply_markup=keyboard)
    [call] = api.calls_to("sendMessage")
    assert call.params["chat_id"] == 42
    assert call.text == "<b>Đăng ký khai sinh</b> & “hồ sơ”"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "d:1.001193"
    assert sent.text == call.text and sent.chat.id == 42


async def test_files_go_as_multipart_and_downloads_come_back() -> None:
    async with FakeBotAPI() as api, _bot(api) as bot:
        await bot.send_document(7, b"%PDF-1.4 \x00\xff", filename="to-khai.pdf", caption="Tờ khai")
        api.user_files["f1"] = b"ma_ho_so,trang_thai\n"
        downloaded = await (await bot.get_file("f1")).download_as_bytearray()
    [call] = api.calls_to("sendDocument")
    assert call.files["document"].content == b"%PDF-1.4 \x00\xff"
    assert call.files["document"].filename == "to-khai.pdf"
    assert call.text == "Tờ khai"
    assert bytes(downloaded) == b"ma_ho_so,trang_thai\n"


async def test_the_servers_error_status_reaches_ptb() -> None:
    async with FakeBotAPI() as api:
        bot = Bot("9:WRONG", base_url=api.base_url, request=AiohttpRequest(2))
        with pytest.raises(InvalidToken):  # HTTP 401 from the server
            await bot.initialize()
        await bot.shutdown()


async def test_a_server_that_does_not_answer_in_time_is_a_timeout() -> None:
    released = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        await released.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", slow)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    request = AiohttpRequest(2, read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        released.set()
        await request.shutdown()
        await runner.cleanup()


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_is_refused() -> None:
    with pytest.raises(RuntimeError):
        await AiohttpRequest().do_request("http://127.0.0.1:1/x", "POST")


def test_replies_are_parsed_and_bad_json_is_telegrams_error() -> None:
    assert AiohttpRequest.parse_json_payload(b'{"ok": true, "result": "\xc4\x91"}') == {
        "ok": True,
        "result": "đ",
    }
    with pytest.raises(Exception, match="Invalid server response"):
        AiohttpRequest.parse_json_payload(b"<html>502 Bad Gateway</html>")


async def test_timeouts_given_are_kept_and_ptbs_not_given_is_the_default() -> None:
    """PTB passes ``BaseRequest.DEFAULT_NONE`` for a timeout not given, a number or None otherwise."""
    async with FakeBotAPI() as api, _bot(api, AiohttpRequest(2, read_timeout=0.2)) as bot:
        api.fail("sendMessage", Failure(late=0.5))
        with pytest.raises(TimedOut):  # the transport's own 0.2 s
            await bot.send_message(1, "chậm")
        api.fail("sendMessage", Failure(late=0.5))
        sent = await bot.send_message(1, "chờ được", read_timeout=3)  # given: waited for
    assert sent.text == "chờ được"
