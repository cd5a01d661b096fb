"""The posting list (niêm yết): what is on it, what changed since the last one, and its files read
back — the PDF's text, fonts, links and QR codes (decoded from the rendered pages), the XLSX's rows
and hyperlinks, the HTML's links — and `tthc-bot posting-list` before and after a catalogue reload.

The small world is the bot's (tests/botworld.py) with a few procedures added for the cases a wall
shows differently; one test runs the command on the full bundled data for Xã Núi Cấm (30538).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import texts
from bot.cli import main
from bot.handlers.services import Services
from bot.posting_files import PDF_TEXT_LIMIT, online_text, posting_html, posting_pdf, posting_xlsx, terms_text
from knowledge.applicability import procedures_for_unit
from knowledge.catalogue import apply_catalogue
from knowledge.models import Unit
from knowledge.portal import portal_link, portal_search_link
from knowledge.posting import (
    Online,
    PostedList,
    PostingDiff,
    PostingList,
    build_list,
    diff_with_last,
    posting_communes,
    record,
)
from knowledge.settings import get_settings
from knowledge.store import open_store
from knowledge.units import get_unit
from tests.botworld import BIRTH, MARRIAGE, PORTAL_BIRTH, citizen_records
from tests.factories import catalogue, procedure_record

THUONG_NINH = "16225"  # a 2025 commune; also the code of one of the three old communes it was made of
NOW = datetime(2026, 7, 20, 9, 30)
ODD_NAME = 'Thủ tục thử <b>in đậm</b> & "ngoặc kép" — ký tự đặc biệt'
VIETNAMESE = "Xác nhận ưu đãi đặc biệt: ạ ặ ễ ự ỹ Đ"
LONG_FEE = "Theo quy định của Bộ Tài chính " * 12  # over what a PDF cell prints
NOT_ONLINE, NO_TERMS, MIXED, FULL_ONLINE = "2.000901", "2.000902", "2.000903", "2.000904"


def extra_records() -> list[dict[str, Any]]:
    """Procedures the wall shows in their own way: mixed terms, none published, fully online, no field."""
    return [
        procedure_record(
            code=MIXED,
            name=ODD_NAME,
            channels=[
                {"channel": "truc_tuyen", "time": "3 Ngày làm việc", "fee": "Miễn phí"},
                {"channel": "truc_tiep", "time": "5 Ngày làm việc", "fee": LONG_FEE},
                {"channel": "buu_chinh", "time": None, "fee": "Miễn phí"},
            ],
        ),
        procedure_record(code=NO_TERMS, name=VIETNAMESE, field=None, channels=[]),
        procedure_record(code=FULL_ONLINE, name="Đăng ký khai tử trực tuyến", online_level="toan_trinh"),
        procedure_record(
            code=NOT_ONLINE,
            name="Chứng thực chữ ký người dịch",
            field="Chứng thực",
            channels=[  # two cases, published as two entries of one channel
                {"channel": "truc_tiep", "time": "Trong ngày", "fee": "10.000 đồng/trường hợp"},
                {"channel": "truc_tiep", "time": "3 Ngày làm việc", "fee": "10.000 đồng/trường hợp"},
            ],
        ),
    ]


@pytest.fixture
def posting_world(world: Services) -> Services:
    with world.store.sessions.begin() as session:
        apply_catalogue(session, catalogue(*citizen_records(), *extra_records(), version="posting-1"), "test")
    return world


def commune(session: Session) -> Unit:
    unit = get_unit(session, THUONG_NINH, "2025")
    assert unit is not None
    return unit


def produce(world: Services) -> tuple[PostingList, PostingDiff | None]:
    with world.store.sessions() as session:
        posting = build_list(session, commune(session), NOW)
        return posting, diff_with_last(session, posting)


def words(text: str) -> str:
    return " ".join(text.split())


# --- the list ------------------------------------------------------------------------------------


def test_the_list_is_what_the_commune_handles_grouped_by_field(posting_world: Services) -> None:
    posting, diff = produce(posting_world)
    with posting_world.store.sessions() as session:
        handled = [p.code for p in procedures_for_unit(session, commune(session))]
    assert diff is None and posting.unit_label == "Xã Thượng Ninh, tỉnh Thanh Hóa"
    assert sorted(item.code for item in posting.items) == sorted(handled) and len(handled) > 20
    assert {BIRTH, MARRIAGE, MIXED, NO_TERMS, FULL_ONLINE, NOT_ONLINE} <= {
        item.code for item in posting.items
    }
    fields = [name for name, _items in posting.groups()]
    assert len(fields) == len(set(fields)) and fields[-1] is None  # each field once; no field last
    for _name, items in posting.groups():  # within a field, in the order procedures_for_unit gives
        assert [item.code for item in items] == [code for code in handled if code in {i.code for i in items}]
    birth = next(item for item in posting.items if item.code == BIRTH)
    assert birth.url == PORTAL_BIRTH
    marriage = next(item for item in posting.items if item.code == MARRIAGE)
    assert marriage.url.startswith("https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword=")


def test_times_fees_and_online_are_as_published(posting_world: Services) -> None:
    posting, _ = produce(posting_world)
    items = {item.code: item for item in posting.items}
    mixed = items[MIXED]
    assert (
        terms_text(mixed, "time")
        == "Trực tiếp: 5 Ngày làm việc; Trực tuyến: 3 Ngày làm việc; Bưu chính: Chưa công bố"
    )
    assert (
        terms_text(mixed, "fee")
        == f"Trực tiếp: {' '.join(LONG_FEE.split())}; Trực tuyến, Bưu chính: Miễn phí"
    )
    assert (
        terms_text(items[BIRTH], "time") == "1 Ngày làm việc"
        and terms_text(items[BIRTH], "fee") == "Miễn phí"
    )
    assert terms_text(items[NOT_ONLINE], "time") == "Trong ngày hoặc 3 Ngày làm việc (tùy trường hợp)"
    assert terms_text(items[NOT_ONLINE], "fee") == "10.000 đồng/trường hợp"
    assert terms_text(items[NO_TERMS], "time") == terms_text(items[NO_TERMS], "fee") == "Xem trên Cổng"
    online = {code: items[code].online for code in (MIXED, NO_TERMS, FULL_ONLINE, NOT_ONLINE)}
    assert online == {
        MIXED: Online.CHANNEL,
        NO_TERMS: Online.UNKNOWN,
        FULL_ONLINE: Online.FULL,
        NOT_ONLINE: Online.NONE,
    }
    assert [online_text(items[code]) for code in (FULL_ONLINE, NOT_ONLINE, NO_TERMS)] == [
        "Toàn trình",
        "Không",
        "Chưa công bố",
    ]


def test_which_communes_a_unit_posts_for(world: Services) -> None:
    with world.store.sessions() as session:

        def codes(code: str, era: str) -> list[tuple[str, str]]:
            unit = get_unit(session, code, era)
            assert unit is not None
            return [(u.era, u.code) for u in posting_communes(session, unit)]

        thuong_ninh = [("2025", THUONG_NINH)]
        assert codes("16195", "2008") == thuong_ninh  # Cát Vân went into Thượng Ninh
        assert codes(THUONG_NINH, "2025") == thuong_ninh
        assert codes("402", "2008") == thuong_ninh  # Như Xuân's communes all went into it (in this world)
        assert codes("38", "2025") == thuong_ninh
        assert codes("428", "2008") == [("2025", "17728")]


def test_recording_keeps_one_list_per_unit(posting_world: Services) -> None:
    posting, _ = produce(posting_world)
    for actor in ("cli:a", "telegram:7"):
        with posting_world.store.sessions.begin() as session:
            record(session, posting, actor)
    with posting_world.store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PostedList)) == 1
        kept = session.scalars(select(PostedList)).one()
        assert (
            kept.produced_by == "telegram:7"
            and kept.produced_at == NOW
            and len(kept.items) == len(posting.items)
        )
    _again, diff = produce(posting_world)
    assert diff is not None and diff.empty and diff.previous_at == NOW


# --- the files, read back ------------------------------------------------------------------------


@dataclass
class Pdf:
    text: str  # whitespace collapsed
    uris: list[str]
    fonts: set[str]
    unembedded: set[str]
    qr_codes: list[str] = field(default_factory=list)


def read_pdf(content: bytes, *, pages: Callable[[int], list[int]] = lambda n: list(range(n))) -> Pdf:
    """The PDF's text, link targets and fonts (pypdf), and the QR codes on the given pages, decoded
    from the pages rendered at 288 dpi (pdfium, zxing-cpp)."""
    reader = PdfReader(io.BytesIO(content))
    text, uris, fonts, unembedded = [], [], set(), set()
    for page in reader.pages:
        text.append(page.extract_text())
        for annotation in page.get("/Annots", []):
            action = annotation.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                uris.append(str(action["/URI"]))
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descriptor = font.get("/FontDescriptor")
            if descriptor is None or "/FontFile2" not in descriptor.get_object():
                unembedded.add(str(font["/BaseFont"]))
    result = Pdf(words(" ".join(text)), uris, fonts, unembedded)
    document = pypdfium2.PdfDocument(content)
    try:
        for index in pages(len(document)):
            image = document[index].render(scale=4).to_pil()
            result.qr_codes += [found.text for found in zxingcpp.read_barcodes(image)]
    finally:
        document.close()
    return result


def test_pdf_lists_every_procedure_with_its_link_and_a_qr_code(posting_world: Services) -> None:
    posting, diff = produce(posting_world)
    pdf = read_pdf(posting_pdf(posting, diff))
    for number, item in enumerate(posting.items, start=1):
        assert f"{number} {item.code} {words(item.name)}" in pdf.text
    assert ODD_NAME in pdf.text and VIETNAMESE in pdf.text  # diacritics and markup characters intact
    assert texts.POSTING_HOW_QR.split(":")[0] in pdf.text and "Cập nhật ngày 20/07/2026" in pdf.text
    assert "I. Chứng thực" in pdf.text and f"{texts.POSTING_NO_FIELD} (1)" in pdf.text
    assert f"Trực tiếp: {LONG_FEE[:40]}" in pdf.text and "(xem đủ trên Cổng)" in pdf.text
    assert words(LONG_FEE) not in pdf.text and len(LONG_FEE) > PDF_TEXT_LIMIT  # cut on paper only
    urls = sorted(item.url for item in posting.items)
    assert sorted(pdf.qr_codes) == urls  # one code per procedure, each its portal link
    assert sorted(set(pdf.uris)) == sorted(set(urls))  # the name and the code are clickable too
    assert pdf.fonts == {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"} and not pdf.unembedded
    assert texts.POSTING_CHANGES_FIRST.format(unit="Xã Thượng Ninh") in pdf.text


def test_xlsx_has_a_row_and_a_link_per_procedure(posting_world: Services) -> None:
    posting, diff = produce(posting_world)
    book = load_workbook(io.BytesIO(posting_xlsx(posting, diff)))
    sheet = book[texts.POSTING_SHEET_LIST]
    header, rows = table_of(sheet, texts.POSTING_COLUMNS["number"])
    assert header == [
        texts.POSTING_COLUMNS[key]
        for key in ("number", "code", "name", "field", "time", "fee", "online", "url")
    ]
    assert [row[1].value for row in rows] == [item.code for item in posting.items]
    for number, (row, item) in enumerate(zip(rows, posting.items, strict=True), start=1):
        assert row[0].value == number and row[2].value == item.name and row[7].value == item.url
        assert row[2].hyperlink.target == item.url and row[7].hyperlink.target == item.url
        assert row[4].value == terms_text(item, "time") and row[6].value == online_text(item)
    mixed = next(row for row in rows if row[1].value == MIXED)
    assert words(LONG_FEE) in mixed[5].value  # the whole text in the spreadsheet
    assert sheet["A2"].value == "tiếp nhận, giải quyết tại Bộ phận Một cửa Xã Thượng Ninh, tỉnh Thanh Hóa"
    changes = book[texts.POSTING_SHEET_CHANGES]
    assert changes["A1"].value == texts.POSTING_CHANGES_FIRST.format(unit="Xã Thượng Ninh")


def table_of(sheet: Worksheet, first_header: str) -> tuple[list[Any], list[Any]]:
    """The header row starting with ``first_header`` and the rows below it."""
    rows = list(sheet.iter_rows())
    start = next(index for index, row in enumerate(rows) if row[0].value == first_header)
    return [cell.value for cell in rows[start]], rows[start + 1 :]


class Page(HTMLParser):
    """The links of an HTML page with their text, and every tag that could load something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.loads: list[tuple[str, str]] = []
        self.tags: list[str] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "a":
            self._href, self._text = values.get("href"), []
        for name in ("src", "srcset", "data"):
            if values.get(name):
                self.loads.append((tag, values[name] or ""))
        if tag == "link":
            self.loads.append((tag, values.get("href") or ""))

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def test_html_is_one_page_with_a_link_per_procedure(posting_world: Services) -> None:
    posting, diff = produce(posting_world)
    content = posting_html(posting, diff).decode("utf-8")
    page = Page()
    page.feed(content)
    page.close()
    assert page.links == [(item.url, item.name) for item in posting.items]  # names escaped, links intact
    assert not page.loads  # nothing loaded from elsewhere
    assert page.tags.count("b") == sum(item.online == Online.FULL for item in posting.items)  # odd name: text
    assert '<meta name="viewport"' in content and '<html lang="vi">' in content
    assert "&lt;b&gt;in đậm&lt;/b&gt; &amp; &quot;ngoặc kép&quot;" in content
    for item in posting.items:
        assert f'<span class="code">{item.code}</span>' in content
    assert re.search(r"<input id=\"q\" type=\"search\"", content)


# --- what changed, through the command line, before and after a catalogue reload ------------------


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    posting_world: Services,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Run]:
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    get_settings.cache_clear()


def changed_catalogue(path: Path) -> Path:
    """The exported catalogue with one procedure added, one abolished, one removed, one moved to the
    province, one renamed and one with a new fee."""
    document = json.loads(path.read_text(encoding="utf-8"))
    records = {record["code"]: record for record in document["procedures"]}
    records[FULL_ONLINE]["status"] = "abolished"
    records[FULL_ONLINE]["abolished_by"] = "Quyết định 99/QĐ-BTP"
    del records[NOT_ONLINE]
    records["2.000100"]["levels"] = ["tinh"]
    records["2.000101"]["name"] = "Thủ tục mẫu đã đổi tên"
    records[BIRTH]["channels"][0]["fee"] = "8.000 đồng"
    records["2.000999"] = procedure_record(code="2.000999", name="Thủ tục mới về hộ tịch")
    document["procedures"] = list(records.values())
    document["version"] = "posting-2"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_list_after_a_catalogue_reload_says_what_to_add_change_and_take_down(
    cli: Run, tmp_path: Path
) -> None:
    first = [tmp_path / f"first.{fmt}" for fmt in ("pdf", "xlsx", "html")]
    code, out, _err = cli(
        "posting-list", "--unit", THUONG_NINH, *(arg for p in first for arg in ("--out", str(p)))
    )
    assert code == 0 and "Xã Thượng Ninh, tỉnh Thanh Hóa" in out
    assert texts.POSTING_CHANGES_FIRST.format(unit="Xã Thượng Ninh") in out
    assert all(path.stat().st_size > 1000 for path in first)

    assert cli("export-catalogue", str(tmp_path / "catalogue.json"))[0] == 0
    assert cli("reload", str(changed_catalogue(tmp_path / "catalogue.json")), "--yes")[0] == 0

    second = [tmp_path / f"second.{fmt}" for fmt in ("pdf", "xlsx", "html")]
    code, out, _err = cli(
        "posting-list", "--unit", THUONG_NINH, *(arg for p in second for arg in ("--out", str(p)))
    )
    assert code == 0
    assert "Niêm yết thêm 1 · cập nhật 2 · gỡ bỏ 3" in out
    sections = out.split(texts.POSTING_CHANGED)
    added, rest = sections[0].split(texts.POSTING_ADDED)[1], sections[1]
    changed, removed = rest.split(texts.POSTING_REMOVED)
    assert "2.000999 Thủ tục mới về hộ tịch" in added
    assert f"{BIRTH} Đăng ký khai sinh — phí, lệ phí" in changed
    assert "2.000101 Thủ tục mẫu đã đổi tên — tên" in changed
    assert f"{FULL_ONLINE} Đăng ký khai tử trực tuyến — đã bãi bỏ (Quyết định 99/QĐ-BTP)" in removed
    assert f"{NOT_ONLINE} Chứng thực chữ ký người dịch — không còn trong danh mục" in removed
    assert "2.000100 " in removed and "xã không còn tiếp nhận, giải quyết" in removed

    sheet = load_workbook(second[1])[texts.POSTING_SHEET_CHANGES]
    _header, rows = table_of(sheet, texts.POSTING_CHANGES_COLUMNS[0])
    actions = {(row[0].value, row[1].value) for row in rows}
    assert actions == {
        ("Niêm yết thêm", "2.000999"),
        ("Cập nhật", BIRTH),
        ("Cập nhật", "2.000101"),
        ("Gỡ bỏ", FULL_ONLINE),
        ("Gỡ bỏ", NOT_ONLINE),
        ("Gỡ bỏ", "2.000100"),
    }
    renamed = next(row for row in rows if row[1].value == "2.000101")
    assert renamed[4].value == (
        f"Tên: «Thủ tục mẫu số 2 về đất đai» → «Thủ tục mẫu đã đổi tên»; {texts.POSTING_URL_CHANGED}"
    )
    birth = next(row for row in rows if row[1].value == BIRTH)
    assert birth[4].value == "Phí, lệ phí: «Miễn phí» → «Trực tiếp: 8.000 đồng; Trực tuyến: Miễn phí»"
    pdf = read_pdf(second[0].read_bytes(), pages=lambda n: [])
    assert "Gỡ bỏ 2.000100" in pdf.text and "Niêm yết thêm 2.000999 Thủ tục mới về hộ tịch" in pdf.text
    assert FULL_ONLINE not in pdf.text.split("Thay đổi so với")[0]  # taken down from the list itself
    html = second[2].read_text(encoding="utf-8")
    assert "Quyết định 99/QĐ-BTP" in html and 'href="' in html

    code, out, _err = cli("posting-list", "--unit", THUONG_NINH, "--out", str(tmp_path / "third.html"))
    assert code == 0 and "Không có thay đổi so với danh mục lập lúc" in out


def test_bad_requests_are_refused_and_keep_the_last_list(
    cli: Run, tmp_path: Path, posting_world: Services
) -> None:
    target = tmp_path / "x.docx"
    assert cli("posting-list", "--unit", THUONG_NINH, "--out", str(target)) == (
        1,
        "",
        texts.POSTING_BAD_FORMAT.format(path=target) + "\n",
    )
    code, _out, err = cli("posting-list", "--unit", "402", "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and "không phải đơn vị cấp xã" in err
    code, _out, err = cli(
        "posting-list", "--unit", THUONG_NINH, "--out", str(tmp_path / "missing" / "x.html")
    )
    assert code == 1 and "Không ghi được" in err
    assert not list(tmp_path.glob("x.*"))
    with posting_world.store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PostedList)) == 0
    code, out, err = cli("posting-list", "--unit", "16195", "--out", str(tmp_path / "x.html"))  # old Cát Vân
    assert code == 0 and "nay thuộc Xã Thượng Ninh [16225]" in err and "Xã Thượng Ninh, tỉnh Thanh Hóa" in out


# --- the command on the bundled data -------------------------------------------------------------

PORTAL_PAGE = re.compile(
    r"^https://dichvucong\.gov\.vn/thu-tuc-hanh-chinh/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
)


def test_nui_cam_gets_its_full_list_with_a_working_link_for_each_procedure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")  # the SQLite file in the data dir, loaded with the bundled data
    get_settings.cache_clear()
    files = {fmt: tmp_path / f"x.{fmt}" for fmt in ("pdf", "xlsx", "html")}
    assert (
        main(["posting-list", "--unit", "30538", *(a for p in files.values() for a in ("--out", str(p)))])
        == 0
    )
    out = capsys.readouterr().out
    store = open_store()
    try:
        with store.sessions() as session:
            nui_cam = get_unit(session, "30538", "2025")
            assert nui_cam is not None
            wanted = [(p.code, p.name, portal_link(p)) for p in procedures_for_unit(session, nui_cam)]
    finally:
        store.close()
        get_settings.cache_clear()
    assert len(wanted) > 300 and f"Xã Núi Cấm, tỉnh An Giang: {len(wanted)} thủ tục" in out
    for _code, name, url in wanted:  # the portal's page, else a search for the name
        assert PORTAL_PAGE.match(url) or url == portal_search_link(name)
    assert sum(bool(PORTAL_PAGE.match(url)) for _c, _n, url in wanted) > len(wanted) * 0.8

    page = Page()
    page.feed(files["html"].read_text(encoding="utf-8"))
    assert sorted(page.links) == sorted((url, name) for _code, name, url in wanted)
    _header, rows = table_of(
        load_workbook(files["xlsx"])[texts.POSTING_SHEET_LIST], texts.POSTING_COLUMNS["number"]
    )
    assert sorted((row[1].value, row[2].value, row[7].hyperlink.target) for row in rows) == sorted(wanted)
    pdf = read_pdf(files["pdf"].read_bytes(), pages=lambda n: [0, n // 2, n - 2])
    urls = {url for _code, _name, url in wanted}
    assert set(pdf.uris) == urls and len(pdf.qr_codes) >= 10 and set(pdf.qr_codes) <= urls
    assert all(code in pdf.text for code, _name, _url in wanted) and not pdf.unembedded
