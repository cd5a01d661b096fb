"""The bundled everyday-language layer (knowledge/data/everyday.json): well formed, and every phrase
points at exactly one procedure, so that a citizen's words never stand for two sibling procedures."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from knowledge.catalogue import BUNDLED_CATALOGUE, read_catalogue

EVERYDAY_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "everyday.json"

# The life events named in issue 12; a file may add more in the same style.
REQUIRED_EVENTS = {
    "sinh_con",
    "ket_hon",
    "ly_hon",
    "nhan_con_nuoi",
    "nguoi_than_qua_doi",
    "thua_ke_tang_cho",
    "mua_ban_dat",
    "xay_sua_nha",
    "thue_nha_o",
    "mua_ban_xe",
    "lai_xe",
    "mo_cua_hang_kinh_doanh",
    "thanh_lap_doanh_nghiep",
    "mat_giay_to",
    "hong_sai_giay_to",
    "chuyen_noi_o",
    "di_hoc_chuyen_truong",
    "tot_nghiep_van_bang",
    "xin_viec_di_lam",
    "that_nghiep",
    "nghi_huu",
    "om_dau_tai_nan_thai_san",
    "khuyet_tat",
    "hoan_canh_kho_khan",
    "nguoi_co_cong",
    "nghia_vu_quan_su",
    "di_nuoc_ngoai",
    "nguoi_nuoc_ngoai",
    "ton_giao_tin_nguong",
    "nong_nghiep_chan_nuoi",
    "dat_rung_thuy_san",
    "xuat_nhap_khau",
    "thue_phi",
    "bao_hiem_y_te",
    "van_hoa_le_hoi",
    "an_toan_thuc_pham",
    "moi_truong",
}
CODE = re.compile(r"^\d\.\d{6,9}$")
EVENT_ID = re.compile(r"^[a-z]+(_[a-z]+)*$")


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(EVERYDAY_FILE.read_text(encoding="utf-8"))
    return loaded


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))


def _fold(text: str) -> str:
    """Lower case, no diacritics, single spaces: how a citizen may type the phrase."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").split())


def _spaced(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split())


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_strings(item)]]
    return []


def test_the_file_is_utf8_nfc_with_the_agreed_top_level(data: dict[str, Any]) -> None:
    text = EVERYDAY_FILE.read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", text) == text
    assert set(data) == {"about", "source", "reviewed", "events", "procedures"}
    assert data["about"].strip() and data["source"].strip()
    date.fromisoformat(data["reviewed"])
    # names are the catalogue's, spaces and all; every other text is trimmed and single-spaced
    texts = _strings({key: value for key, value in data.items() if key != "procedures"})
    texts += [text for entry in data["procedures"] for text in _strings({**entry, "name": "-"})]
    for text in texts:
        assert text == " ".join(text.split()) and text, repr(text)


def test_events_are_labelled_and_signalled_by_words(data: dict[str, Any]) -> None:
    events = data["events"]
    assert set(events) >= REQUIRED_EVENTS
    for event_id, event in events.items():
        assert EVENT_ID.match(event_id), event_id
        assert set(event) == {"label", "words"}
        assert event["label"] and event["words"], event_id
        assert len({_fold(word) for word in event["words"]}) == len(event["words"]), event_id


def test_procedures_are_sorted_unique_and_well_formed(data: dict[str, Any]) -> None:
    procedures = data["procedures"]
    codes = [entry["code"] for entry in procedures]
    assert all(CODE.match(code) for code in codes)
    assert codes == sorted(codes, key=_code_key)
    assert len(set(codes)) == len(codes)
    events = set(data["events"])
    for entry in procedures:
        assert set(entry) == {"code", "name", "everyday", "questions", "events"}, entry["code"]
        assert entry["name"], entry["code"]
        assert 2 <= len(entry["everyday"]) <= 6, entry["code"]
        assert 1 <= len(entry["questions"]) <= 4, entry["code"]
        assert len(entry["events"]) <= 3, entry["code"]
        assert set(entry["events"]) <= events, entry["code"]
        assert len(set(entry["events"])) == len(entry["events"]), entry["code"]
        for field in ("everyday", "questions"):
            folded = [_fold(text) for text in entry[field]]
            assert len(set(folded)) == len(folded), (entry["code"], field)
        # everyday names are short phrases, questions short messages
        assert all(len(phrase.split()) <= 12 for phrase in entry["everyday"]), entry["code"]
        assert all(len(question.split()) <= 30 for question in entry["questions"]), entry["code"]


def test_no_everyday_phrase_stands_for_two_procedures(data: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    shared = []
    for entry in data["procedures"]:
        for phrase in entry["everyday"]:
            key = _fold(phrase)
            if owner.setdefault(key, entry["code"]) != entry["code"]:
                shared.append((phrase, owner[key], entry["code"]))
    assert shared == []


def test_names_are_the_catalogue_names(data: dict[str, Any]) -> None:
    """Checked against the bundled catalogue for the codes it holds; the codes it lacks are checked
    against the portal's full list when that list is imported."""
    bundled = {p.code: p.name for p in read_catalogue(BUNDLED_CATALOGUE).procedures}
    checked = [entry for entry in data["procedures"] if entry["code"] in bundled]
    assert checked, "no entry could be checked against the bundled catalogue"
    wrong = [entry["code"] for entry in checked if _spaced(entry["name"]) != _spaced(bundled[entry["code"]])]
    assert wrong == []
