"""The dialogue's caches: answers computed once per catalogue version, never one version too long."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answercache import LRU
from bot.dialogue import Dialogue, Reply, query_key
from bot.handlers.services import Services
from bot.keyboards import Action, callback
from bot.render import to_plain
from index.service import SearchResult, SearchService
from knowledge.reload import apply_reload, plan_reload, rollback
from tests.botworld import BIRTH, MARRIAGE, citizen_records, open_world
from tests.factories import catalogue

USER = 31


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index")
    dialogue = services.dialogue
    dialogue.change_commune(USER)
    dialogue.text(USER, "Thượng Ninh, Thanh Hóa")
    yield services
    services.close()


def plain(replies: list[Reply]) -> str:
    return "\n\n".join(to_plain(reply.doc) for reply in replies)


def reload_with(services: Services, version: str, **changes: dict[str, Any]) -> None:
    """A reload of the world's catalogue with some procedures changed (by code)."""
    records = [{**record, **changes.get(record["code"], {})} for record in citizen_records()]
    plan = plan_reload(services.store.sessions, catalogue(*records, version=version), f"{version}.json")
    apply_reload(services.store.sessions, plan, "cli:test")


def count_searches(monkeypatch: pytest.MonkeyPatch, search: SearchService) -> list[str]:
    """The queries that reach the search service from now on."""
    seen: list[str] = []
    real = search.search

    def counting(query: str, **kwargs: Any) -> SearchResult:
        seen.append(query)
        return real(query, **kwargs)

    monkeypatch.setattr(search, "search", counting)
    return seen


def test_a_question_asked_again_is_answered_from_the_cache(
    world: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialogue = world.dialogue
    searched = count_searches(monkeypatch, world.search)
    first = plain(dialogue.text(USER, "đăng ký  kết hôn"))
    again = plain(dialogue.text(USER, "đăng ký kết hôn"))
    assert "Đăng ký kết hôn" in first and again == first
    assert searched == ["đăng ký  kết hôn"]  # the second spelling has the same key
    card = plain(dialogue.button(USER, callback(Action.CARD, MARRIAGE)))
    assert card == first and plain(dialogue.button(USER, callback(Action.CARD, MARRIAGE))) == card


def test_a_cached_no_match_still_quotes_what_this_user_typed(world: Services) -> None:
    dialogue = world.dialogue
    assert "«qqq  zzz»" in plain(dialogue.text(USER, "qqq  zzz"))
    assert "«qqq zzz»" in plain(dialogue.text(USER, " qqq zzz"))  # same key, this user's words


def test_query_keys_keep_case_and_ignore_spacing() -> None:
    assert query_key("  Cấp  lại\tCCCD ") == "Cấp lại CCCD"
    assert query_key("cấp lại cccd") != query_key("cấp lại CCCD")  # an upper-case word may be an acronym
    assert query_key("Ca\u0302\u0301p") == query_key("Cấp")  # composed or not


def test_a_reload_changes_the_answers_at_once_and_a_rollback_brings_them_back(world: Services) -> None:
    dialogue = world.dialogue
    before_card = plain(dialogue.button(USER, callback(Action.CARD, BIRTH)))
    before_answer = plain(dialogue.text(USER, "đăng ký kết hôn"))
    assert "Đăng ký khai sinh" in before_card and "Giấy chứng nhận kết hôn" in before_answer

    reload_with(
        world,
        "test-2",
        **{
            BIRTH: {"name": "Đăng ký khai sinh lưu động"},
            MARRIAGE: {"result": "Giấy chứng nhận kết hôn bản điện tử"},
        },
    )
    # Not followed yet: the caches are bypassed, the card is read from the new catalogue.
    assert "Đăng ký khai sinh lưu động" in plain(dialogue.button(USER, callback(Action.CARD, BIRTH)))
    dialogue.follow_catalogue()  # what the version watcher does
    assert "bản điện tử" in plain(dialogue.text(USER, "đăng ký kết hôn"))
    assert "Đăng ký khai sinh lưu động" in plain(dialogue.button(USER, callback(Action.CARD, BIRTH)))

    rollback(world.store.sessions, "cli:test")
    dialogue.follow_catalogue()
    assert plain(dialogue.button(USER, callback(Action.CARD, BIRTH))) == before_card
    assert plain(dialogue.text(USER, "đăng ký kết hôn")) == before_answer


def test_a_procedure_list_follows_a_reload(world: Services) -> None:
    dialogue = world.dialogue
    assert "Thủ tục mẫu số 1 về" in plain(dialogue.procedures(USER))
    reload_with(world, "test-2", **{"2.000100": {"name": "Thủ tục đã đổi tên"}})
    dialogue.follow_catalogue()
    assert "Thủ tục đã đổi tên" in plain(dialogue.procedures(USER))


def test_inline_cards_come_from_the_same_cache(world: Services) -> None:
    dialogue = world.dialogue
    card = plain(dialogue.button(USER, callback(Action.CARD, BIRTH)))
    [first, *_rest] = dialogue.inline(USER, "khai sinh")
    assert first.code == BIRTH and to_plain(first.doc) == card


def test_a_dialogue_that_is_not_told_of_a_new_version_answers_without_its_caches(
    world: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Dialogue(world.store.sessions, world.search)  # a second bot process without a version watcher
    other.text(USER, "đăng ký kết hôn")
    reload_with(world, "test-2", **{MARRIAGE: {"name": "Đăng ký kết hôn (mới)"}})
    world.search.refresh_if_stale()
    searched = count_searches(monkeypatch, world.search)
    assert "Đăng ký kết hôn (mới)" in plain(other.text(USER, "đăng ký kết hôn"))
    assert "Đăng ký kết hôn (mới)" in plain(other.text(USER, "đăng ký kết hôn"))
    assert len(searched) == 2
    other.close()


def test_the_caches_are_bounded() -> None:
    cache: LRU[int, str] = LRU(3)
    for number in range(5):
        cache.put(number, str(number))
    assert len(cache) == 3 and cache.get(0) is None and cache.get(1) is None
    assert cache.get(2) == "2"  # now the most recently used
    cache.put(5, "5")
    assert cache.get(3) is None and cache.get(2) == "2" and cache.get(5) == "5"


def test_a_failed_request_cannot_poison_the_answer_cache(
    world: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that fails half-way (its transaction rolled back) leaves nothing in the shared
    caches that another citizen's request could trip over (issue 13, item 1)."""
    dialogue = world.dialogue

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the request fails after the procedure was read")

    monkeypatch.setattr("bot.dialogue.competence", broken)
    with pytest.raises(RuntimeError):
        dialogue.button(USER, callback(Action.CARD, BIRTH))
    monkeypatch.undo()
    other = USER + 1  # another citizen, no commune
    assert "Đăng ký khai sinh" in plain(dialogue.button(other, callback(Action.CARD, BIRTH)))
    assert "Tờ khai đăng ký khai sinh" in plain(dialogue.button(other, callback(Action.DOCUMENTS, BIRTH)))
    assert "Đăng ký kết hôn" in plain(dialogue.button(other, callback(Action.RELATED, BIRTH)))
    assert "Đăng ký khai sinh" in plain(dialogue.button(USER, callback(Action.CARD, BIRTH)))


def test_the_answer_cache_holds_no_database_rows(world: Services) -> None:
    from sqlalchemy import inspect as orm_inspect
    from sqlalchemy.exc import NoInspectionAvailable

    dialogue = world.dialogue
    for action in (Action.CARD, Action.DOCUMENTS, Action.LEGAL, Action.RELATED):
        dialogue.button(USER, callback(action, BIRTH))
    dialogue.text(USER, "đăng ký kết hôn")
    dialogue.procedures(USER)
    cache = dialogue._answers
    values: list[Any] = []
    for lru in vars(cache).values():
        if isinstance(lru, LRU):
            values.extend(lru._items.values())
    assert values
    for value in values:
        with pytest.raises(NoInspectionAvailable):
            orm_inspect(value)
