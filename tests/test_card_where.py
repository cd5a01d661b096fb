"""Where a card sends the citizen: the commune's one-stop office only when it receives the dossier
(address, phone with its caveat, map), the commune police for what they run, the agency otherwise."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

from bot import texts
from bot.dialogue import Dialogue
from bot.handlers.services import Services
from bot.keyboards import Action, callback
from bot.render import CardFacts, Office, map_url, procedure_card, to_html, to_plain
from knowledge.catalogue import apply_catalogue
from knowledge.units import load_offices
from tests.botworld import BIRTH, ID_CARD, citizen_records
from tests.factories import catalogue, procedure_record
from tests.test_render import procedure

USER = 78
RESIDENCE = "1.004222"
CUSTOMS = "1.000005"


def card_text(facts: CardFacts) -> str:
    return to_plain(procedure_card(facts))


def test_the_one_stop_office_with_an_unverified_phone_and_a_map() -> None:
    office = Office(
        "Bộ phận Một cửa Phường Hải Châu", "Số 15 Lê Hồng Phong", None, "0903570134", False, 16.0637, 108.2225
    )
    facts = CardFacts(procedure(), "https://dichvucong.gov.vn/x", "Phường Hải Châu", True, office=office)
    text = card_text(facts)
    assert "• Bộ phận Một cửa Phường Hải Châu" in text
    assert "Địa chỉ: Số 15 Lê Hồng Phong" in text
    assert texts.CARD_OFFICE_PHONE_UNVERIFIED.format(phone="0903570134") in text
    html = to_html(procedure_card(facts))
    assert f'<a href="{escape(map_url(16.0637, 108.2225))}">{texts.CARD_OFFICE_MAP_LINK}</a>' in html
    assert (
        map_url(16.0637, 108.2225) == "https://www.google.com/maps/search/?api=1&query=16.063700,108.222500"
    )


def test_a_verified_phone_has_no_caveat_and_no_position_no_map() -> None:
    office = Office("Bộ phận Một cửa Xã A", None, None, "0237 000 000", True)
    text = card_text(CardFacts(procedure(), "https://dichvucong.gov.vn/x", "Xã A", True, office=office))
    assert texts.CARD_OFFICE_PHONE.format(phone="0237 000 000") in text
    assert "chưa được xác minh" not in text and texts.CARD_OFFICE_MAP_LINK not in text


def test_a_body_other_than_the_one_stop_is_named_and_no_office_shown() -> None:
    facts = CardFacts(procedure(), "https://dichvucong.gov.vn/x", "Xã A", True, receiver="Công an xã A")
    text = card_text(facts)
    assert "• Công an xã A" in text and "Bộ phận Một cửa" not in text


@pytest.fixture
def dialogue(world: Services, tmp_path: Path) -> Dialogue:
    """The test world with a police-run and a customs procedure, and an office for Thượng Ninh."""
    records = [
        *citizen_records(),
        procedure_record(
            code=RESIDENCE,
            name="Đăng ký thường trú",
            field="Đăng ký, quản lý cư trú",
            executing_agencies=["Công an cấp Xã"],
            publisher="Bộ Công an",
        ),
        procedure_record(
            code=CUSTOMS,
            name="Thủ tục hải quan đối với khí xuất khẩu bằng đường ống",
            field="Hải quan",
            implementing_agency="Chi cục Hải quan khu vực",
        ),
    ]
    office = {
        "unit": "16225",
        "address": "Thôn Thượng Ninh",
        "phone": "0237 000 000",
        "phone_verified": False,
        "latitude": 19.5,
        "longitude": 105.4,
        "source": "test",
    }
    path = tmp_path / "offices.json"
    path.write_text(json.dumps({"offices": [office]}), encoding="utf-8")
    with world.store.sessions.begin() as session:
        apply_catalogue(session, catalogue(*records, version="test-where"), "test")
        load_offices(session, path)
    world.dialogue.follow_catalogue()
    world.dialogue.change_commune(USER)
    world.dialogue.text(USER, "Thượng Ninh, Thanh Hóa")
    return world.dialogue


def card(dialogue: Dialogue, code: str) -> str:
    return "\n".join(to_plain(reply.doc) for reply in dialogue.button(USER, callback(Action.CARD, code)))


def test_a_commune_procedure_shows_the_communes_office(dialogue: Dialogue) -> None:
    text = card(dialogue, BIRTH)
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa giải quyết" in text
    assert "• Bộ phận Một cửa Xã Thượng Ninh" in text and "Địa chỉ: Thôn Thượng Ninh" in text
    assert "chưa được xác minh" in text and texts.CARD_OFFICE_MAP_LINK in text


def test_a_police_run_procedure_goes_to_the_commune_police(dialogue: Dialogue) -> None:
    text = card(dialogue, RESIDENCE)
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa giải quyết" in text  # in the commune…
    assert "• Công an xã Thượng Ninh" in text  # …by its police
    assert "Bộ phận Một cửa" not in text and "Thôn Thượng Ninh" not in text


def test_other_agencies_are_named_as_published(dialogue: Dialogue) -> None:
    text = card(dialogue, CUSTOMS)
    assert "Xã Thượng Ninh, tỉnh Thanh Hóa không giải quyết" in text
    assert "• Chi cục Hải quan khu vực" in text and "Bộ phận Một cửa" not in text
    assert "• Công an cấp tỉnh" in card(dialogue, ID_CARD)


def test_without_a_commune_the_card_names_who_receives_it(world: Services, dialogue: Dialogue) -> None:
    other = 79
    police = "\n".join(to_plain(r.doc) for r in dialogue.button(other, callback(Action.CARD, RESIDENCE)))
    assert texts.CARD_NO_COMMUNE in police and "• Công an cấp xã" in police
    birth = "\n".join(to_plain(r.doc) for r in dialogue.button(other, callback(Action.CARD, BIRTH)))
    assert f"• {texts.CARD_ONE_STOP_ANY}" in birth


def test_a_procedure_the_commune_decides_but_another_body_receives_says_where_papers_go() -> None:
    """School support: the commune approves it, the parents hand the papers to the school."""
    reason = (
        "Đơn nộp tại trường của con bạn; nhà trường lập danh sách gửi Ủy ban nhân dân xã/phường phê duyệt."
    )
    text = card_text(CardFacts(procedure(), "https://dichvucong.gov.vn/x", "Xã A", True, reason=reason))
    assert reason in text
