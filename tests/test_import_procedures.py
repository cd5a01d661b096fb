"""The procedure importer: one test per raw string format (cut from the real crawled records), and
``build()`` on the small fixture tree under tests/fixtures/raw_procedures/."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from knowledge.catalogue import (
    BUNDLED_CATALOGUE,
    ProcedureRecord,
    apply_catalogue,
    get_procedure,
    parse_catalogue,
    read_catalogue,
)
from knowledge.importers.procedures import (
    PORTAL_DETAIL_RE,
    ImportReport,
    build,
    clean,
    looks_like_decision_title,
    parse_bqp_channels,
    parse_bqp_documents,
    parse_bqp_fee,
    parse_bqp_legal,
    parse_dvcqg_channels,
    parse_dvcqg_documents,
    parse_dvcqg_legal,
    parse_levels,
    parse_result,
    related_names,
    split_audiences,
    split_form,
    split_steps,
)

FIXTURES = Path(__file__).parent / "fixtures" / "raw_procedures"
TABLE = "Hình thức nộpThời gianPhí, lệ phíMô tả"
CRAWLED = date(2026, 7, 20)  # the crawl's date: rates that ended before it are dropped
PORTAL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"


def _row(
    channel: str,
    time: str | None,
    days: float | None,
    fee: str | None,
    fee_vnd: int | None,
    note: str | None = None,
) -> dict[str, Any]:
    return {"channel": channel, "time": time, "days": days, "fee": fee, "fee_vnd": fee_vnd, "note": note}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(  # 1.001193: hộ tịch rows lose the unit; a bare number is days
            "Trực tuyến1Miễn phíDịch vụ bưu chính1Miễn phíTrực tiếp1Miễn phí",
            [
                _row("truc_tuyen", "1 ngày", 1, "Miễn phí", 0),
                _row("buu_chinh", "1 ngày", 1, "Miễn phí", 0),
                _row("truc_tiep", "1 ngày", 1, "Miễn phí", 0),
            ],
            id="bare-number-free",
        ),
        pytest.param(  # 1.004002: unit, amount in VNĐ with a detail in parentheses
            "Trực tuyến2 Ngày làm việc70,000 VNĐ(70.000 đồng/Giấy chứng nhận)",
            [_row("truc_tuyen", "2 ngày làm việc", 2, "70.000 đồng (70.000 đồng/Giấy chứng nhận)", 70000)],
            id="working-days-vnd",
        ),
        pytest.param(  # 1.000756: calendar days, "Việt Nam Đồng", then the description
            "Trực tuyến60 Ngày10,000,000 Việt Nam Đồngkể từ ngày nhận đầy đủ hồ sơ hợp lệ.",
            [
                _row(
                    "truc_tuyen",
                    "60 ngày",
                    60,
                    "10.000.000 đồng",
                    10_000_000,
                    "kể từ ngày nhận đầy đủ hồ sơ hợp lệ.",
                )
            ],
            id="days-amount-note",
        ),
        pytest.param(  # 1.011724: hours are not days
            "Trực tuyến2 GiờMiễn phíTrực tiếp2 GiờMiễn phí",
            [
                _row("truc_tuyen", "2 giờ", None, "Miễn phí", 0),
                _row("truc_tiep", "2 giờ", None, "Miễn phí", 0),
            ],
            id="hours",
        ),
        pytest.param(  # 1.001010: months and a foreign currency
            "Trực tiếp6 Tháng100 USD(100 USD/thẻ.)",
            [_row("truc_tiep", "6 tháng", None, "100 USD (100 USD/thẻ.)", None)],
            id="months-usd",
        ),
        pytest.param(  # 1.007642: no time at all; "120 VNĐ" is no fee to vouch for (never "120 đồng")
            "Trực tuyến120 VNĐTrực tiếp120,000 VNĐ",
            [
                _row("truc_tuyen", None, None, None, None),
                _row("truc_tiep", None, None, "120.000 đồng", 120000),
            ],
            id="no-time",
        ),
        pytest.param(  # 3.000349: "135" in the column, "135.000 đồng/lần" in the description
            "Trực tiếp5 Ngày làm việc135 VNĐ(Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)",
            [
                _row(
                    "truc_tiep",
                    "5 ngày làm việc",
                    5,
                    "135.000 đồng (Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)",
                    135000,
                )
            ],
            id="value-in-thousands",
        ),
        pytest.param(  # 1.000014: a unit-less "1" (day) glued to "20" (thousand đồng), as the detail shows
            "Trực tuyến120 VNĐ(20.000 vnđ /tờ khai)",
            [_row("truc_tuyen", "1 ngày", 1, "20.000 đồng (20.000 vnđ /tờ khai)", 20000)],
            id="time-glued-to-amount",
        ),
        pytest.param(  # 3.000347: "Miễn phí" over a named amount, and a rate that ended on 31/12/2025
            "Trực tuyến5 Ngày làm việcMiễn phí(- Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.  - "
            "Trường hợp tổ chức, cá nhân nộp hồ sơ theo hình thức trực tuyến: "
            "Kể từ ngày 01/12/2023 đến hết ngày 31/12/2025, áp dụng mức thu lệ phí là 115.000 đồng/lần cấp.)",
            [
                _row(
                    "truc_tuyen",
                    "5 ngày làm việc",
                    5,
                    "135.000 đồng (Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)",
                    135000,
                )
            ],
            id="free-contradicted-and-expired",
        ),
        pytest.param(  # 1.004881: time unknown, fee known
            "Trực tuyếnKhông có thông tin1,350,000 Việt Nam Đồng(Đăng ký mới: 1.350.000 đồng/loại thuốc;)",
            [
                _row(
                    "truc_tuyen",
                    None,
                    None,
                    "1.350.000 đồng (Đăng ký mới: 1.350.000 đồng/loại thuốc;)",
                    1350000,
                )
            ],
            id="time-unknown",
        ),
        pytest.param(  # 1.000232: both unknown; a description quoting "Trực tuyến:" is not a new row
            "Trực tiếpKhông có thông tinKhông có thông tin"
            "nộp hồ sơ trực tiếp tại trụ sở Cục Quản lý xuất nhập cảnh."
            "Trực tuyếnKhông có thông tinKhông có thông tin"
            "Trực tuyến: nộp hồ sơ qua Cổng dịch vụ công quốc gia.",
            [
                _row(
                    "truc_tiep",
                    None,
                    None,
                    None,
                    None,
                    "nộp hồ sơ trực tiếp tại trụ sở Cục Quản lý xuất nhập cảnh.",
                ),
                _row(
                    "truc_tuyen",
                    None,
                    None,
                    None,
                    None,
                    "Trực tuyến: nộp hồ sơ qua Cổng dịch vụ công quốc gia.",
                ),
            ],
            id="all-unknown-quoted-channel",
        ),
        pytest.param(  # 1.115148: a zero time means none
            "Trực tiếp0Không có thông tinỦy ban nhân dân cấp tỉnh quy định chi tiết trình tự, thủ tục này",
            [
                _row(
                    "truc_tiep",
                    None,
                    None,
                    None,
                    None,
                    "Ủy ban nhân dân cấp tỉnh quy định chi tiết trình tự, thủ tục này",
                )
            ],
            id="zero-time",
        ),
        pytest.param(  # 3.000340: "Miễn phí" whose detail names a rate is not free
            "Trực tiếp12 NgàyMiễn phí(Cho một loại hình sản phẩm hoặc dịch vụ: 8.000.000/lần.)",
            [
                _row(
                    "truc_tiep",
                    "12 ngày",
                    12,
                    "8.000.000 đồng (Cho một loại hình sản phẩm hoặc dịch vụ: 8.000.000/lần.)",
                    8000000,
                )
            ],
            id="free-depends",
        ),
        pytest.param(  # 3.000382: "Miễn phí(Không thu lệ phí)" is still free
            "Trực tuyến2 Ngày làm việcMiễn phí(Không thu lệ phí)+ Kê khai trên Cổng Dịch vụ công.",
            [
                _row(
                    "truc_tuyen",
                    "2 ngày làm việc",
                    2,
                    "Miễn phí (Không thu lệ phí)",
                    0,
                    "+ Kê khai trên Cổng Dịch vụ công.",
                )
            ],
            id="free-confirmed",
        ),
        pytest.param(  # 2.002235: free text in the time column (tax procedures)
            "Trực tuyếnKhông phải trả kết quả cho người nộp thuếMiễn phíQua Cổng dịch vụ công quốc gia",
            [
                _row(
                    "truc_tuyen",
                    "Không phải trả kết quả cho người nộp thuế",
                    None,
                    "Miễn phí",
                    0,
                    "Qua Cổng dịch vụ công quốc gia",
                )
            ],
            id="free-text-time",
        ),
        pytest.param(  # 1.003677: the same channel twice, for the simple and the complex case
            "Trực tuyến1 Ngày làm việcKhông có thông tin"
            "Trực tuyến2 Ngày làm việcKhông có thông tin\ttrường hợp phức tạp",
            [
                _row("truc_tuyen", "1 ngày làm việc", 1, None, None),
                _row("truc_tuyen", "2 ngày làm việc", 2, None, None, "trường hợp phức tạp"),
            ],
            id="same-channel-twice",
        ),
    ],
)
def test_dvcqg_channel_formats(raw: str, expected: list[dict[str, Any]]) -> None:
    parsed = parse_dvcqg_channels(TABLE + raw, CRAWLED)
    assert parsed.channels == expected
    assert not parsed.unparsed


def test_channel_text_that_cannot_be_read_is_reported() -> None:
    parsed = parse_dvcqg_channels(TABLE + "Theo quy định của Ủy ban nhân dân tỉnh")
    assert parsed.channels == [] and parsed.unparsed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(  # 1.001193: rows carry the section title they are listed under, and their counts
            "* Giấy tờ phải nộp:Tên giấy tờMẫu đơn, tờ khaiSố lượng- Giấy chứng sinh.1 bản chính"
            "Trường hợp đã nộp bản điện tử thì không phải nộp bản giấy.0 bản chính"
            "* Giấy tờ phải xuất trình:Tên giấy tờMẫu đơn, tờ khaiSố lượng- Giấy tờ tùy thân.1 bản chính",
            [
                ("- Giấy chứng sinh.", "1 bản chính", None),
                ("Trường hợp đã nộp bản điện tử thì không phải nộp bản giấy.", None, None),
                ("- Giấy tờ tùy thân.", "1 bản chính", None),
            ],
            id="sections",
        ),
        pytest.param(  # 1.000823: form file glued after ";", originals and copies
            "--Tên giấy tờMẫu đơn, tờ khaiSố lượngĐơn đề nghị theo Mẫu số 08 Nghị định số 121/2021/NĐ-CP;"
            "Mus08.docx1 bản chínhẢnh chụp hiện trạng cây xanh0 bản chính,1 bản sao",
            [
                ("Đơn đề nghị theo Mẫu số 08 Nghị định số 121/2021/NĐ-CP", "1 bản chính", "Mus08.docx"),
                ("Ảnh chụp hiện trạng cây xanh", "1 bản sao", None),
            ],
            id="form-and-copies",
        ),
        pytest.param(  # 1.003563: a name ending in a year glued to the count
            "--Tên giấy tờMẫu đơn, tờ khaiSố lượng"
            "Đơn đề nghị theo Thông tư số 02/2026/TT-BNNMT ngày 01/01/2026"
            "1 bản chính,1 bản sao",
            [
                (
                    "Đơn đề nghị theo Thông tư số 02/2026/TT-BNNMT ngày 01/01/2026",
                    "1 bản chính, 1 bản sao",
                    None,
                )
            ],
            id="year-glued-to-count",
        ),
        pytest.param(  # 1.007665: "01 bản chính;" inside a name is not a row end
            "--Tên giấy tờMẫu đơn, tờ khaiSố lượngBảng kê hàng hóa xuất khẩu: 01 bản chính;1 bản chính",
            [("Bảng kê hàng hóa xuất khẩu: 01 bản chính", "1 bản chính", None)],
            id="count-quoted-in-name",
        ),
        pytest.param(  # 1.004332: several form files glued together
            "--Tên giấy tờMẫu đơn, tờ khaiSố lượngDanh sách hành khách theo mẫu"
            "MauDanhsachhanhkhach.docxMauBankhaichung.docx1 bản chính",
            [
                (
                    "Danh sách hành khách theo mẫu",
                    "1 bản chính",
                    "MauDanhsachhanhkhach.docx; MauBankhaichung.docx",
                )
            ],
            id="several-forms",
        ),
        pytest.param(  # no table at all: the text is kept as one entry
            "Theo quy định tại Điều 18 Luật Quản lý, sử dụng vũ khí, vật liệu nổ và công cụ hỗ trợ.",
            [
                (
                    "Theo quy định tại Điều 18 Luật Quản lý, sử dụng vũ khí, vật liệu nổ và công cụ hỗ trợ.",
                    None,
                    None,
                )
            ],
            id="free-text",
        ),
    ],
)
def test_dvcqg_document_formats(raw: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    documents = parse_dvcqg_documents(raw).documents
    assert [(d["name"], d["quantity"], d["form"]) for d in documents] == expected


def test_dvcqg_document_rows_keep_their_section_and_counts() -> None:
    raw = (
        "* Giấy tờ phải nộp:Tên giấy tờMẫu đơn, tờ khaiSố lượng- Giấy chứng sinh.1 bản chính"
        "Trường hợp đã nộp bản điện tử thì không phải nộp bản giấy.0 bản chính"
        "--Tên giấy tờMẫu đơn, tờ khaiSố lượngẢnh chụp hiện trạng0 bản chính,1 bản sao"
        "Hộ chiếu phổ thông cấp lần gần nhất;1 bản chính01 tờ khai đề nghị cấp hộ chiếu (mẫu TK01)1 bản chính"
    )
    documents = parse_dvcqg_documents(raw).documents
    assert [(d["group"], d["original"], d["copies"]) for d in documents] == [
        ("* Giấy tờ phải nộp:", 1, 0),
        ("* Giấy tờ phải nộp:", 0, 0),
        (None, 0, 1),
        (None, 1, 0),
        (None, 1, 0),
    ]
    # "1 bản chính01 tờ khai": a row may start with a digit right after the count
    assert documents[-1]["name"] == "01 tờ khai đề nghị cấp hộ chiếu (mẫu TK01)"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "Đơn đề nghị theo Mẫu số 01 Phụ lục I của Nghị định số 258/2025/NĐ-CPMẫu số 01.docx",
            ("Đơn đề nghị theo Mẫu số 01 Phụ lục I của Nghị định số 258/2025/NĐ-CP", "Mẫu số 01.docx"),
        ),
        (
            "Văn bản đề nghị theo Thông tư số 54/2025/TT-NHNN.Phụ lụcXI- TT54.docx",
            ("Văn bản đề nghị theo Thông tư số 54/2025/TT-NHNN.", "Phụ lụcXI- TT54.docx"),
        ),
        ("Giấy đề nghị không kèm mẫu", ("Giấy đề nghị không kèm mẫu", None)),
    ],
)
def test_form_file_is_split_from_the_document_name(row: str, expected: tuple[str, str | None]) -> None:
    assert split_form(row) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(  # 1.001193: title+number glued, next title glued to the number
            "Tên văn bản pháp lýMã văn bảnThông tư Hướng dẫn về phí và lệ phí85/2019/TT-BTC"
            "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 quy định chi tiết Luật Hộ tịch123/2015/NĐ-CP",
            [
                ("Thông tư Hướng dẫn về phí và lệ phí", "85/2019/TT-BTC"),
                (
                    "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 quy định chi tiết Luật Hộ tịch",
                    "123/2015/NĐ-CP",
                ),
            ],
            id="glued",
        ),
        pytest.param(  # 1.008333: the title is the number itself
            "Tên văn bản pháp lýMã văn bảnThông tư 80/2021/TT-BTC80/2021/TT-BTCLuật Quản lý thuế38/2019/QH14",
            [("Thông tư 80/2021/TT-BTC", "80/2021/TT-BTC"), ("Luật Quản lý thuế", "38/2019/QH14")],
            id="number-repeated",
        ),
        pytest.param(  # 1.003677: a year glued before the number
            "Tên văn bản pháp lýMã văn bảnLuật Cư trú 202068/2020/QH14",
            [("Luật Cư trú 2020", "68/2020/QH14")],
            id="year-glued-before-number",
        ),
        pytest.param(  # 1.003133: a law number glued to the same number again
            "Tên văn bản pháp lýMã văn bảnLuật 49/2019/QH1449/2019/QH14Nghị định 76/2020/NĐ-CP76/2020/NĐ-CP",
            [("Luật 49/2019/QH14", "49/2019/QH14"), ("Nghị định 76/2020/NĐ-CP", "76/2020/NĐ-CP")],
            id="national-assembly-number-repeated",
        ),
        pytest.param(  # 1.001193: a space before the next title
            "Tên văn bản pháp lýMã văn bản"
            "Nghị định cắt giảm thủ tục18/2026/NĐ-CP Nghị định về hộ tịch điện tử87/2020/NĐ-CP",
            [
                ("Nghị định cắt giảm thủ tục", "18/2026/NĐ-CP"),
                ("Nghị định về hộ tịch điện tử", "87/2020/NĐ-CP"),
            ],
            id="space-separated",
        ),
        pytest.param(  # 1.001193: the number cell repeats "Thông tư số"
            "Tên văn bản pháp lýMã văn bảnThông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ trưởng Bộ Tư pháp"
            "Thông tư số 03/2023/TT-BTP",
            [("Thông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ trưởng Bộ Tư pháp", "03/2023/TT-BTP")],
            id="number-cell-with-type",
        ),
        pytest.param(  # a title with lower-case "g" in the issuer (Thủ tướng)
            "Tên văn bản pháp lýMã văn bản"
            "Quy chế ứng phó sự cố tràn dầu12/2021/QĐ-TTgThông tư 01/2020/TT-BQP",
            [
                ("Quy chế ứng phó sự cố tràn dầu", "12/2021/QĐ-TTg"),
                ("Thông tư 01/2020/TT-BQP", "01/2020/TT-BQP"),
            ],
            id="ttg",
        ),
        pytest.param(
            "Không có thông tin",
            [],
            id="placeholder",
        ),
    ],
)
def test_dvcqg_legal_basis_formats(raw: str, expected: list[tuple[str, str | None]]) -> None:
    legal = parse_dvcqg_legal(raw).legal_basis
    assert [(row["title"], row["number"]) for row in legal] == expected


@pytest.mark.parametrize(
    ("raw", "result", "keywords"),
    [
        (
            "Giấy khai sinhMã: KQ.G15.000031Từ khóaKhông có thông tinMô tảKhông có thông tin"
            "Chọn cơ quan thực hiện"
            "Tỉnh/ Thành phốBộ ngành-- Chọn Tỉnh/ Thành phố --Nộp hồ sơ",
            "Giấy khai sinh",
            [],
        ),
        (
            "Văn bản chấp thuậnMã: KQ.G17.000012Văn bản từ chốiMã: KQ-G17.000013Từ khóaCấp phép, giấy phép"
            "Mô tảKhông có thông tinNộp hồ sơ",
            "Văn bản chấp thuận; Văn bản từ chối",
            ["Cấp phép", "giấy phép"],
        ),
        ("Thông báo kết quảMã: 000.00.00.G04-KQ0001Từ khóaKhông có thông tinMô tả", "Thông báo kết quả", []),
        (
            "Phiếu khai báoMã: KQ.G15.000123Cập nhật thông tinMã: KQ.G15.000124Từ khóa",
            "Phiếu khai báo; Cập nhật thông tin",
            [],
        ),
    ],
)
def test_result_drops_the_portal_tail(raw: str, result: str, keywords: list[str]) -> None:
    assert parse_result(raw) == (result, keywords)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cấp xã", ["xa"]),
        ("Cấp Bộ, Cấp Tỉnh, Cấp Xã", ["bo", "tinh", "xa"]),
        ("Cấp tỉnh, Cấp xã, Cơ quan khác", ["tinh", "xa"]),
        ("Cơ quan khác", []),
    ],
)
def test_levels(raw: str, expected: list[str]) -> None:
    assert parse_levels(raw) == expected


def test_audiences_keep_commas_inside_items() -> None:
    raw = "Tổ chức (không bao gồm doanh nghiệp, HTX), Cán bộ, công chức, viên chức, Công dân Việt Nam"
    assert split_audiences(raw) == [
        "Tổ chức (không bao gồm doanh nghiệp, HTX)",
        "Cán bộ, công chức, viên chức",
        "Công dân Việt Nam",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "- Nộp hồ sơ tại Trung \nnộp hồ sơ.\n- Cán bộ kiểm tra hồ sơ.\n+\n",
            ["- Nộp hồ sơ tại Trung nộp hồ sơ.", "- Cán bộ kiểm tra hồ sơ."],
        ),
        (
            "Bước 1: Chuẩn bị hồ sơ. Bước 2: Nộp hồ sơ. Bước 3. Nhận kết quả.",
            ["Bước 1: Chuẩn bị hồ sơ.", "Bước 2: Nộp hồ sơ.", "Bước 3. Nhận kết quả."],
        ),
        ("", []),
    ],
)
def test_steps(raw: str, expected: list[str]) -> None:
    assert split_steps(raw) == expected


def test_related_procedures_are_given_by_name() -> None:
    raw = "#Tên thủ tục1Thẩm định nhiệm vụ quy hoạch#1Tên thủ tụcThẩm định nhiệm vụ quy hoạch"
    assert related_names(raw) == ["Thẩm định nhiệm vụ quy hoạch"]
    assert related_names("Không có thông tin") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Không có thông tin ", None),
        ("-", None),
        ("Không.", None),
        ("a \n\t b", "a b"),
        ("Tho\u0302ng tư", "Thông tư"),
    ],
)
def test_clean(text: str, expected: str | None) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Công bố Danh mục và Quy trình nội bộ thủ tục hành chính thuộc thẩm quyền của Sở Nội vụ", True),
        ("Quyết định số 1404/QĐ-UBND về việc công bố thủ tục", True),
        ("Quyết định đóng cửa mỏ khoáng sản (cấp Bộ)", False),
        ("Công bố mở cảng cá loại III", False),
        ("Công bố Danh mục khu đất dự kiến thực hiện dự án nhà ở thương mại", False),
    ],
)
def test_decision_titles(name: str, expected: bool) -> None:
    assert looks_like_decision_title(name) is expected


@pytest.mark.parametrize(
    ("raw", "fee_vnd"),
    [
        ("Phí : 0 Đồng", 0),
        ("Phí : 2.000.000 Đồng (Thẩm định cấp phép sử dụng vũ khí)", 2_000_000),
        ("Phí : Không Đồng", 0),
        ("Lệ phí : 03 USD (Lệ phí: 03 USD/Giấy phép)", None),
        ("Phí : Mức thu bằng 50% mức thu phí quy định", None),
        ("Phí : 50.000 Đồng\nLệ phí : 20.000 Đồng", 70_000),
        ("", None),
    ],
)
def test_bqp_fee_formats(raw: str, fee_vnd: int | None) -> None:
    assert parse_bqp_fee(raw)[1] == fee_vnd


def test_bqp_tables() -> None:
    channels = parse_bqp_channels(
        [
            {
                "hinh_thuc": "Trực tiếp",
                "thoi_han_giai_quyet": "07 Ngày làm việc",
                "phi_le_phi": "Phí : 0 Đồng",
                "mo_ta": "",
            },
            {
                "hinh_thuc": "Dịch vụ bưu chính",
                "thoi_han_giai_quyet": "Không quy định",
                "phi_le_phi": "",
                "mo_ta": "Không quy định thời hạn giải quyết",
            },
        ]
    ).channels
    assert channels == [
        _row("truc_tiep", "7 ngày làm việc", 7, "Phí : 0 Đồng", 0),
        _row("buu_chinh", "Không quy định", None, None, None, "Không quy định thời hạn giải quyết"),
    ]
    documents = parse_bqp_documents(
        [  # shifted columns: the form in so_luong, the counts in ghi_chu
            {
                "ten_giay_to": "Kế hoạch ứng phó",
                "so_luong": "5-PHLCII.doc",
                "ghi_chu": "Bản chính: 1\nBản sao: 0",
            },
            {
                "ten_giay_to": "Bản khai",
                "so_luong": "MU1A.docx\nMU1B.docx",
                "ghi_chu": "Bản chính: 0\nBản sao: 1",
            },
        ]
    ).documents
    assert [(d["name"], d["quantity"], d["form"], d["original"], d["copies"]) for d in documents] == [
        ("Kế hoạch ứng phó", "1 bản chính", "5-PHLCII.doc", 1, 0),
        ("Bản khai", "1 bản sao", "MU1A.docx; MU1B.docx", 0, 1),
    ]
    legal = parse_bqp_legal(
        [
            {"so_ky_hieu": "12", "trich_yeu": "Quyết định số 12/2021/QĐ-TTg ngày 24/3/2021 của Thủ tướng"},
            {"so_ky_hieu": "Thông tư số 104/2024/TT-BQP", "trich_yeu": "Thông tư thay thế một số mẫu biểu"},
            {"so_ky_hieu": "191/2005/TTLT/BQP-BLĐTBXH-BTC", "trich_yeu": "Hướng dẫn thực hiện chế độ"},
        ]
    ).legal_basis
    assert [row["number"] for row in legal] == [
        "12/2021/QĐ-TTg",
        "104/2024/TT-BQP",
        "191/2005/TTLT/BQP-BLĐTBXH-BTC",
    ]


# ---------------------------------------------------------------------------------------------
# build() on the fixture tree

# build() on the fixture tree: the portal's list (opengov_dvcqg_catalog, 24 lines cut from the real
# file, two detail responses), the crawl and the defence exports


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportReport]:
    out = tmp_path_factory.mktemp("catalogue") / "procedures.json.gz"
    return out, build(FIXTURES, out)


@pytest.fixture(scope="module")
def records(built: tuple[Path, ImportReport]) -> dict[str, ProcedureRecord]:
    return read_catalogue(built[0]).by_code()


def test_build_writes_a_catalogue_that_parses(built: tuple[Path, ImportReport]) -> None:
    out, report = built
    catalogue = parse_catalogue(out.read_bytes(), str(out))
    codes = [record.code for record in catalogue.procedures]
    assert codes == sorted(codes)
    assert len(codes) == report.records_out == 22
    assert report.records_in == {"dvcqg": 16, "bqp": 3, "opengov_list": 22, "opengov_detail": 2}
    assert catalogue.version.startswith("2026-07-20-")
    defence = catalogue.by_code()["1.013124"]
    assert defence.ministry == "Bộ Quốc phòng" and defence.source == "bqp"
    assert str(defence.source_date) == "2026-01-02"
    assert defence.publisher == "Bộ Quốc phòng" and defence.on_portal_list is True
    # the defence exports carry no link; the portal's list has the page
    assert defence.portal_url == f"{PORTAL}019d2bfb-8906-75ad-81c6-5e4b6f06089d"
    assert defence.sources["portal_url"] == "opengov_list" and defence.sources["channels"] == "bqp"


def test_structured_detail_comes_first(records: dict[str, ProcedureRecord]) -> None:
    birth = records["1.001193"]
    assert birth.source == "opengov_detail" and str(birth.source_date) == "2026-07-19"
    assert birth.portal_url == f"{PORTAL}019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
    assert {birth.sources[key] for key in ("channels", "documents", "steps", "legal_basis")} == {
        "opengov_detail"
    }
    assert birth.details == "full" and birth.levels == ["xa"] and birth.online_level == "mot_phan"
    # the portal says OTHER for the unit: the time is the cases' (1 working day)
    assert {(c.channel, c.time, c.days) for c in birth.channels} == {
        (channel, "1 ngày làm việc", 1.0) for channel in ("truc_tuyen", "buu_chinh", "truc_tiep")
    }
    # papers keep the portal's heading, originals, copies and e-form marks; what everyone brings first
    assert [d.name.split(" ")[0] for d in birth.documents[:2]] == ["Tờ", "Giấy"]
    certificate = next(d for d in birth.documents if d.name.startswith("Giấy chứng sinh;"))
    assert (certificate.original, certificate.copies, certificate.e_form) == (1, 0, False)
    assert certificate.group == "* Giấy tờ phải nộp:" and certificate.quantity == "1 bản chính"
    declaration = next(d for d in birth.documents if d.name.startswith("Tờ khai đăng ký khai sinh"))
    assert declaration.group is None  # listed under no heading
    assert birth.executing_agencies == ["Ủy ban nhân dân cấp xã"] and birth.publisher == "Bộ Tư pháp"


def test_specific_procedure_names_its_province(records: dict[str, ProcedureRecord]) -> None:
    land = records["1.115461"]
    assert (land.portal_type, land.province, land.publisher) == ("specific", "24", "UBND tỉnh Bắc Ninh")
    assert land.ministry is None and land.details == "full"
    assert [(d.original, d.copies, d.e_form, d.form) for d in land.documents] == [(1, 0, True, "Mẫu 1..docx")]
    tuyen_quang = records["1.014325"]  # listed twice: a Tuyên Quang procedure and an internal one
    assert (tuyen_quang.portal_type, tuyen_quang.province) == ("specific", "08")
    assert tuyen_quang.name.startswith("Thủ tục thực hiện chính sách hỗ trợ tư vấn pháp luật")
    assert all(record.province is None for record in records.values() if record.portal_type != "specific")


def test_list_only_procedure_is_an_honest_summary(records: dict[str, ProcedureRecord]) -> None:
    allowance = records["1.001776"]
    assert allowance.details == "summary" and allowance.source == "opengov_list"
    assert not allowance.channels and not allowance.documents and not allowance.steps
    assert allowance.portal_url == f"{PORTAL}019d2bfe-b7e6-740b-9573-24f800e8664d"
    assert (allowance.field, allowance.publisher, allowance.ministry) == (
        "Bảo trợ xã hội",
        "Bộ Y tế",
        "Bộ Y tế",
    )
    assert allowance.executing_agencies == ["Ủy ban nhân dân cấp xã"]
    assert allowance.audiences == ["Công dân Việt Nam"]
    # levels read from the executing body's name, and said so
    assert allowance.levels == ["xa"] and allowance.sources["levels"] == "opengov_list_agencies"
    assert set(allowance.sources) == {
        "name",
        "field",
        "levels",
        "implementing_agency",
        "ministry",
        "audiences",
        "portal_url",
        "publisher",
        "portal_type",
        "executing_agencies",
    }


def test_all_caps_names_are_put_in_sentence_case(records: dict[str, ProcedureRecord]) -> None:
    assert records["1.012590"].name == "Thủ tục đăng ký sinh hoạt tôn giáo tập trung (cấp xã)"


def test_crawl_pages_of_another_procedure_give_way_to_the_list(
    built: tuple[Path, ImportReport], records: dict[str, ProcedureRecord]
) -> None:
    _, report = built
    wrong = {code: (crawl, listed) for code, crawl, listed, _why in report.wrong_pages}
    assert wrong.keys() == {"2.001428", "3.000332"}
    assert wrong["3.000332"][0] == "Hỗ trợ phát triển sản xuất cộng đồng."
    seal = records["2.001428"]
    assert seal.name == "Đăng ký mẫu con dấu mới (thực hiện tại cấp tỉnh)"
    # nothing of the other page is kept: a summary under the list's name and page
    assert seal.details == "summary" and not seal.steps and seal.source == "opengov_list"
    assert seal.portal_url == f"{PORTAL}019d2bf7-adfd-753a-8621-335a5395a571"
    assert "dvcqg" not in set(seal.sources.values()) | set(records["3.000332"].sources.values())
    assert sorted(report.uuid_fixes["from_list"]) == ["2.001428", "3.000332"]


def test_crawl_records_without_their_uuid_get_the_lists(
    built: tuple[Path, ImportReport], records: dict[str, ProcedureRecord]
) -> None:
    _, report = built
    assert "1.000232" in report.uuid_fixes["confirmed"]
    account = records["1.000232"]
    assert account.portal_url == f"{PORTAL}019d2bf7-4fe7-7458-b390-fa60d16e0112"
    assert account.source == "dvcqg" and account.sources["portal_url"] == "opengov_list"
    assert report.linked == report.records_out


def test_codes_the_list_no_longer_has_are_kept_marked(
    built: tuple[Path, ImportReport], records: dict[str, ProcedureRecord]
) -> None:
    out, report = built
    stale = records["1.002520"]
    assert stale.on_portal_list is False and stale.portal_type is None and stale.details == "full"
    assert stale.portal_url is not None and report.uuid_fixes["unconfirmed"] == ["1.002520"]
    assert [row["code"] for row in report.stale] == ["1.002520"]
    assert all(r.on_portal_list for code, r in records.items() if code != "1.002520")
    markdown = out.with_name("import_report.md").read_text(encoding="utf-8")
    assert "## Not on the portal's current list — 1" in markdown
    assert "| 1.002520 | Đề nghị miễn, giảm chi phí cưỡng chế thi hành án | Bộ Tư pháp | dvcqg |" in markdown


def test_internal_and_malformed_list_lines_are_left_out(
    built: tuple[Path, ImportReport], records: dict[str, ProcedureRecord]
) -> None:
    _, report = built
    assert "5.002544" not in records  # crawled, but internal on the portal's list
    assert report.dropped["internal_procedure"] == ["5.002544"]
    assert "1.0133611" in report.dropped["invalid_code"] and "1.0133611" not in records
    assert report.list_types == {"STANDARD": 20, "SPECIFIC": 2, "STANDARD_INTERNAL": 2}
    assert report.listed_twice == ["1.014325"]


def test_report_says_where_each_field_came_from(built: tuple[Path, ImportReport]) -> None:
    out, report = built
    markdown = out.with_name("import_report.md").read_text(encoding="utf-8")
    assert f"Records out: {report.records_out} ({report.details['full']} full" in markdown
    assert "| name | 2 | 1 | 0 | 19 | 0 |" in markdown
    assert "| 24 | UBND tỉnh Bắc Ninh | 1 |" in markdown and "| 08 | UBND tỉnh Tuyên Quang | 1 |" in markdown
    assert "| Bộ Công an | 8 |" in markdown
    assert "### Crawl records of another procedure's page" in markdown and "| 3.000332 |" in markdown
    assert "## Flags set on records (`flags`)" in markdown
    assert "decision_title_as_name" in markdown and "2.001428" in markdown


def test_build_is_deterministic(built: tuple[Path, ImportReport], tmp_path: Path) -> None:
    out, _ = built
    again = tmp_path / "procedures.json.gz"
    build(FIXTURES, again)
    assert again.read_bytes() == out.read_bytes()
    assert again.with_name("import_report.md").read_bytes() == out.with_name("import_report.md").read_bytes()


def test_no_dead_portal_links(built: tuple[Path, ImportReport]) -> None:
    out, _ = built
    assert "ma_thu_tuc=" not in gzip.decompress(out.read_bytes()).decode("utf-8")


def test_bundled_catalogue_validates() -> None:
    catalogue = read_catalogue(BUNDLED_CATALOGUE)
    records = catalogue.procedures
    assert len(records) >= 5400
    linked = sum(1 for record in records if record.portal_url and PORTAL_DETAIL_RE.match(record.portal_url))
    assert linked >= 0.98 * len(records)
    assert {"1.001193", "1.000894", "1.004222", "1.013124", "1.001776"} <= catalogue.by_code().keys()
    assert all(record.province for record in records if record.portal_type == "specific")
    document = json.loads(gzip.decompress(BUNDLED_CATALOGUE.read_bytes()))
    assert "ma_thu_tuc=" not in json.dumps(document, ensure_ascii=False)


def test_built_catalogue_loads_into_the_database(
    built: tuple[Path, ImportReport], session_factory: sessionmaker[Session]
) -> None:
    out, report = built
    with session_factory.begin() as session:
        version = apply_catalogue(session, read_catalogue(out), "fixture")
        assert version.procedure_count == report.records_out
    with session_factory() as session:
        birth = get_procedure(session, "1.001193")
        assert birth is not None and {c["channel"] for c in birth.channels} == {
            "truc_tuyen",
            "truc_tiep",
            "buu_chinh",
        }
        land = get_procedure(session, "1.115461")
        assert land is not None and land.province == "24" and land.sources["documents"] == "opengov_detail"
        assert land.documents[0]["e_form"] is True
