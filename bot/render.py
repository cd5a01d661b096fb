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
    def fits(text: str) -> bool:
        return telegram_length(span_html(Span(text, span.style, span.url))) <= limit

    return [Span(text, span.style, span.url) for text in _split_words(span.text, fits)]


def _line_pieces(line: Line, limit: int) -> list[str]:
    """One over-long line as HTML pieces each within ``limit``: split between spans, then inside one."""
    pieces: list[str] = []
    current = ""
    for span in line:
        rendered = span_html(span)
        if telegram_length(current + rendered) <= limit:
            current += rendered
            continue
        if current:
            pieces.append(current)
            current = ""
        if telegram_length(rendered) <= limit:
            current = rendered
            continue
        rendered_parts = [span_html(part) for part in _split_span(span, limit)]
        pieces.extend(rendered_parts[:-1])
        current = rendered_parts[-1]
    if current:
        pieces.append(current)
    return pieces


def html_chunks(doc: Doc, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The document as HTML messages, each within ``limit``; cuts fall between lines when possible."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in doc.lines:
        rendered = line_html(line)
        length = telegram_length(rendered)
        pieces = _line_pieces(line, limit) if length > limit else [rendered]
        for piece in pieces:
            piece_length = telegram_length(piece)
            joined = size + piece_length + (1 if current else 0)
            if current and joined > limit:
                chunks.append("\n".join(current).strip())
                current, size = [], 0
                joined = piece_length
            current.append(piece)
            size = joined
    if current:
        chunks.append("\n".join(current).strip())
    return [chunk for chunk in chunks if chunk]


# --- Procedure cards ---------------------------------------------------------------------------

MAX_CARD_DOCUMENTS = 5


@dataclass(frozen=True)
class Office:
    """Where to submit in person; only what the data says (never invented)."""

    name: str
    address: str | None = None
    hours: str | None = None
    phone: str | None = None


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
    office: Office | None = None


def _channel_details(channel: dict[str, Any]) -> str:
    parts = [str(channel.get("time") or texts.CARD_TIME_UNKNOWN)]
    if channel.get("fee"):
        parts.append(texts.CARD_FEE.format(fee=channel["fee"]))
    if channel.get("note"):
        parts.append(str(channel["note"]))
    return "; ".join(parts)


def _where(doc: Doc, facts: CardFacts) -> None:
    procedure = facts.procedure
    online = any(channel.get("channel") == "truc_tuyen" for channel in procedure.channels)
    office = facts.office if facts.handled else None
    if office is None and not procedure.receiving_address and not online:
        return
    doc.blank().add(b(texts.CARD_WHERE))
    if office is not None:
        doc.add("• ", office.name)
        if office.address:
            doc.add("  ", fill(texts.CARD_OFFICE_ADDRESS, address=office.address))
        if office.hours:
            doc.add("  ", fill(texts.CARD_OFFICE_HOURS, hours=office.hours))
        if office.phone:
            doc.add("  ", fill(texts.CARD_OFFICE_PHONE, phone=office.phone))
    elif procedure.receiving_address:
        doc.add("• ", fill(texts.CARD_RECEIVING, address=procedure.receiving_address))
    if online:
        doc.add("• ", fill(texts.CARD_ONLINE, link=link(texts.PORTAL_NAME, facts.portal_url)))


def procedure_card(facts: CardFacts) -> Doc:
    """The card for one procedure, as a citizen needs it: who handles it, where, what to bring."""
    procedure = facts.procedure
    doc = Doc().add(b(procedure.name))
    heading = fill(texts.CARD_CODE, code=code(procedure.code))
    if procedure.field:
        heading += fill(texts.CARD_FIELD, field=procedure.field)
    doc.add(heading)
    if not procedure.in_force:
        if procedure.abolished_by:
            doc.add(fill(texts.CARD_ABOLISHED_BY, by=procedure.abolished_by))
        else:
            doc.add(texts.CARD_ABOLISHED)

    doc.blank()
    if facts.unit_name is None or facts.handled is None:
        doc.add(texts.CARD_NO_COMMUNE)
    elif facts.handled:
        doc.add(fill(texts.CARD_HANDLED, unit=b(facts.unit_name)))
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

    documents = procedure.documents
    if documents:
        doc.blank().add(b(texts.CARD_DOCUMENTS))
        for document in documents[:MAX_CARD_DOCUMENTS]:
            doc.add(document_line(document))
        if len(documents) > MAX_CARD_DOCUMENTS:
            doc.add(i(texts.CARD_MORE_DOCUMENTS.format(count=len(documents) - MAX_CARD_DOCUMENTS)))

    if procedure.channels:
        doc.blank().add(b(texts.CARD_TIME_FEE))
        for channel in procedure.channels:
            name = texts.CHANNEL_NAMES.get(str(channel.get("channel")), str(channel.get("channel")))
            doc.add(fill(texts.CARD_CHANNEL, channel=name, details=_channel_details(channel)))

    if procedure.result:
        doc.blank().add(fill(texts.CARD_RESULT, result=procedure.result))
    doc.blank().add(fill(texts.CARD_PORTAL, portal=link(texts.PORTAL_NAME, facts.portal_url)))
    return doc


def document_line(document: dict[str, Any]) -> list[Span]:
    """One document as a bullet; the catalogue's own list marks ("- ", "* ") are dropped, and an
    entry that only introduces the next ones ("Giấy tờ phải nộp:") becomes a plain heading."""
    name = str(document.get("name") or "").strip().lstrip("-*+•").strip()
    if name.endswith(":") and not document.get("quantity"):
        return [i(name)]
    spans = [Span("• " + name)]
    if document.get("quantity"):
        spans.append(Span(texts.DOCUMENT_QUANTITY.format(quantity=document["quantity"])))
    if document.get("form"):
        spans += fill(texts.DOCUMENT_FORM, form=i(str(document["form"])))
    return spans


def documents_doc(procedure: Procedure) -> Doc:
    doc = Doc().add(fill(texts.DOCUMENTS_HEADER, name=b(procedure.name)))
    if not procedure.documents:
        return doc.add(texts.DOCUMENTS_NONE)
    for document in procedure.documents:
        doc.add(document_line(document))
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
