"""Officials on Telegram beyond the figures: any period after a command, the lists an office acts on
(a page of lines, paging, the whole list as Excel), the apology letter from a button, the six-month
trend, the district's own ranking, and the morning digest — the real Application over HTTP against
the fake Bot API server, on the bot's test world, with "now" pinned."""

from __future__ import annotations

import io
import struct
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot import texts
from bot.app import BotApplication
from bot.handlers.official import CLOCK_KEY, DIGEST_AT, DIGEST_JOB
from bot.handlers.services import Services
from bot.render_official import weekday_label
from knowledge.calendarstore import apply_change, parse_change
from knowledge.compliance import roles
from knowledge.compliance.apology import proposed_dates
from knowledge.compliance.dossiers import DossierRecord, upsert_records
from knowledge.compliance.models import ApologyLetter, Official
from knowledge.settings import Settings
from knowledge.units import get_unit
from tests.botworld import bot_application, open_world, polling
from tests.factories import dossier
from tests.fakebotapi import FakeBotAPI

NOW = datetime(2021, 3, 31, 16, 0)  # a Wednesday
OFFICIAL = FakeBotAPI.user(2001, "Hùng")  # Xã Cát Vân
DISTRICT_OFFICIAL = FakeBotAPI.user(3001, "Mai")  # Huyện Như Xuân
CAT_VAN, CAT_TAN, NHU_XUAN = "16195", "16198", "402"


def open_dossier(code: str, **overrides: object) -> DossierRecord:
    values: dict[str, object] = {
        "unit_code": CAT_VAN, "code": code, "status": 4, "finished_at": None, "returned_at": None,
    }  # fmt: skip
    values.update(overrides)
    return dossier(**values)


def records() -> list[DossierRecord]:
    return [
        dossier(unit_code=CAT_VAN, code="CV-XONG-1"),  # early
        # ended past its appointment (Wed 10 March 09:00 → Fri 12 09:00), no apology letter
        dossier(
            unit_code=CAT_VAN, code="CV-TRE-1", finished_at=datetime(2021, 3, 12, 9), applicant="Lê Văn Ba"
        ),
        open_dossier("CV-QUAHAN-1", due_at=datetime(2021, 3, 29, 9)),  # overdue, no apology letter
        open_dossier("CV-SAPHAN-1", due_at=datetime(2021, 4, 1, 9)),  # due tomorrow morning
        open_dossier("CV-BOSUNG-1", due_at=datetime(2021, 4, 9, 9), supplement_count=2),
        dossier(  # online, waiting for acceptance since Tuesday 09:00
            unit_code=CAT_VAN,
            code="CV-CHO-1",
            channel=2,
            online_level="toan_trinh",
            status=1,
            submitted_at=datetime(2021, 3, 30, 9),
            accepted_at=None,
            due_at=None,
            finished_at=None,
            returned_at=None,
        ),
        dossier(unit_code=CAT_TAN, code="CT-XONG-1"),
    ]


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index")
    services.store.settings = Settings(TTHC_DATA_DIR=tmp_path, DATABASE_URL=db_url)
    with services.store.sessions.begin() as session:
        assert upsert_records(session, enumerate(records(), start=2)).errors == []
        for user, code in ((OFFICIAL, CAT_VAN), (DISTRICT_OFFICIAL, NHU_XUAN)):
            found = get_unit(session, code, "2008")
            assert found is not None
            roles.grant(session, user["id"], found)
    yield services
    services.close()


@pytest.fixture
async def app(world: Services) -> AsyncIterator[tuple[FakeBotAPI, BotApplication]]:
    async with FakeBotAPI() as server:
        application = bot_application(server, world)
        application.bot_data[CLOCK_KEY] = lambda: NOW
        async with polling(application):
            yield server, application


@pytest.fixture
def api(app: tuple[FakeBotAPI, BotApplication]) -> FakeBotAPI:
    return app[0]


# --- any period ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("/tinhhinh tháng 3", "Kỳ: tháng 3/2021 (01/03/2021–31/03/2021)"),
        ("/tinhhinh thang 11", "Kỳ: tháng 11/2020 (01/11/2020–30/11/2020)"),  # 11 is no unit code
        ("/tinhhinh quý 1", "Kỳ: quý I/2021"),
        ("/tinhhinh năm 2020", "Kỳ: năm 2020"),
        ("/tinhhinh 01/03/2021 15/03/2021", "Kỳ: 01/03/2021–15/03/2021"),
    ],
)
async def test_report_for_any_period(api: FakeBotAPI, command: str, shown: str) -> None:
    [report] = await api.say(OFFICIAL, command)
    assert shown in report.text and "Không có đơn vị" not in report.text


async def test_a_past_period_without_dossiers_has_no_data(api: FakeBotAPI) -> None:
    [report] = await api.say(OFFICIAL, "/tinhhinh tháng trước")
    assert "Kỳ: tháng 2/2021" in report.text and texts.OFFICIAL_REPORT_NO_DATA in report.text
    assert "hết kỳ (00:00 01/03/2021)" in report.text  # judged at the end of February
    assert "0.00%" not in report.text and "Tỷ lệ đúng hạn" not in report.text


async def test_period_and_unit_code_after_a_list_command(api: FakeBotAPI) -> None:
    [listed] = await api.say(DISTRICT_OFFICIAL, f"/quahan tháng 3/2021 {CAT_VAN}")
    assert "Xã Cát Vân" in listed.text and "Hồ sơ tiếp nhận trong tháng 3/2021" in listed.text
    assert "CV-QUAHAN-1" in listed.text and "CV-BOSUNG-1" in listed.text
    [usage] = await api.say(OFFICIAL, "/xinloi tuần này")
    assert usage.text == texts.OFFICIAL_USAGE.format(command="xinloi")


async def test_district_ranks_its_own_communes(api: FakeBotAPI) -> None:
    [photo] = await api.say(DISTRICT_OFFICIAL, "/xephang quy 1")
    assert photo.method == "sendPhoto" and "Xếp hạng đơn vị thuộc Huyện Như Xuân, quý I/2021" in photo.text
    # Xã Thượng Ninh sent nothing: not drawn, not ranked.
    assert texts.OFFICIAL_RANKING_NO_DATA.format(count=1) in photo.text


# --- the lists -----------------------------------------------------------------------------------


async def test_each_list_and_its_spreadsheet(api: FakeBotAPI) -> None:
    [waiting] = await api.say(OFFICIAL, "/chotiepnhan")
    # Tuesday 09:00 → Wednesday 16:00: 6.5 + 7 = 13.5 working hours, more than the 6 allowed
    assert (
        "1. <code>CV-CHO-1</code> — Đăng ký khai sinh: nộp 09:00 30/03/2021, đã chờ 1 ngày 5,5 giờ"
        in waiting.text
    )
    assert texts.OFFICIAL_LIST_WAITED_TOO_LONG in waiting.text
    [soon] = await api.say(OFFICIAL, "/saphan")
    assert "CV-SAPHAN-1" in soon.text and "còn 2,5 giờ làm việc" in soon.text
    [twice] = await api.say(OFFICIAL, "/bosung")
    assert "CV-BOSUNG-1" in twice.text and "bổ sung 2 lần" in twice.text and "CV-QUAHAN-1" not in twice.text
    [sheet] = await api.tap(OFFICIAL, twice, "Excel")
    assert sheet.method == "sendDocument" and sheet.files["document"].filename.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.files["document"].content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert [row[1] for row in rows[2:]] == ["CV-BOSUNG-1"] and rows[2][12] == 2


async def test_report_buttons_open_the_lists_and_the_trend(api: FakeBotAPI) -> None:
    [report] = await api.say(OFFICIAL, "/tinhhinh")
    labels = report.button_labels()
    assert labels[0] == texts.OFFICIAL_BUTTON_TREND
    assert "⏰ Quá hạn (2)" in labels and "✉️ Chưa xin lỗi (2)" in labels and "📥 Chờ tiếp nhận (1)" in labels
    [overdue] = await api.tap(OFFICIAL, report, "⏰ Quá hạn")
    assert overdue.method == "sendMessage" and "CV-QUAHAN-1" in overdue.text  # a new message
    [trend] = await api.tap(OFFICIAL, report, texts.OFFICIAL_BUTTON_TREND)
    png = trend.files["photo"].content
    assert trend.method == "sendPhoto" and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (600, 300)
    assert "10/2020" in trend.text or "tháng 10/2020" in trend.text


async def test_apology_letter_from_the_list(api: FakeBotAPI, world: Services) -> None:
    [listed] = await api.say(OFFICIAL, "/xinloi")
    assert "CV-QUAHAN-1" in listed.text and "CV-TRE-1" in listed.text
    assert listed.button_labels()[:2] == ["✉️ 1", "✉️ 2"]
    first = listed.text.index("CV-QUAHAN-1") < listed.text.index("CV-TRE-1")
    assert first  # open ones first: a letter can still reach the applicant before the result
    [choices] = await api.tap(OFFICIAL, listed, "✉️ 2")
    assert "CV-TRE-1" in choices.text
    days = proposed_dates(NOW.date())
    assert choices.button_labels() == [weekday_label(day) for day in days]
    [letter] = await api.tap(OFFICIAL, choices, weekday_label(days[0]))
    upload = letter.files["document"]
    assert letter.method == "sendDocument" and upload.filename == "xin-loi-CV-TRE-1.docx"
    body = "\n".join(p.text for p in Document(io.BytesIO(upload.content)).paragraphs)
    assert "Kính gửi: Lê Văn Ba" in body and "Mã hồ sơ: CV-TRE-1." in body
    assert f"ngày {days[0]:%d} tháng {days[0]:%m} năm {days[0]:%Y}" in body
    with world.store.sessions() as session:
        recorded = session.scalars(select(ApologyLetter)).one()
    assert (recorded.dossier_code, recorded.new_due, recorded.issued_by) == (
        "CV-TRE-1",
        days[0],
        "telegram:2001",
    )
    [after] = await api.say(OFFICIAL, "/xinloi")
    assert "CV-TRE-1" not in after.text and "CV-QUAHAN-1" in after.text
    # Pressing the old button again gives the same letter back, not a second re-scheduling.
    [again] = await api.tap(OFFICIAL, listed, "✉️ 2")
    assert again.method == "sendDocument" and "đã có văn bản xin lỗi" in again.text


async def test_a_citizen_pressing_an_officials_button_gets_nothing(api: FakeBotAPI, world: Services) -> None:
    citizen = FakeBotAPI.user(1001, "Lan")
    [listed] = await api.say(OFFICIAL, "/xinloi")
    answered = api.count("answerCallbackQuery")
    for data in (listed.button("✉️ 1")["callback_data"], listed.button("Excel")["callback_data"]):
        api.press_data(citizen, listed, data)
    await api.wait_for_calls("answerCallbackQuery", answered + 2)
    [probe] = await api.say(citizen, "/xinloi")
    assert probe.text == texts.UNKNOWN_COMMAND and api.count("sendDocument") == 0


# --- the morning digest --------------------------------------------------------------------------


async def test_morning_digest(app: tuple[FakeBotAPI, BotApplication], world: Services) -> None:
    api, application = app
    assert application.job_queue is not None
    [job] = application.job_queue.get_jobs_by_name(DIGEST_JOB)
    assert job.next_t is not None and job.next_t.utcoffset() == timedelta(hours=7)  # Vietnam's time
    assert (job.next_t.hour, job.next_t.minute) == (DIGEST_AT.hour, DIGEST_AT.minute) == (7, 30)
    [on] = await api.say(OFFICIAL, "/nhacviec")
    assert on.text == texts.OFFICIAL_DIGEST_ON
    sent = api.count("sendMessage")
    await job.run(application)
    [digest] = api.calls_to("sendMessage")[sent:]
    assert digest.chat_id == OFFICIAL["id"] and "Nhắc việc ngày 31/03/2021" in digest.text
    assert "📥 Hồ sơ trực tuyến chờ tiếp nhận: <b>1</b>" in digest.text and "CV-CHO-1" in digest.text
    assert "⏳ Hồ sơ đến hạn trong 1 ngày làm việc: <b>1</b>" in digest.text
    assert "⏰ Hồ sơ đang quá hạn: <b>2</b>" in digest.text
    await job.run(application)  # a second run the same day (another process) sends nothing
    assert api.count("sendMessage") == sent + 1
    application.bot_data[CLOCK_KEY] = lambda: datetime(2021, 9, 2, 7, 30)  # Quốc khánh: a day off
    with world.store.sessions.begin() as session:
        for official in session.scalars(select(Official)):
            official.digest_sent_on = date(2021, 9, 1)
    await job.run(application)
    assert api.count("sendMessage") == sent + 1
    # Nor on a day an admin has since given off: the calendar's corrections in the database count.
    with world.store.sessions.begin() as session:
        apply_change(session, parse_change(["nghi", "06/09/2021", "Nghỉ", "đột", "xuất"], "t"), "t")
    application.bot_data[CLOCK_KEY] = lambda: datetime(2021, 9, 6, 7, 30)  # a Monday
    await job.run(application)
    assert api.count("sendMessage") == sent + 1
    [off] = await api.say(OFFICIAL, "/nhacviec")
    assert off.text == texts.OFFICIAL_DIGEST_OFF
