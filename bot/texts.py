"""Every Vietnamese text the bot shows to users, in one place, organised in sections.

Texts are plain strings (no HTML): ``{name}`` placeholders are filled by ``bot.render.fill``,
which styles and escapes the values. Officials' and admin features add their own sections below.
"""

from __future__ import annotations

# --- Commands published to Telegram (set_my_commands), in menu order --------------------------

CITIZEN_COMMANDS: list[tuple[str, str]] = [
    ("start", "Bắt đầu, chọn xã/phường của bạn"),
    ("xa", "Đổi xã/phường"),
    ("thutuc", "Các thủ tục xã/phường của bạn giải quyết"),
    ("help", "Bot làm được gì"),
]

# --- Greeting and help -------------------------------------------------------------------------

GREETING = "Xin chào {name}!"
GREETING_ANONYMOUS = "Xin chào!"
ABOUT = (
    "Tôi giúp bạn tra cứu thủ tục hành chính: cần giấy tờ gì, nộp ở đâu, mất bao lâu, lệ phí bao nhiêu.\n"
    "Bạn cứ hỏi bằng lời thường, ví dụ «làm giấy khai sinh»."
)
ASK_COMMUNE = (
    "Bạn đang ở xã/phường nào? Hãy gõ tên, ví dụ «Phường Hồng Hà» — tên cũ trước 1/7/2025 "
    "hay gõ không dấu cũng được."
)
HELP_TITLE = "Tôi có thể giúp bạn:"
HELP_LINES = [
    "• Gõ việc bạn cần làm, ví dụ «cấp lại căn cước», «đăng ký kết hôn» — tôi tìm thủ tục phù hợp.",
    "• /xa — chọn hoặc đổi xã/phường nơi bạn ở, để biết nơi nộp hồ sơ.",
    "• /thutuc — danh sách thủ tục xã/phường của bạn giải quyết, theo lĩnh vực.",
    "• Trong bất kỳ cuộc trò chuyện nào, gõ @{bot} và tên thủ tục để gửi thông tin thủ tục.",
]
HELP_COMMUNE = "Xã/phường của bạn: {unit}."
HELP_NO_COMMUNE = "Bạn chưa chọn xã/phường."

# --- Choosing the commune ----------------------------------------------------------------------

COMMUNE_SET = "Đã ghi nhận xã/phường của bạn: {unit}."
COMMUNE_SUCCESSOR = "{old} nay thuộc {new}."
COMMUNE_CHOOSE = "Có mấy nơi khớp với «{text}». Bạn chọn giúp tôi:"
COMMUNE_SUCCESSOR_CHOOSE = "{old} nay chia về nhiều nơi. Bạn đang ở đâu?"
COMMUNE_NOT_FOUND = (
    "Tôi chưa tìm thấy xã/phường «{text}». Bạn kiểm tra lại tên, hoặc ghi thêm tỉnh, "
    "ví dụ «Cát Vân, Lào Cai»."
)
COMMUNE_NEXT = "Giờ bạn cứ hỏi việc cần làm, ví dụ «làm giấy khai sinh»."
COMMUNE_CURRENT = "Xã/phường hiện tại: {unit}."
COMMUNE_HINT = "Gõ /xa để chọn xã/phường, tôi sẽ chỉ nơi nộp hồ sơ gần bạn."
DEEP_LINK_UNKNOWN = "Liên kết này không trỏ tới xã/phường nào tôi biết."
OLD_NAME = "{name} (cũ)"
CHOICE_OLD = "{old} ({province} cũ) → {new}"
# A province or a district is never taken as the commune: the bot asks which commune of it.
COMMUNE_AREA = (
    "Tôi cần biết xã/phường của bạn, không chỉ {area}. "
    "Bạn gõ tên xã/phường, hoặc chọn một trong {count} xã/phường dưới đây:"
)
COMMUNE_AREA_PAGE = "Trang {page}/{pages}."
COMMUNE_AREA_EMPTY = "Tôi cần biết xã/phường của bạn, không chỉ {area}. Bạn gõ tên xã/phường giúp tôi."
CHOICE_AREA = "{area}: chọn xã/phường…"

# --- Search ------------------------------------------------------------------------------------

RESULTS_HEADER = "Tôi tìm thấy mấy thủ tục sau, bạn bấm nút hoặc gõ số thứ tự để xem:"
NO_RESULTS = "Tôi chưa tìm thấy thủ tục nào khớp với «{query}»."
NO_RESULTS_PORTAL = "Bạn có thể tìm thêm trên {portal}."
PORTAL_NAME = "Cổng Dịch vụ công quốc gia"
SEARCH_TIP = (
    "Mẹo: gõ ngắn gọn việc cần làm, ví dụ «đăng ký khai sinh», «cấp lại căn cước», «chứng thực bản sao»."
)
SUGGESTIONS = "Có phải bạn muốn hỏi: {items}?"
SUGGESTION_SEPARATOR = ", "

# --- Procedure card ----------------------------------------------------------------------------

CARD_CODE = "Mã {code}"
CARD_FIELD = " · {field}"
CARD_ABOLISHED = "⚠️ Thủ tục này đã bị bãi bỏ."
CARD_ABOLISHED_BY = "⚠️ Thủ tục này đã bị bãi bỏ ({by})."
CARD_HANDLED = "✅ {unit} giải quyết thủ tục này."
CARD_NOT_HANDLED = "ℹ️ {unit} không giải quyết thủ tục này."
CARD_HANDLED_AT = "Thủ tục do {level} thực hiện."
CARD_HANDLED_AT_AGENCY = "Thủ tục do {level} thực hiện: {agency}."
CARD_NO_COMMUNE = "ℹ️ Gõ /xa để chọn xã/phường, tôi sẽ cho biết nơi nộp hồ sơ gần bạn."
LEVEL_NAMES = {
    "bo": "cấp trung ương (bộ, ngành)",
    "tinh": "cấp tỉnh",
    "huyen": "cấp huyện",
    "xa": "cấp xã",
}
CARD_WHERE = "📍 Nơi nộp"
CARD_OFFICE_DEFAULT = "Bộ phận Một cửa {unit}"
CARD_OFFICE_ADDRESS = "Địa chỉ: {address}"
CARD_OFFICE_HOURS = "Giờ làm việc: {hours}"
CARD_OFFICE_PHONE = "Điện thoại: {phone}"
CARD_OFFICE_PHONE_UNVERIFIED = "Điện thoại: {phone} (số chưa được xác minh, bạn nên kiểm tra lại)"
CARD_OFFICE_MAP = "Bản đồ: {link}"
CARD_OFFICE_MAP_LINK = "xem vị trí"
CARD_ONE_STOP_ANY = "Bộ phận Một cửa (Trung tâm Phục vụ hành chính công) của xã, phường nơi bạn cư trú"
ANY_COMMUNE = "cấp xã"  # fills "{unit}" in "Công an {unit}" when no commune is chosen
CARD_RECEIVING = "Nơi tiếp nhận: {address}"
CARD_ONLINE = "Nộp trực tuyến: {link}"
CARD_DOCUMENTS = "📄 Hồ sơ cần chuẩn bị"
CARD_MORE_DOCUMENTS = "… và {count} giấy tờ khác (bấm «Giấy tờ»)."
CARD_CASES = "Tùy trường hợp, cần thêm:"
CARD_CASE_ONE = "◦ {case}: {paper}"
CARD_CASE_MANY = "◦ {case} ({count} giấy tờ)"
CARD_MORE_CASES = "… và {count} trường hợp khác (bấm «Giấy tờ»)."
CARD_TIME_FEE = "⏱ Thời hạn và lệ phí"
CHANNEL_NAMES = {
    "truc_tiep": "Nộp trực tiếp",
    "truc_tuyen": "Nộp trực tuyến",
    "buu_chinh": "Qua bưu chính",
}
# Channels whose time and fee are the same share one line: "Nộp trực tiếp / trực tuyến / qua bưu chính".
CHANNEL_MORE_NAMES = {
    "truc_tiep": "trực tiếp",
    "truc_tuyen": "trực tuyến",
    "buu_chinh": "qua bưu chính",
}
CHANNEL_SEPARATOR = " / "
CARD_CHANNEL = "• {channel}: {details}"
CARD_TIME_UNKNOWN = "thời hạn chưa công bố"
CARD_FEE = "lệ phí: {fee}"
CARD_FEE_UNKNOWN = "lệ phí chưa công bố"
CARD_TIME_FEE_UNKNOWN = "Thời hạn và lệ phí chưa được công bố trong danh mục; bạn xem trên {portal}."
CARD_RESULT = "📜 Kết quả: {result}"
CARD_PORTAL = "🔗 Xem chi tiết trên {portal}"
CARD_PROVINCE = "🏛 Thủ tục riêng của {province}."
CARD_NOT_ON_LIST = (
    "⚠️ Thủ tục này không có trong danh sách thủ tục công khai hiện hành của Cổng Dịch vụ công quốc gia "
    "(có thể đã được thay thế); hãy kiểm tra trên {portal} trước khi nộp."
)
CARD_CHECK_PORTAL = (
    "⚠️ Một số thông tin của thủ tục này trong danh mục có thể chưa chính xác; hãy đối chiếu trên {portal}."
)
CARD_SUMMARY_AGENCIES = "🏢 Cơ quan thực hiện: {agencies}"
CARD_SUMMARY_AUDIENCES = "👥 Đối tượng: {audiences}"
CARD_SUMMARY_DETAILS = "📄 Hồ sơ, thời hạn, lệ phí: xem trên {portal}"
CARD_SHORTENED = "…"

BUTTON_DOCUMENTS = "📄 Giấy tờ"
BUTTON_LEGAL = "⚖️ Căn cứ pháp lý"
BUTTON_RELATED = "🔁 Thủ tục liên quan"
BUTTON_CARD = "⬅️ Quay lại thủ tục"

DOCUMENTS_HEADER = "Giấy tờ cần nộp — {name}:"
DOCUMENT_QUANTITY = " ({quantity})"
DOCUMENT_SHOWN = "xuất trình"
DOCUMENT_FORM = " — mẫu {form}"
DOCUMENT_E_FORM = " · có biểu mẫu điện tử"
DOCUMENTS_CASES = "Tùy trường hợp:"
DOCUMENTS_CASE = "{case}:"
DOCUMENTS_NOTES = "📝 Lưu ý"
DOCUMENTS_NONE = "Danh mục chưa ghi giấy tờ cho thủ tục này; bạn xem thêm trên Cổng Dịch vụ công."
LEGAL_HEADER = "Căn cứ pháp lý — {name}:"
LEGAL_NONE = "Danh mục chưa ghi căn cứ pháp lý cho thủ tục này."
RELATED_HEADER = "Thủ tục liên quan — {name}:"
RELATED_NONE = "Không có thủ tục liên quan nào trong danh mục."
PROCEDURE_GONE = "Thủ tục này không còn trong danh mục. Bạn thử tìm lại nhé."

# --- The commune's procedures (/thutuc) --------------------------------------------------------

LIST_HEADER = "Thủ tục {unit} giải quyết: {total} — trang {page}/{pages}"
LIST_EMPTY = "Chưa có thủ tục nào được ghi nhận cho {unit}."
LIST_NEED_COMMUNE = "Bạn chưa chọn xã/phường nên tôi chưa biết liệt kê thủ tục của nơi nào."
LIST_ITEM = "{number}. {name}"
LIST_OTHER_FIELD = "Lĩnh vực khác"
BUTTON_PREVIOUS = "◀ Trước"
BUTTON_NEXT = "Sau ▶"

# --- The posting list (niêm yết): /niemyet, `tthc-bot posting-list` (bot/posting_files.py) ------
# The files are for citizens (the counter's wall, the commune's website); the changes since the
# last list are for the office. Times and fees are the catalogue's text, never rewritten.

POSTING_COMMAND = ("niemyet", "Danh mục thủ tục niêm yết (PDF có mã QR, Excel), kèm thay đổi cần sửa")
POSTING_TITLE = "DANH MỤC THỦ TỤC HÀNH CHÍNH"
POSTING_SUBTITLE = "tiếp nhận, giải quyết tại Bộ phận Một cửa {unit}"
POSTING_DATE = "Cập nhật ngày {date} · {count} thủ tục"
POSTING_HOW_TITLE = "Cách tra cứu"
POSTING_HOW_QR = (
    "Quét mã QR bên cạnh thủ tục bằng camera điện thoại (hoặc Zalo) để mở trang của thủ tục trên "
    "Cổng Dịch vụ công quốc gia: giấy tờ cần nộp, biểu mẫu, các bước, và nộp hồ sơ trực tuyến."
)
POSTING_HOW_LINK = (
    "Bấm vào tên thủ tục để mở trang của thủ tục trên Cổng Dịch vụ công quốc gia: giấy tờ cần nộp, "
    "biểu mẫu, các bước, và nộp hồ sơ trực tuyến."
)
POSTING_HOW_ONLINE = (
    "«Toàn trình»: nộp hồ sơ và nhận kết quả hoàn toàn trên mạng, không phải đến Bộ phận Một cửa."
)
POSTING_HOW_UNKNOWN = "«Chưa công bố»: danh mục chưa có thông tin này; xin hỏi cán bộ Bộ phận Một cửa."
POSTING_COLUMNS = {
    "number": "STT",
    "code": "Mã thủ tục",
    "name": "Tên thủ tục",
    "field": "Lĩnh vực",
    "time": "Thời hạn giải quyết",
    "fee": "Phí, lệ phí",
    "online": "Trực tuyến",
    "qr": "Mã QR",
    "url": "Trang trên Cổng Dịch vụ công",
}
POSTING_GROUP = "{numeral}. {field} ({count})"
POSTING_NO_FIELD = "Lĩnh vực khác"
POSTING_ONLINE = {
    "toan_trinh": "Toàn trình",
    "mot_phan": "Một phần",
    "truc_tuyen": "Có nộp trực tuyến",
    "khong": "Không",
    "chua_ro": "Chưa công bố",
}
POSTING_UNPUBLISHED = "Chưa công bố"
POSTING_SEE_PORTAL = "Xem trên Cổng"
POSTING_CHANNELS = {"truc_tiep": "Trực tiếp", "truc_tuyen": "Trực tuyến", "buu_chinh": "Bưu chính"}
POSTING_CHANNEL_TERMS = "{channels}: {value}"
POSTING_CASES = "{values} (tùy trường hợp)"  # a channel whose time or fee differs by case
POSTING_OR = " hoặc "
POSTING_TRUNCATED = "{text}… (xem đủ trên Cổng)"
POSTING_LINK_LABEL = "Mở trên Cổng"
POSTING_SEARCH = "Tìm thủ tục (gõ tên hoặc mã, có dấu hay không dấu)"
POSTING_SEARCH_NONE = "Không có thủ tục nào khớp."
POSTING_PAGE = "{unit} — danh mục ngày {date} — trang {page}/{pages}"
POSTING_SHEET_LIST = "Danh mục"
POSTING_SHEET_CHANGES = "Thay đổi"

POSTING_CHANGES_TITLE = "Thay đổi so với danh mục lập lúc {when}"
POSTING_CHANGES_OFFICE = (
    "Phần dành cho cán bộ (không niêm yết): những gì cần sửa trên bảng niêm yết và trang web."
)
POSTING_CHANGES_FIRST = (
    "Đây là danh mục đầu tiên lập cho {unit}; từ lần sau sẽ có phần so sánh: thủ tục cần niêm yết "
    "thêm, cần sửa, cần gỡ bỏ."
)
POSTING_CHANGES_NONE = "Không có thay đổi so với danh mục lập lúc {when}."
POSTING_CHANGES_COUNTS = "Niêm yết thêm {added} · cập nhật {changed} · gỡ bỏ {removed}"
POSTING_ADDED = "➕ Niêm yết thêm"
POSTING_CHANGED = "✏️ Cập nhật"
POSTING_REMOVED = "➖ Gỡ bỏ"
POSTING_ACTIONS = {"added": "Niêm yết thêm", "changed": "Cập nhật", "removed": "Gỡ bỏ"}
POSTING_CHANGE_ITEM = "• {code} {name}"
POSTING_CHANGE_WHAT = " — {what}"
POSTING_CHANGE_MORE = "… và {count} thủ tục khác (xem trang «Thay đổi» trong tệp Excel)."
POSTING_FIELD_NAMES = {
    "name": "tên",
    "field": "lĩnh vực",
    "time": "thời hạn",
    "fee": "phí, lệ phí",
    "online": "trực tuyến",
    "url": "liên kết Cổng (in lại mã QR)",
}
POSTING_URL_CHANGED = "Liên kết trên Cổng đã đổi: in lại mã QR, sửa liên kết trên trang web"
POSTING_CHANGE_DETAIL = "{what}: «{before}» → «{after}»"
POSTING_REMOVALS = {
    "abolished": "đã bãi bỏ",
    "gone": "không còn trong danh mục thủ tục hành chính",
    "not_handled": "xã không còn tiếp nhận, giải quyết",
}
POSTING_ABOLISHED_BY = "đã bãi bỏ ({by})"
POSTING_CHANGES_COLUMNS = ("Việc cần làm", "Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Chi tiết", "Liên kết")

POSTING_REPLY = "📋 Danh mục niêm yết — {unit}: {count} thủ tục, ngày {date}."
POSTING_REPLY_FILES = (
    "Gửi kèm: PDF có mã QR (in, niêm yết tại Bộ phận Một cửa) và Excel có liên kết (đăng trang web)."
)
POSTING_CAPTION_PDF = "Danh mục niêm yết {unit} — bản in, có mã QR"
POSTING_CAPTION_XLSX = "Danh mục niêm yết {unit} — Excel, có liên kết Cổng Dịch vụ công"
POSTING_USAGE = "Cách dùng: /niemyet [mã xã/phường]"
POSTING_CHOOSE = (
    "Danh mục niêm yết là của từng xã, phường. {unit} có {count} xã, phường; chọn một, "
    "hoặc gõ /niemyet <mã xã/phường>."
)
POSTING_CHOOSE_TYPE = (
    "Danh mục niêm yết là của từng xã, phường. {unit} có {count} xã, phường: gõ /niemyet <mã xã/phường>, "
    "ví dụ /niemyet {example}."
)
POSTING_NO_COMMUNE = "{unit} không có xã, phường nào hiện nay để lập danh mục niêm yết."
POSTING_NEED_UNIT = "Bạn chưa gắn với đơn vị nào; hãy gõ kèm mã xã/phường, ví dụ /niemyet 30538."
POSTING_OUT_OF_SCOPE = "Không có xã/phường mã {code} trong phạm vi bạn được lập danh mục."
POSTING_WORKING = "Đang lập danh mục niêm yết cho {unit}…"
POSTING_CLI_HELP = """\
Danh mục thủ tục hành chính một xã, phường hoặc đặc khu niêm yết tại Bộ phận Một cửa và trên trang
thông tin điện tử: theo lĩnh vực, đánh số, mỗi thủ tục với mã, tên, thời hạn, phí, lệ phí (theo danh
mục; "Chưa công bố" khi danh mục không có), mức trực tuyến và liên kết tới trang của nó trên Cổng Dịch
vụ công quốc gia. PDF (in, có mã QR bên mỗi thủ tục), XLSX và HTML (đăng trang web, có liên kết).
Kèm phần so sánh với danh mục lập lần trước cho đơn vị: thủ tục cần niêm yết thêm, cần sửa, cần gỡ bỏ.
Mỗi lần lập được lưu lại làm mốc cho lần sau; lặp --out để lập nhiều dạng từ cùng một danh mục."""
POSTING_CLI_OUT = "tệp .pdf, .xlsx hoặc .html (lặp lại để lập nhiều dạng cùng lúc)"
POSTING_CLI_UNIT = "mã hoặc tên xã/phường"
POSTING_BAD_FORMAT = "{path}: chỉ lập được tệp .pdf, .xlsx hoặc .html."
POSTING_SPLIT = "{unit} [{code}] nay thuộc nhiều xã/phường, hãy chọn một: {communes}"
POSTING_SUCCESSOR = "{old} nay thuộc {new} [{code}]: lập danh mục của {new}."
POSTING_WROTE = "Đã ghi {path} ({size} KB)."
POSTING_WRITE_FAILED = "Không ghi được {path}: {reason}. Danh mục lần trước vẫn được giữ làm mốc."

# --- Inline mode (@bot query) ------------------------------------------------------------------

INLINE_DESCRIPTION = "{field} · mã {code}"
INLINE_NO_FIELD = "Mã {code}"

# --- Errors ------------------------------------------------------------------------------------

ERROR = "Xin lỗi, tôi vừa gặp trục trặc khi xử lý yêu cầu của bạn. Bạn thử lại sau ít phút nhé."
BUSY = "Xin lỗi, hệ thống đang bận nên tôi chưa trả lời kịp. Bạn thử lại sau ít phút nhé."
STALE_BUTTON = "Nút này đã cũ. Bạn gõ lại câu hỏi giúp tôi nhé."
UNKNOWN_COMMAND = "Tôi chưa hiểu lệnh này. Gõ /help để xem tôi làm được gì."
NOT_TEXT = "Tôi chỉ đọc được tin nhắn chữ. Bạn gõ việc cần làm giúp tôi nhé."

# --- Console channel (tthc-bot chat / ask) -----------------------------------------------------

CONSOLE_WELCOME = (
    "Trợ lý thủ tục hành chính — gõ câu hỏi, gõ số để chọn, /help để xem hướng dẫn, /thoat để thoát."
)
CONSOLE_PROMPT = "> "
CONSOLE_CHOICE = "  [{number}] {label}"
CONSOLE_LINK = "  [{number}] {label}: {url}"
CONSOLE_BAD_CHOICE = "Không có lựa chọn số {number}."
CONSOLE_QUIT_WORDS = ("/thoat", "/quit", "/exit")
CONSOLE_UNIT_NOT_FOUND = "Không tìm thấy xã/phường «{text}»."
CONSOLE_UNIT_AMBIGUOUS = "«{text}» khớp với nhiều nơi, hãy ghi rõ hơn (hoặc dùng mã):"
CONSOLE_NO_TOKEN = "Chưa đặt TELEGRAM_BOT_TOKEN; dùng «tthc-bot chat» để thử ngay trong cửa sổ dòng lệnh."
RUN_FAILED = "Bot đã dừng vì lỗi: {error}"

# --- Admin: /reload, /rollback, /stats, /grant, /revoke, /officials (bot/handlers/admin.py) ------
# A non-admin gets texts.UNKNOWN_COMMAND, exactly as for a command that does not exist.

ADMIN_RELOAD_HOW = (
    "Gửi tệp danh mục (JSON, có thể nén .gz) kèm chú thích /reload, "
    "hoặc gõ /reload <đường dẫn tệp trên máy chủ>."
)
ADMIN_FILE_REJECTED = "Tệp bị từ chối, danh mục không thay đổi."
ADMIN_DIFF_HEADER = "Tệp {source}: phiên bản {version}, {count} thủ tục."
ADMIN_DIFF_COUNTS = (
    "So với danh mục đang dùng: thêm mới {added}, thay đổi {changed}, bãi bỏ {abolished}, "
    "loại khỏi danh mục {removed}, không đổi {unchanged}."
)
ADMIN_DIFF_GROUPS = {
    "added": "➕ Thêm mới",
    "changed": "✏️ Thay đổi",
    "abolished": "⛔ Bãi bỏ",
    "removed": "➖ Loại khỏi danh mục",
}
ADMIN_DIFF_ITEM = "• {code} {name}"
ADMIN_DIFF_FIELDS = " ({fields})"
ADMIN_DIFF_MORE = "… và {count} thủ tục khác"
ADMIN_NO_CHANGE = "Tệp giống hệt danh mục đang dùng; không có gì để áp dụng."
ADMIN_CONFIRM = "Áp dụng danh mục này? Người dân vẫn được trả lời trong lúc chuyển."
ADMIN_BUTTON_APPLY = "✅ Áp dụng"
ADMIN_BUTTON_CANCEL = "✖️ Huỷ"
ADMIN_APPLIED = "Đã áp dụng: phiên bản #{version} là danh mục đang dùng."
ADMIN_CANCELLED = "Đã huỷ; danh mục không thay đổi."
ADMIN_NOT_APPLIED = "Không áp dụng: {reason}"
ADMIN_ROLLED_BACK = "Đã quay về phiên bản #{restored} (lưu thành phiên bản #{version})."
ADMIN_ROLLBACK_FAILED = "Không khôi phục được: {reason}"
ADMIN_STATS_HOW = "Cách dùng: /stats [số ngày, từ 1 đến 3660; mặc định 7]"
ADMIN_EXPORT_CAPTION = (
    "Danh mục đang dùng: phiên bản {version}, {count} thủ tục. Sửa rồi gửi lại tệp này kèm chú thích /reload."
)
ADMIN_EXPORT_EMPTY = "Chưa có danh mục nào được nạp."
ADMIN_STATS_HEADER = "Từ {first} đến {last}: {total} câu hỏi, {share} không tìm được thủ tục phù hợp."
ADMIN_STATS_DAY = "{day}: {queries} câu, {unanswered} không tìm thấy"
ADMIN_STATS_TOP = "Câu hỏi không tìm thấy hay gặp nhất (nên bổ sung từ vựng):"
ADMIN_STATS_TOP_ITEM = "{times} × «{query}»"
ADMIN_GRANT_HOW = "Cách dùng: /grant <mã người dùng Telegram> <mã đơn vị>"
ADMIN_REVOKE_HOW = "Cách dùng: /revoke <mã người dùng Telegram> [mã đơn vị]"
ADMIN_UNIT_UNKNOWN = "Không có đơn vị hành chính hiện hành mã {code}."
ADMIN_INVITE_HOW = "Cách dùng: /invite <mã đơn vị> [số giờ hiệu lực, mặc định {hours}]"
ADMIN_INVITE_CREATED = (
    "Liên kết mời làm cán bộ của {unit}, dùng được một lần, hết hạn lúc {expires}. "
    "Gửi riêng cho người được mời:"
)
ADMIN_GRANTED = "Người dùng {user} đã là cán bộ của {unit}."
ADMIN_REVOKED = "Đã thu hồi {count} quyền cán bộ của người dùng {user}."
ADMIN_OFFICIALS_HEADER = "Cán bộ đã được cấp quyền:"
ADMIN_OFFICIALS_ITEM = "• {user} — {unit}"
ADMIN_OFFICIALS_NONE = "Chưa có cán bộ nào."

# --- Admin: everyday names of procedures, /themtu, /botu (bot/handlers/admin.py) and
# `tthc-bot everyday` (bot/commands/everyday.py) ---------------------------------------------------

ADMIN_STATS_PHRASE_HINT = (
    "Để tìm kiếm hiểu một câu hỏi như vậy, thêm cách gọi cho thủ tục đúng: "
    "/themtu <mã thủ tục> <cách gọi>, ví dụ /themtu 1.001193 làm giấy khai sinh cho con."
)
ADMIN_PHRASE_ADD_HOW = (
    "Cách dùng: /themtu <mã thủ tục> <cách người dân gọi thủ tục>, "
    "ví dụ /themtu 1.001193 làm giấy khai sinh cho con."
)
ADMIN_PHRASE_REMOVE_HOW = "Cách dùng: /botu <mã thủ tục> <cách gọi đã thêm>"
ADMIN_PHRASE_ADDED = (
    "Đã thêm cách gọi «{phrase}» cho thủ tục {code} {name}. "
    "Tìm kiếm sẽ hiểu cách gọi này sau lần cập nhật chỉ mục tới (thường trong vài phút)."
)
ADMIN_PHRASE_REMOVED = (
    "Đã bỏ cách gọi «{phrase}» của thủ tục {code}. Tìm kiếm sẽ thôi dùng nó sau lần cập nhật chỉ mục tới."
)
# Why a phrase is refused, by knowledge.everyday.Refusal.
ADMIN_PHRASE_REFUSED = {
    "empty": "Cách gọi trống, không thêm được.",
    "too_long": "Cách gọi dài quá {limit} ký tự, không thêm được.",
    "unknown_code": "Không có thủ tục mã {code} trong danh mục.",
    "known": "Thủ tục {code} đã có cách gọi «{phrase}».",
    "bundled": (
        "«{phrase}» là cách gọi có sẵn của thủ tục {code} (tệp knowledge/data/everyday.json); "
        "chỉ sửa được trong tệp đó."
    ),
    "missing": "Thủ tục {code} không có cách gọi «{phrase}» nào đã thêm.",
}
EVERYDAY_CLI_BUNDLED = "Cách gọi có sẵn (knowledge/data/everyday.json): {names} cách gọi của {codes} thủ tục."
EVERYDAY_CLI_ADDED = "Cách gọi quản trị viên đã thêm: {count}."
EVERYDAY_CLI_ITEM = "{code}\t{phrase}\t{by}\t{at}"
EVERYDAY_CLI_BY_COMMAND_LINE = "dòng lệnh"

# --- Officials: figures, lists, letters, digest (bot/official_dialogue.py, bot/render_official.py) --
# Someone who is neither an official nor an admin gets texts.UNKNOWN_COMMAND, as for admin commands.
# The commands are published only in officials' own chats (set_my_commands with a chat scope).

OFFICIAL_COMMANDS: list[tuple[str, str]] = [
    ("tinhhinh", "Tình hình giải quyết hồ sơ: /tinhhinh, /tinhhinh tháng 11, quý 3, năm 2025…"),
    ("quahan", "Hồ sơ đang quá hạn"),
    ("xinloi", "Hồ sơ trễ hạn chưa có văn bản xin lỗi; lập văn bản"),
    ("chotiepnhan", "Hồ sơ trực tuyến chờ tiếp nhận"),
    ("saphan", "Hồ sơ đến hạn trong 1 ngày làm việc"),
    ("bosung", "Hồ sơ yêu cầu bổ sung quá 1 lần"),
    ("xephang", "Xếp hạng các đơn vị, kèm biểu đồ và tệp Excel"),
    ("nhacviec", "Bật hoặc tắt nhắc việc lúc 7:30 mỗi ngày làm việc"),
    POSTING_COMMAND,
]

OFFICIAL_WELCOME = "Chào mừng {name}! Bạn đã được ghi nhận là cán bộ của {unit}."
OFFICIAL_WELCOME_ANONYMOUS = "Chào mừng! Bạn đã được ghi nhận là cán bộ của {unit}."
OFFICIAL_WELCOME_COMMANDS = "Các lệnh dành cho cán bộ:"
OFFICIAL_COMMAND_LINE = "• /{command} — {description}"
OFFICIAL_WELCOME_SCOPE = (
    "Bạn xem được số liệu của đơn vị mình và các đơn vị trực thuộc. Sau mỗi lệnh có thể gõ kỳ "
    "(tháng 11, quý 3, tháng trước, năm 2025, 01/10/2026 31/10/2026) và mã đơn vị."
)
OFFICIAL_INVITE_INVALID = (
    "Liên kết mời này không dùng được. Nếu bạn là cán bộ, hãy xin quản trị viên một liên kết mới."
)
OFFICIAL_USAGE = (
    "Cách dùng: /{command} [kỳ] [mã đơn vị]. Kỳ: tháng, quý, năm, tháng 11, tháng 11/2026, quý 3, "
    "quý III/2025, tháng trước, năm 2025, 01/10/2026 31/10/2026."
)
OFFICIAL_NEED_UNIT = "Bạn chưa gắn với đơn vị nào; hãy gõ kèm mã đơn vị, ví dụ /{command} 402."
OFFICIAL_OUT_OF_SCOPE = "Không có đơn vị mã {code} trong phạm vi bạn được xem."

OFFICIAL_PERIOD_MONTH = "tháng {month}/{year}"
OFFICIAL_PERIOD_QUARTER = "quý {quarter}/{year}"
OFFICIAL_PERIOD_YEAR = "năm {year}"
OFFICIAL_PERIOD_RANGE = "{start}–{end}"
OFFICIAL_QUARTERS = ("I", "II", "III", "IV")
OFFICIAL_NO_VALUE = "–"
OFFICIAL_NO_DATA = "không có dữ liệu"
OFFICIAL_REPORT_LACKING = (
    "⚠️ Tệp nhập không có {fields} của {count} hồ sơ: các số liệu cần chúng ghi «không có dữ liệu»"
    " hoặc chỉ tính trên hồ sơ có dữ liệu."
)
OFFICIAL_FIELD_NAMES = {
    "channel": "kênh nộp",
    "online_level": "mức độ dịch vụ trực tuyến",
    "accepted_at": "ngày tiếp nhận",
    "supplement_count": "số lần bổ sung",
    "supplement_hours": "thời gian chờ bổ sung",
    "fee_bearing": "phí, lệ phí",
    "paid_online": "thanh toán trực tuyến",
    "digitised": "số hóa",
    "e_result": "kết quả điện tử",
    "reused": "tái sử dụng dữ liệu",
    "apology": "thư xin lỗi",
}
OFFICIAL_PROVISIONAL = "📅 Từ {day}: ngày làm việc tính theo quy định, chưa có lịch chính thức."

OFFICIAL_REPORT_TITLE = "📊 Tình hình giải quyết hồ sơ — {unit}"
OFFICIAL_REPORT_PERIOD = "Kỳ: {period} ({range}), số liệu đến {as_of}."
OFFICIAL_REPORT_JUDGED = "Kỳ đã qua: hồ sơ chưa xong được xét quá hạn tại thời điểm hết kỳ ({at})."
OFFICIAL_REPORT_NO_DATA = "Chưa có dữ liệu: không có hồ sơ nào được tiếp nhận trong kỳ."
OFFICIAL_REPORT_VOLUME = "Tiếp nhận {received} · đang xử lý {in_progress} · đang quá hạn {overdue}"
OFFICIAL_REPORT_FINISHED = "Đã xong {finished}: trước hạn {early}, đúng hạn {on_time}, trễ hạn {late}"
OFFICIAL_REPORT_FINISHED_OTHER = ", rút hoặc dừng không rõ thời điểm {other}"
OFFICIAL_REPORT_CARRIED = (
    "Từ kỳ trước chuyển sang {count}: đã xong trong kỳ {finished} (trễ hạn {late}), "
    "còn đang giải quyết {open} (quá hạn {overdue})"
)
OFFICIAL_REPORT_ON_TIME = "Tỷ lệ đúng hạn: {rate}"
OFFICIAL_REPORT_ONLINE = "Trực tuyến: {rate} (toàn trình {full}, một phần {partial})"
OFFICIAL_REPORT_PAYMENT = "Thanh toán trực tuyến: {rate}"
OFFICIAL_REPORT_DIGITAL = "Số hóa {digitised} · kết quả điện tử {e_result} · tái sử dụng dữ liệu {reused}"
OFFICIAL_REPORT_ATTENTION = "Cần chú ý"
OFFICIAL_REPORT_UNACCEPTED = "• Hồ sơ trực tuyến chưa tiếp nhận sau 6 giờ làm việc: {count}"
OFFICIAL_REPORT_SUPPLEMENT = "• Yêu cầu bổ sung quá 1 lần: {count}"
OFFICIAL_REPORT_UNAPOLOGISED = "• Trễ hạn không có thư xin lỗi: {count}"
OFFICIAL_SCORE = "🏅 Điểm Bộ chỉ số 766 (phần tính được từ hồ sơ): {total} / {max}"
OFFICIAL_SCORE_LOSSES = "Mất điểm ở (nhiều nhất trước):"
OFFICIAL_SCORE_LOSS = "• {id} {name}: −{lost} điểm (đạt {ratio})"
OFFICIAL_SCORE_LOSS_TARGET = "• {id} {name}: −{lost} điểm (đạt {ratio}, chỉ tiêu {target})"
OFFICIAL_SCORE_NO_LOSS = "Không mất điểm ở chỉ số nào tính được."
OFFICIAL_SCORE_NO_DOSSIERS = "Chưa có hồ sơ hoặc dữ liệu để tính: {items}."  # or the exports lacked a field
OFFICIAL_SCORE_UNSUPPORTED = "Dữ liệu hồ sơ không đủ để tính ({points} điểm): {items}."
OFFICIAL_INDICATOR = "{id} {name}"
OFFICIAL_SEPARATOR = "; "
OFFICIAL_CHILDREN = "Đơn vị trực thuộc, xếp theo điểm:"
OFFICIAL_CHILD = "{rank}. {unit} — {score} điểm · {online_class}"
OFFICIAL_CHILD_NO_DATA = "– {unit} — chưa có dữ liệu"
OFFICIAL_CHILDREN_MORE = "… và {count} đơn vị khác — gõ /xephang để xem đủ."
OFFICIAL_CLASS_COUNT = "• {label}: {count}"
OFFICIAL_BUTTON_TREND = "📈 Xu hướng 6 tháng"
OFFICIAL_BUTTON_LIST = "{label} ({count})"

# The work lists, by ``knowledge.compliance.worklists.WorkList`` value, and the command of each.
OFFICIAL_LISTS: dict[str, tuple[str, str, str]] = {  # list: (command, title, short label)
    "overdue": ("quahan", "⏰ Hồ sơ đang quá hạn", "⏰ Quá hạn"),
    "late-no-apology": ("xinloi", "✉️ Hồ sơ trễ hạn chưa có văn bản xin lỗi", "✉️ Chưa xin lỗi"),
    "waiting-acceptance": ("chotiepnhan", "📥 Hồ sơ trực tuyến chờ tiếp nhận", "📥 Chờ tiếp nhận"),
    "due-soon": ("saphan", "⏳ Hồ sơ đến hạn trong 1 ngày làm việc", "⏳ Sắp đến hạn"),
    "supplemented-twice": ("bosung", "🔁 Hồ sơ yêu cầu bổ sung quá 1 lần", "🔁 Bổ sung quá 1 lần"),
}
OFFICIAL_LIST_HEAD = "{title} — {unit}: {count}"
OFFICIAL_LIST_PERIOD = "Hồ sơ tiếp nhận trong {period} ({range}), xét tại {at}."
OFFICIAL_LIST_NONE = "✅ {unit}: không có hồ sơ nào trong danh sách này."
OFFICIAL_LIST_PAGE = "Trang {page}/{pages}."
OFFICIAL_LIST_ITEM = "{number}. {code} — {procedure}"
OFFICIAL_LIST_DUE = "hẹn {due}"
OFFICIAL_LIST_LATE = "quá hạn {time}"
OFFICIAL_LIST_LEFT = "còn {time}"
OFFICIAL_LIST_WAITED = "nộp {submitted}, đã chờ {time}"
OFFICIAL_LIST_WAITED_TOO_LONG = "⚠️ quá 6 giờ"
OFFICIAL_LIST_SUPPLEMENTS = "bổ sung {count} lần"
OFFICIAL_LIST_ENDED = "đã xong"
OFFICIAL_LIST_OPEN = "đang giải quyết"
OFFICIAL_LIST_SEPARATOR = " · "
OFFICIAL_LIST_APOLOGY_HINT = "Bấm ✉️ kèm số thứ tự để lập văn bản xin lỗi cho hồ sơ đó."
OFFICIAL_BUTTON_APOLOGY = "✉️ {number}"
OFFICIAL_BUTTON_LIST_EXCEL = "📥 Excel đủ {count} hồ sơ"
OFFICIAL_TIME_DAYS_HOURS = "{days} ngày {hours} giờ làm việc"
OFFICIAL_TIME_DAYS = "{days} ngày làm việc"
OFFICIAL_TIME_HOURS = "{hours} giờ làm việc"
OFFICIAL_TIME_MINUTES = "{minutes} phút làm việc"
OFFICIAL_DATETIME = "{time} {day}"

OFFICIAL_APOLOGY_TITLE = "✉️ Văn bản xin lỗi cho hồ sơ {code}"
OFFICIAL_APOLOGY_FACTS = "{procedure} · tiếp nhận {received} · hẹn trả {due}"
OFFICIAL_APOLOGY_CHOOSE = "Chọn ngày hẹn trả kết quả mới (quy định chỉ cho hẹn lại một lần):"
OFFICIAL_APOLOGY_DAY = "{weekday} {day}"
OFFICIAL_WEEKDAYS = ("Th 2", "Th 3", "Th 4", "Th 5", "Th 6", "Th 7", "CN")
OFFICIAL_APOLOGY_MADE = (
    "Văn bản xin lỗi hồ sơ {code}, hẹn trả {new_due}. Đã ghi nhận: hồ sơ không còn trong danh sách "
    "trễ hạn chưa xin lỗi. Hãy ghi lý do chậm, số văn bản, ký và gửi người nộp hồ sơ."
)
OFFICIAL_APOLOGY_AGAIN = "Hồ sơ {code} đã có văn bản xin lỗi (hẹn trả {new_due}); đây là bản đã lập."
OFFICIAL_APOLOGY_REFUSED = "Không lập được văn bản: {reason}"
OFFICIAL_APOLOGY_NO_DATE = "chưa chọn"

OFFICIAL_DIGEST_ON = (
    "🔔 Đã bật nhắc việc: mỗi ngày làm việc lúc 7:30, tôi gửi số hồ sơ chờ tiếp nhận, sắp đến hạn và "
    "quá hạn của đơn vị. Gõ /nhacviec lần nữa để tắt."
)
OFFICIAL_DIGEST_OFF = "🔕 Đã tắt nhắc việc buổi sáng."
OFFICIAL_DIGEST_TITLE = "☀️ Nhắc việc ngày {day} — {unit}"
OFFICIAL_DIGEST_COUNT = "{title}: {count}"
OFFICIAL_DIGEST_MORE = "… và {count} hồ sơ khác: /{command}"

OFFICIAL_TREND_TITLE = "Tỷ lệ theo tháng — {unit}"
OFFICIAL_TREND_CAPTION = (
    "📈 {unit}: tỷ lệ đúng hạn, trực tuyến, thanh toán trực tuyến và số hóa theo tháng, {first}–{last}. "
    "Tháng không có hồ sơ để trống."
)

OFFICIAL_RANKING_TITLE = "Xếp hạng đơn vị thuộc {parent}, {period}"
OFFICIAL_RANKING_OWN = "{unit}: hạng {rank}/{count}, {score} điểm."
OFFICIAL_RANKING_OWN_NO_DATA = "{unit}: chưa có dữ liệu trong kỳ."
OFFICIAL_RANKING_NO_DATA = "{count} đơn vị chưa có dữ liệu trong kỳ: không vẽ, không xếp hạng."
OFFICIAL_RANKING_WINDOW = "Biểu đồ: hạng {first}–{last} trên {count}; tệp Excel có đủ các đơn vị."
OFFICIAL_RANKING_NOTE = "Điểm: các chỉ số 766 tính được từ dữ liệu hồ sơ; màu: phân loại dịch vụ trực tuyến."
OFFICIAL_RANKING_EMPTY = "{parent} không có đơn vị trực thuộc để xếp hạng."
OFFICIAL_RANKING_ALL_NO_DATA = "Chưa đơn vị nào thuộc {parent} có dữ liệu trong {period}."
OFFICIAL_BUTTON_EXCEL = "📥 Tải Excel"

# --- Ops: failure reports to the admins (bot/handlers/errors.py), the console's officials' desk ---
# Reports go to TTHC_ERROR_CHAT_ID or the admins; they carry the user's id and nothing the user wrote.

OPS_REPORT_TITLE = "⚠️ Lỗi khi xử lý một cập nhật: {error}"
OPS_REPORT_WHERE = "Tại {where}"
OPS_REPORT_UPDATE = "Cập nhật: {update}"
OPS_REPORT_USER = "Người dùng: {user}"
OPS_REPORT_HELD_BACK = "Đã giữ lại {count} báo lỗi khác kể từ báo cáo trước (giới hạn tần suất)."
OPS_UPDATE_NONE = "không gắn với cập nhật nào"
OPS_UPDATE_COMMAND = "lệnh {command}"
OPS_UPDATE_TEXT = "tin nhắn {length} ký tự"
OPS_UPDATE_DOCUMENT = "tệp đính kèm"
OPS_UPDATE_BUTTON = "nút {data}"
OPS_UPDATE_INLINE = "tìm kiếm inline {length} ký tự"

CONSOLE_OFFICIAL_WELCOME = (
    "Lệnh cán bộ cho {unit}: /tinhhinh, /quahan, /xinloi, /chotiepnhan, /saphan, /bosung, /xephang "
    "[kỳ] [mã đơn vị]."
)
CONSOLE_OFFICIAL_UNKNOWN_UNIT = "Không có đơn vị mã {code}."
CONSOLE_FILE_SAVED = "Tệp đã lưu vào {path}"

# --- Admins' tables: the calendar (/lich), agencies (/coquan), dossier imports (/nhaphoso) -----------
ADMIN_CALENDAR_HOW = (
    "/lich [năm]: xem ngày nghỉ, ngày làm bù.\n"
    "/lich nghi 05/02/2027..13/02/2027 le:tet Tết Đinh Mùi 2027: thêm (hoặc sửa) đợt nghỉ.\n"
    "/lich lambu 30/01/2027 Tết Đinh Mùi 2027: thêm ngày làm bù.\n"
    "/lich xoa SỐ: bỏ một sửa đổi đã lưu."
)
ADMIN_CALENDAR_YEAR = "Lịch làm việc năm {year} — ngày nghỉ (thứ Hai–thứ Sáu):"
ADMIN_CALENDAR_DAY = "{day}  {reason}"
ADMIN_CALENDAR_SWAPPED = "Ngày làm bù: {days}"
ADMIN_CALENDAR_PROVISIONAL = "Từ {day}: theo quy định, chưa có lịch chính thức."
ADMIN_CALENDAR_CHANGES = "Sửa đổi đã lưu:"
ADMIN_CALENDAR_CHANGE = "#{id} {entry} ({actor})"
ADMIN_CALENDAR_SAVED = "Đã lưu #{id}: {entry}. {days} ngày đổi; tính lại {dossiers} hồ sơ."
ADMIN_CALENDAR_REMOVED = "Đã bỏ #{id}: {entry}. {days} ngày đổi; tính lại {dossiers} hồ sơ."
ADMIN_CALENDAR_REJECTED = "Không sửa được lịch: {reason}"
ADMIN_CALENDAR_NO_CHANGE = "Không có sửa đổi #{id}."
ADMIN_AGENCY_HOW = (
    "/coquan: danh sách cơ quan đã gắn với đơn vị.\n"
    "/coquan MÃ_ĐƠN_VỊ tên hoặc mã cơ quan: hồ sơ của cơ quan đó (MaCoQuan, DonViXuLy…) thuộc đơn vị.\n"
    "/coquan xoa tên hoặc mã cơ quan: bỏ một mục."
)
ADMIN_AGENCY_NONE = "Chưa có cơ quan nào được gắn với đơn vị."
ADMIN_AGENCY_ITEM = "{agency} → {unit} ({code})"
ADMIN_AGENCY_ADDED = "Hồ sơ của cơ quan «{agency}» sẽ thuộc {unit}."
ADMIN_AGENCY_REMOVED = "Đã bỏ cơ quan «{agency}»."
ADMIN_AGENCY_MISSING = "Không có cơ quan «{agency}» trong bảng."
ADMIN_IMPORT_DONE = "Đã nhập {count} hồ sơ: {created} mới, {updated} cập nhật ({layout})."
ADMIN_IMPORT_MISSING = "⚠️ Tệp không có {fields}: các số liệu cần chúng ghi «không có dữ liệu»."
ADMIN_IMPORT_ERRORS = "{count} dòng bị bỏ qua (tệp lỗi kèm theo):"
ADMIN_IMPORT_ERROR = "dòng {row}: {reason}"
ADMIN_IMPORT_REJECTED = "Tệp bị từ chối, không nhập gì: {reason}"
