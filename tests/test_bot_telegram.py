"""End to end: the real Application, over HTTP, against the fake Bot API server on 127.0.0.1, through
each of its transports (TTHC_TRANSPORT: the bot's aiohttp one and PTB's stock HTTPXRequest)."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

import pytest

from bot import texts
from bot.handlers.services import Services
from bot.render import MESSAGE_LIMIT, telegram_length
from knowledge.catalogue import apply_catalogue
from tests.botworld import BIRTH, PORTAL_BIRTH, TRANSPORTS, bot_process, running_bot
from tests.factories import catalogue, procedure_record
from tests.fakebotapi import FakeBotAPI, text_update

LAN = FakeBotAPI.user(1001, "Lan")


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)">', html)


async def test_a_whole_conversation(api: FakeBotAPI, world: Services) -> None:
    [menu] = api.calls_to("setMyCommands")
    assert [c["command"] for c in menu.params["commands"]] == ["start", "xa", "thutuc", "help"]
    assert all(c["description"] for c in menu.params["commands"])

    [hello] = await api.say(LAN, "/start")
    assert "Xin chào Lan!" in hello.text and "xã/phường nào" in hello.text

    [chosen] = await api.say(LAN, "cat van nhu xuan")  # the old name, without diacritics
    assert "Xã Cát Vân" in chosen.text and "nay thuộc" in chosen.text
    assert "<b>Xã Thượng Ninh, tỉnh Thanh Hóa</b>" in chosen.text

    [card] = await api.say(LAN, "lam giay khai sinh")
    assert card.params["parse_mode"] == "HTML"
    assert "<b>Đăng ký khai sinh</b>" in card.text and BIRTH in card.text
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa</b> giải quyết" in card.text
    assert "Bộ phận Một cửa Xã Thượng Ninh" in card.text
    assert PORTAL_BIRTH in links(card.text)
    assert card.button_labels() == [texts.BUTTON_DOCUMENTS, texts.BUTTON_LEGAL, texts.BUTTON_RELATED]

    [documents] = await api.tap(LAN, card, texts.BUTTON_DOCUMENTS)
    assert "Tờ khai đăng ký khai sinh" in documents.text
    assert len(api.calls_to("answerCallbackQuery")) == 1

    [page_1] = await api.say(LAN, "/thutuc")
    assert "trang 1/3" in page_1.text and "<b>Hộ tịch</b>" in page_1.text
    assert texts.BUTTON_PREVIOUS not in page_1.button_labels()
    [page_2] = await api.tap(LAN, page_1, texts.BUTTON_NEXT)
    assert page_2.method == "editMessageText" and page_2.params["message_id"] == page_1.result["message_id"]
    assert "trang 2/3" in page_2.text
    [page_3] = await api.tap(LAN, page_1, texts.BUTTON_NEXT)
    assert "trang 3/3" in page_3.text and texts.BUTTON_NEXT not in page_3.button_labels()
    [back] = await api.tap(LAN, page_1, texts.BUTTON_PREVIOUS)
    assert "trang 2/3" in back.text
    [item] = await api.tap(LAN, page_1, "11")
    assert item.method == "sendMessage" and "Mã <code>2." in item.text


async def test_the_commune_survives_a_restart(world: Services, transport: str) -> None:
    async with FakeBotAPI() as api:
        async with running_bot(api, world, transport):
            await api.say(LAN, "/start")
            await api.say(LAN, "Xã Thượng Ninh, Thanh Hóa")
        async with running_bot(api, world, transport):
            [page] = await api.say(LAN, "/thutuc")
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa" in page.text and "trang 1/3" in page.text


async def test_ambiguous_name_is_settled_with_buttons_showing_the_province(api: FakeBotAPI) -> None:
    await api.say(LAN, "/xa")
    [question] = await api.say(LAN, "cat van")
    labels = question.button_labels()
    assert any("Thanh Hóa" in label for label in labels) and any("Nghệ An" in label for label in labels)
    assert all(len(b["callback_data"].encode()) <= 64 for row in question.buttons for b in row)
    [chosen] = await api.tap(LAN, question, "Nghệ An")
    assert "Xã Cát Ngạn, tỉnh Nghệ An" in chosen.text


async def test_deep_link_sets_the_commune_at_once(api: FakeBotAPI) -> None:
    hello, chosen = await api.say(LAN, "/start 17728", replies=2)
    assert "Xin chào" in hello.text
    assert "Xã Cát Ngạn, tỉnh Nghệ An" in chosen.text


async def test_no_match_says_so_with_the_portal_search_and_a_tip(api: FakeBotAPI) -> None:
    [reply] = await api.say(LAN, "xyzzy qwerty")
    assert "chưa tìm thấy" in reply.text
    assert any(link.startswith("https://dichvucong.gov.vn/tim-kiem") for link in links(reply.text))
    assert "Mẹo" in reply.text


async def test_several_matches_offer_buttons(api: FakeBotAPI) -> None:
    [choices] = await api.say(LAN, "đăng ký")
    names = sorted(label.split(". ", 1)[1] for label in choices.button_labels())
    assert names == ["Đăng ký khai sinh", "Đăng ký kết hôn"]
    [card] = await api.tap(LAN, choices, "khai sinh")
    assert "<b>Đăng ký khai sinh</b>" in card.text


async def test_hostile_text_arrives_escaped(api: FakeBotAPI) -> None:
    [reply] = await api.say(LAN, "<b>xyzzy</b> & <script>")
    assert "&lt;b&gt;xyzzy&lt;/b&gt; &amp; &lt;script&gt;" in reply.text
    assert "<script>" not in reply.text


async def test_a_long_reply_is_split_with_the_keyboard_on_the_last_part(
    world: Services, transport: str
) -> None:
    documents = [{"name": f"Giấy tờ {n}: " + "nội dung rất dài " * 20} for n in range(30)]
    with world.store.sessions.begin() as session:
        apply_catalogue(session, catalogue(procedure_record(code="3.000177", documents=documents)), "t")
    async with FakeBotAPI() as api, running_bot(api, world, transport):
        [hello] = await api.say(LAN, "/start")
        parts = await api.expect(LAN, lambda: api.press_data(LAN, hello, "d:3.000177"), replies=3)
    assert all(telegram_length(part.text) <= MESSAGE_LIMIT for part in parts)
    assert [bool(part.buttons) for part in parts] == [False, False, True]
    assert "Giấy tờ 0:" in parts[0].text and "Giấy tờ 29:" in parts[-1].text


async def test_inline_mode_offers_cards(api: FakeBotAPI) -> None:
    api.inline_query(LAN, "khai sinh")
    [answer] = await api.wait_for_calls("answerInlineQuery", 1)
    results = answer.params["results"]
    assert results and results[0]["id"] == BIRTH
    assert results[0]["title"] == "Đăng ký khai sinh"
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and PORTAL_BIRTH in links(content["message_text"])
    assert answer.params["is_personal"] is True


async def test_a_failure_is_logged_and_the_user_gets_a_polite_answer(
    api: FakeBotAPI, world: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(user_id: int, text: str) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(world.dialogue, "text", broken)
    [reply] = await api.say(LAN, "khai sinh")
    assert reply.text == texts.ERROR
    assert any("database on fire" in str(record.exc_info) for record in caplog.records)


async def test_unknown_commands_and_stickers_get_a_hint(api: FakeBotAPI) -> None:
    [unknown] = await api.say(LAN, "/abc")
    assert unknown.text == texts.UNKNOWN_COMMAND
    sticker = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": LAN["id"], "type": "private"},
        "from": LAN,
        "sticker": {
            "file_id": "s",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        },
    }
    [hint] = await api.expect(LAN, lambda: api.push({"message": sticker}))
    assert hint.text == texts.NOT_TEXT


async def test_a_stale_button_is_answered_not_ignored(api: FakeBotAPI) -> None:
    [hello] = await api.say(LAN, "/start")
    [reply] = await api.expect(LAN, lambda: api.press_data(LAN, hello, "p:9.999999"))
    assert reply.text == texts.PROCEDURE_GONE


async def test_tthc_bot_run_answers_in_order_and_stops_on_sigterm_with_nothing_lost(tmp_path: Path) -> None:
    """The `run` command as `make run` starts it: one process, pointed at the server by the
    environment, polling through PTB's Updater."""
    async with FakeBotAPI() as api, bot_process(api, tmp_path) as process:
        await api.wait_for_calls("setMyCommands", 1, timeout=60)
        [card] = await api.say(LAN, "lam giay khai sinh", timeout=30)
        # A burst from one user: answered in the order sent.
        for number, question in enumerate(["đăng ký kết hôn", "/help", "lam giay khai sinh", "/xa"], 10):
            api.push(text_update(LAN, question, number))
        await api.wait_until(lambda: api.replies_in(LAN) >= 5, timeout=30)
        burst = [call.text for call in api.sent_to(LAN)[1:5]]
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert "<b>Đăng ký khai sinh</b>" in card.text
    assert "<b>Đăng ký kết hôn</b>" in burst[0] and texts.HELP_TITLE in burst[1]
    assert "<b>Đăng ký khai sinh</b>" in burst[2] and "xã/phường nào" in burst[3]
    assert process.returncode == 0, err.decode()
    last = api.polls[-1]  # on the way out, every update taken is confirmed: none comes again
    assert (last["timeout"], last["offset"]) == (0, max(api.pushed_at) + 1)


async def test_tthc_bot_run_with_a_refused_token_stops_at_once_with_the_reason(tmp_path: Path) -> None:
    async with FakeBotAPI() as api, bot_process(api, tmp_path, TELEGRAM_BOT_TOKEN="999:WRONG") as process:
        _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert texts.RUN_FAILED.format(error="") in err.decode()
    assert api.polls == []  # no update was taken from Telegram that nobody would answer
