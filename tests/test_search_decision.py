"""The card / list / "không tìm thấy" decision (index.decision) on the bundled catalogue, with the
bundled everyday names and model: the messages of issue 12, as a citizen typed them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.decision import Answer, decide, rarity
from index.model import load_model
from index.service import SearchService
from knowledge.catalogue import BUNDLED_CATALOGUE, apply_catalogue, read_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    folder = tmp_path_factory.mktemp("bundled")
    engine = make_engine(f"sqlite:///{folder / 'bundled.sqlite3'}")
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        apply_catalogue(session, read_catalogue(BUNDLED_CATALOGUE), "test")
    service = SearchService(sessions, Path(folder / "index"))
    service.ensure_index()
    yield service
    engine.dispose()


@pytest.mark.parametrize(
    "message",
    ["hihi", "qwzx plmokn vbyt", "công thức nấu phở bò", "😂😂", "ok cảm ơn bạn", "..."],
)
def test_a_message_about_no_procedure_gets_no_answer(bundled: SearchService, message: str) -> None:
    result = bundled.search(message)
    assert result.answer is Answer.NONE
    assert result.hits == []


@pytest.mark.parametrize(
    ("message", "right"),
    [
        ("đổi bằng lái xe", {"3.000347"}),
        ("làm căn cước lần đầu cho con 14 tuổi", {"1.014061"}),
        ("sửa năm sinh trong giấy khai sinh", {"1.004859", "1.000881"}),
        ("làm hộ chiếu", {"1.001456", "1.001471"}),
    ],
)
def test_everyday_questions_find_the_procedure(bundled: SearchService, message: str, right: set[str]) -> None:
    result = bundled.search(message)
    assert result.answer is not Answer.NONE
    assert result.hits[0].code in right


def test_a_card_only_for_a_clear_winner(bundled: SearchService) -> None:
    """ "đăng ký" alone names nothing: the user chooses; a precise question gets its card."""
    assert bundled.search("đăng ký").answer is Answer.LIST
    assert bundled.search("đổi giấy phép lái xe").answer is Answer.CARD


def test_a_whole_field_is_offered_as_a_list(bundled: SearchService) -> None:
    assert bundled.search("chứng thực").answer is Answer.LIST


def test_the_decision_follows_the_model() -> None:
    model = load_model()
    confident = (0.9, 0.3, 1.0, 1.0, 0.0, 1.0, 1.0, 0.6, 0.4, 0.5, 0.0, 0.5)
    tie = (0.9, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.6, 0.4, 0.5, 0.0, 0.5)
    nothing = (0.1, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert decide(confident, model) is Answer.CARD
    assert decide(tie, model) is Answer.LIST  # two procedures scoring alike are a choice
    assert decide(nothing, model) is Answer.NONE
    assert decide(nothing, model, broad=True) is Answer.LIST


def test_rarity_runs_from_everywhere_to_nowhere() -> None:
    assert rarity(999, 1000) == 0.0
    assert rarity(0, 1000) == 1.0
    assert 0.0 < rarity(10, 1000) < 1.0


@pytest.mark.parametrize("message", ["lam can cuoc", "lam giay khai sinh cho con", "muon doi bang lai xe"])
def test_a_request_typed_without_accents_is_answered(bundled: SearchService, message: str) -> None:
    """ "lam" is "làm" in a request typed without accents: a filler, not a word the catalogue lacks."""
    result = bundled.search(message)
    assert result.answer is not Answer.NONE
    assert result.hits
