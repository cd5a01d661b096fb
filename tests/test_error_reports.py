"""Failures reported to the admins: what a report says (and does not), and how reports are throttled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telegram import Update
from telegram.error import TimedOut
from telegram.ext import ContextTypes, MessageHandler, filters

from bot import texts
from bot.handlers.errors import THROTTLE_KEY, ErrorThrottle, describe, report_doc, signature
from bot.handlers.services import Services
from bot.render import to_plain
from knowledge.settings import Settings
from tests.botworld import bot_application, polling
from tests.fakebotapi import FakeBotAPI, text_update

ADMIN = FakeBotAPI.user(7, "Quản trị")
CITIZEN = FakeBotAPI.user(1001, "Thúy")
ERROR_CHAT = -100777
PERSONAL = "Tôi tên Thúy, số điện thoại 0912345678"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def caught(fail: Callable[[], object]) -> Exception:
    """What ``fail`` raises, with its traceback, as the error handler receives it."""
    try:
        fail()
    except Exception as error:
        return error
    raise AssertionError("did not fail")


def store_breaks() -> None:
    raise RuntimeError("kho dữ liệu hỏng")


def search_breaks() -> None:
    raise RuntimeError("kho dữ liệu hỏng")


def reading_breaks() -> None:
    raise ValueError("không đọc được")


def test_one_report_per_signature_per_window_then_the_held_back_count() -> None:
    clock = Clock()
    throttle = ErrorThrottle(per_signature=600, per_hour=10, clock=clock)
    assert throttle.admit("a") == 0
    assert throttle.admit("a") is None
    assert throttle.admit("b") == 1  # another problem goes out, mentioning the one held back
    clock.now += 599
    assert throttle.admit("a") is None
    clock.now += 1
    assert throttle.admit("a") == 1


def test_at_most_so_many_reports_per_hour() -> None:
    clock = Clock()
    throttle = ErrorThrottle(per_signature=1, per_hour=3, clock=clock)
    assert [throttle.admit(f"e{n}") for n in range(5)] == [0, 0, 0, None, None]
    clock.now += 3599
    assert throttle.admit("e5") is None
    clock.now += 1
    assert throttle.admit("e6") == 3


def test_the_signature_is_the_type_and_the_place() -> None:
    first = caught(store_breaks)
    assert signature(first) == signature(caught(store_breaks))
    assert signature(first) != signature(caught(search_breaks))
    assert signature(first) != signature(caught(reading_breaks))
    assert "RuntimeError" in signature(first) and "test_error_reports.py" in signature(first)


def test_a_report_has_the_user_id_and_nothing_the_user_wrote() -> None:
    update = Update.de_json({"update_id": 1, **text_update(CITIZEN, PERSONAL, 5)}, None)
    shown = to_plain(report_doc(caught(reading_breaks), update, held_back=2))
    assert "ValueError" in shown and "không đọc được" in shown and "in reading_breaks" in shown
    assert texts.OPS_UPDATE_TEXT.format(length=len(PERSONAL)) in shown
    assert "1001" in shown and "Thúy" not in shown and "0912345678" not in shown
    assert texts.OPS_REPORT_HELD_BACK.format(count=2) in shown
    command = Update.de_json({"update_id": 2, **text_update(CITIZEN, "/thutuc 0912345678", 6)}, None)
    assert describe(command) == "message (" + texts.OPS_UPDATE_COMMAND.format(command="/thutuc") + ")"
    assert describe(None) == texts.OPS_UPDATE_NONE


def test_reports_go_to_the_error_chat_when_set_else_to_the_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTHC_ERROR_CHAT_ID", raising=False)
    monkeypatch.setenv("TTHC_ADMIN_IDS", "7,8")
    assert Settings().error_recipients == [7, 8]
    monkeypatch.setenv("TTHC_ERROR_CHAT_ID", str(ERROR_CHAT))
    assert Settings().error_recipients == [ERROR_CHAT]
    assert Settings(TTHC_ADMIN_IDS=[], TTHC_ERROR_CHAT_ID=None).error_recipients == []


# --- end to end: a failing handler injected into the real bot, against the fake Bot API server ----


async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text == "/mang":
        raise TimedOut("Telegram chậm")
    raise RuntimeError("kho dữ liệu hỏng")


@asynccontextmanager
async def failing_bot(api: FakeBotAPI, services: Services, clock: Clock) -> AsyncIterator[None]:
    """The bot with ``boom`` in a group before the real handlers: the user gets the apology, then
    the real handlers still answer."""
    app = bot_application(api, services)
    app.add_handler(MessageHandler(filters.Regex(r"^(/hong|/mang|Tôi tên)"), boom), group=-1)
    app.bot_data[THROTTLE_KEY] = ErrorThrottle.from_settings(services.store.settings, clock)
    async with polling(app):
        yield


async def test_failures_are_reported_to_the_admins_throttled(world: Services, tmp_path: Path) -> None:
    world.store.settings = Settings(TTHC_DATA_DIR=tmp_path, TTHC_ADMIN_IDS=[ADMIN["id"]])
    clock = Clock()
    async with FakeBotAPI() as api, failing_bot(api, world, clock):
        [sorry, _] = await api.say(CITIZEN, "/hong", replies=2)  # the second once the report is out
        assert sorry.text == texts.ERROR
        [first] = api.sent_to(ADMIN)
        assert "RuntimeError" in first.text and "kho dữ liệu hỏng" in first.text and "in boom" in first.text
        assert texts.OPS_UPDATE_COMMAND.format(command="/hong") in first.text and "1001" in first.text

        await api.say(CITIZEN, PERSONAL, replies=2)  # the same failure again, within the window
        # A send that timed out is neither reported nor apologised for: it was most likely delivered.
        [answer] = await api.say(CITIZEN, "/mang")
        assert answer.text == texts.UNKNOWN_COMMAND  # the real handlers' answer, no apology before it
        assert len(api.sent_to(ADMIN)) == 1

        clock.now += world.store.settings.error_report_minutes * 60
        await api.say(CITIZEN, PERSONAL, replies=2)
        [_, second] = api.sent_to(ADMIN)
    assert texts.OPS_REPORT_HELD_BACK.format(count=1) in second.text
    assert texts.OPS_UPDATE_TEXT.format(length=len(PERSONAL)) in second.text
    assert "Thúy" not in second.text and "0912345678" not in second.text


async def test_reports_go_to_the_error_chat(world: Services, tmp_path: Path) -> None:
    world.store.settings = Settings(
        TTHC_DATA_DIR=tmp_path, TTHC_ADMIN_IDS=[ADMIN["id"]], TTHC_ERROR_CHAT_ID=ERROR_CHAT
    )
    async with FakeBotAPI() as api, failing_bot(api, world, Clock()):
        await api.say(CITIZEN, "/hong", replies=2)
    assert "kho dữ liệu hỏng" in api.sent_to({"id": ERROR_CHAT})[0].text
    assert api.sent_to(ADMIN) == []
