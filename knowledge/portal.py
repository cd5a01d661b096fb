"""Links to the national public-service portal (Cổng Dịch vụ công quốc gia, dichvucong.gov.vn).

Since the 2025 portal change a procedure's page is ``/thu-tuc-hanh-chinh/<uuid>``; the UUID cannot be
derived from the code, so it is used only when the catalogue stored it. Otherwise the link is a
portal search for the procedure's name. The old ``?ma_thu_tuc=`` pages no longer exist and are never
produced (a stored URL of that shape is ignored too).
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote

PORTAL_SEARCH_URL = "https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh"
_DEAD_LINK_MARK = "ma_thu_tuc="


class PortalLinked(Protocol):
    """What a link needs; both ``Procedure`` rows and ``ProcedureRecord`` items have it."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def portal_url(self) -> str | None: ...


def portal_search_link(query: str) -> str:
    """The portal's search page for ``query`` (spaces and Vietnamese letters percent-encoded)."""
    return f"{PORTAL_SEARCH_URL}?keyword={quote(' '.join(query.split()), safe='')}"


def portal_link(procedure: PortalLinked) -> str:
    """The procedure's own portal page when known, else a portal search for its name."""
    url = (procedure.portal_url or "").strip()
    if url.startswith("https://") and _DEAD_LINK_MARK not in url:
        return url
    return portal_search_link(procedure.name if procedure.name and procedure.name.strip() else procedure.code)
