"""The console channel: `tthc-bot chat` (numbered choices) and `tthc-bot ask` (one plain reply)."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import texts
from bot.cli import main
from bot.console import Console, OfficialDesk, format_reply
from bot.dialogue import Reply
from bot.handlers import services as services_module
from bot.handlers.services import Services
from bot.keyboards import Button
from bot.official_dialogue import PAGE_SIZE
from bot.render import Doc
from knowledge import settings as settings_module
from knowledge.audit import AuditEntry
from knowledge.compliance.dossiers import upsert_records
from knowledge.models import Era, Unit
from knowledge.settings import Settings
from knowledge.units import get_unit, unit_label
from tests.botworld import PORTAL_BIRTH, citizen_records, open_world
from tests.factories import dossier, procedure_record


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index")
    # the commands import the services when they run (bot/commands/chat.py)
    monkeypatch.setattr(services_module, "open_services", lambda _settings: services)
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
    monkeypatch.setattr(settings_module, "get_settings", lambda: Settings(TELEGRAM_BOT_TOKEN=None))
    assert main(["run"]) == 2
    assert "tthc-bot chat" in capsys.readouterr().err


# --- officials' commands for a local operator: `tthc-bot chat --official UNIT` ---------------------

NOW = datetime(2021, 3, 31, 16, 0)
NHU_XUAN, CAT_VAN, CAT_TAN = "402", "16195", "16198"  # the district and two of its communes (2008)
OVERDUE = PAGE_SIZE + 2  # two pages of /quahan


@pytest.fixture
def dossiers(world: Services) -> None:
    """March 2021 in Như Xuân: finished dossiers in two communes, and open ones past their due date."""
    records = [
        *(dossier(unit_code=CAT_VAN) for _ in range(3)),
        dossier(unit_code=CAT_TAN, finished_at=datetime(2021, 3, 12, 9, 0)),  # late
        *(
            dossier(
                unit_code=CAT_TAN,
                code=f"CT-QUAHAN-{n:02d}",
                status=4,
                finished_at=None,
                returned_at=None,
                due_at=datetime(2021, 3, 10 + n, 9, 0),
            )
            for n in range(OVERDUE)
        ),
    ]
    with world.store.sessions.begin() as session:
        assert upsert_records(session, enumerate(records, start=2)).errors == []


def label_of(world: Services, code: str) -> str:
    with world.store.sessions() as session:
        unit = get_unit(session, code)
        assert unit is not None
        return unit_label(unit)


def test_an_operator_sees_a_units_figures_in_the_console(
    world: Services, dossiers: None, tmp_path: Path
) -> None:
    desk = OfficialDesk.open(world.store, NHU_XUAN, tmp_path / "files")
    assert desk is not None and desk.unit_label == label_of(world, NHU_XUAN)
    desk.clock = lambda: NOW
    out = io.StringIO()
    Console(world.dialogue, out, desk=desk).loop(
        scripted(["/tinhhinh", "/tinhhinh quý " + CAT_TAN, "/quahan", "1", "/xephang", "1", "/thoat"])
    )
    shown = out.getvalue()
    assert texts.CONSOLE_OFFICIAL_WELCOME.format(unit=desk.unit_label) in shown
    assert texts.OFFICIAL_REPORT_TITLE.format(unit=desk.unit_label) in shown
    assert texts.OFFICIAL_REPORT_TITLE.format(unit=label_of(world, CAT_TAN)) in shown  # a code typed
    assert "quý I/2021" in shown
    assert "CT-QUAHAN-00" in shown and "Trang 1/2" in shown and "Trang 2/2" in shown  # [1] is "Sau ▶"
    [chart] = (tmp_path / "files").glob("*.png")
    [sheet] = (tmp_path / "files").glob("*.xlsx")  # [1] under the chart is the Excel button
    assert texts.CONSOLE_FILE_SAVED.format(path=chart.resolve()) in shown
    assert texts.CONSOLE_FILE_SAVED.format(path=sheet.resolve()) in shown
    assert chart.read_bytes().startswith(b"\x89PNG") and sheet.read_bytes().startswith(b"PK")
    assert world.store.settings.admin_ids == []  # trusting the console changed no one else's rights


def test_lists_and_a_letter_in_the_console(world: Services, dossiers: None, tmp_path: Path) -> None:
    desk = OfficialDesk.open(world.store, CAT_TAN, tmp_path / "files")
    assert desk is not None
    desk.clock = lambda: NOW
    out = io.StringIO()
    # /xinloi: [1] is "✉️ 1" (the most recent appointment first), then a date, then the letter.
    Console(world.dialogue, out, desk=desk).loop(
        scripted(["/xinloi tháng 3/2021", "1", "1", "/chotiepnhan", "/thoat"])
    )
    shown = out.getvalue()
    assert texts.OFFICIAL_LISTS["late-no-apology"][1] in shown and "CT-QUAHAN-11" in shown
    assert texts.OFFICIAL_APOLOGY_CHOOSE in shown
    [letter] = (tmp_path / "files").glob("*.docx")
    assert letter.name == "xin-loi-CT-QUAHAN-11.docx" and letter.read_bytes().startswith(b"PK")
    assert texts.CONSOLE_FILE_SAVED.format(path=letter.resolve()) in shown
    assert texts.OFFICIAL_LIST_NONE.format(unit=desk.unit_label) in shown  # no online dossier waits


def test_chat_with_the_official_option(
    world: Services,
    dossiers: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("/quahan\n/thoat\n"))
    assert main(["chat", "--official", CAT_TAN]) == 0
    out = capsys.readouterr().out
    assert label_of(world, CAT_TAN) in out and "CT-QUAHAN-00" in out


def test_chat_for_an_unknown_unit_fails(world: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--official", "99999999"]) == 2
    assert texts.CONSOLE_OFFICIAL_UNKNOWN_UNIT.format(code="99999999") in capsys.readouterr().err


# --- admins' commands for a local operator, through the same AdminDialogue as on Telegram --------


def test_an_operator_reloads_exports_and_grants_in_the_console(world: Services, tmp_path: Path) -> None:
    new = procedure_record(code="1.009999", name="Cấp giấy phép khai thác gỗ rừng trồng")
    path = tmp_path / "v2.json"
    path.write_text(json.dumps({"version": "v2", "procedures": [*citizen_records(), new]}))
    with world.store.sessions() as session:
        commune = session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER).order_by(Unit.code)).first()
        assert commune is not None
    desk = OfficialDesk.open(world.store, CAT_TAN, tmp_path / "files")
    assert desk is not None
    out = io.StringIO()
    lines = [f"/reload {path}", "1", "1.009999", "/export", f"/grant 1005 {commune.code}", "/officials"]
    lines += ["/lich 2026", f"/coquan {commune.code} UBND thử nghiệm"]
    Console(world.dialogue, out, desk=desk).loop(scripted([*lines, "/thoat"]))  # [1]: "Áp dụng"
    shown = out.getvalue()
    assert "v2" in shown and texts.ADMIN_CONFIRM in shown
    assert texts.ADMIN_APPLIED.split("#")[0] in shown
    assert "Cấp giấy phép khai thác gỗ rừng trồng" in shown  # the console's dialogue followed at once
    [exported] = (tmp_path / "files").glob("*.json.gz")
    assert "1.009999" in gzip.decompress(exported.read_bytes()).decode()
    assert f"1005 — {commune.name}" in shown
    assert texts.ADMIN_CALENDAR_YEAR.format(year=2026) in shown
    assert texts.ADMIN_AGENCY_ADDED.format(agency="UBND thử nghiệm", unit=commune.name) in shown
    with world.store.sessions() as session:
        actors = set(session.scalars(select(AuditEntry.actor)))
    assert actors == {"console"}  # the reload and the grant, by the console
