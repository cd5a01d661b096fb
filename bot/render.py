"""Rich text for both channels: a tiny document model, its HTML and plain-text forms, and splitting.

Replies are built as a ``Doc`` (lines of styled spans) instead of HTML strings, so that every
external string is escaped in exactly one place (``to_html``), the console gets the same reply as
plain text with links visible (``to_plain``), and long replies can be split between lines without
ever cutting a tag in two (``html_chunks``).
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot import texts
from knowledge.models import Procedure

MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text
SAFE_SCHEMES = ("http://", "https://", "tg://")

Style = Literal["", "b", "i", "code"]


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""
    url: str | None = None


Line = tuple[Span, ...]
Part = Span | str


def b(text: str) -> Span:
    return Span(text, "b")


def i(text: str) -> Span:
    return Span(text, "i")


def code(text: str) -> Span:
    return Span(text, "code")


def link(label: str, url: str) -> Span:
    return Span(label, url=url)


def _span(part: Part) -> Span:
    return part if isinstance(part, Span) else Span(part)


def fill(template: str, **values: Part) -> list[Span]:
    """Spans for ``template`` with each ``{name}`` replaced by a value, keeping the value's style.

    Templates live in bot/texts.py as plain text; styling the inserted values here keeps them free
    of markup and lets ``to_html`` escape everything.
    """
    spans: list[Span] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            spans.append(Span(literal))
        if name is not None:
            spans.append(_span(values[name]))
    return spans


@dataclass
class Doc:
    lines: list[Line] = field(default_factory=list)

    def add(self, *parts: Part | Iterable[Span]) -> Doc:
        """Append one line made of the given parts (strings, spans or lists of spans)."""
        spans: list[Span] = []
        for part in parts:
            if isinstance(part, Span | str):
                spans.append(_span(part))
            else:
                spans.extend(part)
        self.lines.append(tuple(spans))
        return self

    def blank(self) -> Doc:
        """A paragraph break (never two in a row, never at the start)."""
        if self.lines and self.lines[-1]:
            self.lines.append(())
        return self

    def extend(self, other: Doc) -> Doc:
        self.blank()
        self.lines.extend(other.lines)
        return self


def safe_url(url: str | None) -> str | None:
    """The URL if it is one a user may follow from a chat, else None (then shown as text)."""
    if url and url.strip().lower().startswith(SAFE_SCHEMES):
        return url.strip()
    return None


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def span_html(span: Span) -> str:
    text = _escape(span.text)
    url = safe_url(span.url)
    if url is not None:
        return f'<a href="{html.escape(url, quote=True)}">{text}</a>'
    if span.style:
        return f"<{span.style}>{text}</{span.style}>"
    return text


def line_html(line: Line) -> str:
    return "".join(span_html(span) for span in line)


def to_html(doc: Doc) -> str:
    return "\n".join(line_html(line) for line in doc.lines).strip()


def span_plain(span: Span) -> str:
    url = safe_url(span.url)
    if url is None or span.text == url:
        return span.text if url is None else url
    return f"{span.text}: {url}"


def to_plain(doc: Doc) -> str:
    return "\n".join("".join(span_plain(span) for span in line) for line in doc.lines).strip()


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(line: Line) -> int:
    """What a line counts towards Telegram's limit: its visible text, not its markup. A message's
    4,096 characters are counted after the HTML is parsed, so tags, escapes and links' addresses
    count for nothing."""
    return sum(telegram_length(span.text) for span in line)


def _split_words(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Cut ``text`` into pieces that each fit, preferring to cut after a space."""
    pieces: list[str] = []
    rest = text
    while rest:
        if fits(rest):
            pieces.append(rest)
            break
        low, high = 1, len(rest)  # the longest prefix that fits, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            if fits(rest[:middle]):
                low = middle
            else:
                high = middle - 1
        cut = rest.rfind(" ", 0, low)  # a space within the prefix: a space just past it would not fit
        cut = cut + 1 if cut > 0 else low
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces


def _split_span(span: Span, limit: int) -> list[Span]:
    """A span longer than a whole message, cut between words; each piece keeps the span's style
    (and link: only a link whose own text exceeds a message is ever cut, and each piece still leads
    to the address)."""
    pieces = _split_words(span.text, lambda text: telegram_length(text) <= limit)
    return [Span(text, span.style, span.url) for text in pieces]


def _line_pieces(line: Line, limit: int) -> list[tuple[str, int]]:
    """One over-long line as HTML pieces each within ``limit`` (with their visible length): cut
    between spans, and inside a span only when it alone exceeds the limit."""
    pieces: list[tuple[str, int]] = []
    current, size = "", 0
    for span in line:
        length = telegram_length(span.text)
        if size + length <= limit:
            current, size = current + span_html(span), size + length
            continue
        if current:
            pieces.append((current, size))
            current, size = "", 0
        if length <= limit:
            current, size = span_html(span), length
            continue
        parts = [(span_html(part), telegram_length(part.text)) for part in _split_span(span, limit)]
        pieces.extend(parts[:-1])
        current, size = parts[-1]
    if current:
        pieces.append((current, size))
    return pieces


def html_chunks(doc: Doc, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The document as HTML messages, each within ``limit`` as Telegram counts it (visible text in
    UTF-16 units); cuts fall between lines when possible, never inside a tag or a link. A message
    with nothing visible (Telegram refuses it) is not made."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    seen = False  # whether the current chunk shows anything

    def flush() -> None:
        if seen:
            chunks.append("\n".join(current).strip())

    for line in doc.lines:
        length = visible_length(line)
        pieces = _line_pieces(line, limit) if length > limit else [(line_html(line), length)]
        shows = any(span.text.strip() for span in line)
        for piece, piece_length in pieces:
            joined = size + piece_length + (1 if current else 0)
            if current and joined > limit:
                flush()
                current, size, seen = [], 0, False
                joined = piece_length
            current.append(piece)
            size = joined
            seen = seen or shows
    if current:
        flush()
    return chunks


# --- Procedure cards ---------------------------------------------------------------------------

MAX_CARD_DOCUMENTS = 5
MAX_CARD_CASES = 4
CARD_PAPER_CHARS = 220  # a paper's name on the card; the «Giấy tờ» list shows it whole
CARD_CASE_CHARS = 110
CARD_FEE_CHARS = 320
CARD_TIME_CHARS = 300


@dataclass(frozen=True)
class Office:
    """Where to submit in person; only what the data says (never invented)."""

    name: str
    address: str | None = None
    hours: str | None = None
    phone: str | None = None
    phone_verified: bool | None = None  # False: the phone is shown with a note to check it
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class CardFacts:
    """Everything a card shows, gathered by the dialogue so that rendering needs no database."""

    procedure: Procedure
    portal_url: str
    unit_name: str | None = None  # the user's commune; None when not chosen
    handled: bool | None = None  # whether that commune handles the procedure
    level: str | None = None  # where it is handled instead (a Level value)
    agency: str | None = None
    reason: str | None = None  # why, when there is something to explain
    office: Office | None = None  # the commune's one-stop office, when it receives the dossier
    receiver: str | None = None  # otherwise the body that receives it ("Công an xã …", "Chi cục Thuế …")
    province_name: str | None = None  # a province-specific procedure's province


def map_url(latitude: float, longitude: float) -> str:
    """A map of the point, opened in the user's maps application or browser."""
    return f"https://www.google.com/maps/search/?api=1&query={latitude:.6f},{longitude:.6f}"


def _where(doc: Doc, facts: CardFacts) -> None:
    """Where to submit: the commune's one-stop office when it receives the dossier (with the address,
    hours, phone and map the data has), else the body that receives it; online when possible."""
    procedure = facts.procedure
    online = any(channel.get("channel") == "truc_tuyen" for channel in procedure.channels)
    office = facts.office
    if office is None and facts.receiver is None and not procedure.receiving_address and not online:
        return
    doc.blank().add(b(texts.CARD_WHERE))
    if office is not None:
        doc.add("• ", office.name)
        if office.address:
            doc.add("  ", fill(texts.CARD_OFFICE_ADDRESS, address=office.address))
        if office.hours:
            doc.add("  ", fill(texts.CARD_OFFICE_HOURS, hours=office.hours))
        if office.phone:
            unverified = office.phone_verified is False
            template = texts.CARD_OFFICE_PHONE_UNVERIFIED if unverified else texts.CARD_OFFICE_PHONE
            doc.add("  ", fill(template, phone=office.phone))
        if office.latitude is not None and office.longitude is not None:
            where = link(texts.CARD_OFFICE_MAP_LINK, map_url(office.latitude, office.longitude))
            doc.add("  ", fill(texts.CARD_OFFICE_MAP, link=where))
    elif facts.receiver is not None:
        doc.add("• ", facts.receiver)
    elif procedure.receiving_address:
        doc.add("• ", fill(texts.CARD_RECEIVING, address=procedure.receiving_address))
    if online:
        doc.add("• ", fill(texts.CARD_ONLINE, link=link(texts.PORTAL_NAME, facts.portal_url)))


def shorten(text: str, limit: int) -> str:
    """The text cut at a word before ``limit`` characters, marked as cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:(") + texts.CARD_SHORTENED


def display_name(name: str) -> str:
    """A name published in capitals ("THỦ TỤC ĐĂNG KÝ …") in sentence case; others as they are."""
    letters = [char for char in name if char.isalpha()]
    if len(letters) < 8 or sum(char.isupper() for char in letters) < 0.8 * len(letters):
        return name.strip()
    lowered = name.strip().lower()
    return lowered[:1].upper() + lowered[1:]


def _time_fee(channel: dict[str, Any], limit: bool) -> str:
    time = str(channel["time"]) if channel.get("time") else texts.CARD_TIME_UNKNOWN
    if limit:
        time = shorten(time, CARD_TIME_CHARS)
    if channel.get("fee"):
        fee = shorten(str(channel["fee"]), CARD_FEE_CHARS) if limit else str(channel["fee"])
        return f"{time}; " + texts.CARD_FEE.format(fee=fee)
    return f"{time}; {texts.CARD_FEE_UNKNOWN}"


def channel_lines(channels: list[dict[str, Any]], limit: bool = True) -> list[tuple[str, str]]:
    """(channels, time and fee) per line: channels whose time and fee are the same share a line;
    long texts are shortened unless ``limit`` is false."""
    lines: dict[str, list[str]] = {}
    for channel in channels:
        lines.setdefault(_time_fee(channel, limit), []).append(str(channel.get("channel")))
    result = []
    for details, keys in lines.items():
        first = texts.CHANNEL_NAMES.get(keys[0], keys[0])
        more = [texts.CHANNEL_MORE_NAMES.get(key, key) for key in keys[1:]]
        result.append((texts.CHANNEL_SEPARATOR.join([first, *more]), details))
    return result


def procedure_card(facts: CardFacts) -> Doc:
    """The card for one procedure, as a citizen needs it: who handles it, where, what to bring."""
    procedure = facts.procedure
    portal = link(texts.PORTAL_NAME, facts.portal_url)
    doc = Doc().add(b(display_name(procedure.name)))
    heading = fill(texts.CARD_CODE, code=code(procedure.code))
    if procedure.field:
        heading += fill(texts.CARD_FIELD, field=procedure.field)
    doc.add(heading)
    province = facts.province_name or procedure.publisher
    if procedure.portal_type == "specific" and province:
        doc.add(fill(texts.CARD_PROVINCE, province=province))
    if not procedure.in_force:
        if procedure.abolished_by:
            doc.add(fill(texts.CARD_ABOLISHED_BY, by=procedure.abolished_by))
        else:
            doc.add(texts.CARD_ABOLISHED)
    if procedure.on_portal_list is False:
        doc.add(fill(texts.CARD_NOT_ON_LIST, portal=portal))
    elif procedure.flags and procedure.details != "summary":
        doc.add(fill(texts.CARD_CHECK_PORTAL, portal=portal))

    doc.blank()
    if facts.unit_name is None or facts.handled is None:
        doc.add(texts.CARD_NO_COMMUNE)
    elif facts.handled:
        doc.add(fill(texts.CARD_HANDLED, unit=b(facts.unit_name)))
        if facts.reason:  # the commune decides, but the papers go elsewhere first (a school…)
            doc.add(i(facts.reason))
    else:
        doc.add(fill(texts.CARD_NOT_HANDLED, unit=b(facts.unit_name)))
        level = texts.LEVEL_NAMES.get(facts.level or "", facts.level or "")
        if level and facts.agency:
            doc.add(fill(texts.CARD_HANDLED_AT_AGENCY, level=level, agency=facts.agency))
        elif level:
            doc.add(fill(texts.CARD_HANDLED_AT, level=level))
        # The level says enough for a procedure never done at a commune; explain only exceptions.
        if facts.reason and procedure.in_force and "xa" in procedure.levels:
            doc.add(i(facts.reason))
    _where(doc, facts)

    if procedure.details == "summary":
        _summary(doc, procedure, portal)
    else:
        _papers(doc, procedure.documents)
        _times_and_fees(doc, procedure.channels, portal)
        if procedure.result:
            doc.blank().add(fill(texts.CARD_RESULT, result=procedure.result))
    doc.blank().add(fill(texts.CARD_PORTAL, portal=portal))
    return doc


def _summary(doc: Doc, procedure: Procedure, portal: Span) -> None:
    """A procedure known only from the portal's list: what the list says, the portal for the rest."""
    agencies = [str(agency) for agency in procedure.executing_agencies or [] if str(agency).strip()]
    agencies = agencies or [a for a in (procedure.competent_agency, procedure.implementing_agency) if a]
    doc.blank()
    if agencies:
        doc.add(fill(texts.CARD_SUMMARY_AGENCIES, agencies=", ".join(dict.fromkeys(agencies))))
    if procedure.audiences:
        doc.add(fill(texts.CARD_SUMMARY_AUDIENCES, audiences=", ".join(map(str, procedure.audiences))))
    doc.add(fill(texts.CARD_SUMMARY_DETAILS, portal=portal))


def _papers(doc: Doc, documents: list[dict[str, Any]]) -> None:
    """Papers everyone brings, then the cases that need more (the «Giấy tờ» button lists all)."""
    if not documents:
        return
    doc.blank().add(b(texts.CARD_DOCUMENTS))
    main = [document for document in documents if not document.get("case")]
    for document in main[:MAX_CARD_DOCUMENTS]:
        doc.add(document_line(document, CARD_PAPER_CHARS))
    if len(main) > MAX_CARD_DOCUMENTS:
        doc.add(i(texts.CARD_MORE_DOCUMENTS.format(count=len(main) - MAX_CARD_DOCUMENTS)))
    cases = by_case(documents)
    if not cases:
        return
    doc.add(i(texts.CARD_CASES))
    for case, papers in list(cases.items())[:MAX_CARD_CASES]:
        label = shorten(case, CARD_CASE_CHARS)
        if len(papers) == 1:
            paper = shorten(paper_name(papers[0]), CARD_CASE_CHARS)
            doc.add(texts.CARD_CASE_ONE.format(case=label, paper=paper))
        else:
            doc.add(texts.CARD_CASE_MANY.format(case=label, count=len(papers)))
    if len(cases) > MAX_CARD_CASES:
        doc.add(i(texts.CARD_MORE_CASES.format(count=len(cases) - MAX_CARD_CASES)))


def _times_and_fees(doc: Doc, channels: list[dict[str, Any]], portal: Span) -> None:
    doc.blank().add(b(texts.CARD_TIME_FEE))
    if not channels:
        doc.add(fill(texts.CARD_TIME_FEE_UNKNOWN, portal=portal))
    for names, details in channel_lines(channels):
        doc.add(fill(texts.CARD_CHANNEL, channel=names, details=details))


def by_case(documents: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The papers asked only in some case, by case, in the catalogue's order."""
    cases: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        if document.get("case"):
            cases.setdefault(str(document["case"]), []).append(document)
    return cases


def paper_name(document: dict[str, Any]) -> str:
    """The paper's name without the catalogue's own list marks ("- ", "* ")."""
    return str(document.get("name") or "").strip().lstrip("-*+•").strip()


def _quantity(document: dict[str, Any]) -> str | None:
    original, copies = document.get("original"), document.get("copies")
    parts = [f"{original} bản chính"] if original else []
    parts += [f"{copies} bản sao"] if copies else []
    quantity = ", ".join(parts) or (str(document["quantity"]) if document.get("quantity") else None)
    if "xuất trình" in str(document.get("group") or "").lower():
        quantity = ", ".join(filter(None, [quantity, texts.DOCUMENT_SHOWN]))
    return quantity


def document_line(document: dict[str, Any], limit: int | None = None) -> list[Span]:
    """One document as a bullet; an entry that only introduces the next ones ("Giấy tờ phải nộp:")
    becomes a plain heading."""
    name = paper_name(document)
    quantity = _quantity(document)
    if name.endswith(":") and not quantity:
        return [i(name)]
    spans = [Span("• " + (shorten(name, limit) if limit else name))]
    if quantity:
        spans.append(Span(texts.DOCUMENT_QUANTITY.format(quantity=quantity)))
    if document.get("form"):
        spans += fill(texts.DOCUMENT_FORM, form=i(str(document["form"])))
    if document.get("e_form"):
        spans.append(Span(texts.DOCUMENT_E_FORM))
    return spans


def documents_doc(procedure: Procedure) -> Doc:
    """Every paper: those everyone brings, then each case with its papers, then the notes."""
    doc = Doc().add(fill(texts.DOCUMENTS_HEADER, name=b(display_name(procedure.name))))
    if not procedure.documents:
        doc.add(texts.DOCUMENTS_NONE)
    for document in procedure.documents:
        if not document.get("case"):
            doc.add(document_line(document))
    cases = by_case(procedure.documents)
    if cases:
        doc.blank().add(b(texts.DOCUMENTS_CASES))
        for case, papers in cases.items():
            doc.add(i(texts.DOCUMENTS_CASE.format(case=case)))
            for document in papers:
                doc.add(document_line(document))
    if procedure.notes:
        doc.blank().add(b(texts.DOCUMENTS_NOTES))
        for note in procedure.notes:
            doc.add("• " + str(note))
    return doc


def legal_doc(procedure: Procedure) -> Doc:
    doc = Doc().add(fill(texts.LEGAL_HEADER, name=b(procedure.name)))
    if not procedure.legal_basis:
        return doc.add(texts.LEGAL_NONE)
    for basis in procedure.legal_basis:
        number = basis.get("number")
        line = [Span("• " + str(basis.get("title") or ""))]
        if number:
            line += [Span(" ("), code(str(number)), Span(")")]
        doc.add(line)
    return doc
