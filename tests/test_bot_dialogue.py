"""The channel-neutral conversation core: commune resolution, state, search replies, buttons."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot import texts
from bot.dialogue import UNIT_MIN_SCORE, UNIT_SURE_SCORE, Dialogue, Reply
from bot.handlers.services import Services
from bot.keyboards import Action, callback
from bot.render import to_plain
from knowledge.catalogue import apply_catalogue
from knowledge.models import ChatUser, Era, Unit
from knowledge.units import resolve_unit
from knowledge.usage import QueryLogEntry
from knowledge.users import find_user, pending_of
from tests.botworld import BIRTH, ID_CARD, MARRIAGE, citizen_records
from tests.factories import catalogue, procedure_record

USER = 77


@pytest.fixture
def dialogue(world: Services) -> Dialogue:
    return world.dialogue


def plain(replies: list[Reply]) -> str:
    return "\n\n".join(to_plain(reply.doc) for reply in replies)


def choose_thuong_ninh(dialogue: Dialogue) -> None:
    dialogue.change_commune(USER)
    dialogue.text(USER, "Thượng Ninh, Thanh Hóa")


def test_start_asks_for_the_commune_and_waits_for_it(dialogue: Dialogue, world: Services) -> None:
    [reply] = dialogue.start(USER, "Lan")
    assert plain([reply]).startswith("Xin chào Lan!")
    assert texts.ASK_COMMUNE in plain([reply])
    with world.store.sessions() as session:
        assert pending_of(session, USER) == {"await": "commune"}


def test_deep_link_with_an_old_code_lands_on_its_successor(dialogue: Dialogue) -> None:
    _greeting, chosen = dialogue.start(USER, "Lan", "16195")  # old Xã Cát Vân
    text = to_plain(chosen.doc)
    assert "Xã Cát Vân, huyện Như Xuân, tỉnh Thanh Hóa (cũ) nay thuộc Xã Thượng Ninh" in text


def test_deep_link_with_an_unknown_code_explains_and_asks(dialogue: Dialogue) -> None:
    [reply] = dialogue.start(USER, None, "99999")
    assert texts.DEEP_LINK_UNKNOWN in plain([reply]) and texts.ASK_COMMUNE in plain([reply])


def test_a_typo_in_the_commune_name_is_forgiven(dialogue: Dialogue) -> None:
    dialogue.change_commune(USER)
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa" in plain(dialogue.text(USER, "thuong ninhh thanh hoa"))


def test_old_names_in_the_choices_show_their_old_province(dialogue: Dialogue) -> None:
    dialogue.change_commune(USER)
    [reply] = dialogue.text(USER, "phuong hong ha")
    labels = [button.label for row in reply.buttons for button in row]
    assert "Phường Hồng Hà, thành phố Hà Nội" in labels
    assert "Phường Hồng Hà (Tỉnh Yên Bái cũ) → Phường Yên Bái, tỉnh Lào Cai" in labels


def test_a_question_instead_of_a_commune_is_still_answered(dialogue: Dialogue, world: Services) -> None:
    dialogue.start(USER)
    text = plain(dialogue.text(USER, "đăng ký kết hôn"))
    assert "Đăng ký kết hôn" in text and texts.COMMUNE_HINT in text
    with world.store.sessions() as session:
        assert pending_of(session, USER) == {"await": "commune"}  # still waiting for the commune


def test_a_question_that_faintly_resembles_a_commune_is_answered_as_a_question(
    dialogue: Dialogue, world: Services
) -> None:
    """Among thousands of communes some name always looks a little like a question ("lam so do" ~
    "Anh Sơn Đông"): a weak resemblance must not beat a confident search."""
    with world.store.sessions.begin() as session:
        province = session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER, Unit.code == "38")).one()
        session.add(
            Unit(
                era=Era.TWO_TIER,
                code="99001",
                name="Xã Đăng Kỳ",
                kind="commune",
                parent_id=province.id,
                province_code="38",
                tags=[],
            )
        )
    with world.store.sessions() as session:
        [faint] = resolve_unit(session, "đăng ký kết hôn", limit=1)
        assert faint.unit.code == "99001" and UNIT_MIN_SCORE <= faint.score < UNIT_SURE_SCORE
    dialogue.start(USER)
    text = plain(dialogue.text(USER, "đăng ký kết hôn"))
    assert "Đăng ký kết hôn" in text and texts.COMMUNE_HINT in text and "Đăng Kỳ" not in text
    with world.store.sessions() as session:
        assert pending_of(session, USER) == {"await": "commune"}
    assert "Xã Đăng Kỳ" in plain(dialogue.text(USER, "xa dang ky thanh hoa"))  # the name itself still works


def test_an_unknown_commune_is_said_plainly(dialogue: Dialogue) -> None:
    dialogue.start(USER)
    assert "chưa tìm thấy xã/phường «qqqq zzzz»" in plain(dialogue.text(USER, "qqqq zzzz"))


def test_card_for_a_procedure_the_commune_does_not_handle(dialogue: Dialogue) -> None:
    choose_thuong_ninh(dialogue)
    text = plain(dialogue.button(USER, callback(Action.CARD, ID_CARD)))
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa không giải quyết" in text
    assert "cấp tỉnh" in text and "Công an cấp tỉnh" in text
    assert "Bộ phận Một cửa" not in text


def test_card_without_a_commune_invites_choosing_one(dialogue: Dialogue) -> None:
    [card] = dialogue.button(USER, callback(Action.CARD, BIRTH))
    assert texts.CARD_NO_COMMUNE in to_plain(card.doc)


def test_search_remembers_the_last_results_and_logs_the_query(dialogue: Dialogue, world: Services) -> None:
    choose_thuong_ninh(dialogue)
    dialogue.text(USER, "đăng ký")
    assert dialogue.queries.flush() == 1  # the log is written in batches
    with world.store.sessions() as session:
        user = find_user(session, USER)
        assert user is not None and sorted(user.last_results) == sorted([BIRTH, MARRIAGE])
        logged = session.scalars(select(QueryLogEntry.query)).all()
    assert logged == ["đăng ký"]


def test_answer_touches_no_user_state(dialogue: Dialogue, world: Services) -> None:
    [card] = dialogue.answer("lam giay khai sinh")
    assert "Đăng ký khai sinh" in to_plain(card.doc)
    with world.store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChatUser)) == 0


def test_related_and_legal_buttons(dialogue: Dialogue) -> None:
    [related] = dialogue.button(USER, callback(Action.RELATED, BIRTH))
    assert "Đăng ký kết hôn" in to_plain(related.doc)
    assert related.buttons[0][0].data == callback(Action.CARD, MARRIAGE)
    [legal] = dialogue.button(USER, callback(Action.LEGAL, BIRTH))
    assert "Luật Hộ tịch (60/2014/QH13)" in to_plain(legal.doc)


def test_procedures_without_a_commune_ask_for_it(dialogue: Dialogue, world: Services) -> None:
    assert texts.LIST_NEED_COMMUNE in plain(dialogue.procedures(USER))
    with world.store.sessions() as session:
        assert pending_of(session, USER) == {"await": "commune"}


def test_procedure_pages_are_clamped(dialogue: Dialogue) -> None:
    choose_thuong_ninh(dialogue)
    [last] = dialogue.button(USER, callback(Action.PAGE, 99))
    assert "trang 3/3" in to_plain(last.doc) and last.edit


@pytest.mark.parametrize("data", ["u:2008:16195", "u:2025:00000", "t:x", "zz:1", "p:9.999999"])
def test_stale_or_foreign_buttons_get_a_polite_answer(dialogue: Dialogue, data: str) -> None:
    [reply] = dialogue.button(USER, data)
    assert to_plain(reply.doc) in {texts.STALE_BUTTON, texts.PROCEDURE_GONE}


def test_inline_results_are_cards(dialogue: Dialogue) -> None:
    [first, *_rest] = dialogue.inline(USER, "khai sinh")
    assert first.code == BIRTH and first.title == "Đăng ký khai sinh"
    assert "Hộ tịch" in first.description and "Đăng ký khai sinh" in to_plain(first.doc)
    assert dialogue.inline(USER, "   ") == []


@pytest.mark.parametrize(("typed", "code"), [("2", BIRTH), ("số 1", MARRIAGE), (" #2. ", BIRTH)])
def test_a_number_opens_that_procedure_of_the_list_just_shown(
    dialogue: Dialogue, typed: str, code: str
) -> None:
    choose_thuong_ninh(dialogue)
    [listing] = dialogue.text(USER, "đăng ký")
    assert [row[0].data for row in listing.buttons] == [
        callback(Action.CARD, MARRIAGE),
        callback(Action.CARD, BIRTH),
    ]
    assert plain(dialogue.text(USER, typed)) == plain(dialogue.button(USER, callback(Action.CARD, code)))


def test_a_number_beyond_the_list_or_without_one_is_a_question(dialogue: Dialogue) -> None:
    choose_thuong_ninh(dialogue)
    assert "Tôi chưa tìm thấy" in plain(dialogue.text(USER, "37"))  # nothing listed yet: a search
    [listing] = dialogue.text(USER, "đăng ký")
    assert len(listing.buttons) == 2
    assert "Tôi chưa tìm thấy" in plain(dialogue.text(USER, "37"))  # not one of the two
    [card] = dialogue.text(USER, "đăng ký kết hôn")  # one clear answer: "1" is that card again
    assert plain(dialogue.text(USER, "1")) == plain([card])
    assert "Tôi chưa tìm thấy" not in plain(dialogue.text(USER, "2"))  # a search ("mẫu số 2")
    assert plain(dialogue.text(USER, "2")) != plain([card])


def test_a_province_specific_card_names_its_province(dialogue: Dialogue, world: Services) -> None:
    record = procedure_record(
        code="1.115490",
        name="Đăng ký biến động đất đai riêng của tỉnh",
        portal_type="specific",
        province="38",
        publisher="UBND tỉnh Thanh Hóa",
    )
    with world.store.sessions.begin() as session:
        apply_catalogue(session, catalogue(*citizen_records(), record, version="test-2"), "test", "test")
    dialogue.follow_catalogue()
    text = plain(dialogue.button(USER, callback(Action.CARD, "1.115490")))
    assert "🏛 Thủ tục riêng của Tỉnh Thanh Hóa." in text


# --- a province or a district is never a commune (issue 13, item 1) ----------------------------


def unit_of(world: Services, user_id: int) -> Unit | None:
    with world.store.sessions() as session:
        user = find_user(session, user_id)
        return user.unit if user is not None else None


def unit_buttons(replies: list[Reply]) -> list[str]:
    return [b.data or "" for reply in replies for row in reply.buttons for b in row if b.data]


@pytest.mark.parametrize(
    "how",
    ["typed city", "typed province", "the bot's own province button", "deep link to a province"],
)
def test_province_as_commune_is_never_recorded(dialogue: Dialogue, world: Services, how: str) -> None:
    dialogue.start(USER)
    if how == "typed city":
        replies = dialogue.text(USER, "Hà Nội")
    elif how == "typed province":
        replies = dialogue.text(USER, "Thanh Hóa")
    elif how == "the bot's own province button":
        replies = dialogue.button(USER, callback(Action.UNIT, Era.TWO_TIER, "38"))
    else:
        replies = dialogue.start(USER, "Lan", "38")
    assert unit_of(world, USER) is None
    assert "xã/phường" in plain(replies)
    choices = unit_buttons(replies)
    assert choices and all(data.startswith(("u:2025:", "a:")) for data in choices)
    with world.store.sessions() as session:
        assert pending_of(session, USER).get("await") == "commune"
    # Choosing from the buttons settles a real commune, and the next question is answered.
    [commune] = [data for data in choices if data.startswith("u:")][:1]
    dialogue.button(USER, commune)
    chosen = unit_of(world, USER)
    assert chosen is not None and chosen.kind in ("commune", "ward", "township", "special_zone")
    assert "Đăng ký khai sinh" in plain(dialogue.text(USER, "làm giấy khai sinh"))


def test_a_commune_named_after_the_province_is_found_within_it(dialogue: Dialogue, world: Services) -> None:
    dialogue.start(USER)
    dialogue.text(USER, "Thanh Hóa")
    text = plain(dialogue.text(USER, "Thượng Ninh"))  # typed after being asked which commune of it
    assert "Đã ghi nhận" in text and "Xã Thượng Ninh, tỉnh Thanh Hóa" in text


def test_an_old_district_is_never_recorded(dialogue: Dialogue, world: Services) -> None:
    dialogue.start(USER)
    replies = dialogue.button(USER, callback(Action.UNIT, Era.THREE_TIER, "402"))  # Huyện Như Xuân
    assert unit_of(world, USER) is None
    assert callback(Action.UNIT, Era.TWO_TIER, "16225") in unit_buttons(replies)


def test_a_province_with_many_communes_is_paged(dialogue: Dialogue, world: Services) -> None:
    with world.store.sessions.begin() as session:
        province = session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER, Unit.code == "40")).one()
        for number in range(130):
            session.add(
                Unit(
                    era=Era.TWO_TIER,
                    code=f"{80000 + number}",
                    name=f"Xã Thử Nghiệm {number:03d}",
                    kind="commune",
                    parent_id=province.id,
                    province_code="40",
                    tags=[],
                )
            )
    dialogue.start(USER)
    [first] = dialogue.text(USER, "Tỉnh Nghệ An")
    assert "131" in to_plain(first.doc)  # the fixture's Xã Cát Ngạn and the 130 above
    labels = [b.label for row in first.buttons for b in row]
    assert texts.BUTTON_NEXT in labels and len(labels) <= 20
    seen: set[str] = set()
    reply = first
    for _page in range(30):
        seen.update(d for d in unit_buttons([reply]) if d.startswith("u:"))
        following = [b.data for row in reply.buttons for b in row if b.label == texts.BUTTON_NEXT]
        if not following:
            break
        [reply] = dialogue.button(USER, following[0] or "")
        assert reply.edit  # pages replace each other
    assert len(seen) == 131
    assert unit_of(world, USER) is None
