"""The console channel: `tthc-bot chat` (numbered choices) and `tthc-bot ask` (one plain reply)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import texts
from bot.cli import main
from bot.commands import chat
from bot.console import Console, format_reply
from bot.dialogue import Reply
from bot.handlers.services import Services
from bot.keyboards import Button
from bot.render import Doc
from knowledge.settings import Settings
from tests.botworld import PORTAL_BIRTH, open_world


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index")
    monkeypatch.setattr(chat, "open_services", lambda _settings: services)
    yield services
    services.close()


def scripted(lines: list[str]) -> Callable[[str], str]:
    answers = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    return read


def test_buttons_become_numbered_choices_and_links_stay_visible() -> None:
    reply = Reply(
        Doc().add("Chọn:"),
        [[Button("Xã A", "u:2025:1"), Button("Xã B", "u:2025:2")], [Button("Cổng", url="https://x.vn/")]],
    )
    assert format_reply(reply, 3) == "Chọn:\n  [3] Xã A\n  [4] Xã B\n  [5] Cổng: https://x.vn/"


def test_a_conversation_in_the_terminal(world: Services) -> None:
    out = io.StringIO()
    console = Console(world.dialogue, out)
    console.loop(
        scripted(["cat van", "1", "lam giay khai sinh", "/thutuc", "11", "3", "/thoat", "never read"])
    )
    shown = out.getvalue()
    assert shown.startswith(texts.CONSOLE_WELCOME)
    assert "  [1] Xã Cát Vân (Tỉnh Thanh Hóa cũ) → Xã Thượng Ninh, tỉnh Thanh Hóa" in shown
    assert "Đã ghi nhận xã/phường của bạn: Xã Thượng Ninh, tỉnh Thanh Hóa." in shown
    assert f"Cổng Dịch vụ công quốc gia: {PORTAL_BIRTH}" in shown
    assert "trang 1/3" in shown and "trang 2/3" in shown  # [11] is "Sau ▶" on page 1
    assert "Mã 2.000" in shown  # [3] on page 2 opened a card
    assert "never read" not in shown


def test_a_returning_console_user_is_not_asked_again(world: Services) -> None:
    Console(world.dialogue, io.StringIO()).loop(scripted(["thuong ninh thanh hoa"]))
    out = io.StringIO()
    Console(world.dialogue, out).loop(scripted([]))
    assert "Xã/phường của bạn: Xã Thượng Ninh, tỉnh Thanh Hóa." in out.getvalue()
    assert texts.ASK_COMMUNE not in out.getvalue()


def test_a_number_out_of_range_is_refused(world: Services) -> None:
    console = Console(world.dialogue, io.StringIO())
    console.show(world.dialogue.text(0, "đăng ký"))
    [reply] = console.handle("9")
    assert texts.CONSOLE_BAD_CHOICE.format(number=9) in reply.doc.lines[0][0].text


def test_ask_prints_the_plain_reply_with_links(world: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--unit", "cat van nhu xuan", "lam giay khai sinh"]) == 0
    out = capsys.readouterr().out
    assert "Đăng ký khai sinh" in out and "Xã Thượng Ninh, tỉnh Thanh Hóa giải quyết" in out
    assert PORTAL_BIRTH in out and "<b>" not in out


def test_ask_without_a_unit(world: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "xyzzy"]) == 0
    assert "https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword=xyzzy" in capsys.readouterr().out


def test_ask_with_an_ambiguous_unit_lists_the_candidates(
    world: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "--unit", "cat van", "khai sinh"]) == 2
    err = capsys.readouterr().err
    assert "16225  Xã Thượng Ninh, tỉnh Thanh Hóa" in err and "17728  Xã Cát Ngạn, tỉnh Nghệ An" in err


def test_ask_with_an_unknown_unit_fails(world: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--unit", "qqqq zzzz", "khai sinh"]) == 2
    assert "qqqq zzzz" in capsys.readouterr().err


def test_chat_command_runs_the_console(
    world: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("/help\n/thoat\n"))
    assert main(["chat"]) == 0
    assert texts.HELP_TITLE in capsys.readouterr().out


def test_run_without_a_token_points_to_chat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(chat, "get_settings", lambda: Settings(TELEGRAM_BOT_TOKEN=None))
    assert main(["run"]) == 2
    assert "tthc-bot chat" in capsys.readouterr().err
