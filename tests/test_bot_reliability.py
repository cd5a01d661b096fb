"""One citizen's reply never breaks the bot for others, and Telegram's own failures (429, a late
answer, an expired button) never cost the citizen an answer (issue 13) — end to end, through the
fake Bot API."""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from bot import app as app_module
from bot import texts
from bot.handlers.services import Services
from bot.render import MESSAGE_LIMIT
from bot.request import AiohttpRequest
from tests.botworld import BIRTH, open_world, running_bot
from tests.fakebotapi import Failure, FakeBotAPI

LAN = FakeBotAPI.user(1001, "Lan")
MAI = FakeBotAPI.user(1002, "Mai")
TOO_OLD = "Bad Request: query is too old and response timeout expired or query id is invalid"


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)">', html)


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


async def test_province_as_commune_breaks_nothing_for_others(api: FakeBotAPI) -> None:
    await api.say(MAI, "/start")
    await api.say(MAI, "Thượng Ninh, Thanh Hóa")
    await api.say(LAN, "/start")
    [question] = await api.say(LAN, "Hà Nội")  # a city, not a commune
    assert "xã/phường" in question.text and question.buttons
    [answer] = await api.say(LAN, "lam giay khai sinh")
    assert "<b>Đăng ký khai sinh</b>" in answer.text
    [card] = await api.say(MAI, "lam giay khai sinh")
    assert "<b>Đăng ký khai sinh</b>" in card.text and "Xã Thượng Ninh" in card.text
    [choice] = await api.tap(LAN, question, "Hồng Hà")
    assert "Đã ghi nhận" in choice.text and "Phường Hồng Hà, thành phố Hà Nội" in choice.text
    assert texts.ERROR not in [call.text for call in api.calls_to("sendMessage")]


async def test_a_long_message_with_no_match_is_one_reply(api: FakeBotAPI) -> None:
    pasted = " ".join(f"xqzw{n}" for n in range(240))  # about 1,400 characters, nothing like a procedure
    [reply] = await api.say(LAN, pasted)
    [help_text] = await api.say(LAN, "/help")  # the next reply is the help: the answer was one message
    assert texts.HELP_TITLE in help_text.text
    assert len(visible(reply.text)) < MESSAGE_LIMIT // 4
    quoted = re.search(r"«([^»]*)»", visible(reply.text))
    assert quoted is not None and len(quoted.group(1)) <= 81 and quoted.group(1).endswith("…")
    [portal] = [url for url in links(reply.text) if "tim-kiem" in url]
    [keyword] = parse_qs(urlsplit(portal).query)["keyword"]
    assert 0 < len(keyword) <= 100 and pasted.startswith(keyword)


async def test_a_reply_refused_with_429_is_sent_after_retry_after(api: FakeBotAPI) -> None:
    api.fail("sendMessage", *[Failure(retry_after=1)] * 3)
    [reply] = await api.say(LAN, "/help", timeout=30)
    assert texts.HELP_TITLE in reply.text
    assert len(api.refused) == 3 and all(call.params["text"] == reply.text for call in api.refused)
    assert texts.ERROR not in [call.text for call in api.calls_to("sendMessage")]


async def test_an_expired_button_still_shows_its_content(api: FakeBotAPI) -> None:
    [hello] = await api.say(LAN, "/start")
    api.fail("answerCallbackQuery", Failure(400, TOO_OLD), Failure(400, TOO_OLD))
    [papers] = await api.expect(LAN, lambda: api.press_data(LAN, hello, f"d:{BIRTH}"))
    assert "Tờ khai đăng ký khai sinh" in papers.text
    [help_text] = await api.say(LAN, "/help")
    assert texts.HELP_TITLE in help_text.text  # and no apology in between


@pytest.mark.parametrize("data", ["t:²", "t:٣", "a:2025:38:²", "u:2025:²", "p:²"])
async def test_a_forged_button_is_refused_politely(api: FakeBotAPI, data: str) -> None:
    [hello] = await api.say(LAN, "/start")
    await api.say(LAN, "Thượng Ninh, Thanh Hóa")  # with a commune, "t:" pages its procedures
    [reply] = await api.expect(LAN, lambda: api.press_data(LAN, hello, data))
    assert reply.text in (texts.STALE_BUTTON, texts.PROCEDURE_GONE)


async def test_a_send_that_times_out_gets_no_apology(
    world: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram took the message but answered after the bot stopped waiting: the citizen has it,
    and an apology would only contradict it."""
    monkeypatch.setattr(app_module, "AiohttpRequest", functools.partial(AiohttpRequest, read_timeout=0.3))
    async with FakeBotAPI() as api, running_bot(api, world):
        api.fail("sendMessage", Failure(late=1.0))
        [late] = await api.say(LAN, "/help")
        [then] = await api.say(LAN, "/xa")
    assert texts.HELP_TITLE in late.text and texts.ASK_COMMUNE in then.text


async def test_a_failing_update_is_logged_with_ids_not_what_the_user_wrote(
    api: FakeBotAPI, world: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(user_id: int, text: str) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(world.dialogue, "text", broken)
    secret = "tôi tên Nguyễn Thị Bí Mật, số nhà 12"
    with caplog.at_level(logging.INFO):  # everything but the libraries' debugging (tthc-bot -v)
        [reply] = await api.say(FakeBotAPI.user(1003, "Bí Mật"), secret)
    assert reply.text == texts.ERROR
    kept = [record for record in caplog.records if record.levelno >= logging.INFO]
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in kept)
    assert "database on fire" in logged and "1003" in logged
    assert "Bí Mật" not in logged and "số nhà" not in logged


# --- a database that does not answer: "hệ thống đang bận" within seconds (item 10) -----------


@pytest.fixture
def slow_world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index", db_timeout=1.0)
    yield services
    services.close()


async def test_a_hung_database_gets_the_busy_answer_within_seconds(
    slow_world: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()
    real = slow_world.dialogue.text

    def hung(user_id: int, text: str) -> object:
        released.wait(30)  # a database that does not answer at all
        return real(user_id, text)

    monkeypatch.setattr(slow_world.dialogue, "text", hung)
    try:
        async with FakeBotAPI() as api, running_bot(api, slow_world):
            [busy] = await api.say(LAN, "lam giay khai sinh", timeout=8)
    finally:
        released.set()
    assert busy.text == texts.BUSY


async def test_a_locked_database_gets_the_busy_answer(slow_world: Services) -> None:
    engine = slow_world.store.engine
    with engine.connect() as holder:
        if engine.dialect.name == "postgresql":
            holder.execute(text("LOCK TABLE chat_users IN ACCESS EXCLUSIVE MODE"))
        else:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
            holder.execute(text("DELETE FROM chat_users WHERE telegram_id = -1"))
        async with FakeBotAPI() as api, running_bot(api, slow_world):
            [busy] = await api.say(LAN, "/start", timeout=8)
        holder.rollback()
    assert busy.text == texts.BUSY
