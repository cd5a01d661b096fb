"""Portal links: the stored detail page when known, else a portal search; never the dead ?ma_thu_tuc= form."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.catalogue import ProcedureRecord
from knowledge.models import Procedure
from knowledge.portal import PORTAL_SEARCH_URL, portal_link, portal_search_link
from tests.factories import procedure_record

DETAIL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
OLD = "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=1.001193"


def _keyword(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == PORTAL_SEARCH_URL
    return parse_qs(parts.query)["keyword"][0]


def test_stored_detail_page_is_used() -> None:
    record = ProcedureRecord.model_validate(procedure_record(code="1.001193", portal_url=DETAIL))
    assert portal_link(record) == DETAIL


@pytest.mark.parametrize("stored", [None, "", "  ", OLD])
def test_unknown_or_dead_link_becomes_a_search_for_the_name(stored: str | None) -> None:
    procedure = Procedure(code="1.001193", name="Thủ tục đăng ký khai sinh", portal_url=stored)
    link = portal_link(procedure)
    assert _keyword(link) == "Thủ tục đăng ký khai sinh"
    assert " " not in link and "ma_thu_tuc=" not in link


def test_search_link_encodes_and_collapses_spaces() -> None:
    link = portal_search_link("  đăng ký   tạm trú & gia hạn ")
    assert (
        link == f"{PORTAL_SEARCH_URL}?keyword="
        "%C4%91%C4%83ng%20k%C3%BD%20t%E1%BA%A1m%20tr%C3%BA%20%26%20gia%20h%E1%BA%A1n"
    )
    assert _keyword(link) == "đăng ký tạm trú & gia hạn"


@given(name=st.text(min_size=1, max_size=60), stored=st.one_of(st.none(), st.text(max_size=80), st.just(OLD)))
def test_no_link_ever_uses_the_old_pattern(name: str, stored: str | None) -> None:
    procedure = Procedure(code="1.000001", name=name, portal_url=stored)
    assert "ma_thu_tuc=" not in portal_link(procedure)
    assert "ma_thu_tuc=" not in portal_search_link(name)
