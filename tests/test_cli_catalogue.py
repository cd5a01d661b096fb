"""`tthc-bot load | show | unit | procedures`, run in-process against the full bundled data.

Loading the bundled catalogue and units takes seconds, so each backend's database is loaded once
per module (by the first `load`, whose output is kept) and the tests only read it.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from bot.cli import main
from bot.commands.catalogue import procedure_json
from knowledge.catalogue import BUNDLED_CATALOGUE, read_catalogue
from knowledge.db import make_engine
from knowledge.models import (
    CatalogueVersion,
    OneStopOffice,
    Procedure,
    Unit,
    UnitSuccession,
)
from knowledge.portal import PORTAL_SEARCH_URL, portal_search_link
from knowledge.settings import get_settings
from tests.factories import procedure_record

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
UUID_LINK = re.compile(
    r"^https://dichvucong\.gov\.vn/thu-tuc-hanh-chinh/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
)
CAT_VAN = "Xã Cát Vân, huyện Như Xuân, Thanh Hóa"  # went into Xã Thượng Ninh (16225) on 1 July 2025


@dataclass(frozen=True)
class Loaded:
    data_dir: Path
    database_url: str  # "" for the SQLite file inside data_dir
    first_load: str  # what the first `load` printed

    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'tthc.sqlite3'}"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def _point_at(mp: pytest.MonkeyPatch, data_dir: Path, database_url: str) -> None:
    mp.setenv("TTHC_DATA_DIR", str(data_dir))
    mp.setenv("DATABASE_URL", database_url)  # empty: the SQLite file, whatever a .env says
    get_settings.cache_clear()


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")],
        ),
    ],
)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """A database loaded by `tthc-bot load`: a SQLite file in TTHC_DATA_DIR, or a PostgreSQL schema."""
    data_dir = tmp_path_factory.mktemp("data")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    database_url = ""
    if request.param == "postgres":
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        database_url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        output = io.StringIO()
        with pytest.MonkeyPatch.context() as mp, redirect_stdout(output):
            _point_at(mp, data_dir, database_url)
            assert main(["load"]) == 0
        get_settings.cache_clear()
        yield Loaded(data_dir, database_url, output.getvalue())
    finally:
        if request.param == "postgres":
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def cli(
    loaded: Loaded, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., Run]]:
    """Runs `tthc-bot ARGS…` on the loaded database and returns its exit code, stdout and stderr."""
    _point_at(monkeypatch, loaded.data_dir, loaded.database_url)
    capsys.readouterr()

    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()


@pytest.fixture
def db(loaded: Loaded) -> Iterator[Session]:
    engine = make_engine(loaded.url())
    with Session(engine) as session:
        yield session
    engine.dispose()


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Procedure, Unit, UnitSuccession, OneStopOffice, CatalogueVersion)
    }


# --------------------------------------------------------------------------- load


def test_load_twice_changes_nothing_the_second_time(
    loaded: Loaded, cli: Callable[..., Run], db: Session
) -> None:
    before = _counts(db)
    assert before["procedures"] > 2000 and before["units"] > 14000 and before["catalogue_versions"] == 1
    # The first load reported what it loaded: the catalogue, and the units with their successions.
    assert f"Đã nạp: {before['procedures']} thủ tục" in loaded.first_load
    assert f"{before['units'] + before['unit_successions']} bản ghi đơn vị" in loaded.first_load
    assert loaded.first_load.startswith("Cơ sở dữ liệu: ")
    assert str(loaded.data_dir) in loaded.first_load or loaded.database_url  # SQLite: in TTHC_DATA_DIR

    again = cli("load")
    assert again.code == 0
    assert "không thay đổi gì" in again.out
    db.expire_all()
    assert _counts(db) == before


def test_any_command_loads_what_the_database_lacks(
    loaded: Loaded, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if loaded.database_url:
        pytest.skip("works on a copy of the SQLite file")
    # The catalogue is there but the units are not: `unit` must load them before answering.
    with (
        closing(sqlite3.connect(loaded.data_dir / "tthc.sqlite3")) as source,
        closing(sqlite3.connect(tmp_path / "tthc.sqlite3")) as copy,
    ):
        source.backup(copy)
        copy.execute("DELETE FROM unit_successions")
        copy.execute("DELETE FROM units")
        copy.commit()
    _point_at(monkeypatch, tmp_path, "")
    assert main(["unit", CAT_VAN, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["code"] == "16195"
    assert main(["load"]) == 0
    assert "không thay đổi gì" in capsys.readouterr().out
    get_settings.cache_clear()


# --------------------------------------------------------------------------- show


def test_show_json_gives_the_procedure_with_its_portal_page(cli: Callable[..., Run]) -> None:
    result = cli("show", "1.001193", "--json")
    assert result.code == 0
    data = result.json()
    required = {
        "code",
        "name",
        "field",
        "levels",
        "status",
        "portal_url",
        "channels",
        "documents",
        "legal_basis",
    }
    assert required <= set(data)
    assert (data["code"], data["field"], data["status"]) == ("1.001193", "Hộ tịch", "in_force")
    assert "khai sinh" in data["name"].lower() and "xa" in data["levels"]
    assert UUID_LINK.match(data["portal_url"])
    assert {c["channel"] for c in data["channels"]} >= {"truc_tiep", "truc_tuyen"}
    assert all({"channel", "time", "fee"} <= set(c) for c in data["channels"])
    assert data["documents"] and all(d["name"] for d in data["documents"])
    assert "60/2014/QH13" in {basis["number"] for basis in data["legal_basis"]}


def test_show_json_says_where_each_field_came_from(cli: Callable[..., Run]) -> None:
    birth = cli("show", "1.001193", "--json").json()
    assert birth["details"] == "full" and birth["publisher"] == "Bộ Tư pháp"
    assert birth["executing_agencies"] == ["Ủy ban nhân dân cấp xã"]
    assert (
        birth["sources"]["documents"] == "opengov_detail"
        and birth["sources"]["portal_url"] == "opengov_detail"
    )
    assert "province" not in birth and birth["portal_type"] == "standard" and birth["on_portal_list"] is True
    # known from the portal's list only: an honest summary with its own page
    allowance = cli("show", "1.001776", "--json").json()
    assert allowance["details"] == "summary" and not allowance["documents"] and not allowance["channels"]
    assert allowance["publisher"] == "Bộ Y tế" and allowance["sources"]["levels"] == "opengov_list_agencies"
    assert UUID_LINK.match(allowance["portal_url"])
    card = cli("show", "1.001776").out.splitlines()
    assert "Hồ sơ, thời hạn, lệ phí: xem trên Cổng Dịch vụ công quốc gia" in card
    # one province's own procedure names its province
    land = cli("show", "1.115461", "--json").json()
    assert (land["province"], land["province_name"], land["publisher"]) == (
        "24",
        "Tỉnh Bắc Ninh",
        "UBND tỉnh Bắc Ninh",
    )
    assert "Thủ tục riêng của: Tỉnh Bắc Ninh" in cli("show", "1.115461").out.splitlines()


def test_export_then_reload_changes_nothing(cli: Callable[..., Run], tmp_path: Path) -> None:
    exported = tmp_path / "catalogue.json.gz"
    bundled = len(read_catalogue(BUNDLED_CATALOGUE).procedures)
    result = cli("export-catalogue", str(exported))
    assert result.code == 0 and f"Đã ghi {bundled} thủ tục" in result.out
    catalogue = read_catalogue(exported)
    assert len(catalogue.procedures) == bundled
    assert any(record.portal_type == "specific" and record.sources for record in catalogue.procedures)
    reloaded = cli("reload", str(exported))
    assert reloaded.code == 0 and "Không có thay đổi nào; không áp dụng." in reloaded.out
    assert f"không đổi: {len(catalogue.procedures)}" in reloaded.out


def test_show_prints_a_readable_card(cli: Callable[..., Run]) -> None:
    data = cli("show", "1.001193", "--json").json()
    card = cli("show", " 1.001193 ")
    assert card.code == 0
    lines = card.out.splitlines()
    assert lines[0] == data["name"]
    assert "Mã: 1.001193" in lines and "Lĩnh vực: Hộ tịch" in lines and "Cấp thực hiện: cấp xã" in lines
    direct = data["channels"][[c["channel"] for c in data["channels"]].index("truc_tiep")]
    details = f": {direct['time']}; lệ phí: {direct['fee']}"
    assert any(line.startswith("  • Nộp trực tiếp") and line.endswith(details) for line in lines)
    assert "Hồ sơ:" in lines and "Căn cứ pháp lý:" in lines
    assert any("60/2014/QH13" in line for line in lines)
    assert lines[-1] == f"Cổng Dịch vụ công: {data['portal_url']}"


def test_show_links_to_a_portal_search_when_no_page_is_known(cli: Callable[..., Run], db: Session) -> None:
    procedure = db.scalars(
        select(Procedure).where((Procedure.portal_url.is_(None)) | (Procedure.portal_url == "")).limit(1)
    ).one()
    data = cli("show", procedure.code, "--json").json()
    assert data["portal_url"] == portal_search_link(procedure.name)
    assert data["portal_url"].startswith(PORTAL_SEARCH_URL)


def test_procedure_json_never_gives_the_dead_link_form() -> None:
    record = procedure_record(portal_url="https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh.html")
    record["portal_url"] += "?ma_thu_tuc=1.001193"  # what old data holds; the catalogue schema refuses it
    fields = {name: value for name, value in record.items() if name in Procedure.__table__.columns}
    data = procedure_json(Procedure(**fields))
    assert "ma_thu_tuc" not in data["portal_url"]
    assert data["portal_url"] == portal_search_link(record["name"])


def test_show_unknown_code_fails(cli: Callable[..., Run]) -> None:
    result = cli("show", "9.999999")
    assert result.code == 1
    assert result.out == ""
    assert "9.999999" in result.err


# --------------------------------------------------------------------------- unit


def test_unit_finds_the_old_commune_and_what_it_became(cli: Callable[..., Run]) -> None:
    result = cli("unit", CAT_VAN, "--json")
    assert result.code == 0
    best = result.json()[0]
    assert {"code", "name", "kind", "province", "era", "current", "score"} <= set(best)
    assert (best["code"], best["name"], best["kind"]) == ("16195", "Xã Cát Vân", "commune")
    assert best["era"] == "2008"
    assert best["province"] == {"code": "38", "name": "Tỉnh Thanh Hóa"}
    assert best["current"] == [{"code": "16225", "name": "Xã Thượng Ninh"}]
    assert best["score"] == 100.0
    scores = [item["score"] for item in result.json()]
    assert scores == sorted(scores, reverse=True)

    human = cli("unit", CAT_VAN)
    first = human.out.splitlines()[0]
    assert first.endswith("Xã Cát Vân, huyện Như Xuân, tỉnh Thanh Hóa  [16195, trước 1/7/2025]")
    assert "→ nay thuộc: Xã Thượng Ninh (16225)" in human.out


@pytest.mark.parametrize(
    "typed",
    [
        "xa cat van, huyen nhu xuan, thanh hoa",
        "cat van nhu xuan",
        "Cát Vân Như Xuân Thanh Hoá",  # the old placement of the tone mark
        "cat vaan nhu xuan",
    ],
)
def test_unit_tolerates_missing_diacritics_kind_words_and_typos(cli: Callable[..., Run], typed: str) -> None:
    best = cli("unit", typed, "--json").json()[0]
    assert (best["code"], best["era"]) == ("16195", "2008")
    assert best["current"] == [{"code": "16225", "name": "Xã Thượng Ninh"}]


def test_unit_current_commune_is_its_own_current(cli: Callable[..., Run]) -> None:
    best = cli("unit", "xa thuong ninh thanh hoa", "--json", "--limit", "1").json()
    assert len(best) == 1
    assert (best[0]["code"], best[0]["era"]) == ("16225", "2025")
    assert best[0]["current"] == [{"code": "16225", "name": "Xã Thượng Ninh"}]


def test_unit_nothing_found_fails(cli: Callable[..., Run]) -> None:
    result = cli("unit", "qqqzzz wwwxxx")
    assert (result.code, result.out) == (1, "")
    assert "qqqzzz" in result.err


# --------------------------------------------------------------------------- procedures


def test_procedures_by_code_and_by_old_name_agree(cli: Callable[..., Run]) -> None:
    by_code = cli("procedures", "--unit", "16225", "--json")
    assert by_code.code == 0
    items = by_code.json()
    assert all({"code", "name", "field"} <= set(item) for item in items)
    assert "1.001193" in {item["code"] for item in items}
    assert len({item["code"] for item in items}) == len(items)
    assert by_code.err == ""

    by_old_name = cli("procedures", "--unit", CAT_VAN, "--json")
    assert by_old_name.code == 0
    assert by_old_name.json() == items
    assert "Xã Cát Vân, huyện Như Xuân, tỉnh Thanh Hóa [16195" in by_old_name.err
    assert "Xã Thượng Ninh [16225]" in by_old_name.err

    assert cli("procedures", "--unit", "16195", "--json").json() == items  # an old-only code


def test_procedures_field_filter(cli: Callable[..., Run]) -> None:
    everything = cli("procedures", "--unit", "16225", "--json").json()
    civil = cli("procedures", "--unit", "16225", "--field", "ho tich", "--json").json()
    assert civil == [item for item in everything if item["field"] == "Hộ tịch"]
    assert "1.001193" in {item["code"] for item in civil}

    human = cli("procedures", "--unit", "Thượng Ninh, Thanh Hóa", "--field", "Hộ tịch")
    header = f"{len(civil)} thủ tục do bộ phận một cửa của Xã Thượng Ninh giải quyết:"
    assert human.out.splitlines()[0] == header
    assert "Hộ tịch" in human.out.splitlines() and "1.001193" in human.out

    misspelt = cli("procedures", "--unit", "16225", "--field", "Hộ tịc", "--json")
    assert (misspelt.code, misspelt.json()) == (0, [])
    assert "Hộ tịch" in misspelt.err  # the fields there are, to pick from


@pytest.mark.parametrize(
    ("unit", "why"),
    [
        ("38", "Tỉnh Thanh Hóa [38] không phải đơn vị cấp xã"),
        ("402", "Huyện Như Xuân, Tỉnh Thanh Hóa [402] không phải đơn vị cấp xã"),
        ("Tỉnh Thanh Hóa", "Tỉnh Thanh Hóa [38] không phải đơn vị cấp xã"),
        ("99999", "Không có đơn vị hành chính mã 99999"),
        ("qqqzzz wwwxxx", "Không tìm thấy đơn vị hành chính nào khớp với «qqqzzz wwwxxx»"),
    ],
)
def test_procedures_refuses_provinces_districts_and_unknown_units(
    cli: Callable[..., Run], unit: str, why: str
) -> None:
    result = cli("procedures", "--unit", unit, "--json")
    assert (result.code, result.out) == (1, "")
    assert why in result.err
