"""The importer's last pass (knowledge/importers/fields.py): each rule on a small hand-made record."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from knowledge.catalogue import ProcedureRecord
from knowledge.importers.fields import (
    FLAG_MEANINGS,
    amounts_in,
    channels_from_portal,
    documents_from_portal,
    merge_channels,
    read_fee,
    read_time,
    tidy_documents,
    tidy_record,
)
from knowledge.importers.procedures import FLAG_ISSUES

CRAWLED = date(2026, 7, 20)


def doc(
    name: str, original: int | None = 1, copies: int | None = 0, group: str | None = None
) -> dict[str, Any]:
    return {"name": name, "original": original, "copies": copies, "group": group}


def names(documents: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    return [(d["case"], d["name"]) for d in documents]


# --------------------------------------------------------------------------- papers


def test_the_declaration_form_leads_then_the_papers_everyone_brings_then_the_online_form() -> None:
    papers, notes, _ = tidy_documents(
        [
            doc("- Giấy chứng sinh.", group="* Giấy tờ phải nộp:"),
            doc("- Hộ chiếu/Thẻ căn cước", group="* Giấy tờ phải xuất trình:"),
            doc("- Mẫu hộ tịch điện tử tương tác đăng ký khai sinh (nếu nộp trực tuyến)"),
            doc("- Tờ khai đăng ký khai sinh theo mẫu (nếu nộp hồ sơ theo hình thức trực tiếp)"),
        ]
    )
    assert [name for _, name in names(papers)] == [
        "Tờ khai đăng ký khai sinh theo mẫu (nếu nộp hồ sơ theo hình thức trực tiếp)",
        "Giấy chứng sinh.",
        "Hộ chiếu/Thẻ căn cước",
        "Mẫu hộ tịch điện tử tương tác đăng ký khai sinh (nếu nộp trực tuyến)",
    ]
    assert notes == []


def test_conditional_papers_get_their_case_and_follow_the_others() -> None:
    papers, _, _ = tidy_documents(
        [
            doc("- Trường hợp trẻ em bị bỏ rơi thì phải có biên bản về việc trẻ bị bỏ rơi."),
            doc("- Văn bản ủy quyền (được chứng thực) trong trường hợp ủy quyền thực hiện việc đăng ký."),
            doc(
                "- Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản của người làm chứng."
            ),
            doc("Bản sao giấy khai sinh đối với người chưa đủ 14 tuổi", 0, 1),
        ]
    )
    assert names(papers) == [
        (None, "Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản của người làm chứng."),
        ("Trường hợp trẻ em bị bỏ rơi", "Biên bản về việc trẻ bị bỏ rơi."),
        (
            "Trường hợp ủy quyền thực hiện việc đăng ký",
            "Văn bản ủy quyền (được chứng thực) trong trường hợp ủy quyền thực hiện việc đăng ký.",
        ),
        ("Đối với người chưa đủ 14 tuổi", "Bản sao giấy khai sinh đối với người chưa đủ 14 tuổi"),
    ]


def test_a_condition_on_the_channel_is_no_case() -> None:
    papers, _, _ = tidy_documents(
        [doc("Tờ khai theo mẫu (nếu người có yêu cầu lựa chọn nộp hồ sơ trực tiếp)")]
    )
    assert papers[0]["case"] is None


def test_notes_and_instructions_are_not_papers() -> None:
    papers, notes, flags = tidy_documents(
        [
            doc("Giấy báo tử", group="* Giấy tờ phải nộp:"),
            doc("Trường hợp người yêu cầu đã nộp bản điện tử thì không phải nộp bản giấy.", 0, 0),
            doc("Người tiếp nhận có trách nhiệm tiếp nhận đúng, đủ hồ sơ.", 0, 0),
            doc("- Cá nhân có quyền lựa chọn nơi đăng ký.", 0, 0, group="* Lưu ý:"),
            doc("Phiếu này là biểu mẫu điện tử, công dân kê khai khi nộp trực tuyến.", 0, 0),
        ]
    )
    assert [d["name"] for d in papers] == ["Giấy báo tử"]
    assert notes == [
        "Trường hợp người yêu cầu đã nộp bản điện tử thì không phải nộp bản giấy.",
        "Người tiếp nhận có trách nhiệm tiếp nhận đúng, đủ hồ sơ.",
        "Cá nhân có quyền lựa chọn nơi đăng ký.",
        "Phiếu này là biểu mẫu điện tử, công dân kê khai khi nộp trực tuyến.",
    ]
    assert flags == []


def test_papers_that_are_steps_are_notes_and_flagged() -> None:
    papers, notes, flags = tidy_documents([doc("Đơn đề nghị"), doc("Nộp hồ sơ tại Bộ phận Một cửa", 0, 0)])
    assert [d["name"] for d in papers] == ["Đơn đề nghị"] and notes == ["Nộp hồ sơ tại Bộ phận Một cửa"]
    assert flags == ["papers_are_steps"]


def test_case_groups_and_a_declaration_asked_in_several_cases() -> None:
    papers, _, _ = tidy_documents(
        [
            doc("Giấy xác nhận nơi đậu tàu thuyền", group="Đăng ký thường trú vào chỗ ở của mình"),
            doc("Hợp đồng thuê nhà", group="Đăng ký thường trú vào chỗ ở thuê, mượn"),
            doc(
                "Tờ khai thay đổi thông tin cư trú (mẫu CT01)",
                group="Đăng ký thường trú tại đơn vị đóng quân",
            ),
            doc("Thông tin về chỗ ở hợp pháp", group="Đăng ký thường trú vào chỗ ở của mình"),
            doc(
                "Tờ khai thay đổi thông tin cư trú (mẫu CT01) hoặc CT02",
                group="Đăng ký thường trú vào chỗ ở của mình",
            ),
        ]
    )
    assert names(papers) == [
        (None, "Tờ khai thay đổi thông tin cư trú (mẫu CT01) hoặc CT02"),
        # the case the form was lifted from comes first, and in it the listing that had the form
        ("Đăng ký thường trú vào chỗ ở của mình", "Thông tin về chỗ ở hợp pháp"),
        ("Đăng ký thường trú vào chỗ ở của mình", "Giấy xác nhận nơi đậu tàu thuyền"),
        ("Đăng ký thường trú vào chỗ ở thuê, mượn", "Hợp đồng thuê nhà"),
    ]


def test_a_heading_that_names_the_procedures_own_dossier_is_no_case() -> None:
    record = tidy_record(
        {
            "name": "Gia hạn tạm trú",
            "documents": [
                doc(
                    "Văn bản đề nghị gia hạn kèm danh sách",
                    group="* Gia hạn tạm trú theo danh sách, hồ sơ gồm:",
                ),
                doc(
                    "Giấy giới thiệu của đơn vị",
                    group="* Gia hạn tạm trú tại nơi đơn vị đóng quân, hồ sơ gồm:",
                ),
                doc("Tờ khai thay đổi thông tin cư trú", group="* Hồ sơ gia hạn tạm trú gồm:"),
            ],
        }
    )
    assert names(record["documents"]) == [
        (None, "Tờ khai thay đổi thông tin cư trú"),
        ("Gia hạn tạm trú theo danh sách", "Văn bản đề nghị gia hạn kèm danh sách"),
        ("Gia hạn tạm trú tại nơi đơn vị đóng quân", "Giấy giới thiệu của đơn vị"),
    ]


def test_counts_quantity_and_e_form_are_kept() -> None:
    papers, _, _ = tidy_documents(
        [
            {"name": "Đơn đề nghị", "quantity": "1 bản chính, 2 bản sao", "form": "Mau01.docx"},
            {"name": "Bản vẽ", "original": 2, "copies": 0, "e_form": True},
        ]
    )
    assert [(d["original"], d["copies"], d["quantity"], d["form"], d["e_form"]) for d in papers] == [
        (1, 2, "1 bản chính, 2 bản sao", "Mau01.docx", None),
        (2, 0, "2 bản chính", None, True),
    ]


def test_a_count_glued_inside_a_name_is_flagged() -> None:
    _, _, flags = tidy_documents(
        [doc("Hóa đơn thương mại: 01 bản chụp;0 bản chính,1 bản sao3. Hồ sơ tái xuất")]
    )
    assert flags == ["papers_unsplit"]


# --------------------------------------------------------------------------- fees


@pytest.mark.parametrize(
    ("value", "detail", "free", "text", "vnd", "flags"),
    [
        (0, None, True, "Miễn phí", 0, []),
        (0, "Không thu lệ phí", True, "Miễn phí (Không thu lệ phí)", 0, []),
        # free, but the description names the amount
        (
            0,
            "- Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.",
            True,
            "135.000 đồng (Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)",
            135000,
            ["fee_free_contradicted"],
        ),
        # free, but the description says who sets the rate
        (
            0,
            "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định.",
            True,
            "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định.",
            None,
            ["fee_free_contradicted"],
        ),
        (
            0,
            "Thông tư số 60/2023/TT-BTC quy định mức thu lệ phí đăng ký xe.",
            True,
            "Theo Thông tư số 60/2023/TT-BTC quy định mức thu lệ phí đăng ký xe.",
            None,
            ["fee_free_contradicted"],
        ),
        # "135" in the column is 135.000 đồng in the text; never "135 đồng"
        (
            135,
            "Lệ phí: 135.000 đồng/lần.",
            False,
            "135.000 đồng (Lệ phí: 135.000 đồng/lần.)",
            135000,
            ["fee_value_mismatch"],
        ),
        (
            1,
            "Được miễn lệ phí khi nộp qua mạng.",
            False,
            "Được miễn lệ phí khi nộp qua mạng.",
            None,
            ["fee_amount_unclear"],
        ),
        # the column and the text disagree: both shown, neither vouched for
        (
            5000,
            "Nộp trực tuyến thu 7.000 đồng/lần.",
            False,
            "5.000 đồng (Nộp trực tuyến thu 7.000 đồng/lần.)",
            None,
            ["fee_value_differs"],
        ),
        # a rate whose own text says it ended before the crawl
        (
            200000,
            "200.000 đồng/hộ chiếu. Kể từ ngày 01/01/2024 đến hết ngày 31/12/2025, "
            "áp dụng mức thu 100.000 đồng.",
            False,
            "200.000 đồng (200.000 đồng/hộ chiếu.)",
            200000,
            ["fee_expired_rate"],
        ),
        (
            40,
            "40.000đ/giấy thông hành (áp dụng đến hết ngày 31/12/2024)",
            False,
            "chưa công bố mức đang áp dụng "
            "(mức đã hết hạn: 40.000đ/giấy thông hành (áp dụng đến hết ngày 31/12/2024))",
            None,
            ["fee_expired_rate"],
        ),
        # a rate that still runs at the crawl date is kept with its dates
        (
            50,
            "áp dụng mức phí 25.000 đồng/hồ sơ kể từ ngày 01/7/2025 đến hết ngày 31/12/2026",
            False,
            "25.000 đồng (áp dụng mức phí 25.000 đồng/hồ sơ kể từ ngày 01/7/2025 đến hết ngày 31/12/2026)",
            25000,
            ["fee_amount_unclear"],
        ),
        (None, None, False, None, None, []),
    ],
)
def test_fee_readings(
    value: int | None, detail: str | None, free: bool, text: str | None, vnd: int | None, flags: list[str]
) -> None:
    fee = read_fee(value, detail, free=free, on=CRAWLED)
    assert (fee.text, fee.vnd, sorted(fee.flags)) == (text, vnd, sorted(flags))


def test_foreign_currency_is_never_counted_in_dong() -> None:
    fee = read_fee(10, "10 USD/bản", currency="USD", on=CRAWLED)
    assert (fee.text, fee.vnd) == ("10 USD (10 USD/bản)", None)


def test_amounts_are_money_not_dates_or_numbers_of_texts() -> None:
    text = (
        "Thông tư số 244/2016/TT-BTC ngày 11/11/2016: 200.000 đồng/lần; 8.000.000/lần; Điều 4; 50%; 400.000đ"
    )
    assert amounts_in(text) == [200000, 8000000, 400000]


# --------------------------------------------------------------------------- times and channels


def test_times() -> None:
    assert (read_time("7", "Ngày làm việc").text, read_time("7", "WORKING_DAY").days) == (
        "7 ngày làm việc",
        7,
    )
    bare = read_time("1", None)
    assert (bare.text, bare.days, bare.flags) == ("1 ngày", 1, ["time_without_unit"])
    assert read_time("0", "DAY").text is None
    assert read_time("2", "HOUR").days is None


def test_rows_of_one_channel_become_one_line_whose_times_carry_their_case() -> None:
    common = "- Thời hạn giải quyết: + Thời gian trả kết quả tính từ ngày nhận đủ hồ sơ."
    rows = [
        {"channel": channel, "time": time, "fee": "Miễn phí", "fee_vnd": 0, "note": f"{label} {common}"}
        for time, label in [
            ("2 Ngày làm việc", "+ Cấp chứng nhận đăng ký xe: Không quá 02 ngày làm việc."),
            (
                "7 Ngày làm việc",
                "+ Cấp lại biển số định danh: Không quá 07 ngày làm việc, trừ trường hợp mất biển.",
            ),
            ("1 Giờ", "+ Cấp biển số định danh lần đầu: Cấp ngay."),
        ]
        for channel in ("truc_tiep", "truc_tuyen")
    ]
    merged, flags = merge_channels(rows, CRAWLED)
    assert [row["channel"] for row in merged] == ["truc_tiep", "truc_tuyen"]
    assert merged[0]["time"] == (
        "2 ngày làm việc (Cấp chứng nhận đăng ký xe); 7 ngày làm việc (Cấp lại biển số định danh); "
        "1 giờ (Cấp biển số định danh lần đầu)"
    )
    assert (merged[0]["fee"], merged[0]["fee_vnd"], merged[0]["days"], flags) == ("Miễn phí", 0, None, [])


def test_an_exception_is_never_read_as_the_case() -> None:
    rows = [
        {"channel": "truc_tiep", "time": "3 ngày làm việc", "note": "Không quá 03 ngày làm việc."},
        {
            "channel": "truc_tiep",
            "time": "5 ngày làm việc",
            "note": "Không quá 05 ngày, trừ trường hợp cấp đổi đồng loạt.",
        },
    ]
    merged, _ = merge_channels(rows)
    assert merged[0]["time"] == "3 ngày làm việc; 5 ngày làm việc (tùy trường hợp)"


def test_a_bare_free_beside_a_rate_text_is_not_believed() -> None:
    rows = [
        {
            "channel": "truc_tiep",
            "time": "5 ngày làm việc",
            "fee": "Theo quy định của Luật phí và lệ phí",
            "fee_vnd": None,
        },
        {"channel": "buu_chinh", "time": "20 ngày làm việc", "fee": "Miễn phí", "fee_vnd": 0},
    ]
    merged, flags = merge_channels(rows)
    assert (merged[1]["fee"], merged[1]["fee_vnd"]) == (None, None) and flags == ["fee_free_contradicted"]


# --------------------------------------------------------------------------- the structured response


def test_structured_fees_and_times() -> None:
    methods = [
        {
            "submissionMethod": "DIRECT",
            "processingTime": 1,
            "processingTimeUnit": "OTHER",
            "description": "",
            "fees": [
                {
                    "type": "FEE",
                    "value": 15000,
                    "currencyName": "Việt Nam Đồng",
                    "currencyId": "x",
                    "description": "Cá nhân",
                },
                {
                    "type": "FEE",
                    "value": 0,
                    "currencyId": "",
                    "description": "Miễn phí Đồng - Người có công được miễn",
                },
            ],
        },
        {
            "submissionMethod": "ONLINE",
            "processingTime": 3,
            "processingTimeUnit": "WORKING_DAY",
            "fees": [{"type": "SERVICE_FEE", "value": 200, "currencyId": "", "description": "Đăng ký"}],
        },
    ]
    cases = [
        {"name": "A", "processingDay": {"qty": 5, "type": "WORKING_DAY"}},
        {"name": "B", "processingDay": {"qty": 2, "type": "DAY"}},
    ]
    rows, flags = channels_from_portal(methods, cases, CRAWLED)
    assert [(r["channel"], r["time"], r["fee"], r["fee_vnd"]) for r in rows] == [
        (
            "truc_tiep",
            "5 ngày làm việc (A); 2 ngày (B)",
            "15.000 đồng (Cá nhân); Miễn phí (Người có công được miễn)",
            None,
        ),
        ("truc_tuyen", "3 ngày làm việc", "200 (không ghi đơn vị tiền) (Đăng ký)", None),
    ]
    assert flags == ["fee_amount_unclear"]


def test_structured_papers_keep_their_heading_counts_and_e_form() -> None:
    documents = documents_from_portal(
        [
            {
                "name": "* Giấy tờ phải nộp:",
                "profileComponents": [
                    {
                        "name": "- Đơn",
                        "originalQty": 1,
                        "copyQty": 0,
                        "hasElectronicForm": True,
                        "attachments": [{"fileName": "Mau01.doc"}],
                    }
                ],
            }
        ]
    )
    assert documents == [
        {
            "name": "- Đơn",
            "original": 1,
            "copies": 0,
            "e_form": True,
            "form": "Mau01.doc",
            "group": "* Giấy tờ phải nộp:",
        }
    ]


# --------------------------------------------------------------------------- the record


def test_tidy_record_keeps_its_input_and_gives_a_valid_record() -> None:
    record = {
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "source_date": "2026-07-20",
        "flags": ["time_without_unit"],
        "documents": [doc("- Giấy chứng sinh."), doc("+ Người tiếp nhận có trách nhiệm kiểm tra.", 0, 0)],
        "channels": [
            {"channel": "truc_tuyen", "time": "1 ngày", "fee": "Miễn phí", "fee_vnd": 0},
            {"channel": "truc_tiep", "time": "1 ngày", "fee": "Miễn phí", "fee_vnd": 0},
        ],
    }
    before = copy.deepcopy(record)
    tidy = tidy_record(record)
    assert record == before
    ProcedureRecord.model_validate(tidy)
    assert [c["channel"] for c in tidy["channels"]] == ["truc_tiep", "truc_tuyen"]
    assert tidy["notes"] == ["Người tiếp nhận có trách nhiệm kiểm tra."]
    assert tidy["flags"] == ["time_without_unit"]


def test_every_flag_has_a_meaning_for_the_import_report() -> None:
    assert all(meaning.strip() for meaning in FLAG_MEANINGS.values())
    assert not set(FLAG_MEANINGS) & set(FLAG_ISSUES)
