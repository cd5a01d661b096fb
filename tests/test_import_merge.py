"""Merging the sources of one procedure field by field (knowledge/importers/merge.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from knowledge.importers.merge import AGENCIES, BQP, CRAWL, DETAIL, LIST, Part, merge

CHANNEL = {"channel": "truc_tiep", "time": "5 Ngày làm việc", "days": 5.0, "fee": "Miễn phí", "fee_vnd": 0}
PAGE = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"


def _part(source: str, day: int = 1, **values: Any) -> Part:
    return Part(source, values, date(2026, 7, day))


def test_each_field_comes_from_the_best_source_that_states_it() -> None:
    record = merge(
        "1.001193",
        [
            _part(LIST, name="Đăng ký khai sinh", audiences=["Công dân Việt Nam"], publisher="Bộ Tư pháp"),
            _part(CRAWL, 20, channels=[{**CHANNEL, "time": "1 ngày"}], documents=[{"name": "Tờ khai"}]),
            _part(DETAIL, 19, channels=[CHANNEL], documents=[], steps=["Bước 1"], result=None),
            _part(AGENCIES, levels=["xa"]),
        ],
    )
    assert record["channels"] == [CHANNEL] and record["sources"]["channels"] == DETAIL
    # the detail states no papers: the crawl's stand, and say so
    assert record["documents"] == [{"name": "Tờ khai"}] and record["sources"]["documents"] == CRAWL
    assert record["audiences"] == ["Công dân Việt Nam"] and record["sources"]["audiences"] == LIST
    assert record["levels"] == ["xa"] and record["sources"]["levels"] == AGENCIES
    assert "result" not in record and "result" not in record["sources"]
    assert (record["source"], record["source_date"]) == (DETAIL, "2026-07-19")
    assert record["details"] == "full"


def test_the_list_names_and_links_before_the_crawl() -> None:
    crawl = _part(CRAWL, name="Bổ nhiệm Thừa phát lại", field="Thừa phát lại", portal_url=None, steps=["a"])
    listed = _part(LIST, name="Bổ nhiệm Thừa hành viên", field="Thừa hành viên", portal_url=PAGE)
    record = merge("1.008922", [crawl, listed])
    assert (record["name"], record["field"], record["portal_url"]) == (
        "Bổ nhiệm Thừa hành viên",
        "Thừa hành viên",
        PAGE,
    )
    assert record["sources"]["name"] == LIST and record["sources"]["steps"] == CRAWL
    detail = _part(DETAIL, name="Bổ nhiệm Thừa hành viên (cấp tỉnh)")
    assert merge("1.008922", [crawl, listed, detail])["name"] == "Bổ nhiệm Thừa hành viên (cấp tỉnh)"


def test_defence_exports_rank_with_the_crawl() -> None:
    record = merge(
        "1.013124",
        [
            _part(LIST, levels=None, audiences=["Doanh nghiệp"]),
            _part(BQP, 2, audiences=["Tổ chức"], levels=["bo"]),
        ],
    )
    assert record["audiences"] == ["Tổ chức"] and record["sources"] == {"audiences": BQP, "levels": BQP}
    assert record["source"] == BQP


def test_a_record_without_papers_time_or_fee_is_a_summary() -> None:
    unknown = {"channel": "truc_tuyen", "time": None, "days": None, "fee": None, "fee_vnd": None}
    record = merge(
        "1.001776", [_part(LIST, name="Trợ cấp xã hội", channels=None), _part(CRAWL, channels=[unknown])]
    )
    assert record["details"] == "summary"
    timed = merge("1.001776", [_part(CRAWL, channels=[{**unknown, "time": "3 ngày"}])])
    assert timed["details"] == "full"
    papers = merge("1.001776", [_part(CRAWL, documents=[{"name": "Đơn"}])])
    assert papers["details"] == "full"
