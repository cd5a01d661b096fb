"""Officials' commands end to end (/start inv_…, /tinhhinh, /quahan, /xephang and its Excel button;
the other lists, letters, periods and the digest are in test_bot_official_lists.py):
the real Application over HTTP against the fake Bot API server, on the bot's test world (Huyện Như
Xuân with three of its communes) and dossiers made with the factories, with "now" pinned."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts
from bot.handlers.official import CLOCK_KEY
from bot.handlers.services import Services
from bot.official_dialogue import EXCEL_PREFIX, LIST_PREFIX, PAGE_SIZE
from bot.render_official import CHART_UNITS, chart_window, due_text, period_label, working_time
from knowledge.audit import AuditEntry
from knowledge.compliance import roles
from knowledge.compliance.dossiers import DossierRecord, upsert_records
from knowledge.compliance.figures import Figures, Period
from knowledge.compliance.models import utcnow_naive
from knowledge.compliance.ranking import CLASS_LABELS, ranking, standing, unit_report
from knowledge.compliance.worklists import WorkList, worklist
from knowledge.models import Unit
from knowledge.settings import Settings
from knowledge.units import get_unit
from tests.botworld import BIRTH, bot_application, open_world, polling
from tests.factories import dossier
from tests.fakebotapi import Call, FakeBotAPI

NOW = datetime(2021, 3, 31, 16, 0)  # a Wednesday
MARCH = Period.of("thang", NOW.date())
ADMIN = FakeBotAPI.user(7, "Quản trị")
CITIZEN = FakeBotAPI.user(1001, "Lan")
OFFICIAL_A = FakeBotAPI.user(2001, "Hùng")  # Xã Cát Vân
OFFICIAL_DISTRICT = FakeBotAPI.user(3001, "Mai")  # Huyện Như Xuân
CAT_VAN, CAT_TAN, THUONG_NINH, NHU_XUAN, THANH_HOA = "16195", "16198", "16225", "402", "38"
CAT_TAN_OVERDUE = 13  # with Cát Vân's one, more than a page of /quahan for the district


def open_dossier(unit_code: str, code: str, **overrides: object) -> DossierRecord:
    values: dict[str, object] = {
        "unit_code": unit_code,
        "code": code,
        "status": 4,
        "finished_at": None,
        "returned_at": None,
        "due_at": datetime(2021, 3, 10, 9, 0),
    }
    values.update(overrides)
    return dossier(**values)


def march_dossiers() -> list[DossierRecord]:
    return [
        *(dossier(unit_code=CAT_VAN) for _ in range(3)),
        dossier(unit_code=CAT_VAN, channel=2, online_level="toan_trinh", e_result=True, digitised=True),
        dossier(unit_code=CAT_VAN, fee_bearing=True, online_level="mot_phan", reused=True),
        dossier(unit_code=CAT_VAN, finished_at=datetime(2021, 3, 12, 9, 0)),  # late, no apology
        open_dossier(CAT_VAN, "CV-QUAHAN-1"),
        open_dossier(CAT_VAN, "CV-BOSUNG-2", due_at=datetime(2021, 4, 9, 9, 0), supplement_count=2),
        open_dossier(CAT_VAN, "CV-DANGLAM-1", due_at=datetime(2021, 4, 9, 9, 0)),
        *(dossier(unit_code=CAT_TAN, online_level="mot_phan") for _ in range(2)),
        *(
            open_dossier(CAT_TAN, f"CT-QUAHAN-{n:02d}", due_at=datetime(2021, 3, 10 + n, 9, 0))
            for n in range(CAT_TAN_OVERDUE)
        ),
        dossier(unit_code=THUONG_NINH, channel=2, online_level="mot_phan"),
    ]


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index")
    services.store.settings = Settings(
        TTHC_DATA_DIR=tmp_path, DATABASE_URL=db_url, TTHC_ADMIN_IDS=str(ADMIN["id"])
    )
    with services.store.sessions.begin() as session:
        assert upsert_records(session, enumerate(march_dossiers(), start=2)).errors == []
        district = unit_of(session, NHU_XUAN)
        roles.grant(session, OFFICIAL_DISTRICT["id"], district, granted_by=ADMIN["id"])
    yield services
    services.close()


@asynccontextmanager
async def running_bot(api: FakeBotAPI, services: Services) -> AsyncIterator[None]:
    app = bot_application(api, services)
    app.bot_data[CLOCK_KEY] = lambda: NOW
    async with polling(app):
        yield


@pytest.fixture
async def api(world: Services) -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server, running_bot(server, world):
        yield server


def unit_of(session: Session, code: str) -> Unit:
    found = get_unit(session, code, "2008")
    assert found is not None
    return found


def new_invite(world: Services, unit_code: str, *, created: datetime | None = None) -> str:
    with world.store.sessions.begin() as session:
        invite = roles.create_invite(
            session, unit_of(session, unit_code), ADMIN["id"], now=created, settings=world.store.settings
        )
        return roles.INVITE_PREFIX + invite.token


async def become_official(api: FakeBotAPI, world: Services, user: dict[str, object], unit_code: str) -> Call:
    [welcome] = await api.say(user, f"/start {new_invite(world, unit_code)}")
    return welcome


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}%"


# --- invites -------------------------------------------------------------------------------------


async def test_invite_makes_an_official_with_his_own_menu(api: FakeBotAPI, world: Services) -> None:
    welcome = await become_official(api, world, OFFICIAL_A, CAT_VAN)
    assert "Chào mừng Hùng!" in welcome.text and "<b>Xã Cát Vân, huyện Như Xuân" in welcome.text
    assert all(f"/{command}" in welcome.text for command, _ in texts.OFFICIAL_COMMANDS)
    menu = api.calls_to("setMyCommands")[-1]
    assert menu.params["scope"] == {"type": "chat", "chat_id": OFFICIAL_A["id"]}
    published = [c["command"] for c in menu.params["commands"]]
    assert published == [name for name, _ in (*texts.CITIZEN_COMMANDS, *texts.OFFICIAL_COMMANDS)]
    [public] = [call for call in api.calls_to("setMyCommands") if "scope" not in call.params]
    assert not {"tinhhinh", "quahan", "xephang"} & {c["command"] for c in public.params["commands"]}
    with world.store.sessions() as session:
        assert [u.code for u in roles.official_units(session, OFFICIAL_A["id"])] == [CAT_VAN]
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and (entry.actor, entry.action) == ("telegram:2001", "grant")
        assert entry.source == f"{OFFICIAL_A['id']}@{CAT_VAN}" and entry.detail["via"] == "invite"


async def test_unusable_invites_reveal_nothing(api: FakeBotAPI, world: Services) -> None:
    used = new_invite(world, CAT_VAN)
    await api.say(OFFICIAL_A, f"/start {used}")
    expired = new_invite(
        world, CAT_VAN, created=utcnow_naive() - roles.DEFAULT_INVITE_TTL - timedelta(hours=1)
    )
    menus = api.count("setMyCommands")
    answers = [await api.say(CITIZEN, f"/start {payload}") for payload in (used, expired, "inv_khongcothat")]
    assert [reply.text for [reply] in answers] == [texts.OFFICIAL_INVITE_INVALID] * 3
    assert api.count("setMyCommands") == menus
    with world.store.sessions() as session:
        assert roles.official_units(session, CITIZEN["id"]) == []


async def test_citizen_deep_link_still_sets_the_commune(api: FakeBotAPI, world: Services) -> None:
    [_hello, chosen] = await api.say(CITIZEN, f"/start {CAT_VAN}", replies=2)
    assert "Xã Cát Vân" in chosen.text and "Xã Thượng Ninh" in chosen.text
    assert texts.OFFICIAL_INVITE_INVALID not in chosen.text


# --- /tinhhinh -----------------------------------------------------------------------------------


async def test_situation_shows_the_domain_figures(api: FakeBotAPI, world: Services) -> None:
    await become_official(api, world, OFFICIAL_A, CAT_VAN)
    [shown] = await api.say(OFFICIAL_A, "/tinhhinh")
    with world.store.sessions() as session:
        report = unit_report(session, unit_of(session, CAT_VAN), MARCH, NOW)
    f, score = report.own.figures, report.own.score
    # the fixture covers every line: late without apology = one ended late + one open past its
    # appointment (the other overdue one is late only by the supplements-asked-twice rule)
    assert (f.received, f.overdue_now, f.late_without_apology, f.supplement_twice) == (9, 2, 2, 1)
    assert "tháng 3/2021 (01/03/2021–31/03/2021)" in shown.text and "16:00 31/03/2021" in shown.text
    volume = (
        f"Tiếp nhận <b>{f.received}</b> · đang xử lý {f.in_progress} · đang quá hạn <b>{f.overdue_now}</b>"
    )
    assert volume in shown.text
    assert f"trước hạn {f.early}, đúng hạn {f.on_time}, trễ hạn {f.late}" in shown.text
    assert f"Tỷ lệ đúng hạn: <b>{pct(f.on_time_rate)}</b>" in shown.text
    online = f"<b>{pct(f.online_rate)}</b> (toàn trình {pct(f.online_full_rate)}, một phần"
    assert online in shown.text and f"một phần {pct(f.online_partial_rate)})" in shown.text
    assert f"Thanh toán trực tuyến: {pct(f.online_payment_rate)}" in shown.text
    assert f"Số hóa {pct(f.digitised_rate)} · kết quả điện tử {pct(f.e_result_rate)}" in shown.text
    assert f"tái sử dụng dữ liệu {pct(f.reuse_rate)}" in shown.text
    assert f"6 giờ làm việc: {f.unaccepted_online}" in shown.text
    assert f"bổ sung quá 1 lần: {f.supplement_twice}" in shown.text
    assert f"không có thư xin lỗi: {f.late_without_apology}" in shown.text
    assert f"<b>{score.total:.2f}</b> / {score.max_points:.2f}" in shown.text
    losses = [
        shown.text.index(f"• {i.indicator.id} {i.indicator.name}: −<b>{i.lost:.2f}</b>")
        for i in score.lost_points
    ]
    assert len(losses) >= 2 and losses == sorted(losses)  # largest loss first
    unsupported = shown.text.split("Dữ liệu hồ sơ không đủ để tính")[1]
    assert all(f"{indicator.id} {indicator.name}" in unsupported for indicator in score.unsupported)
    assert texts.OFFICIAL_CHILDREN not in shown.text  # a commune has no children


@pytest.mark.parametrize(
    ("command", "label"),
    [("/tinhhinh quý", "quý I/2021"), ("/tinhhinh Quy", "quý I/2021"), ("/tinhhinh nam", "năm 2021")],
)
async def test_situation_periods(api: FakeBotAPI, world: Services, command: str, label: str) -> None:
    [shown] = await api.say(OFFICIAL_DISTRICT, command)
    assert f"Kỳ: {label} (" in shown.text


async def test_district_official_sees_children_ranked_and_any_descendant(
    api: FakeBotAPI, world: Services
) -> None:
    [shown] = await api.say(OFFICIAL_DISTRICT, "/tinhhinh")
    with world.store.sessions() as session:
        report = unit_report(session, unit_of(session, NHU_XUAN), MARCH, NOW)
    assert f"Tiếp nhận <b>{report.own.figures.received}</b>" in shown.text
    listed = shown.text.split(texts.OFFICIAL_CHILDREN)[1]
    positions = [listed.index(f"{c.rank}. {c.unit.name} — {c.score.total:.2f} điểm") for c in report.children]
    assert len(positions) == 3 and positions == sorted(positions)
    assert all(CLASS_LABELS[c.online_class] in listed for c in report.children)
    [child] = await api.say(OFFICIAL_DISTRICT, f"/tinhhinh {CAT_TAN}")
    assert "<b>Xã Cát Tân, huyện Như Xuân" in child.text


async def test_usage_and_admin_without_a_unit(api: FakeBotAPI, world: Services) -> None:
    [usage] = await api.say(OFFICIAL_DISTRICT, "/tinhhinh tuần")
    assert usage.text == texts.OFFICIAL_USAGE.format(command="tinhhinh")
    [need] = await api.say(ADMIN, "/quahan")
    assert need.text == texts.OFFICIAL_NEED_UNIT.format(command="quahan")
    [anywhere] = await api.say(ADMIN, f"/tinhhinh {NHU_XUAN}")
    assert "<b>Huyện Như Xuân, tỉnh Thanh Hóa</b>" in anywhere.text and "Xã Cát Tân" in anywhere.text


# --- /quahan -------------------------------------------------------------------------------------


async def test_overdue_lists_the_units_overdue_dossiers(api: FakeBotAPI, world: Services) -> None:
    await become_official(api, world, OFFICIAL_A, CAT_VAN)
    [shown] = await api.say(OFFICIAL_A, "/quahan")
    with world.store.sessions() as session:
        expected = worklist(session, unit_of(session, CAT_VAN), WorkList.OVERDUE, NOW).items
    assert [d.code for d in expected] == ["CV-QUAHAN-1", "CV-BOSUNG-2"]
    assert "Hồ sơ đang quá hạn — <b>Xã Cát Vân, huyện Như Xuân, tỉnh Thanh Hóa</b>: <b>2</b>" in shown.text
    late = expected[0]
    # Due Wednesday 10 March 09:00, judged Wednesday 31 March 16:00: 6.5 working hours that Wednesday,
    # 14 whole working days (11–30 March), 7 hours on the 31st.
    assert late.hours == 6.5 + 14 * 8 + 7 and working_time(late.hours) == "15 ngày 5,5 giờ làm việc"
    due = due_text(late.effective_due_at)
    assert (
        f"1. <code>CV-QUAHAN-1</code> — Đăng ký khai sinh: hẹn {due} · quá hạn 15 ngày 5,5 giờ" in shown.text
    )
    assert "2. <code>CV-BOSUNG-2</code>" in shown.text and "bổ sung 2 lần" in shown.text
    assert "CT-QUAHAN" not in shown.text and "CV-DANGLAM" not in shown.text and BIRTH not in shown.text
    assert shown.button_labels() == [texts.OFFICIAL_BUTTON_LIST_EXCEL.format(count=2)]


async def test_overdue_pages_for_a_district(api: FakeBotAPI, world: Services) -> None:
    [first] = await api.say(OFFICIAL_DISTRICT, "/quahan")
    total = CAT_TAN_OVERDUE + 2
    assert f"<b>{total}</b>" in first.text and "Trang 1/2" in first.text
    assert first.text.count("<code>") == PAGE_SIZE and " · Xã Cát Tân" in first.text
    excel = texts.OFFICIAL_BUTTON_LIST_EXCEL.format(count=total)
    assert first.button_labels() == [texts.BUTTON_NEXT, excel]
    [second] = await api.tap(OFFICIAL_DISTRICT, first, texts.BUTTON_NEXT)
    assert second.method == "editMessageText" and "Trang 2/2" in second.text
    assert second.text.count("<code>") == total - PAGE_SIZE
    assert f"{total}. <code>" in second.text and second.button_labels() == [texts.BUTTON_PREVIOUS, excel]


# --- /xephang ------------------------------------------------------------------------------------


async def test_ranking_chart_and_spreadsheet(api: FakeBotAPI, world: Services) -> None:
    await become_official(api, world, OFFICIAL_A, CAT_VAN)
    [photo] = await api.say(OFFICIAL_A, "/xephang")
    assert photo.method == "sendPhoto" and photo.files["photo"].content.startswith(b"\x89PNG\r\n\x1a\n")
    with world.store.sessions() as session:
        standings = ranking(session, unit_of(session, NHU_XUAN), MARCH, NOW)
        order = [s.unit.name for s in standings]
        own = next(s for s in standings if s.unit.code == CAT_VAN)
    assert "Xếp hạng đơn vị thuộc Huyện Như Xuân, tháng 3/2021" in photo.text
    assert f"<b>Xã Cát Vân</b>: hạng <b>{own.rank}</b>/3, {own.score.total:.2f} điểm." in photo.text
    excel = photo.button(texts.OFFICIAL_BUTTON_EXCEL)["callback_data"]
    assert excel.startswith(f"{EXCEL_PREFIX}:") and len(excel.encode()) <= 64
    [document] = await api.tap(OFFICIAL_A, photo, texts.OFFICIAL_BUTTON_EXCEL)
    upload = document.files["document"]
    assert document.method == "sendDocument" and upload.filename == "xep-hang-402-20210301-20210331.xlsx"
    sheet = load_workbook(io.BytesIO(upload.content)).active
    assert sheet is not None
    assert [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)] == order


async def test_province_official_ranks_its_children(api: FakeBotAPI, world: Services) -> None:
    await become_official(api, world, OFFICIAL_A, THANH_HOA)
    [photo] = await api.say(OFFICIAL_A, "/xephang quý")
    assert photo.method == "sendPhoto" and "Xếp hạng đơn vị thuộc Tỉnh Thanh Hóa, quý I/2021" in photo.text
    assert "hạng <b>" not in photo.text  # a province is not among the units it ranks


# --- who sees what -------------------------------------------------------------------------------


async def test_official_of_one_commune_cannot_see_another(api: FakeBotAPI, world: Services) -> None:
    await become_official(api, world, OFFICIAL_A, CAT_VAN)
    with world.store.sessions() as session:
        cat_tan, province = unit_of(session, CAT_TAN).id, unit_of(session, THANH_HOA).id
    [nonexistent] = await api.say(OFFICIAL_A, "/tinhhinh 99999")
    for command in (f"/tinhhinh {CAT_TAN}", f"/quahan {CAT_TAN}", f"/xephang quý {THANH_HOA}"):
        [refused] = await api.say(OFFICIAL_A, command)
        code = command.split()[-1]
        assert refused.text == texts.OFFICIAL_OUT_OF_SCOPE.format(code=code)
        assert refused.text == nonexistent.text.replace("99999", code) and "Cát Tân" not in refused.text
    # Replayed buttons for units out of reach are answered, and nothing is sent.
    told, answered = len(api.sent_to(OFFICIAL_A)), api.count("answerCallbackQuery")
    api.press_data(OFFICIAL_A, nonexistent, f"{LIST_PREFIX}:o:{cat_tan}:1:0:0")
    api.press_data(OFFICIAL_A, nonexistent, f"{EXCEL_PREFIX}:{province}:20210101:20210331")
    await api.wait_for_calls("answerCallbackQuery", answered + 2)
    [probe] = await api.say(OFFICIAL_A, "/quahan")  # handled after the presses (one user, in order)
    assert "Xã Cát Vân" in probe.text and len(api.sent_to(OFFICIAL_A)) == told + 1


@pytest.mark.parametrize(
    "command", ["/tinhhinh", "/tinhhinh quý", f"/tinhhinh {CAT_VAN}", "/quahan", "/xephang"]
)
async def test_citizen_is_told_nothing(api: FakeBotAPI, world: Services, command: str) -> None:
    [unknown] = await api.say(CITIZEN, "/khongcolenhnay")
    [refusal] = await api.say(CITIZEN, command)
    assert refusal.text == unknown.text == texts.UNKNOWN_COMMAND


async def test_citizen_replaying_an_official_button_gets_nothing(api: FakeBotAPI, world: Services) -> None:
    [photo] = await api.say(OFFICIAL_DISTRICT, f"/xephang {CAT_VAN}")
    data = photo.button(texts.OFFICIAL_BUTTON_EXCEL)["callback_data"]
    answered = api.count("answerCallbackQuery")
    api.press_data(CITIZEN, photo, data)
    await api.wait_for_calls("answerCallbackQuery", answered + 1)
    [probe] = await api.say(CITIZEN, "/khongcolenhnay")
    assert probe.text == texts.UNKNOWN_COMMAND and api.count("sendDocument") == 0


# --- parsing and labels --------------------------------------------------------------------------


def test_period_labels() -> None:
    today = date(2021, 8, 15)
    assert [period_label(Period.of(kind, today)) for kind in ("thang", "quy", "nam")] == [
        "tháng 8/2021",
        "quý III/2021",
        "năm 2021",
    ]
    assert period_label(Period(date(2021, 3, 5), date(2021, 3, 20))) == "05/03/2021–20/03/2021"


def test_chart_window_keeps_the_officials_unit_in_view() -> None:
    standings = [standing(Unit(id=n, code=f"{n:05d}", name=f"Xã {n}"), Figures()) for n in range(60)]
    assert chart_window(standings[:CHART_UNITS], None) == (0, CHART_UNITS)
    assert chart_window(standings, None) == (0, CHART_UNITS)
    assert chart_window(standings, 2) == (0, CHART_UNITS)
    assert chart_window(standings, 30) == (30 - CHART_UNITS // 2, 30 - CHART_UNITS // 2 + CHART_UNITS)
    assert chart_window(standings, 58) == (60 - CHART_UNITS, 60)
