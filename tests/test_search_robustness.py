"""Any input returns hits or an empty list and never raises."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from index.service import SearchService
from knowledge.catalogue import apply_catalogue
from tests.factories import catalogue, procedure_record

# Words that set the query reader's rules going: operators, codes, dictionary entries, focus and
# beneficiary phrases, foreigners.
WORDS = [
    "đăng",
    "ký",
    "AND",
    "*",
    ":",
    '"',
    "(",
    "]",
    "1.001193",
    "sổ đỏ",
    "muốn",
    "vậy",
    "có phải",
    "cho con",
    "người Mỹ",
    "thủ tục",
]
NASTY = [
    "",
    " ",
    "\t\n ",
    "x" * 10_000,
    "đăng ký " * 1_500,  # ~12 kB of real words
    "😀🙏🇻🇳",
    "AND OR NOT",
    "kết AND hôn OR *",
    "name:khai* field:[a TO z]",
    '"đăng ký',
    "(((",
    "]]]}}}",
    "'; DROP TABLE procedures; --",
    "' OR 1=1 --",
    "\x00\x01\x02",
    "\u200b\u200d\ufeff",
    "1.001193 AND 2.000815",
    "9.999999",
    "%_\\",
    "̀́̃",  # combining marks alone
    "a-muốn",  # a focus phrase inside the first word
    "vậy",  # a focus phrase alone
    "tôi-muốn-đăng-ký khai sinh cho con của tôi vậy",
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    from knowledge.db import create_schema, make_engine, make_sessionmaker

    folder = tmp_path_factory.mktemp("robust")
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite3'}")
    create_schema(engine)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    with sessions.begin() as session:
        apply_catalogue(
            session,
            catalogue(
                procedure_record(code="1.001193"),
                procedure_record(code="2.000815", name="Chứng thực bản sao từ bản chính"),
            ),
            "test",
        )
    service = SearchService(sessions, folder / "index")
    service.ensure_index()
    return service


def check(service: SearchService, query: str) -> None:
    options: list[dict[str, Any]] = [{}, {"level": "xa"}, {"field": query[:50]}, {"top": 1}]
    for kwargs in options:
        result = service.search(query, **kwargs)
        assert isinstance(result.hits, list)
        assert all(isinstance(hit.score, float) for hit in result.hits)
        assert isinstance(result.suggestions, list)


@pytest.mark.parametrize("query", NASTY)
def test_nasty_inputs(service: SearchService, query: str) -> None:
    check(service, query)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=st.sampled_from(list("ăâđêôơư áàảãạ ÁÀ AND OR NOT *?:\"'()[]{}~^.0123"))),
        st.tuples(st.lists(st.sampled_from(WORDS)), st.sampled_from([" ", "-", "/", ", ", ""])).map(
            lambda words_and_gap: words_and_gap[1].join(words_and_gap[0])
        ),
    )
)
def test_any_text(service: SearchService, query: str) -> None:
    check(service, query)
