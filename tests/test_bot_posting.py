"""/niemyet end to end: the real Application over HTTP against the fake Bot API server, on the bot's
test world (Huyện Như Xuân, whose communes went into Xã Thượng Ninh in 2025), with officials bound
by invites and "now" pinned. The two documents it sends are read back."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from bot import texts
from bot.handlers.official import CLOCK_KEY
from bot.handlers.posting import CHOOSE_PREFIX, MAX_CHOICES, posting_request
from bot.handlers.services import Services
from bot.render import to_plain
from knowledge.applicability import procedures_for_unit
from knowledge.catalogue import apply_catalogue
from knowledge.compliance import roles
from knowledge.portal import portal_link
from knowledge.posting import PostedList
from knowledge.settings import Settings
from knowledge.units import get_unit
from tests.botworld import BIRTH, bot_application, citizen_records, open_world, polling
from tests.factories import catalogue, procedure_record, unit
from tests.fakebotapi import Call, FakeBotAPI

NOW = datetime(2026, 7, 20, 9, 30)
ADMIN = FakeBotAPI.user(7, "Quản trị")
CITIZEN = FakeBotAPI.user(1001, "Lan")
OFFICIAL_A = FakeBotAPI.user(2001, "Hùng")  # Xã Cát Vân (before 2025), now part of Xã Thượng Ninh
OFFICIAL_DISTRICT = FakeBotAPI.user(3001, "Mai")  # Huyện Như Xuân (before 2025)
OFFICIAL_PROVINCE = 4001
CAT_VAN, NHU_XUAN, THUONG_NINH, CAT_NGAN = "16195", "402", "16225", "17728"
PRODUCE = 60.0  # seconds: two files are made before the reply


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index")
    services.store.settings = Settings(
        TTHC_DATA_DIR=tmp_path, DATABASE_URL=db_url, TTHC_ADMIN_IDS=str(ADMIN["id"])
    )
    with services.store.sessions.begin() as session:
        district = get_unit(session, NHU_XUAN, "2008")
        assert district is not None
        roles.grant(session, OFFICIAL_DISTRICT["id"], district, granted_by=ADMIN["id"])
    yield services
    services.close()


@pytest.fixture
async def api(world: Services) -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        app = bot_application(server, world)
        app.bot_data[CLOCK_KEY] = lambda: NOW
        async with polling(app):
            yield server


async def become_official(api: FakeBotAPI, world: Services, user: dict[str, object], unit_code: str) -> None:
    with world.store.sessions.begin() as session:
        unit = get_unit(session, unit_code, "2008")
        assert unit is not None
        invite = roles.create_invite(session, unit, ADMIN["id"], settings=world.store.settings)
        token = roles.INVITE_PREFIX + invite.token
    await api.say(user, f"/start {token}")


def expected(world: Services) -> list[tuple[str, str, str]]:
    """(code, name, portal link) of what Xã Thượng Ninh handles, in the list's order."""
    with world.store.sessions() as session:
        commune = get_unit(session, THUONG_NINH, "2025")
        assert commune is not None
        return [(p.code, p.name, portal_link(p)) for p in procedures_for_unit(session, commune)]


def read_back(pdf: Call, xlsx: Call) -> tuple[str, list[tuple[str, str, str]]]:
    """The PDF's text, and the spreadsheet's (code, name, hyperlink) rows."""
    assert (pdf.method, xlsx.method) == ("sendDocument", "sendDocument")
    assert pdf.files["document"].filename == "niem-yet-16225-20260720.pdf"
    assert xlsx.files["document"].filename == "niem-yet-16225-20260720.xlsx"
    reader = PdfReader(io.BytesIO(pdf.files["document"].content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    sheet = load_workbook(io.BytesIO(xlsx.files["document"].content))[texts.POSTING_SHEET_LIST]
    rows = list(sheet.iter_rows())
    start = next(i for i, row in enumerate(rows) if row[0].value == texts.POSTING_COLUMNS["number"]) + 1
    return text, [(row[1].value, row[2].value, row[2].hyperlink.target) for row in rows[start:]]


async def test_an_officials_commune_gets_its_list_and_then_what_changed(
    api: FakeBotAPI, world: Services
) -> None:
    await become_official(api, world, OFFICIAL_A, CAT_VAN)
    reply, pdf, xlsx = await api.say(OFFICIAL_A, "/niemyet", replies=3, timeout=PRODUCE)
    wanted = expected(world)
    assert "Danh mục niêm yết — <b>Xã Thượng Ninh, tỉnh Thanh Hóa</b>" in reply.text
    assert f"<b>{len(wanted)}</b> thủ tục, ngày 20/07/2026" in reply.text
    assert texts.POSTING_CHANGES_FIRST.format(unit="Xã Thượng Ninh") in reply.text
    assert texts.POSTING_REPLY_FILES in reply.text
    text, rows = read_back(pdf, xlsx)
    assert sorted(rows) == sorted(wanted)
    assert all(code in text and " ".join(name.split()) in text for code, name, _url in wanted)
    assert pdf.text == texts.POSTING_CAPTION_PDF.format(unit="Xã Thượng Ninh, tỉnh Thanh Hóa")
    assert api.count("sendChatAction") >= 1

    # The catalogue is reloaded: one procedure more, one abolished; the next list says so.
    with world.store.sessions.begin() as session:
        records = [r for r in citizen_records() if r["code"] != "2.000100"]
        gone = next(r for r in citizen_records() if r["code"] == "2.000100")
        added = procedure_record(code="2.000999", name="Thủ tục mới về hộ tịch")
        abolished = {**gone, "status": "abolished", "abolished_by": "Quyết định 99/QĐ-BTP"}
        apply_catalogue(session, catalogue(*records, added, abolished, version="test-2"), "test")
    reply, pdf, xlsx = await api.say(OFFICIAL_A, "/niemyet", replies=3, timeout=PRODUCE)
    assert "Niêm yết thêm 1 · cập nhật 0 · gỡ bỏ 1" in reply.text
    assert "<code>2.000999</code> Thủ tục mới về hộ tịch" in reply.text
    assert f"<code>2.000100</code> {gone['name']} — đã bãi bỏ (Quyết định 99/QĐ-BTP)" in reply.text
    text, rows = read_back(pdf, xlsx)
    assert "2.000999" in {code for code, _name, _url in rows} and "2.000100" not in {c for c, _n, _u in rows}
    changes = load_workbook(io.BytesIO(xlsx.files["document"].content))[texts.POSTING_SHEET_CHANGES]
    assert {(row[0], row[1]) for row in changes.iter_rows(min_row=4, values_only=True)} == {
        ("Niêm yết thêm", "2.000999"),
        ("Gỡ bỏ", "2.000100"),
    }
    with world.store.sessions() as session:
        kept = session.scalars(select(PostedList)).one()
        assert kept.produced_by == f"telegram:{OFFICIAL_A['id']}" and len(kept.items) == len(rows)


async def test_a_district_official_is_asked_which_commune(api: FakeBotAPI, world: Services) -> None:
    [question] = await api.say(OFFICIAL_DISTRICT, "/niemyet")
    assert "<b>Huyện Như Xuân, tỉnh Thanh Hóa</b> có 1 xã, phường" in question.text
    assert question.button_labels() == ["Xã Thượng Ninh (16225)"]
    assert question.button("Thượng Ninh")["callback_data"].startswith(f"{CHOOSE_PREFIX}:")
    reply, pdf, xlsx = await api.tap(OFFICIAL_DISTRICT, question, "Thượng Ninh", replies=3, timeout=PRODUCE)
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa" in reply.text
    _text, rows = read_back(pdf, xlsx)
    assert BIRTH in {code for code, _name, _url in rows}
    reply, _pdf, _xlsx = await api.say(
        OFFICIAL_DISTRICT, f"/niemyet {THUONG_NINH}", replies=3, timeout=PRODUCE
    )
    assert "Không có thay đổi so với danh mục lập lúc 09:30 ngày 20/07/2026." in reply.text


async def test_admins_name_the_commune_and_others_are_refused(api: FakeBotAPI, world: Services) -> None:
    [need] = await api.say(ADMIN, "/niemyet")
    assert need.text == texts.POSTING_NEED_UNIT
    reply, _pdf, _xlsx = await api.say(ADMIN, f"/niemyet {CAT_NGAN}", replies=3, timeout=PRODUCE)
    assert "Xã Cát Ngạn, tỉnh Nghệ An" in reply.text
    await become_official(api, world, OFFICIAL_A, CAT_VAN)
    [refused] = await api.say(OFFICIAL_A, f"/niemyet {CAT_NGAN}")
    assert refused.text == texts.POSTING_OUT_OF_SCOPE.format(code=CAT_NGAN)
    [usage] = await api.say(OFFICIAL_A, "/niemyet Cát Vân")
    assert usage.text == texts.POSTING_USAGE


async def test_citizens_are_told_nothing(api: FakeBotAPI, world: Services) -> None:
    [unknown] = await api.say(CITIZEN, "/khongcolenhnay")
    [refusal] = await api.say(CITIZEN, f"/niemyet {THUONG_NINH}")
    assert refusal.text == unknown.text == texts.UNKNOWN_COMMAND
    with world.store.sessions() as session:
        commune = get_unit(session, THUONG_NINH, "2025")
        assert commune is not None
    answered = api.count("answerCallbackQuery")
    api.press_data(CITIZEN, refusal, f"{CHOOSE_PREFIX}:{commune.id}")  # a replayed choice
    await api.wait_for_calls("answerCallbackQuery", answered + 1)
    [probe] = await api.say(CITIZEN, "/khongcolenhnay")
    assert probe.text == texts.UNKNOWN_COMMAND and api.count("sendDocument") == 0
    with world.store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PostedList)) == 0


def test_a_province_with_many_communes_asks_for_a_code(world: Services) -> None:
    with world.store.sessions.begin() as session:
        province = unit(session, "90", kind="province", era="2025", name="Tỉnh Thử Nghiệm")
        for number in range(MAX_CHOICES + 1):
            unit(session, f"9{number:04d}", parent=province, era="2025", name=f"Xã Thử {number}")
        roles.grant(session, OFFICIAL_PROVINCE, province)
    answer = posting_request(world.store, OFFICIAL_PROVINCE, [])
    assert answer.commune_id is None and answer.buttons == []
    assert to_plain(answer.doc) == texts.POSTING_CHOOSE_TYPE.format(
        unit="Tỉnh Thử Nghiệm", count=MAX_CHOICES + 1, example="90000"
    )
    chosen = posting_request(world.store, OFFICIAL_PROVINCE, ["90003"])
    with world.store.sessions() as session:
        commune = get_unit(session, "90003", "2025")
        assert commune is not None and chosen.commune_id == commune.id
