"""Cards that tell the truth: cards checked by hand against the portal's raw data.

Every expectation in ``CARDS`` and ``PORTAL_CARDS`` was written by reading the raw records under
``../shared/data/raw`` — ``chatbot_tthc_dvcqg/raw/<ministry>/<code>.json`` (the flattened dossier
table ``thanh_phan_ho_so`` and channel table ``cach_thuc_thuc_hien``) and, for the procedures the
portal's structured responses hold, ``opengov_dvcqg_catalog/details/<code>.json`` — never from what
the importer printed. ``first``: how the papers everyone brings begin, in the order a new user should
read them; ``time``: per channel, the times the raw sources give (both readings where the crawl and
the structured response differ, e.g. a bare "1" in the crawl and 1 working day in the details);
``fee``: per channel, the amounts the text must name, or free, or not published.

``CARDS`` are checked on the bundled catalogue (and the card rendered from it); ``PORTAL_CARDS``
on records built from the structured responses copied under ``tests/fixtures/portal_details``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.render import CardFacts, documents_doc, procedure_card, to_plain
from knowledge.catalogue import BUNDLED_CATALOGUE, ProcedureRecord, read_catalogue
from knowledge.importers.fields import channels_from_portal, documents_from_portal, tidy_record
from knowledge.models import Procedure

PORTAL_DETAILS = Path(__file__).parent / "fixtures" / "portal_details"
DETAILS_CRAWLED = date(2026, 7, 18)
ALL = ("truc_tiep", "truc_tuyen", "buu_chinh")
ONLINE_DIRECT = ("truc_tiep", "truc_tuyen")


@dataclass(frozen=True)
class Fee:
    amounts: tuple[str, ...] = ()  # what the fee text must name ("135.000 đồng")
    free: bool = False  # the portal says free and nothing in its text contradicts it
    says: tuple[str, ...] = ()  # words the text must hold when no single amount applies


FREE = Fee(free=True)
UNPUBLISHED = Fee()  # neither an amount nor a text: the card says "chưa công bố"


def paid(*amounts: str) -> Fee:
    return Fee(amounts=amounts)


def per_rule(*says: str) -> Fee:
    """Not free, and no amount: the text says where the amount is set."""
    return Fee(says=says)


@dataclass(frozen=True)
class Card:
    first: tuple[str, ...]  # the papers everyone brings, by how their names start, in order
    time: dict[str, tuple[str, ...]]  # channel -> accepted beginnings of the time text
    fee: dict[str, Fee]  # channel -> what the fee says
    cases: tuple[str, ...] = ()  # cases some papers are asked in, by how the case starts
    notes: tuple[str, ...] = ()  # text published among the papers that is not a paper
    flags: tuple[str, ...] = ()  # checks the record must fail


def every(channels: tuple[str, ...], value: Any) -> dict[str, Any]:
    return dict.fromkeys(channels, value)


HR_FREE_NOTE = "Người tiếp nhận có trách nhiệm"  # a rule for officials listed among hộ tịch papers

CARDS: dict[str, Card] = {
    # Hộ tịch — "--" section lists the Tờ khai last; "* Giấy tờ phải nộp:" opens with edge cases.
    "1.001193": Card(  # đăng ký khai sinh
        first=("Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Hộ chiếu/Thẻ căn cước công dân"),
        time=every(ALL, ("1 ngày",)),  # crawl "1" without unit; details: 1 WORKING_DAY
        fee=every(ALL, FREE),
        cases=(
            "Trường hợp trẻ em bị bỏ rơi",
            "Trường hợp ủy quyền",
            "Trường hợp khai sinh cho trẻ em sinh ra do",
        ),
        notes=(HR_FREE_NOTE, "Trường hợp người yêu cầu đã nộp bản điện tử Giấy chứng sinh"),
    ),
    "1.000894": Card(  # đăng ký kết hôn
        first=("Tờ khai đăng ký kết hôn", "Hộ chiếu/Thẻ căn cước công dân"),
        time=every(ALL, ("1 ngày",)),
        fee=every(ALL, FREE),  # "Miễn phí(Miễn lệ phí. Phí cấp bản sao Trích lục … (nếu có yêu cầu) …)"
        notes=(HR_FREE_NOTE,),
    ),
    "1.000656": Card(  # đăng ký khai tử
        first=("Tờ khai đăng ký khai tử", "Giấy báo tử"),
        time=every(ALL, ("1 ngày", "5 ngày làm việc")),  # details: cases of 5 working days, 2 and 1 days
        fee=every(
            ALL, per_rule("Hội đồng nhân dân")
        ),  # "Miễn phí(Mức lệ phí cụ thể do HĐND tỉnh … quyết định …)"
        cases=("Trường hợp ủy quyền",),
    ),
    "1.004873": Card(  # xác nhận tình trạng hôn nhân
        first=("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", "Hộ chiếu/Thẻ căn cước công dân"),
        time=every(ALL, ("3 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân")),
        cases=("Trường hợp cá nhân yêu cầu cấp lại Giấy xác nhận tình trạng hôn nhân",),
    ),
    "2.000635": Card(  # bản sao trích lục hộ tịch
        first=("Tờ khai đề nghị bản sao Trích lục hộ tịch", "Hộ chiếu/Thẻ căn cước công dân"),
        time={},  # crawl: "Không có thông tin"; details: per case 1 day … 15 working days
        fee=every(ALL, paid("8.000 đồng")),
        cases=("Trường hợp ủy quyền",),
    ),
    "1.001022": Card(  # nhận cha, mẹ, con
        first=("Tờ khai đăng ký đăng ký nhận cha, mẹ, con", "Văn bản của cơ quan y tế"),
        time=every(ALL, ("3 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân")),
    ),
    "1.004884": Card(  # đăng ký lại khai sinh
        first=("Tờ khai đăng ký lại khai sinh", "Hộ chiếu/Thẻ căn cước công dân", "Bản sao Giấy khai sinh"),
        time=every(ALL, ("5 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân")),
        cases=("Trường hợp ủy quyền",),
    ),
    "1.004859": Card(  # thay đổi, cải chính hộ tịch
        first=(
            "Tờ khai đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
            "Hộ chiếu/Thẻ căn cước công dân",
            "Giấy tờ làm căn cứ thay đổi, cải chính",
        ),
        time=every(ALL, ("1 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân")),
    ),
    "1.004746": Card(  # đăng ký lại kết hôn
        first=(
            "Tờ khai đăng ký lại kết hôn",
            "Bản sao Giấy chứng nhận kết hôn",
            "Hộ chiếu/Thẻ căn cước công dân",
        ),
        time=every(ALL, ("5 ngày", "25 ngày")),  # crawl "5" without unit; details: cases of 25 DAY
        fee=every(ALL, per_rule("Hội đồng nhân dân")),
    ),
    # Cư trú — case groups; the Tờ khai CT01 asked in several cases is what everyone brings.
    "1.004222": Card(  # đăng ký thường trú
        first=("Tờ khai thay đổi thông tin cư trú (mẫu CT01",),
        time=every(ONLINE_DIRECT, ("7 ngày làm việc",)),
        fee={"truc_tiep": paid("20.000 đồng"), "truc_tuyen": paid("10.000 đồng")},
        cases=(
            "Đăng ký thường trú vào chỗ ở hợp pháp thuộc quyền sở hữu",
            "Đăng ký thường trú vào chỗ ở hợp pháp do thuê",
        ),
        notes=("Lưu ý",),
    ),
    "1.004194": Card(  # đăng ký tạm trú
        first=("Tờ khai thay đổi thông tin cư trú (Mẫu CT01", "Thông tin chứng minh về chỗ ở hợp pháp"),
        time=every(ONLINE_DIRECT, ("3 ngày làm việc",)),
        fee={  # the portal's detail: three items per channel, the 0 one an exemption
            "truc_tiep": Fee(amounts=("10.000 đồng", "15.000 đồng"), says=("miễn phí",)),
            "truc_tuyen": Fee(amounts=("7.000 đồng", "5.000 đồng"), says=("miễn phí",)),
        },
        cases=("Đăng ký tạm trú theo danh sách",),
    ),
    "1.002755": Card(  # gia hạn tạm trú: online, the 5.000 item's text says "thu 7.000 đồng"
        first=("Tờ khai thay đổi thông tin cư trú (Mẫu CT01",),
        time=every(ONLINE_DIRECT, ("3 ngày làm việc",)),
        fee={"truc_tiep": paid("10.000 đồng", "15.000 đồng"), "truc_tuyen": paid("5.000 đồng", "7.000 đồng")},
        cases=("Gia hạn tạm trú theo danh sách",),
        flags=("fee_value_differs",),
    ),
    "1.003677": Card(  # khai báo tạm vắng: two cases, each with its papers
        first=(),
        time={"truc_tuyen": ("1 ngày làm việc",)},  # and 2 working days "trường hợp phức tạp"
        fee={"truc_tuyen": UNPUBLISHED},
        cases=(
            "Trường hợp công dân thuộc quy định tại điểm a, điểm b",
            "Trường hợp thuộc quy định tại điểm c",
        ),
    ),
    "1.010028": Card(  # xóa đăng ký tạm trú
        first=(
            "Tờ khai thay đổi thông tin cư trú",
            "Thông tin chứng minh thuộc trường hợp xóa đăng ký tạm trú",
        ),
        time=every(ALL, ("2 ngày làm việc",)),
        fee=every(ALL, UNPUBLISHED),
    ),
    "1.003197": Card(  # xóa đăng ký thường trú
        first=(
            "Tờ khai thay đổi thông tin cư trú",
            "Thông tin chứng minh thuộc trường hợp xóa đăng ký thường trú",
        ),
        time={"truc_tuyen": ("5 ngày làm việc",)},
        fee={"truc_tuyen": UNPUBLISHED},
    ),
    "1.010038": Card(  # tách hộ
        first=(
            "Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/TT-BCA), "
            "trong đó",
        ),
        time=every(ONLINE_DIRECT, ("5 ngày làm việc",)),
        fee={  # the portal's detail: the amount, and 0 for those exempted
            "truc_tiep": Fee(amounts=("10.000 đồng",), says=("miễn phí",)),
            "truc_tuyen": Fee(amounts=("5.000 đồng",), says=("miễn phí",)),
        },
        cases=("Trường hợp thành viên hộ gia đình đăng ký tách hộ là vợ, chồng đã ly hôn",),
    ),
    # Căn cước, hộ chiếu, giấy thông hành.
    "1.014061": Card(  # cấp thẻ căn cước từ đủ 14 tuổi
        first=(
            "Phiếu đề nghị giải quyết thủ tục về căn cước",
            "Phiếu thu thập thông tin dân cư",
            "Phiếu CC01",
        ),
        time=every(ONLINE_DIRECT, ("7 ngày làm việc",)),
        fee=every(ONLINE_DIRECT, UNPUBLISHED),
    ),
    "1.014064": Card(  # cấp lại thẻ căn cước: 70.000 đồng, 50% until the end of 2026
        first=("Phiếu đề nghị giải quyết thủ tục về căn cước",),
        time=every(ONLINE_DIRECT, ("7 ngày làm việc",)),
        fee={"truc_tiep": Fee(amounts=("70.000 đồng",), says=("50%",))},
        notes=("Phiếu này là biểu mẫu điện tử",),
        flags=("fee_expired_rate",),
    ),
    "1.001471": Card(  # hộ chiếu phổ thông, cấp trung ương: six rows, one line per channel
        first=("01 tờ khai đề nghị cấp hộ chiếu phổ thông", "02 ảnh mới chụp"),
        time=every(
            ALL, ("5 ngày làm việc; 3 ngày làm việc (đối với các trường hợp quy định tại khoản 4 Điều 15",)
        ),
        fee=every(ALL, paid("200.000 đồng", "400.000đ")),
        cases=("Các trường hợp quy định tại khoản 4 Điều 15", "Đối với người chưa đủ 14 tuổi"),
        notes=("Số lượng hồ sơ", "Trường hợp nộp hồ sơ trực tuyến thì thành phần hồ sơ phải được chứng thực"),
    ),
    "1.001456": Card(  # hộ chiếu phổ thông, cấp tỉnh: the online rate ended on 31/12/2023
        first=("Tờ khai đề nghị cấp hộ chiếu phổ thông ở trong nước", "Ảnh mới chụp"),
        time=every(ALL, ("8 ngày làm việc",)),
        fee={
            "truc_tiep": paid("200.000 đồng"),
            "truc_tuyen": per_rule("chưa công bố mức đang áp dụng", "31/12/2023"),
            "buu_chinh": per_rule("chưa công bố mức đang áp dụng", "31/12/2023"),
        },
        flags=("fee_expired_rate",),
    ),
    "1.001200": Card(  # giấy thông hành Campuchia: "40"/"50" in the column, 40.000đ ended in 2024
        first=("Tờ khai đề nghị cấp giấy thông hành", "02 ảnh 4x6cm"),
        time=every(ONLINE_DIRECT, ("3 ngày làm việc",)),
        fee={
            "truc_tiep": paid("50.000 đồng"),
            "truc_tuyen": per_rule("chưa công bố mức đang áp dụng", "31/12/2024"),
        },
        flags=("fee_expired_rate", "fee_value_mismatch"),
    ),
    # Lý lịch tư pháp: "Miễn phí" beside a text that points to the fee circular.
    "3.000333": Card(
        first=(
            "Tờ khai yêu cầu cấp Phiếu Lý lịch tư pháp (Dùng cho cá nhân có yêu cầu",
            "Bản sao Thẻ Căn cước",
        ),
        time=every(ALL, ("10 ngày",)),
        fee=every(ALL, per_rule("Thông tư số 244/2016/TT-BTC")),
        cases=("Trường hợp ủy quyền",),
        flags=("fee_free_contradicted",),
    ),
    "3.000330": Card(
        first=(
            "Tờ khai yêu cầu cấp Phiếu Lý lịch tư pháp (Dùng cho cá nhân có yêu cầu",
            "Bản sao Thẻ Căn cước",
        ),
        time=every(ALL, ("10 ngày",)),
        fee=every(ALL, per_rule("Thông tư số 244/2016/TT-BTC")),
        cases=("Trường hợp ủy quyền",),
    ),
    "3.000334": Card(  # requested by an agency: plainly free
        first=("Văn bản yêu cầu cấp Phiếu Lý lịch tư pháp",),
        time=every(ALL, ("10 ngày",)),
        fee=every(ALL, FREE),
    ),
    # Giấy phép lái xe: "Miễn phí(- Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần …)", "135 VNĐ".
    "3.000347": Card(  # đổi
        first=("Đề nghị đổi giấy phép lái xe", "Giấy khám sức khỏe"),
        time=every(ONLINE_DIRECT, ("5 ngày làm việc",)),
        fee=every(ONLINE_DIRECT, paid("135.000 đồng")),
        cases=("Trường hợp tước quyền sử dụng giấy phép lái xe tích hợp",),
        flags=("fee_expired_rate", "fee_free_contradicted"),
    ),
    "3.000348": Card(  # cấp lại
        first=("Đề nghị đổi giấy phép lái xe", "Giấy khám sức khỏe"),
        time=every(ONLINE_DIRECT, ("5 ngày làm việc",)),
        fee=every(ONLINE_DIRECT, paid("135.000 đồng")),
        flags=("fee_expired_rate", "fee_free_contradicted"),
    ),
    "3.000349": Card(  # đổi giấy phép lái xe quân sự
        first=("Đề nghị đổi giấy phép lái xe",),
        time={"truc_tiep": ("5 ngày làm việc",)},
        fee={"truc_tiep": paid("135.000 đồng")},
        flags=("fee_value_mismatch",),
    ),
    "3.000350": Card(  # đổi giấy phép lái xe Công an nhân dân
        first=(
            "Đề nghị đổi giấy phép lái xe",
            "Giấy khám sức khỏe",
            "Bản sao giấy tờ chứng minh thôi không còn phục vụ",
        ),
        time={"truc_tiep": ("5 ngày làm việc",)},
        fee={"truc_tiep": paid("135.000 đồng")},
        flags=("fee_value_mismatch",),
    ),
    "3.000346": Card(  # cấp giấy phép lái xe: test fees by class, licence fee 135.000
        first=("Đề nghị sát hạch để cấp giấy phép lái xe",),
        time={"truc_tiep": ("3 ngày",), "truc_tuyen": ("7 ngày",), "buu_chinh": ("3 ngày",)},
        fee=every(ALL, paid("60.000 đồng", "135.000 đồng")),
        cases=("Hồ sơ đề nghị sát hạch của cá nhân",),
        flags=("fee_expired_rate",),
    ),
    # Đăng ký xe: six rows for a motorbike transfer become one line per channel.
    "1.013076": Card(  # sang tên
        first=(
            "Giấy khai thu hồi chứng nhận đăng ký xe",
            "Giấy khai đăng ký xe",
            "Bản sao chứng từ chuyển quyền sở hữu xe",
        ),
        time=every(
            ONLINE_DIRECT,
            (
                "2 ngày làm việc (Cấp chứng nhận thu hồi đăng ký, biển số xe; Cấp chứng nhận đăng ký xe); "
                "7 ngày làm việc",
            ),
        ),
        fee=every(ONLINE_DIRECT, per_rule("Thông tư số 60/2023/TT-BTC")),
        flags=("fee_free_contradicted",),
    ),
    "1.013079": Card(  # đổi chứng nhận đăng ký xe, biển số
        first=("Giấy khai đăng ký xe", "Chứng nhận đăng ký xe", "Giấy tờ của chủ xe"),
        time=every(
            ONLINE_DIRECT,
            ("7 ngày làm việc (Cấp đổi biển số xe); 2 ngày làm việc (Cấp đổi chứng nhận đăng ký xe)",),
        ),
        fee=every(ONLINE_DIRECT, per_rule("Thông tư số 60/2023/TT-BTC")),
    ),
    "1.013082": Card(  # cấp lại chứng nhận đăng ký xe, biển số
        first=("Giấy khai đăng ký xe", "Giấy tờ của chủ xe"),
        time=every(
            ONLINE_DIRECT,
            ("2 ngày làm việc (Cấp lại chứng nhận đăng ký xe); 7 ngày làm việc (Cấp lại biển số xe)",),
        ),
        fee=every(ONLINE_DIRECT, per_rule("Thông tư số 60/2023/TT-BTC")),
    ),
    "1.012575": Card(  # đăng ký xe lần đầu, trực tuyến toàn trình
        first=("Giấy khai đăng ký xe", "Giấy tờ của chủ xe", "Giấy tờ của xe"),
        time={"truc_tuyen": ("2 ngày",)},
        fee={"truc_tuyen": per_rule("Thông tư số 60/2023/TT-BTC")},
    ),
    # Hộ kinh doanh (Nghị định 168/2025: 1.014034, 1.014035 are the 2025 procedures).
    "1.001612": Card(  # đăng ký thành lập
        first=("Giấy đề nghị đăng ký hộ kinh doanh",),
        time={},  # "Không có thông tin" on every channel
        fee={
            "truc_tiep": paid("50.000 đồng"),
            "truc_tuyen": paid("150.000 đồng"),
            "buu_chinh": paid("150.000 đồng"),
        },
        cases=(
            "Trường hợp ủy quyền thực hiện thủ tục",
            "Trường hợp hộ kinh doanh do các thành viên hộ gia đình",
        ),
        notes=("Người ủy quyền và người được ủy quyền",),
    ),
    "2.000720": Card(  # thay đổi nội dung đăng ký
        first=("Giấy đề nghị đăng ký thay đổi nội dung đăng ký hộ kinh doanh",),
        time=every(ALL, ("1 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân tỉnh")),
        cases=("Trường hợp ủy quyền thực hiện thủ tục",),
    ),
    "1.014034": Card(  # cập nhật, bổ sung, hiệu đính thông tin đăng ký
        first=("Giấy đề nghị đăng ký thay đổi nội dung đăng ký hộ kinh doanh",),
        time=every(ALL, ("1 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân tỉnh")),
        cases=("Trường hợp hộ kinh doanh phát hiện",),
    ),
    "1.014035": Card(  # dừng thực hiện thủ tục đăng ký
        first=("Giấy đề nghị dừng thực hiện thủ tục đăng ký hộ kinh doanh",),
        time=every(ALL, ("1 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân cấp tỉnh")),
        cases=("Trường hợp ủy quyền thực hiện thủ tục",),
    ),
    "1.001266": Card(  # chấm dứt hoạt động
        first=("Thông báo chấm dứt hoạt động hộ kinh doanh",),
        time=every(ALL, ("1 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân cấp tỉnh")),
        cases=("Trường hợp ủy quyền thực hiện thủ tục",),
    ),
    # Chứng thực, trợ giúp pháp lý, luật sư, đất đai, hải quan.
    "2.000815": Card(  # chứng thực bản sao: đồng at the commune, USD at an embassy, on one line
        first=("Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao",),
        time={},
        fee={"truc_tiep": paid("2.000 đồng", "10 USD")},
    ),
    "2.000884": Card(  # chứng thực chữ ký
        first=(
            "Một trong các giấy tờ sau: Căn cước điện tử",
            "Giấy tờ, văn bản mà mình sẽ yêu cầu chứng thực chữ ký",
        ),
        time={},
        fee={"truc_tiep": paid("10.000 đồng", "10 USD")},
    ),
    "2.000829": Card(  # yêu cầu trợ giúp pháp lý
        first=("Đơn yêu cầu trợ giúp pháp lý",),
        time=every(ALL, ("1 ngày",)),
        fee=every(ALL, FREE),
        cases=("Giấy tờ chứng minh là người có công với cách mạng",),
    ),
    "1.002010": Card(  # đăng ký hoạt động tổ chức hành nghề luật sư: "50 VNĐ", 25.000 đồng until 2026
        first=("Giấy đề nghị đăng ký hoạt động", "Dự thảo Điều lệ", "Giấy tờ chứng minh về trụ sở"),
        time=every(ALL, ("7 ngày làm việc",)),
        fee=every(ALL, paid("25.000 đồng")),
        flags=("fee_amount_unclear",),
    ),
    "1.012783": Card(  # cấp đổi sổ đỏ (cấp tỉnh): "Miễn phí(Theo quy định của Luật phí và lệ phí …)"
        first=("Đơn đăng ký biến động đất đai", "Bản gốc Giấy chứng nhận đã cấp"),
        time={
            "truc_tiep": ("5 ngày làm việc",),
            "truc_tuyen": ("15 ngày làm việc",),
            "buu_chinh": ("20 ngày làm việc",),
        },
        fee={
            "truc_tiep": per_rule("Luật phí và lệ phí"),
            "truc_tuyen": per_rule("Luật phí và lệ phí"),
            "buu_chinh": UNPUBLISHED,  # a bare "Miễn phí" beside the two others is not believed
        },
        cases=("Trường hợp trích đo địa chính thửa đất",),
        flags=("fee_free_contradicted",),
    ),
    "1.000014": Card(  # hải quan: "Trực tuyến120 VNĐ(20.000 vnđ /tờ khai)" is 1 day and 20.000 đồng
        first=(),
        time=every(ONLINE_DIRECT, ("1 ngày",)),
        fee=every(ONLINE_DIRECT, paid("20.000 đồng")),
        flags=("fee_value_mismatch", "time_without_unit"),
    ),
}

PORTAL_CARDS: dict[str, Card] = {
    "1.001193": Card(  # the structured form of khai sinh: the Tờ khai sits in the last, unnamed group
        first=("Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Hộ chiếu/Thẻ căn cước công dân"),
        time=every(ALL, ("1 ngày làm việc",)),  # OTHER; cases: 1 WORKING_DAY
        fee=every(ALL, FREE),
        cases=("Trường hợp trẻ em bị bỏ rơi",),
        notes=(HR_FREE_NOTE,),
    ),
    "1.004222": Card(  # thường trú: the first group repeats the owner's case with a boat's papers
        first=("Tờ khai thay đổi thông tin cư trú (mẫu CT01",),
        time=every(ONLINE_DIRECT, ("7 ngày làm việc",)),
        fee={"truc_tiep": paid("20.000 đồng"), "truc_tuyen": paid("10.000 đồng")},
        cases=("Đăng ký thường trú vào chỗ ở hợp pháp thuộc quyền sở hữu",),
    ),
    "1.004194": Card(  # tạm trú: three fee items per channel, the 0 one an exemption
        first=("Tờ khai thay đổi thông tin cư trú (Mẫu CT01", "Thông tin chứng minh về chỗ ở hợp pháp"),
        time=every(ONLINE_DIRECT, ("3 ngày làm việc",)),
        fee={
            "truc_tiep": Fee(amounts=("10.000 đồng", "15.000 đồng"), says=("miễn phí",)),
            "truc_tuyen": Fee(amounts=("7.000 đồng", "5.000 đồng"), says=("miễn phí",)),
        },
    ),
    "1.001121": Card(  # Bộ Ngoại giao: 200 without a currency
        first=("Tờ khai đăng ký nhận cha, mẹ, con",),
        time={"truc_tiep": ("7 ngày làm việc",)},
        fee={"truc_tiep": per_rule("200 (không ghi đơn vị tiền)")},
        flags=("fee_amount_unclear",),
    ),
    "1.000736": Card(  # Bộ Ngoại giao: 20 USD
        first=("Tờ khai ghi chú kết hôn", "Hộ chiếu hoặc giấy tờ có giá trị thay thế hộ chiếu"),
        time={"truc_tiep": ("5 ngày làm việc",)},
        fee={"truc_tiep": per_rule("20 USD")},
        cases=("Nếu công dân Việt Nam đã ly hôn",),
    ),
    "1.013315": Card(  # Đà Nẵng: the online 50.000 đồng ran "đến hết ngày 31/12/2025"
        first=(
            "Đơn đề nghị cấp Giấy phép xây dựng có thời hạn",
            "Bản sao có chứng thực Giấy tờ pháp lý về đất đai",
        ),
        time=every(ONLINE_DIRECT, ("20 ngày",)),
        fee=every(ONLINE_DIRECT, paid("100.000 đồng")),
        flags=("fee_expired_rate",),
    ),
    "1.115601": Card(  # Hải Phòng: 24 fee items, each 0 with only the fee's name
        first=("Đơn đề nghị chuyển hình thức giao đất, cho thuê đất",),
        time=every(ALL, ("10 ngày làm việc",)),
        fee=every(ALL, per_rule("chưa công bố mức thu", "Lệ phí Cấp đổi, cấp lại Giấy chứng nhận")),
        flags=("fee_free_contradicted",),
    ),
    "1.000656": Card(  # khai tử: the time is given per case, 5 working days, 2 days, 1 day
        first=("Tờ khai đăng ký khai tử", "Giấy báo tử"),
        time=every(ALL, ("5 ngày làm việc; 2 ngày; 1 ngày",)),
        fee=every(ALL, per_rule("Hội đồng nhân dân")),
    ),
    "1.115613": Card(  # Hải Phòng sổ đỏ: three rows per channel, one of them a sentence
        first=("Đơn đăng ký biến động đất đai", "Giấy chứng nhận đã cấp"),
        time=every(ALL, ("3 ngày làm việc; 5 ngày làm việc; Trường hợp cấp đổi đồng loạt",)),
        fee=every(ALL, per_rule("Chi tiết tại biểu phí, lệ phí kèm theo")),
    ),
}


# --------------------------------------------------------------------------- helpers


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()


def _starts(text: str, prefix: str) -> bool:
    return _norm(text).startswith(_norm(prefix))


def _procedure(record: dict[str, Any]) -> Procedure:
    validated = ProcedureRecord.model_validate(record)
    values = validated.model_dump(mode="json")
    values["source_date"] = validated.source_date
    return Procedure(**values)


@pytest.fixture(scope="module")
def bundled() -> dict[str, dict[str, Any]]:
    return {
        code: record.model_dump(mode="json")
        for code, record in read_catalogue(BUNDLED_CATALOGUE).by_code().items()
    }


def portal_record(code: str) -> dict[str, Any]:
    """A record built from a structured portal response, the way the importer reads one."""
    data = json.loads((PORTAL_DETAILS / f"{code}.json").read_text(encoding="utf-8"))["data"]
    channels, flags = channels_from_portal(data["executionMethods"], data["cases"], DETAILS_CRAWLED)
    record = {
        "code": code,
        "name": data["name"],
        "documents": documents_from_portal(data["executionCases"]),
        "channels": channels,
        "flags": flags,
        "source_date": DETAILS_CRAWLED.isoformat(),
    }
    return tidy_record(record)


def check_record(record: dict[str, Any], card: Card) -> None:
    main = [document for document in record["documents"] if not document.get("case")]
    assert len(main) >= len(card.first), [d["name"] for d in main]
    for document, prefix in zip(main, card.first, strict=False):
        assert _starts(document["name"], prefix), (document["name"], prefix)
    for case in card.cases:
        assert any(_starts(d.get("case") or "", case) for d in record["documents"]), case
    for note in card.notes:
        assert not any(_starts(d["name"], note) for d in record["documents"]), note
        assert any(_starts(text, note) for text in record["notes"]), note
    for flag in card.flags:
        assert flag in record["flags"]

    by_channel = {channel["channel"]: channel for channel in record["channels"]}
    assert len(by_channel) == len(record["channels"]), "one line per channel"
    for channel, times in card.time.items():
        assert any(_starts(by_channel[channel]["time"] or "", time) for time in times), by_channel[channel][
            "time"
        ]
    for channel, fee in card.fee.items():
        text, vnd = by_channel[channel]["fee"], by_channel[channel]["fee_vnd"]
        if fee.free:
            assert (text, vnd) == ("Miễn phí", 0) or (vnd == 0 and text.startswith("Miễn phí ("))
            continue
        if fee == UNPUBLISHED:
            assert text is None and vnd is None
            continue
        assert text and not text.lower().startswith("miễn phí"), text
        for amount in fee.amounts:
            assert amount in text, (amount, text)
        for words in fee.says:
            assert _norm(words) in _norm(text), (words, text)
        if len(fee.amounts) == 1 and not fee.says:
            assert vnd == int(re.sub(r"\D", "", fee.amounts[0]))


# --------------------------------------------------------------------------- the bundled catalogue


def test_there_are_forty_cards_checked_by_hand() -> None:
    assert len(CARDS) + len(PORTAL_CARDS) >= 40


@pytest.mark.parametrize("code", sorted(CARDS))
def test_bundled_record_tells_the_truth(code: str, bundled: dict[str, dict[str, Any]]) -> None:
    check_record(bundled[code], CARDS[code])


@pytest.mark.parametrize("code", sorted(PORTAL_CARDS))
def test_structured_record_tells_the_truth(code: str) -> None:
    check_record(portal_record(code), PORTAL_CARDS[code])


@pytest.mark.parametrize("code", sorted(CARDS))
def test_card_shows_the_papers_and_one_line_per_channel(
    code: str, bundled: dict[str, dict[str, Any]]
) -> None:
    record, card = bundled[code], CARDS[code]
    procedure = _procedure(record)
    lines = to_plain(procedure_card(CardFacts(procedure, "https://dichvucong.gov.vn/x"))).splitlines()
    if card.first:
        start = lines.index("📄 Hồ sơ cần chuẩn bị") + 1
        for line, prefix in zip(lines[start:], card.first, strict=False):
            assert _starts(line.removeprefix("• "), prefix), (line, prefix)
    times = lines[lines.index("⏱ Thời hạn và lệ phí") + 1 :]
    fee_lines = [line for line in times[: times.index("") if "" in times else None] if line.startswith("• ")]
    shown = {channel for channel in ALL if any(_channel_named(line, channel) for line in fee_lines)}
    assert shown == {channel["channel"] for channel in record["channels"]}
    assert len(fee_lines) <= len(record["channels"])
    for line in fee_lines:
        assert "lệ phí" in line
        if "lệ phí: Miễn phí" in line:
            assert all(
                record_channel["fee_vnd"] == 0
                for record_channel in record["channels"]
                if _channel_named(line, record_channel["channel"])
            )
    if record["flags"]:
        assert any("đối chiếu" in line for line in lines[:5])
    assert not any(_starts(line.removeprefix("• "), note) for note in card.notes for line in lines)


def _channel_named(line: str, channel: str) -> bool:
    head = line.split(":", 1)[0].lower()
    return {"truc_tiep": "trực tiếp", "truc_tuyen": "trực tuyến", "buu_chinh": "bưu chính"}[channel] in head


def test_notes_are_listed_apart_in_the_papers_reply(bundled: dict[str, dict[str, Any]]) -> None:
    text = to_plain(documents_doc(_procedure(bundled["1.001193"])))
    papers, _, notes = text.partition("📝 Lưu ý")
    assert HR_FREE_NOTE in notes and HR_FREE_NOTE not in papers
    assert (
        papers.index("Tờ khai đăng ký khai sinh")
        < papers.index("Giấy chứng sinh")
        < papers.index("Tùy trường hợp")
    )
    assert "Trường hợp trẻ em bị bỏ rơi:" in papers
