"""Admins' tables in Telegram, end to end through the fake Bot API: /lich (calendar), /coquan
(agency → unit) and a dossier export sent with the caption /nhaphoso; strangers are answered as if
the commands did not exist."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import texts
from bot.handlers.services import Services
from knowledge.calendarstore import CalendarChange
from knowledge.compliance.models import AgencyUnit, Dossier
from tests.botworld import open_world
from tests.factories import national_row, write_csv
from tests.fakebotapi import FakeBotAPI

ADMIN = FakeBotAPI.user(7, "Quản trị")
STRANGER = FakeBotAPI.user(1001, "Lan")


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index", admins=(ADMIN["id"],))
    yield services
    services.close()


async def test_strangers_get_the_unknown_command_answer(api: FakeBotAPI, world: Services) -> None:
    for command in ("/lich 2026", "/lich nghi 24/11/2026 Ngày Văn hóa", "/coquan 16225 UBND xã Thượng Ninh"):
        [reply] = await api.say(STRANGER, command)
        assert reply.text == texts.UNKNOWN_COMMAND
    with world.store.sessions() as session:
        assert session.scalars(select(CalendarChange)).first() is None
        assert session.scalars(select(AgencyUnit)).first() is None


async def test_calendar_command(api: FakeBotAPI, world: Services) -> None:
    [shown] = await api.say(ADMIN, "/lich 2026")
    assert "17/02" in shown.text and "10/01" in shown.text  # Tết Bính Ngọ, the swapped Saturday
    assert "Từ 01/01/2027: theo quy định, chưa có lịch chính thức." in shown.text
    [saved] = await api.say(ADMIN, "/lich nghi 24/11/2026 Ngày Văn hóa Việt Nam")
    assert saved.text.startswith("Đã lưu #1: Ngày Văn hóa Việt Nam; nghỉ 2026-11-24.")
    [refused] = await api.say(ADMIN, "/lich nghi 10/01/2026 Nghỉ thêm")  # a swapped working Saturday
    assert refused.text.startswith("Không sửa được lịch:")
    [removed] = await api.say(ADMIN, "/lich xoa 1")
    assert removed.text.startswith("Đã bỏ #1")
    with world.store.sessions() as session:
        assert session.scalars(select(CalendarChange)).first() is None


async def test_agency_and_import(api: FakeBotAPI, world: Services, tmp_path: Path) -> None:
    [added] = await api.say(ADMIN, "/coquan 16225 Bộ phận một cửa Thượng Ninh")
    assert added.text == "Hồ sơ của cơ quan «Bộ phận một cửa Thượng Ninh» sẽ thuộc Xã Thượng Ninh."
    [listing] = await api.say(ADMIN, "/coquan")
    assert "Bộ phận một cửa Thượng Ninh → Xã Thượng Ninh (16225)" in listing.text
    records = [
        {"MaHoSo": f"TN-{n}", "MaTTHC": "1.001193", "KenhThucHien": "2", "TrangThaiHoSo": "4",
         "NgayNopHoSo": "20260303090000", "NgayTiepNhan": "20260303100000", "NgayHenTra": "20260305100000",
         "DonViXuLy": "Bộ phận một cửa Thượng Ninh"}
        for n in range(2)
    ]  # fmt: skip
    records.append({**records[0], "MaHoSo": "TN-bad", "NgayNopHoSo": "19000101000000"})
    content = json.dumps({"data": records}, ensure_ascii=False).encode()
    replies = await api.expect(
        ADMIN, lambda: api.send_document(ADMIN, "dongbo.json", content, caption="/nhaphoso"), 2
    )
    assert replies[0].text.startswith("Đã nhập 2 hồ sơ: 2 mới, 0 cập nhật (national-json")
    assert "dòng 3: submitted_at:" in replies[0].text
    assert replies[1].method == "sendDocument"
    bad = write_csv(tmp_path / "x.csv", national_row(), header=["MaHoSo", "MaTTHC"])
    [refused] = await api.expect(
        ADMIN, lambda: api.send_document(ADMIN, "x.csv", bad.read_bytes(), caption="/nhaphoso")
    )
    assert refused.text.startswith("Tệp bị từ chối, không nhập gì: Thiếu cột bắt buộc")
    with world.store.sessions() as session:
        assert sorted(session.scalars(select(Dossier.code))) == ["TN-0", "TN-1"]
